"""ASGI middleware: the request id and access log, and the body size limit.

Plain ASGI (not Starlette's ``BaseHTTPMiddleware``): nothing is buffered that
does not have to be, and the limit is decided from ``Content-Length`` before
any of the body is read, and while it streams otherwise.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway_service.ids import request_id_for
from gateway_service.problems import Problem
from shippy_common.logs import current_request_id

log = logging.getLogger("gateway_service.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContext:
    """Gives each request its id (the client's ``X-Request-ID`` if sane, else a new
    one): in ``request.state.request_id``, in every log line written for it, and
    in the response's ``X-Request-ID``. Logs one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(_header(scope, _REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        reset = current_request_id.set(request_id)
        started = time.monotonic()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s in %.1f ms",
                scope.get("method", "?"),
                ascii(scope.get("path", ""))[1:-1][:200],
                status[0] if status else "-",
                (time.monotonic() - started) * 1000,
            )
            current_request_id.reset(reset)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413: at once when
    ``Content-Length`` says so, else as soon as the streamed body passes it.
    Refuses headers over ``max_header_bytes`` in all with 431 (the HTTP parser
    bounds only headers that arrive in several reads)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes

    def _too_large(self) -> Problem:
        return Problem(413, "body-too-large", f"the request body is over {self.max_bytes} bytes")

    async def _refuse(self, problem: Problem, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem.response(scope.get("state", {}).get("request_id"))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sum(len(key) + len(value) + 4 for key, value in scope.get("headers", ())) > self.max_header_bytes:
            problem = Problem(431, "headers-too-large", f"the request headers are over {self.max_header_bytes} bytes")
            await self._refuse(problem, scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await self._refuse(Problem(400, "bad-request", "Content-Length is not a number"), scope, receive, send)
                return
            if int(length) > self.max_bytes:
                await self._refuse(self._too_large(), scope, receive, send)
                return
            if int(length) == 0:
                await self.app(scope, receive, send)
                return
        elif _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)  # no body
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away mid-body; nobody to answer
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(self._too_large(), scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the already read ``body``, then waits as the server's does."""
    given = False

    async def replayed() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replayed
