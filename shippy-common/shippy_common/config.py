"""The one place configuration is read.

Each service ships a nameko ``config.yml`` whose values are written as
``${ENV_VAR:local-default}``; this module loads it with nameko's own
environment-variable YAML tags, so ``nameko shell --config`` and the service
launcher read exactly the same settings.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from nameko.cli.main import setup_yaml_parser

from shippy_common.errors import ShippyError

#: Why ``AMQP_URI`` has no default, said when it is not set.
AMQP_URI_HINT = (
    " (no default: each service has its own RabbitMQ account; make run sets it from .infra/rabbitmq/accounts.env)"
)


class ConfigError(ShippyError):
    """A setting is missing or malformed; the service refuses to start."""


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    setup_yaml_parser()
    try:
        with open(path) as stream:
            config = yaml.safe_load(stream)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"config {path} is not a mapping")
    return config


def redact_url(url: str) -> str:
    """A URL fit for logs: the password, if any, replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def require_int(config: dict[str, Any], key: str, *, minimum: int = 0) -> int:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key} must be a whole number >= {minimum}, got {value!r}")
    return value


def require_number(config: dict[str, Any], key: str, *, minimum: float = 0) -> float:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{key} must be a number >= {minimum}, got {value!r}")
    return float(value)


def require_bool(config: dict[str, Any], key: str) -> bool:
    value = config.get(key)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def require_log_level(config: dict[str, Any], key: str = "LOG_LEVEL") -> str:
    """A logging level name (``DEBUG``, ``info``, ...) in upper case; unset or empty is ``INFO``."""
    value = config.get(key)
    if value is None or value == "":
        return "INFO"
    if not isinstance(value, str) or value.upper() not in logging.getLevelNamesMapping():
        raise ConfigError(f"{key} must be a logging level name (DEBUG, INFO, WARNING, ERROR), got {value!r}")
    return value.upper()
