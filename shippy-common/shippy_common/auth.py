"""How a caller's access token travels: in nameko context data.

Clients put the token under :data:`TOKEN_CONTEXT_KEY` (``ClusterRpcProxy(...,
context_data={TOKEN_CONTEXT_KEY: token})``); nameko carries it as an AMQP
header to the service and on to every RPC that service makes in turn, the way
go-micro metadata carried it in the original design.
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

TOKEN_CONTEXT_KEY = "authorization"


class CallerToken(DependencyProvider):
    """Injects the token the caller sent, or ``None``."""

    def get_dependency(self, worker_ctx: Any) -> str | None:
        token = worker_ctx.context_data.get(TOKEN_CONTEXT_KEY)
        return token if isinstance(token, str) and token else None
