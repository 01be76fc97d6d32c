"""Waiting for a condition in a test, instead of sleeping and hoping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


def eventually(
    condition: Callable[[], Result],
    timeout: float = 30,
    interval: float = 0.05,
    what: str | Callable[[], str] | None = None,
) -> Result:
    """Call ``condition`` until it returns something truthy, and return that;
    fail the test with ``what`` (or the condition's name) after ``timeout`` seconds.
    ``what`` may be a function, called only on failure: to say what was seen last."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not true within {timeout:g}s: {said or getattr(condition, '__name__', condition)}")
        time.sleep(interval)
