"""One vessel every booking wants, against bookings spread over ten vessels:
vessel_service's booking use case on its MongoDB adapter, as one vessel_service
process runs it (its green threads share the ledger's turns), 16 writers, no
RPC and no other service on the cores.

make bench's one-vessel and ten-vessel rows cannot show this: with ten equal
vessels, best fit sends every booking to the first of them, which is then as
hot as the one. Here each writer of the spread row books from a fleet of its
own vessel (writer ``n`` sees vessel ``n % 10``): 1.6 writers a vessel.

Prints bookings per second and ledger inserts per booking for each row, the
rows in turn, ``ROUNDS`` times: `.venv/bin/python bench/hot_vessel.py` after
`make infra` (it uses a database of its own, dropped after).
"""

# isort: off
import shippy_common  # noqa: F401 (hides dependency warnings before eventlet's import)
import eventlet

# isort: on
eventlet.monkey_patch()

import os
import time
import uuid
from datetime import UTC, datetime

import pymongo

from shippy_common.testing.queries import InsertRecorder
from vessel_service import services
from vessel_service.domain import Load, Vessel
from vessel_service.repository import VesselRepository

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WRITERS = 16
MONGO_URI = os.environ.get("BENCH_MONGO_URI", "mongodb://127.0.0.1:27017/")
LOAD = Load(1, 10)


class OneVesselOf:
    """The fleet as one writer of the spread row sees it: its own vessel."""

    def __init__(self, repository: VesselRepository, vessel_id: str) -> None:
        self.repository, self.vessel_id = repository, vessel_id

    def candidates(self, load: Load, fresh: bool = False) -> list[Vessel]:
        return [v for v in self.repository.candidates(load, fresh) if v.id == self.vessel_id]

    def __getattr__(self, name: str):
        return getattr(self.repository, name)


def now() -> datetime:
    return datetime.now(UTC)


def run(repository: VesselRepository, fleets: list, inserts: InsertRecorder) -> tuple[float, float]:
    """Bookings a second, and ledger inserts a booking, of WRITERS writers for SECONDS."""
    deadline = time.monotonic() + SECONDS
    booked = [0] * WRITERS
    inserts_before = len(inserts.into("vessel_ledger"))

    def writer(number: int) -> None:
        fleet = fleets[number % len(fleets)]
        while time.monotonic() < deadline:
            services.book(fleet, repository.ledger, uuid.uuid4().hex, LOAD, now)
            booked[number] += 1

    started = time.monotonic()
    pool = eventlet.GreenPool(WRITERS)
    for number in range(WRITERS):
        pool.spawn(writer, number)
    pool.waitall()
    elapsed = time.monotonic() - started
    total = sum(booked)
    return total / elapsed, (len(inserts.into("vessel_ledger")) - inserts_before) / max(total, 1)


def measure(rounds: int = ROUNDS, say=print) -> dict:
    """The two rows, each its rounds' windows together: bookings a second and
    ledger inserts a booking, and each window's rate."""
    inserts = InsertRecorder()
    client = pymongo.MongoClient(MONGO_URI, event_listeners=[inserts], tz_aware=True, maxPoolSize=WRITERS + 4)
    name = f"bench_hot_vessel_{uuid.uuid4().hex[:8]}"
    try:
        repository = VesselRepository(client[name])
        repository.ensure_indexes()
        room = {"capacity": 10**6, "max_weight": 10**12, "available": True}
        repository.add(Vessel(id="hot", name="Hot", **room))
        ten = [f"fleet-{number}" for number in range(10)]
        for vessel_id in ten:
            repository.add(Vessel(id=vessel_id, name=vessel_id, **room))
        rows = {
            "one_vessel": [OneVesselOf(repository, "hot")],
            "ten_vessels": [OneVesselOf(repository, vessel_id) for vessel_id in ten],
        }
        windows: dict[str, list[tuple[float, float]]] = {row: [] for row in rows}
        for turn in range(1, rounds + 1):
            for row, fleets in rows.items():
                label = row.replace("_", " ")
                say(f"book in one process at concurrency {WRITERS}, {label} ({SECONDS:g}s, {turn} of {rounds})")
                windows[row].append(run(repository, fleets, inserts))
    finally:
        client.drop_database(name)
        client.close()
    return {
        row: {
            "writers": WRITERS,
            "bookings_per_s": round(sum(rate for rate, _ in found) / len(found), 1),
            "ledger_inserts_per_booking": round(sum(per for _, per in found) / len(found), 2),
            "windows_bookings_per_s": [round(rate, 1) for rate, _ in found],
        }
        for row, found in windows.items()
    }


def main() -> None:
    rows = measure()
    for row, found in rows.items():
        print(
            f"{row:12} {found['bookings_per_s']:7.1f} bookings/s (windows {found['windows_bookings_per_s']}),"
            f" {found['ledger_inserts_per_booking']:.2f} ledger inserts a booking"
        )
    ratio = rows["one_vessel"]["bookings_per_s"] / rows["ten_vessels"]["bookings_per_s"]
    print(f"one vessel against ten: {ratio:.2f}")


if __name__ == "__main__":
    main()
