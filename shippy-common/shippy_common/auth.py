"""Who is calling: the access token in context data, and the user behind it.

Clients put the token under :data:`TOKEN_CONTEXT_KEY` (``ClusterRpcProxy(...,
context_data={TOKEN_CONTEXT_KEY: token})``); nameko carries it as an AMQP
header to the service and on to every RPC that service makes in turn.

An entrypoint that acts for a user declares a :class:`CurrentUser` dependency
(as FastAPI's ``CurrentUser``) and reads ``self.current_user.caller``: the
token is checked on first use, once per call, and a missing or refused token
is ``Unauthorized`` with the reason. Use cases take the :class:`Caller` as an
argument, so an entrypoint cannot reach them without asking for it. How a
token becomes a user is pluggable: :class:`RpcCurrentUser` asks
``user_service.validate_token``; user_service resolves its own tokens locally.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from shippy_common.errors import InvalidToken, Unauthorized
from shippy_common.rpc import GuardedReplyListener, timed_service_proxy
from shippy_common.settings import settings_of

TOKEN_CONTEXT_KEY = "authorization"
#: Why a call that needs a caller and carries no token is refused.
NO_TOKEN = "no access token sent"
CUSTOMER = "customer"
ADMIN = "admin"
ROLES = (CUSTOMER, ADMIN)


@dataclass(frozen=True)
class Caller:
    """The authenticated user a call is made for."""

    id: str
    name: str
    company: str
    email: str
    role: str = CUSTOMER

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Caller:
        """From user_service's public profile of a user."""
        return cls(
            id=profile["id"],
            name=profile["name"],
            company=profile["company"],
            email=profile["email"],
            role=profile.get("role", CUSTOMER),
        )


def token_in(context_data: dict[str, Any]) -> str | None:
    token = context_data.get(TOKEN_CONTEXT_KEY)
    return token if isinstance(token, str) and token else None


class CallerLookup:
    """One call's view of its caller, resolved on first use."""

    def __init__(self, token: str | None, resolve: Callable[[str], Caller]) -> None:
        self.token = token
        self._resolve = resolve
        self._caller: Caller | None = None

    @property
    def caller(self) -> Caller:
        """The authenticated user; ``Unauthorized`` with why if there is none."""
        if self._caller is None:
            if self.token is None:
                raise Unauthorized(NO_TOKEN)
            try:
                self._caller = self._resolve(self.token)
            except InvalidToken as exc:
                raise Unauthorized(str(exc)) from None
        return self._caller


class CurrentUser(DependencyProvider):
    """Injects a :class:`CallerLookup`; subclasses say how a token becomes a
    :class:`Caller` (``resolve``), raising ``InvalidToken`` for a bad one."""

    def resolve(self, worker_ctx: Any, token: str) -> Caller:
        raise NotImplementedError

    def get_dependency(self, worker_ctx: Any) -> CallerLookup:
        return CallerLookup(token_in(worker_ctx.data), lambda token: self.resolve(worker_ctx, token))


#: How long a service acts on user_service's acceptance of a token without
#: asking again. A user deleted or demoted, or a token expired, within this
#: window is still taken for what it was until the window ends; 5 s is the
#: most the platform allows (``test_token_trust.py``).
TRUST_SECONDS = 4.0
#: The most tokens a service remembers at once (least recently used go first).
MAX_TRUSTED_TOKENS = 10_000


class RecentCallers:
    """Tokens user_service accepted in the last ``seconds``, with their callers.

    A token is kept only as its SHA-256 digest. Refusals are not remembered:
    a token refused once is asked about again."""

    def __init__(
        self,
        seconds: float = TRUST_SECONDS,
        size: int = MAX_TRUSTED_TOKENS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self.size, self.clock = seconds, size, clock
        self._callers: OrderedDict[bytes, tuple[float, Caller]] = OrderedDict()

    def get(self, token: str) -> Caller | None:
        key = _digest(token)
        found = self._callers.get(key)
        if found is None:
            return None
        until, caller = found
        if self.clock() >= until:
            del self._callers[key]
            return None
        self._callers.move_to_end(key)
        return caller

    def accepted(self, token: str, caller: Caller) -> None:
        key = _digest(token)
        self._callers[key] = (self.clock() + self.seconds, caller)
        self._callers.move_to_end(key)
        while len(self._callers) > self.size:
            self._callers.popitem(last=False)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class RpcCurrentUser(CurrentUser):
    """Checks the token with ``user_service.validate_token``, with the deadline
    ``rpc_timeout_seconds`` of the service's settings, and trusts the answer
    for :data:`TRUST_SECONDS` (:class:`RecentCallers`): most calls of a
    signed-in user then skip a round trip to user_service and PostgreSQL."""

    reply_listener = GuardedReplyListener()

    def setup(self) -> None:
        self.timeout = settings_of(self.container).rpc_timeout_seconds
        self.recent = RecentCallers()

    def resolve(self, worker_ctx: Any, token: str) -> Caller:
        caller = self.recent.get(token)
        if caller is None:
            user_service = timed_service_proxy(worker_ctx, self.reply_listener, "user_service", self.timeout)
            caller = Caller.from_profile(user_service.validate_token(token)["user"])
            self.recent.accepted(token, caller)
        return caller
