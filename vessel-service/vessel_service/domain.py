"""The fleet's rules, in plain Python: no broker, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from shippy_common.errors import NoVesselAvailable


@dataclass(frozen=True)
class Load:
    """What a vessel must carry: a number of containers and their total weight."""

    containers: int
    weight: int


@dataclass(frozen=True)
class Vessel:
    id: str
    name: str
    capacity: int
    max_weight: int
    available: bool = True
    owner_id: str | None = None

    def can_carry(self, load: Load) -> bool:
        return self.available and self.capacity >= load.containers and self.max_weight >= load.weight

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def best_fit_order(vessel: Vessel) -> tuple[int, int, str]:
    """Smallest vessel first, so large vessels stay free for large loads."""
    return (vessel.capacity, vessel.max_weight, vessel.id)


def find_available(vessels: Iterable[Vessel], load: Load) -> Vessel:
    """The best-fitting vessel among ``vessels`` that can carry ``load``."""
    fitting = [vessel for vessel in vessels if vessel.can_carry(load)]
    if not fitting:
        raise NoVesselAvailable(f"no available vessel can carry {load.containers} containers weighing {load.weight}")
    return min(fitting, key=best_fit_order)


@dataclass(frozen=True)
class Allocation:
    """What is still free on a vessel after its ``seq``-th booking."""

    vessel_id: str
    seq: int
    containers_left: int
    weight_left: int

    @classmethod
    def opening(cls, vessel: Vessel) -> Allocation:
        return cls(vessel_id=vessel.id, seq=0, containers_left=vessel.capacity, weight_left=vessel.max_weight)

    def can_take(self, load: Load) -> bool:
        return self.containers_left >= load.containers and self.weight_left >= load.weight

    def after(self, load: Load) -> Allocation:
        return Allocation(
            vessel_id=self.vessel_id,
            seq=self.seq + 1,
            containers_left=self.containers_left - load.containers,
            weight_left=self.weight_left - load.weight,
        )
