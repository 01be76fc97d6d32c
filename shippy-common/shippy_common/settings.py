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

from typing import Any, Protocol, Self

from nameko.extensions import DependencyProvider


class ServiceSettings(Protocol):
    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self: ...


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


class NoSettings:
    """For a service with nothing to configure beyond nameko's own keys."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NoSettings:
        return cls()


class Settings(DependencyProvider):
    """Injects the service's settings object."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        return settings_of(self.container)
