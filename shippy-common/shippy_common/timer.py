"""A nameko timer whose interval is a setting, read when the service starts,
and a way for a long periodic job to learn that the service is stopping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shippy_common.settings import settings_of


class SettingsTimer(Timer):
    """Fires every ``<settings>.<setting>`` seconds (nameko's ``@timer`` takes
    only a number fixed when the class is defined)."""

    def __init__(self, setting: str, **kwargs: Any) -> None:
        super().__init__(interval=0, **kwargs)
        self.setting = setting

    def setup(self) -> None:
        self.interval = getattr(settings_of(self.container), self.setting)


every = SettingsTimer.decorator


class Stopping(DependencyProvider):
    """Injects ``stopping()``: true once the service has been asked to stop.

    nameko waits for a timer's worker before it stops the service, and
    compose kills a service that has not stopped 10 s after SIGTERM. A job
    that runs longer (a first reconciliation reads a day of bookings) checks
    ``stopping()`` between its steps and returns, its progress saved."""

    def get_dependency(self, worker_ctx: Any) -> Callable[[], bool]:
        should_stop = getattr(worker_ctx.entrypoint, "should_stop", None)
        return lambda: should_stop is not None and should_stop.ready()
