"""A service that starts with calls already waiting on its queue answers them,
also when answering needs another service: the answers to its own calls have
somewhere to go before its first call is taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eventlet
import kombu

from shippy_common.rpc import TimedRpcProxy, rpc

TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class AskingSettings:
    rpc_timeout_seconds: float = TIMEOUT_SECONDS
    log_level: str = "INFO"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AskingSettings:
        return cls()


class Answering:
    name = "answering"
    settings_type = AskingSettings

    @rpc
    def answer(self) -> str:
        return "forty-two"


class Asking:
    name = "asking"
    settings_type = AskingSettings
    answering = TimedRpcProxy("answering")

    @rpc
    def ask(self) -> str:
        return self.answering.answer()


def test_a_call_waiting_when_the_service_starts_gets_the_answer_of_the_service_it_asks(
    container_factory, rabbit_config, rabbit_manager, raw_rpc, monkeypatch
):
    """What failed CI's SIGTERM drill on 64c5942: the calls queued while
    consignment-service restarted were taken before the queue for the answers to
    its own calls existed, so user_service's answer had nowhere to go and the
    call failed after its 5 s deadline. The answers' queue is declared slowly
    here, as a busy broker may."""
    container_factory(Answering, rabbit_config).start()
    vhost = rabbit_config["vhost"]
    rabbit_manager.create_queue(vhost, "rpc-asking", durable=True)
    rabbit_manager.create_queue_binding(vhost, "nameko-rpc", "rpc-asking", "asking.ask")
    waiting = raw_rpc.call("asking.ask")

    declare = kombu.Queue.declare

    def slowly_for_answers(queue: kombu.Queue, *args: Any, **kwargs: Any) -> Any:
        if queue.name.startswith("rpc.reply-asking-"):
            eventlet.sleep(0.5)
        return declare(queue, *args, **kwargs)

    monkeypatch.setattr(kombu.Queue, "declare", slowly_for_answers)
    container_factory(Asking, rabbit_config).start()

    reply = raw_rpc.replies(1, timeout=TIMEOUT_SECONDS * 3)[waiting]
    assert reply["error"] is None, reply["error"]
    assert reply["result"] == "forty-two"
