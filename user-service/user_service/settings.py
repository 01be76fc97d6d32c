"""user_service's settings, checked once at start."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Self

from shippy_common.config import ConfigError, redact_url, require_int, require_log_level

MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 128
MIN_SECRET_DISTINCT_CHARACTERS = 10
# Words that mark a secret someone was meant to replace (or made up by hand).
# Five letters or more, so that a random secret holds one by chance only about once in a million.
PLACEHOLDER_WORDS = (
    "replace",
    "change",
    "example",
    "secret",
    "password",
    "passwd",
    "placeholder",
    "default",
    "sample",
    "dummy",
    "insecure",
    "random",
    "qwerty",
    "letmein",
    "shippy",
)
# A stretch that repeats something earlier in the secret, this long or longer, tells nothing new.
MIN_REPEAT_LENGTH = 3
GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
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


def _is_predictable(secret: str, at: int) -> bool:
    """Whether the character at ``at`` continues a run or a step (``aaa``, ``abc``, ``987``)."""
    if at < 2:
        return False
    step = ord(secret[at]) - ord(secret[at - 1])
    return abs(step) <= 1 and step == ord(secret[at - 1]) - ord(secret[at - 2])


def _longest_repeat(secret: str, at: int) -> int:
    """The length of the longest stretch from ``at`` that also starts earlier (overlaps allowed)."""
    longest = 0
    for start in range(at):
        length = 0
        while at + length < len(secret) and secret[start + length] == secret[at + length]:
            length += 1
        longest = max(longest, length)
    return longest


def secret_bits(secret: str) -> float:
    """A conservative estimate of a secret's entropy: the characters that are
    not predictable from those before them (a run, a step, a repeat of an
    earlier stretch counts once), times log2 of the number of distinct characters used."""
    surprising = 0
    at = 0
    while at < len(secret):
        repeat = _longest_repeat(secret, at)
        if repeat >= MIN_REPEAT_LENGTH:
            surprising += 1
            at += repeat
            continue
        if not _is_predictable(secret, at):
            surprising += 1
        at += 1
    return surprising * math.log2(max(len(set(secret)), 1))


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign tokens with, or ``None``."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"must be set to a secret of at least {MIN_SECRET_BYTES} bytes"
    folded = secret.casefold()
    for word in PLACEHOLDER_WORDS:
        if word in folded:
            return f"looks like a placeholder (it contains {word!r})"
    distinct = len(set(secret))
    if distinct < MIN_SECRET_DISTINCT_CHARACTERS:
        return f"uses only {distinct} distinct characters (at least {MIN_SECRET_DISTINCT_CHARACTERS} needed)"
    bits = secret_bits(secret)
    if bits < MIN_SECRET_BITS:
        return f"is too predictable (about {bits:.0f} bits of entropy, at least {MIN_SECRET_BITS} needed)"
    return None


def token_settings(config: dict[str, Any]) -> TokenSettings:
    secret = config.get("JWT_SECRET")
    weakness = secret_weakness(secret if isinstance(secret, str) else "")
    if weakness is not None:
        raise ConfigError(f"JWT_SECRET {weakness}; generate one with: {GENERATE_SECRET}")
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


def bcrypt_max_waiting(config: dict[str, Any]) -> int | None:
    """How many logins may wait for a bcrypt slot; ``None`` (unset) for the hasher's default."""
    if config.get("BCRYPT_MAX_WAITING") in (None, ""):
        return None
    return require_int(config, "BCRYPT_MAX_WAITING", minimum=0)


@dataclass(frozen=True, repr=False)
class DatabaseSettings:
    """Where user_service's PostgreSQL database is: ``DATABASE_URL`` (libpq form) and
    ``DATABASE_POOL_SIZE``. The service, its migration script and its outbox relay share it."""

    url: str
    pool_size: int

    def __repr__(self) -> str:
        return f"DatabaseSettings(url={redact_url(self.url)!r}, pool_size={self.pool_size})"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        url = config.get("DATABASE_URL")
        if not isinstance(url, str) or not url.startswith(("postgresql://", "postgresql+psycopg2://")):
            raise ConfigError("DATABASE_URL must be a URL starting with postgresql://")
        return cls(url=url, pool_size=require_int(config, "DATABASE_POOL_SIZE", minimum=1))


@dataclass(frozen=True)
class UserSettings:
    """Everything user_service is configured with (see ``shippy_common.settings``)."""

    tokens: TokenSettings
    bcrypt_cost: int
    bcrypt_max_waiting: int | None
    database: DatabaseSettings
    log_level: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        return cls(
            tokens=token_settings(config),
            bcrypt_cost=bcrypt_cost(config),
            bcrypt_max_waiting=bcrypt_max_waiting(config),
            database=DatabaseSettings.from_config(config),
            log_level=require_log_level(config),
        )


@dataclass(frozen=True)
class MigrationSettings:
    """What ``user-service-migrate`` is configured with: the database, and none
    of the service's secrets (it runs without ``JWT_SECRET``)."""

    database: DatabaseSettings
    log_level: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        return cls(database=DatabaseSettings.from_config(config), log_level=require_log_level(config))
