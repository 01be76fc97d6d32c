"""One typed settings object per service, validated once, at start.

A service class names its settings type (``settings_type``, a class with a
``from_config(config)`` classmethod that raises ``ConfigError`` on a bad
value). The runner builds it before anything starts, so a bad setting stops
the service with one line; dependency providers then ask for the same object
with :func:`settings_of` instead of reading config keys themselves. The
runner hands the object it built to the container in the config (key
:data:`SETTINGS_KEY`), so it is validated once; a container started without it
(a test's ``container_factory``) builds it on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

SETTINGS_KEY = "SHIPPY_SETTINGS"


def settings_of(container: Any) -> Any:
    """The settings of the service ``container`` runs, built once per container."""
    settings = getattr(container, "shippy_settings", None)
    if settings is None:
        settings_type = container.service_cls.settings_type
        settings = container.config.get(SETTINGS_KEY)
        if not isinstance(settings, settings_type):
            settings = settings_type.from_config(container.config)
        container.shippy_settings = settings
    return settings


@dataclass(frozen=True)
class NoSettings:
    """For a service with nothing to configure beyond nameko's own keys and
    ``LOG_LEVEL`` (which every service's settings carry, as ``log_level``)."""

    log_level: str = "INFO"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NoSettings:
        from shippy_common.config import require_log_level

        return cls(log_level=require_log_level(config))


class Settings(DependencyProvider):
    """Injects the service's settings object."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        return settings_of(self.container)
