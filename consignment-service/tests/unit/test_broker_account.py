"""consignment_service's RabbitMQ account (shippy_common.broker) lets it make
every call it makes: its token checks, the vessel ledger's, and the voyages'."""

import re
from pathlib import Path

import consignment_service
import shippy_common.auth
from shippy_common.broker import ACCOUNTS_BY_KEY

CONSIGNMENT = ACCOUNTS_BY_KEY["CONSIGNMENT"]


def test_every_vessel_call_and_the_token_check_are_allowed_and_nothing_more():
    source = (Path(consignment_service.__file__).parent / "dependencies.py").read_text()
    vessel_calls = {f"vessel_service.{name}" for name in re.findall(r"self\.proxy\.(\w+)\(", source)}
    assert vessel_calls == {
        "vessel_service.book",
        "vessel_service.release",
        "vessel_service.bookings_between",
        "vessel_service.depart",
        "vessel_service.arrive",
    }
    assert "user_service.validate_token(" in Path(shippy_common.auth.__file__).read_text()
    for key in (*vessel_calls, "user_service.validate_token"):
        assert re.search(CONSIGNMENT.topic_write, key), key
    for key in ("vessel_service.create", "user_service.auth", "user_service.get_all", "consignment_service.get"):
        assert not re.search(CONSIGNMENT.topic_write, key), key
