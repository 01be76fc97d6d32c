"""consignment_service's adapters, injected into its entrypoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.database import Database

from consignment_service.domain import BookedVessel, Reservation, VoyageChange
from consignment_service.repository import ConsignmentRepository
from shippy_common.mongo import MongoStore
from shippy_common.rpc import TimedRpcProxy, TimedServiceProxy


class ConsignmentStore(MongoStore[ConsignmentRepository]):
    """The consignments, their transition logs (``.transitions``), the voyage
    changes seen (``.voyages``) and the reconciliation checkpoint
    (``.checkpoint``) in MongoDB."""

    def repository(self, database: Database) -> ConsignmentRepository:
        return ConsignmentRepository(database)

    def prepare(self, repository: ConsignmentRepository) -> None:
        repository.ensure_indexes()


class VesselServiceClient:
    """vessel_service's RPCs, in and out of plain types."""

    def __init__(self, proxy: TimedServiceProxy) -> None:
        self.proxy = proxy

    def book(self, booking_id: str, containers: int, weight: int, again: bool = True) -> BookedVessel:
        vessel = self.proxy.book({"booking_id": booking_id, "containers": containers, "weight": weight, "again": again})
        return BookedVessel(id=vessel["id"], name=vessel["name"], voyage=vessel.get("voyage"))

    def release(self, booking_id: str, generation: int | None = None) -> bool:
        """Without ``generation``: the booking's live generation, whichever it is."""
        request: dict[str, Any] = {"booking_id": booking_id}
        if generation is not None:
            request["generation"] = generation
        return bool(self.proxy.release(request)["released"])

    def depart(self, vessel_id: str, by: str) -> VoyageChange:
        return _voyage_change(self.proxy.depart({"vessel_id": vessel_id, "by": by}))

    def arrive(self, vessel_id: str, by: str) -> VoyageChange:
        return _voyage_change(self.proxy.arrive({"vessel_id": vessel_id, "by": by}))

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> Sequence[Reservation]:
        window = {"since": since.isoformat(), "until": until.isoformat(), "limit": limit}
        return [
            Reservation(
                booking_id=item["booking_id"],
                generation=item["generation"],
                vessel_id=item["vessel_id"],
                at=datetime.fromisoformat(item["at"]),
            )
            for item in self.proxy.bookings_between(window)
        ]


def _voyage_change(answer: dict[str, Any]) -> VoyageChange:
    return VoyageChange(
        vessel_id=answer["vessel_id"],
        vessel_name=answer["vessel_name"],
        voyage=answer["voyage"],
        status=answer["status"],
        at=datetime.fromisoformat(answer["at"]),
        by=answer["by"],
        booking_ids=tuple(answer["booking_ids"]),
    )


class VesselService(TimedRpcProxy):
    def __init__(self) -> None:
        super().__init__("vessel_service")

    def get_dependency(self, worker_ctx: Any) -> VesselServiceClient:  # type: ignore[override]
        return VesselServiceClient(super().get_dependency(worker_ctx))
