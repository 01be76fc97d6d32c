"""vessel_service's adapters, injected into its entrypoints."""

from __future__ import annotations

from pymongo.database import Database

from shippy_common.mongo import MongoStore
from vessel_service.fleet import DEFAULT_FLEET
from vessel_service.repository import KnownFleet, LedgerTurns, VesselRepository


class VesselStore(MongoStore[VesselRepository]):
    """The fleet and its ledger (``.ledger``) in MongoDB; the ledger's
    writers take turns per vessel across the service's workers, which share
    the fleet as last read too."""

    def setup(self) -> None:
        self.turns = LedgerTurns()
        self.known = KnownFleet()
        super().setup()

    def repository(self, database: Database) -> VesselRepository:
        return VesselRepository(database, self.turns, self.known)

    def prepare(self, repository: VesselRepository) -> None:
        repository.ensure_indexes()
        if self.settings.seed_default_fleet:
            repository.seed(DEFAULT_FLEET)
