"""A nameko timer whose interval is a setting, read when the service starts."""

from __future__ import annotations

from typing import Any

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
