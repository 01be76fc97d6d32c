"""consignment_service's settings, checked once at start (see ``shippy_common.settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self

from shippy_common.config import require_log_level, require_number
from shippy_common.mongo import MongoSettings


@dataclass(frozen=True)
class ConsignmentSettings:
    mongo: MongoSettings
    #: How long to wait for user_service or vessel_service (also the deadline sent with each call).
    rpc_timeout_seconds: float
    #: A booking older than this with no stored consignment has its room given back.
    reconcile_grace: timedelta
    reconcile_interval_seconds: float
    log_level: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        return cls(
            mongo=MongoSettings.from_config(config),
            rpc_timeout_seconds=require_number(config, "RPC_TIMEOUT_SECONDS", minimum=0.1),
            reconcile_grace=timedelta(seconds=require_number(config, "RECONCILE_GRACE_SECONDS", minimum=1)),
            reconcile_interval_seconds=require_number(config, "RECONCILE_INTERVAL_SECONDS", minimum=0.1),
            log_level=require_log_level(config),
        )
