"""What Shippy's command-line clients share: calling the HTTP API (gateway-service's
``/v1`` routes) and turning every failure into one line on stderr and an exit code.

The API is at ``$SHIPPY_API_URL`` (default ``http://127.0.0.1:8080``); each
request waits at most ``$SHIPPY_API_TIMEOUT`` seconds (default 30, up to 600).
A refusal is an RFC 9457 problem document: its ``detail`` is the error line.
Clients need no broker and no broker credentials.

Exit codes: 0 ok, 1 refused or failed (bad credentials, exists, invalid token,
no vessel, busy, an API that cannot be reached, answers 5xx or something that is
not its answer), 2 bad usage or input (a field the API refuses, a bad file, a
bad setting).

Only the standard library and httpx are imported here: a client loads no nameko.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0
USER_AGENT = "shippy-cli/1"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

#: Statuses that mean the request itself was bad input (exit 2); any other refusal is exit 1.
BAD_INPUT_STATUSES = frozenset({400, 413, 415, 422})
MAX_MESSAGE_LENGTH = 1000
#: What a bearer token may hold to be sent in a header at all (printable ASCII, no space).
_SENDABLE_TOKEN = re.compile(r"[\x21-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class ClientError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def api_url() -> str:
    """``$SHIPPY_API_URL`` without a trailing slash; ``ClientError`` (exit 2) if it is no http(s) URL."""
    raw = os.environ.get("SHIPPY_API_URL") or DEFAULT_API_URL
    try:
        parts = urlsplit(raw)
        _ = parts.port  # a port that is no number raises here
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
    except ValueError:
        valid = False
    if not valid:
        raise ClientError(f"SHIPPY_API_URL must be an http:// or https:// URL, got {raw!r}", EXIT_USAGE)
    return raw.rstrip("/")


def api_timeout() -> float:
    raw = os.environ.get("SHIPPY_API_TIMEOUT")
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_TIMEOUT:
        raise ClientError(
            f"SHIPPY_API_TIMEOUT must be a number of seconds above 0 and up to {MAX_TIMEOUT:g}, got {raw!r}",
            EXIT_USAGE,
        )
    return value


def shown_url(url: str) -> str:
    """``url`` fit for a message: a password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def one_line(text: str) -> str:
    """``text`` as one bounded line: a server's words never break the one-line promise."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 3] + "..."


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words (``connection refused``, ...)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


class ApiClient:
    """Calls to the Shippy API for one command: each call is its answer (a JSON
    object) or a ``ClientError``. ``token``, if given, is sent as a bearer token."""

    def __init__(
        self,
        url: str,
        timeout: float = DEFAULT_TIMEOUT,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": USER_AGENT}
        if token is not None:
            if not _SENDABLE_TOKEN.fullmatch(token):
                # It cannot travel in a header; the API would say the same of it.
                raise ClientError("token is malformed")
            headers["Authorization"] = f"Bearer {token}"
        self.url = url
        self.timeout = timeout
        try:
            self._http = httpx.Client(base_url=url, timeout=timeout, headers=headers, transport=transport)
        except httpx.InvalidURL:
            raise ClientError(f"SHIPPY_API_URL must be an http:// or https:// URL, got {url!r}", EXIT_USAGE) from None

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str | int] | None = None,
        expect: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The JSON object the API answers to ``method path``, holding at least the keys ``expect``."""
        where = shown_url(self.url)
        # ensure_ascii: a lone surrogate from a JSON file is escaped, not a crash while encoding.
        content = None if body is None else json.dumps(body, ensure_ascii=True).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        try:
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            raise ClientError(f"no answer from the Shippy API at {where} within {self.timeout:g}s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ClientError(f"cannot reach the Shippy API at {where} ({one_line(_reason(exc))})") from None
        if not response.is_success:
            raise refusal(response, where)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return expect_object(answer, expect, f"{method} {path}", where)

    def pages(
        self,
        path: str,
        page_size: int,
        expect: Sequence[str] = (),
        filters: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list (``items``, ``next_cursor``), page after page."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {**(filters or {}), "limit": page_size}
            if cursor is not None:
                params["cursor"] = cursor
            page = self.call("GET", path, params=params, expect=("items", "next_cursor"))
            items, cursor = page["items"], page["next_cursor"]
            if not isinstance(items, list) or not (cursor is None or isinstance(cursor, str)) or cursor in seen:
                raise unexpected(f"GET {path}", shown_url(self.url))
            for item in items:
                yield expect_object(item, expect, f"GET {path}", shown_url(self.url))
            if cursor is None:
                return
            seen.add(cursor)


def refusal(response: httpx.Response, where: str) -> ClientError:
    """The ``ClientError`` of a non-2xx answer: the problem's ``detail`` if it has one."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    detail = problem.get("detail") if isinstance(problem, dict) else None
    if not isinstance(detail, str) or not detail.strip():
        detail = f"the Shippy API at {where} answered {response.status_code} {response.reason_phrase}".rstrip()
    exit_code = EXIT_USAGE if response.status_code in BAD_INPUT_STATUSES else EXIT_REFUSED
    return ClientError(one_line(detail), exit_code)


def unexpected(what: str, where: str) -> ClientError:
    return ClientError(f"unexpected answer to {what} from {where}; is SHIPPY_API_URL the Shippy API?")


def expect_object(value: Any, keys: Sequence[str], what: str, where: str) -> dict[str, Any]:
    """``value`` if it is a JSON object with ``keys``, else the ``ClientError`` of an unexpected answer."""
    if not isinstance(value, dict) or any(key not in value for key in keys):
        raise unexpected(what, where)
    return value


def connect(token: str | None = None) -> ApiClient:
    """An ``ApiClient`` for ``$SHIPPY_API_URL`` and ``$SHIPPY_API_TIMEOUT`` (use it in a ``with``)."""
    return ApiClient(api_url(), api_timeout(), token)


def fail(message: str, exit_code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(exit_code)


def warn(message: str) -> None:
    print(f"warning: {one_line(message)}", file=sys.stderr)


def reports_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Decorate a CLI command: a ``ClientError`` or Ctrl-C becomes one line
    on stderr and an exit code, never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except ClientError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return run


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))
