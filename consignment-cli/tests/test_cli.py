"""consignment-cli as a user runs it: a real process against the real platform."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.testing.net import free_port

CONSIGNMENT_CLI = str(Path(sys.executable).with_name("consignment-cli"))
CLASSIC_FILE = Path(__file__).parents[1] / "consignment.json"


@pytest.fixture
def token(sign_up):
    return sign_up().token


@pytest.fixture
def run_cli(platform, rabbit_config):
    def run(*args, env=None):
        return subprocess.run(
            [CONSIGNMENT_CLI, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "SHIPPY_TOKEN": "", **(env or {})},
        )

    return run


def assert_refused(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert text in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_the_classic_file_ships_with_the_package():
    assert json.loads(CLASSIC_FILE.read_text()) == CLASSIC_CONSIGNMENT


def test_books_the_classic_consignment_then_lists_it(run_cli, token):
    result = run_cli(CLASSIC_FILE, token)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("booked consignment ")
    assert "vessel      vessel001" in result.stdout
    assert "weight      55000" in result.stdout
    assert "- cust002 from Derby, United Kingdom" in result.stdout
    assert "your consignments (1), newest first:" in result.stdout
    assert result.stderr == ""


def test_token_from_option_or_environment_and_json_output(run_cli, token):
    first = json.loads(run_cli(CLASSIC_FILE, "--token", token, "--json").stdout)
    second = json.loads(run_cli(CLASSIC_FILE, "--json", env={"SHIPPY_TOKEN": token}).stdout)
    assert first["created"]["vessel_id"] == "vessel001"
    assert [c["id"] for c in second["consignments"]] == [second["created"]["id"], first["created"]["id"]]


def test_a_file_with_an_id_books_once_however_often_it_is_sent(run_cli, token, tmp_path):
    order = tmp_path / "order.json"
    order.write_text(json.dumps({**json.loads(CLASSIC_FILE.read_text()), "id": "order-1"}))
    outputs = [json.loads(run_cli(order, token, "--json").stdout) for _ in range(2)]
    assert outputs[0]["created"] == outputs[1]["created"]
    assert len(outputs[1]["consignments"]) == 1


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, "no such file"),
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[1, 2]", "must hold one JSON object, not list"),
        (b"\xff\xfe\x00", "cannot read"),
        ('{"description": "x", "weight": 1}', "containers: Field required"),
        ('{"description": "x", "weight": -1, "containers": [{"customer_id": "c", "origin": "o"}]}', "weight:"),
        ('{"description": "x", "weight": 1, "containers": [{"customer_id": "c"}]}', "containers.0.origin"),
    ],
)
def test_bad_files_are_one_line_and_exit_2(run_cli, token, tmp_path, content, text):
    path = tmp_path / "consignment.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert_refused(run_cli(path, token), 2, text)


def test_a_directory_is_not_a_consignment_file(run_cli, token, tmp_path):
    assert_refused(run_cli(tmp_path, token), 2, "is a directory")


def test_no_token_is_bad_usage(run_cli):
    assert_refused(run_cli(CLASSIC_FILE), 2, "no token")


@pytest.mark.parametrize("bad", ["not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_a_bad_token_is_refused_with_exit_1(run_cli, bad):
    assert_refused(run_cli(CLASSIC_FILE, bad), 1, "token")


def test_no_vessel_with_room_is_exit_1(run_cli, token, tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**json.loads(CLASSIC_FILE.read_text()), "weight": 999_000_000}))
    assert_refused(run_cli(huge, token), 1, "no vessel has room")


def test_a_broker_that_is_down_is_one_line(run_cli, token):
    result = run_cli(CLASSIC_FILE, token, env={"AMQP_URI": f"pyamqp://127.0.0.1:{free_port()}/"})
    assert_refused(result, 1, "cannot reach RabbitMQ")


def test_help():
    result = subprocess.run([CONSIGNMENT_CLI, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "Book the consignment described in FILE" in result.stdout
