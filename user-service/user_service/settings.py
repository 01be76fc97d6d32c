"""user_service's settings, checked once at start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shippy_common.config import ConfigError, require_int

MIN_SECRET_BYTES = 32
MAX_LEEWAY_SECONDS = 30


@dataclass(frozen=True, repr=False)
class TokenSettings:
    secret: str
    issuer: str
    audience: str
    ttl_seconds: int
    leeway_seconds: int

    def __repr__(self) -> str:
        return f"TokenSettings(issuer={self.issuer!r}, audience={self.audience!r}, ttl_seconds={self.ttl_seconds})"


def token_settings(config: dict[str, Any]) -> TokenSettings:
    secret = config.get("JWT_SECRET")
    if not isinstance(secret, str) or len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"JWT_SECRET must be set to a secret of at least {MIN_SECRET_BYTES} bytes")
    for key in ("JWT_ISSUER", "JWT_AUDIENCE"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise ConfigError(f"{key} must be a non-empty string")
    leeway = require_int(config, "JWT_LEEWAY_SECONDS", minimum=0)
    if leeway > MAX_LEEWAY_SECONDS:
        raise ConfigError(f"JWT_LEEWAY_SECONDS must be at most {MAX_LEEWAY_SECONDS}")
    return TokenSettings(
        secret=secret,
        issuer=config["JWT_ISSUER"],
        audience=config["JWT_AUDIENCE"],
        ttl_seconds=require_int(config, "JWT_TTL_SECONDS", minimum=60),
        leeway_seconds=leeway,
    )


def bcrypt_cost(config: dict[str, Any]) -> int:
    cost = require_int(config, "BCRYPT_COST", minimum=4)
    if cost > 16:
        raise ConfigError("BCRYPT_COST must be between 4 and 16")
    return cost


def check_config(config: dict[str, Any]) -> None:
    token_settings(config)
    bcrypt_cost(config)
    require_int(config, "DATABASE_POOL_SIZE", minimum=1)
