"""A clock a test moves by hand, for code that takes ``clock=time.monotonic``."""

from __future__ import annotations


class ManualClock:
    """Reads ``now``, which stays put until the test moves it (``clock.now += 1.5``)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
