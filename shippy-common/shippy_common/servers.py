"""The servers a service depends on: how to tell they answer, and how to wait.

The same checks serve two purposes: at start-up a service waits (with backoff)
until every server it needs answers, and ``GET /health`` reports them.
Addresses shown in logs and health reports never include a password.
Drivers are imported inside each probe: a service installs only the ones it uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shippy_common.config import AMQP_URI_HINT, ConfigError, redact_url

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0


@dataclass
class Server:
    name: str
    url: str
    probe: Callable[[str, float], None]
    state: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def address(self) -> str:
        return redact_url(self.url)

    def check(self, timeout: float = CHECK_TIMEOUT) -> None:
        """Return if the server answers; raise otherwise."""
        self.probe(self.url, timeout)


def probe_rabbitmq(url: str, timeout: float) -> None:
    import kombu

    with kombu.Connection(url, connect_timeout=timeout) as connection:
        # One attempt, no sleeping between retries: a probe must answer fast.
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0)


_mongo_clients: dict[str, Any] = {}


def probe_mongodb(url: str, timeout: float) -> None:
    import pymongo

    # One client per URL: a MongoClient keeps monitor threads and a pool.
    client = _mongo_clients.get(url)
    if client is None:
        client = _mongo_clients[url] = pymongo.MongoClient(
            url, serverSelectionTimeoutMS=int(timeout * 1000), connectTimeoutMS=int(timeout * 1000)
        )
    client.admin.command("ping")


def probe_postgres(url: str, timeout: float) -> None:
    import psycopg2

    dsn = url.replace("postgresql+psycopg2://", "postgresql://", 1)
    connection = psycopg2.connect(dsn, connect_timeout=max(1, int(timeout)))
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
    finally:
        connection.close()


# kind: (name, config key, accepted URL schemes, probe)
_KINDS: dict[str, tuple[str, str, tuple[str, ...], Callable[[str, float], None]]] = {
    "rabbitmq": ("RabbitMQ", "AMQP_URI", ("amqp", "pyamqp", "amqps"), probe_rabbitmq),
    "mongodb": ("MongoDB", "MONGO_URI", ("mongodb", "mongodb+srv"), probe_mongodb),
    "postgres": ("PostgreSQL", "DATABASE_URL", ("postgresql", "postgresql+psycopg2"), probe_postgres),
}


#: Said with "<key> is not set".
_UNSET_HINTS = {"AMQP_URI": AMQP_URI_HINT}


def servers_from_config(config: dict[str, Any], kinds: Iterable[str]) -> list[Server]:
    servers = []
    for kind in kinds:
        name, key, schemes, probe = _KINDS[kind]
        url = config.get(key)
        if not isinstance(url, str) or not url:
            raise ConfigError(f"{key} is not set{_UNSET_HINTS.get(key, '')}")
        scheme = url.partition("://")[0]
        if "://" not in url or scheme not in schemes:
            accepted = ", ".join(f"{s}://" for s in schemes)
            raise ConfigError(f"{key} must be a URL starting with {accepted}; got {redact_url(url)!r}")
        servers.append(Server(name=name, url=url, probe=probe))
    return servers


def describe_failure(exc: BaseException) -> str:
    """A one-line reason, cut short; driver messages can run to pages."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


def wait_for(
    server: Server,
    *,
    first_delay: float = 0.5,
    max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Block until ``server`` answers, retrying with exponential backoff."""
    delay = first_delay
    attempt = 1
    while True:
        try:
            server.check()
        except Exception as exc:
            log.warning(
                "waiting for %s at %s (attempt %d: %s); retrying in %.1fs",
                server.name,
                server.address,
                attempt,
                describe_failure(exc),
                delay,
            )
            sleep(delay)
            delay = min(delay * 2, max_delay)
            attempt += 1
        else:
            if attempt > 1:
                log.info("%s at %s answers", server.name, server.address)
            return
