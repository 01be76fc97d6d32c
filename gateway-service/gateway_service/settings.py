"""gateway_service's settings, checked once at start (see ``shippy_common.settings``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many

from shippy_common.config import (
    AMQP_URI_HINT,
    ConfigError,
    redact_url,
    require_int,
    require_log_level,
    require_number,
)


def _address(config: dict[str, Any], key: str) -> tuple[str, int]:
    value = config.get(key)
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{key} must be host:port, got {value!r}")
    return host.strip("[]"), int(port)


def _amqp_url(config: dict[str, Any]) -> str:
    """The broker URL as aio-pika takes it (kombu's ``pyamqp://`` is plain ``amqp://``)."""
    value = config.get("AMQP_URI")
    if value is None or value == "":
        raise ConfigError(f"AMQP_URI is not set{AMQP_URI_HINT}")
    if not isinstance(value, str):
        raise ConfigError(f"AMQP_URI must be a URL, got {value!r}")
    try:
        scheme = urlsplit(value).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("amqp", "pyamqp", "amqps"):
        raise ConfigError(f"AMQP_URI must be an amqp://, pyamqp:// or amqps:// URL, got {redact_url(value)!r}")
    return "amqp" + value[len("pyamqp") :] if scheme == "pyamqp" else value


def _rate_limit(config: dict[str, Any], key: str) -> tuple[RateLimitItem, ...]:
    value = config.get(key)
    try:
        items = tuple(parse_many(str(value)))
    except ValueError:
        items = ()
    if not items:
        raise ConfigError(f'{key} must be a rate limit such as "10/minute", got {value!r}')
    return items


def _trusted_proxies(config: dict[str, Any]) -> tuple[str, ...]:
    proxies = tuple(part.strip() for part in str(config.get("TRUSTED_PROXIES") or "").split(",") if part.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"TRUSTED_PROXIES must list IP addresses or networks, got {proxy!r}") from None
    return proxies


@dataclass(frozen=True)
class GatewaySettings:
    amqp_uri: str
    host: str
    port: int
    #: How long a call to a service is waited for (its deadline and its message's expiry too).
    rpc_timeout_seconds: float
    ready_timeout_seconds: float
    max_body_bytes: int
    max_header_bytes: int
    keep_alive_seconds: int
    sign_up_rate_limit: tuple[RateLimitItem, ...]
    log_in_rate_limit: tuple[RateLimitItem, ...]
    trusted_proxies: tuple[str, ...]
    log_level: str

    @property
    def address(self) -> str:
        return f"http://{self.host}:{self.port}" if ":" not in self.host else f"http://[{self.host}]:{self.port}"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        host, port = _address(config, "HTTP_ADDRESS")
        return cls(
            amqp_uri=_amqp_url(config),
            host=host,
            port=port,
            rpc_timeout_seconds=require_number(config, "RPC_TIMEOUT_SECONDS", minimum=0.1),
            ready_timeout_seconds=require_number(config, "READY_TIMEOUT_SECONDS", minimum=0.1),
            max_body_bytes=require_int(config, "MAX_BODY_BYTES", minimum=1024),
            max_header_bytes=require_int(config, "MAX_HEADER_BYTES", minimum=1024),
            keep_alive_seconds=require_int(config, "KEEP_ALIVE_SECONDS", minimum=1),
            sign_up_rate_limit=_rate_limit(config, "RATE_LIMIT_SIGN_UP"),
            log_in_rate_limit=_rate_limit(config, "RATE_LIMIT_LOG_IN"),
            trusted_proxies=_trusted_proxies(config),
            log_level=require_log_level(config),
        )
