"""vessel_service's settings, checked once at start (see ``shippy_common.settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from shippy_common.config import require_bool, require_log_level, require_number
from shippy_common.mongo import MongoSettings


@dataclass(frozen=True)
class VesselSettings:
    mongo: MongoSettings
    #: Add the default fleet at start (false: start with an empty fleet).
    seed_default_fleet: bool
    #: How long to wait for user_service (also the deadline sent with each call).
    rpc_timeout_seconds: float
    log_level: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        return cls(
            mongo=MongoSettings.from_config(config),
            seed_default_fleet=require_bool(config, "SEED_DEFAULT_FLEET"),
            rpc_timeout_seconds=require_number(config, "RPC_TIMEOUT_SECONDS", minimum=0.1),
            log_level=require_log_level(config),
        )
