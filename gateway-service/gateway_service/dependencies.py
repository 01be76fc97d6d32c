"""What a route asks for (FastAPI dependencies): RPC calls made for this request
(carrying its request id, and the caller's token where it has one), the bearer
token, the rate limit of its kind of request, and a JSON body.

The gateway does not check tokens itself: the service a route calls does
(consignment_service asks user_service once per call; user_service's
``get``/``get_all`` resolve theirs), and ``GET /v1/users/me`` is one call to
``user_service.validate_token``. Here a token is only checked for shape, so
that no RPC is spent on a header that cannot hold one.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from email.message import Message
from typing import Annotated, Any

from fastapi import Depends, Request  # dependencies are async: no thread pool hop per request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits.strategies import RateLimiter

from gateway_service.problems import Problem, unauthenticated
from gateway_service.rpc import RpcClient
from shippy_common.auth import NO_TOKEN, TOKEN_CONTEXT_KEY
from shippy_common.logs import REQUEST_ID_CONTEXT_KEY

MAX_TOKEN_LENGTH = 4096
#: RFC 6750's b64token: what a bearer token can be made of (a JWT is a subset).
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

bearer = HTTPBearer(auto_error=False, description="a token from `POST /v1/tokens`")


def request_id(request: Request) -> str:
    return str(request.state.request_id)


async def access_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str:
    """The bearer token of the request, or 401 with ``WWW-Authenticate: Bearer``."""
    if "authorization" not in request.headers:
        raise unauthenticated(NO_TOKEN, error="")
    if credentials is None:
        raise unauthenticated("the Authorization header must be: Bearer <token>", error="invalid_request")
    token = credentials.credentials
    if len(token) > MAX_TOKEN_LENGTH:
        raise unauthenticated("token is too long")
    if not _TOKEN_SYNTAX.fullmatch(token):
        raise unauthenticated("token is malformed")
    return token


@dataclass(frozen=True)
class Rpc:
    """RPC calls made for one request."""

    client: RpcClient
    request_id: str
    token: str | None = None

    async def __call__(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        context = {REQUEST_ID_CONTEXT_KEY: self.request_id}
        if self.token is not None:
            context[TOKEN_CONTEXT_KEY] = self.token
        return await self.client.call(service, method, *args, context=context, **kwargs)


async def anonymous_rpc(request: Request) -> Rpc:
    return Rpc(request.app.state.rpc, request_id(request))


async def callers_rpc(request: Request, token: Annotated[str, Depends(access_token)]) -> Rpc:
    return Rpc(request.app.state.rpc, request_id(request), token)


#: Calls for a request that needs no token (signing up, logging in).
AnonymousRpc = Annotated[Rpc, Depends(anonymous_rpc)]
#: Calls that carry the caller's token: a request without one is refused (401) before any call.
CallersRpc = Annotated[Rpc, Depends(callers_rpc)]


def rate_limited(kind: str) -> Any:
    """A dependency that counts the request against ``kind``'s limits for its client address (429 past them)."""

    async def check(request: Request) -> None:
        limiter: RateLimiter = request.app.state.limiter
        client = request.client.host if request.client else "unknown"
        for limit in request.app.state.rate_limits[kind]:
            if not limiter.hit(limit, kind, client):
                reset_at = limiter.get_window_stats(limit, kind, client).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise Problem(
                    429,
                    "rate-limited",
                    f"too many requests from this address; retry in {retry_after}s",
                    headers={"Retry-After": str(retry_after)},
                )

    return Depends(check)


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class JsonRoute(APIRoute):
    """A route whose body must be sent as ``application/json`` (415 otherwise),
    checked before the body is parsed."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def json_only(request: Request) -> Any:
            if not is_json(request.headers.get("content-type")):
                raise Problem(415, "unsupported-media-type", "send the body as application/json")
            return await handler(request)

        return json_only
