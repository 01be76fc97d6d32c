"""What Shippy's command-line clients share: reaching a service over RPC and
turning every failure into one line on stderr and an exit code.

Exit codes: 0 ok, 1 refused or failed (bad credentials, exists, invalid token,
no vessel, a broker or service that does not answer), 2 bad usage or input.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

from shippy_common.auth import TOKEN_CONTEXT_KEY
from shippy_common.config import redact_url
from shippy_common.errors import ShippyError

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"
DEFAULT_TIMEOUT = 30.0

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class ClientError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def rpc_timeout() -> float:
    raw = os.environ.get("SHIPPY_RPC_TIMEOUT")
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not 0 < value <= 600:
        raise ClientError(f"SHIPPY_RPC_TIMEOUT must be a number of seconds up to 600, got {raw!r}", EXIT_USAGE)
    return value


@contextmanager
def cluster(token: str | None = None) -> Iterator[Any]:
    """A connected nameko ``ClusterRpcProxy`` that sends ``token`` (if any)
    with every call; connection and RPC failures become ``ClientError``."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from shippy_common.servers import describe_failure, probe_rabbitmq

    # A client reports failures itself, in one line; library chatter
    # (e.g. amqp's notes on closing channels) is noise on a terminal.
    for library in ("amqp", "kombu", "nameko"):
        logging.getLogger(library).setLevel(logging.CRITICAL)
    uri = amqp_uri()
    timeout = rpc_timeout()
    try:
        probe_rabbitmq(uri, timeout=5)
    except Exception as exc:
        raise ClientError(f"cannot reach RabbitMQ at {redact_url(uri)} ({describe_failure(exc)})") from None
    context = {TOKEN_CONTEXT_KEY: token} if token else {}
    proxy = ClusterRpcProxy({"AMQP_URI": uri}, context_data=context, timeout=timeout)
    try:
        rpc = proxy.start()
    except Exception as exc:
        raise ClientError(f"cannot reach RabbitMQ at {redact_url(uri)} ({describe_failure(exc)})") from None
    try:
        yield rpc
    except ShippyError as exc:
        raise ClientError(str(exc), EXIT_REFUSED if exc.refused else EXIT_USAGE) from None
    except UnknownService as exc:
        service = getattr(exc, "_service_name", "the service")
        raise ClientError(f"{service} is not running (nothing consumes its RPC queue)") from None
    except RpcTimeout:
        raise ClientError(f"no answer within {timeout:g}s; is the service running?") from None
    except RemoteError as exc:
        raise ClientError(f"the service failed: {exc.exc_type}") from None
    finally:
        with suppress(Exception):
            proxy.stop()


def fail(message: str, exit_code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(exit_code)


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
