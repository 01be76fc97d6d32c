"""The fleet every new installation starts with."""

from vessel_service.domain import Vessel

DEFAULT_FLEET: tuple[Vessel, ...] = (
    Vessel(id="vessel001", name="Kane's Salty Secret", capacity=500, max_weight=200_000),
    Vessel(id="vessel002", name="Boaty McBoatface", capacity=50, max_weight=40_000),
    Vessel(id="vessel003", name="The Black Pearl", capacity=2_000, max_weight=1_000_000),
)
