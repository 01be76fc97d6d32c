"""Where events go: the JetStream stream, its subjects, and a NATS connection,
as the outbox relays and the subscribers share them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shippy_common.envelope import EVENT_TYPES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamSettings:
    """Where events go: stream ``name`` holds subjects ``<prefix><event type>``."""

    nats_url: str
    name: str = "SHIPPY"
    subject_prefix: str = ""

    def subject(self, event_type: str) -> str:
        return f"{self.subject_prefix}{event_type}"

    @property
    def subjects(self) -> list[str]:
        return [self.subject(event_type) for event_type in EVENT_TYPES]


def stream_settings(config: dict[str, Any]) -> StreamSettings:
    from shippy_common.config import ConfigError

    url = config.get("NATS_URL")
    if not isinstance(url, str) or not url.startswith(("nats://", "tls://")):
        raise ConfigError(f"NATS_URL must be a URL starting with nats:// or tls://, got {url!r}")
    name = config.get("EVENT_STREAM")
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"EVENT_STREAM must be a name of letters, digits, - and _, got {name!r}")
    prefix = config.get("EVENT_SUBJECT_PREFIX") or ""
    if not isinstance(prefix, str) or (prefix and not prefix.endswith(".")):
        raise ConfigError("EVENT_SUBJECT_PREFIX must be empty or end with a dot")
    return StreamSettings(nats_url=url, name=name, subject_prefix=prefix)


async def ensure_stream(js: Any, settings: StreamSettings) -> None:
    """Create the stream (file storage) unless it exists; a stream an earlier
    release made gets the subjects of the event types added since."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        info = await js.stream_info(settings.name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=settings.name, subjects=settings.subjects, storage=StorageType.FILE))
        return
    subjects = list(info.config.subjects or [])
    missing = [subject for subject in settings.subjects if subject not in subjects]
    if missing:
        info.config.subjects = subjects + missing
        await js.update_stream(info.config)
        log.info("stream %s: added subjects %s", settings.name, ", ".join(missing))


async def connect(nats_url: str, name: str) -> Any:
    """One attempt at a NATS connection that does not reconnect by itself:
    callers own the retry loop, so an outage is logged once per attempt in
    their words rather than as nats-py tracebacks."""
    import nats

    async def quiet(exc: Exception) -> None:
        log.debug("NATS at %s: %s", nats_url, exc)

    return await nats.connect(
        nats_url,
        name=name,
        connect_timeout=2,
        allow_reconnect=False,
        max_reconnect_attempts=1,  # 0 would mean "for ever" to nats-py
        reconnect_time_wait=0.5,
        error_cb=quiet,
    )
