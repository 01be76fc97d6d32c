"""A small JetStream tool for tests, run as its own process (nats-py is
asyncio; the test process runs eventlet):

    python -m shippy_common.testing.jetstream dump NATS_URL STREAM
        one JSON line per message: {"subject", "msg_id", "event"}
    python -m shippy_common.testing.jetstream publish NATS_URL STREAM PREFIX EVENT_TYPE [MSG_ID] < event.json
        publish stdin as one message (creating the stream if need be), with Nats-Msg-Id if given
    python -m shippy_common.testing.jetstream delete NATS_URL STREAM
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from shippy_common.stream import StreamSettings, ensure_stream


async def dump(url: str, stream: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    connection = await nats.connect(url)
    js = connection.jetstream()
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        await connection.close()
        return
    if info.state.messages == 0:  # an empty stream reports first_seq 0, which get_msg refuses
        await connection.close()
        return
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(stream, seq)
        except NotFoundError:
            continue
        headers = message.headers or {}
        print(
            json.dumps(
                {"subject": message.subject, "msg_id": headers.get("Nats-Msg-Id"), "event": json.loads(message.data)}
            )
        )
    await connection.close()


async def publish(url: str, settings: StreamSettings, event_type: str, payload: bytes, msg_id: str | None) -> None:
    import nats

    connection = await nats.connect(url)
    js = connection.jetstream()
    await ensure_stream(js, settings)
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    await js.publish(settings.subject(event_type), payload, headers=headers)
    await connection.close()


async def delete(url: str, stream: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    connection = await nats.connect(url)
    with contextlib.suppress(NotFoundError):
        await connection.jetstream().delete_stream(stream)
    await connection.close()


def main() -> None:
    command, url, target = sys.argv[1:4]
    if command == "dump":
        asyncio.run(dump(url, target))
    elif command == "publish":
        prefix, event_type = sys.argv[4:6]
        msg_id = sys.argv[6] if len(sys.argv) > 6 else None
        settings = StreamSettings(nats_url=url, name=target, subject_prefix=prefix)
        asyncio.run(publish(url, settings, event_type, sys.stdin.buffer.read(), msg_id))
    elif command == "delete":
        asyncio.run(delete(url, target))
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
