"""consignment-cli as a user runs it: a real process against the real gateway in
front of the real platform, with no broker it could reach itself."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port

CONSIGNMENT_CLI = str(Path(sys.executable).with_name("consignment-cli"))
CLASSIC_FILE = Path(__file__).parents[2] / "consignment.json"
LOSSY_FRONT = str(Path(__file__).with_name("lossy_front.py"))
#: Where the CLI would find a broker if it looked for one: nowhere.
DEAD_BROKER = "pyamqp://nobody:x@127.0.0.1:1/"


@pytest.fixture
def token(http_user):
    return http_user()[1]


@pytest.fixture
def state_dir(tmp_path):
    """The CLI's state folder for this test (the booking ids it keeps between runs)."""
    return tmp_path / "state"


@pytest.fixture
def run_cli(gateway, state_dir):
    """Run consignment-cli against this test's gateway; ``env`` values of None unset a variable."""

    def run(*args, env=None):
        settings = {
            **os.environ,
            "SHIPPY_API_URL": gateway.url,
            "AMQP_URI": DEAD_BROKER,
            "SHIPPY_TOKEN": "",
            "SHIPPY_CLI_STATE_DIR": str(state_dir),
            **(env or {}),
        }
        return subprocess.run(
            [CONSIGNMENT_CLI, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=60,
            env={key: value for key, value in settings.items() if value is not None},
        )

    return run


def assert_refused(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert text in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def consignments_of(gateway, token):
    answer = gateway.client.get("/v1/consignments", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_books_the_classic_consignment_then_lists_it(run_cli, token):
    result = run_cli(CLASSIC_FILE, token, env={"AMQP_URI": None})  # no broker setting at all
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


def test_a_re_run_after_a_lost_answer_books_once_and_a_run_after_success_books_anew(
    run_cli, token, gateway, start_process
):
    """The first attempt books, but its answer is lost (a 504 from a front that
    drops it): the re-run sends the same id and gets that booking back."""
    front = start_process([sys.executable, "-u", LOSSY_FRONT, gateway.url])
    front.wait_for_output("listening on ")
    front_url = "http://127.0.0.1:" + re.search(r"listening on (\d+)", front.output).group(1)

    lost = run_cli(CLASSIC_FILE, token, env={"SHIPPY_API_URL": front_url})
    assert_refused(lost, 1, "error: the gateway answered 201, and the answer was lost on the way")
    (booked,) = consignments_of(gateway, token)

    again = json.loads(run_cli(CLASSIC_FILE, token, "--json").stdout)
    assert again["created"]["id"] == booked["id"]
    assert [c["id"] for c in again["consignments"]] == [booked["id"]]

    anew = json.loads(run_cli(CLASSIC_FILE, token, "--json").stdout)
    assert anew["created"]["id"] != booked["id"]
    assert [c["id"] for c in anew["consignments"]] == [anew["created"]["id"], booked["id"]]


def test_a_re_run_after_the_gateway_was_unreachable_sends_the_id_it_kept(run_cli, token, gateway, state_dir):
    down = f"http://127.0.0.1:{free_port()}"
    assert_refused(
        run_cli(CLASSIC_FILE, token, env={"SHIPPY_API_URL": down}), 1, f"cannot reach the Shippy API at {down}"
    )
    (kept,) = (state_dir / "bookings").iterdir()
    kept_id = kept.read_text().strip()

    booked = json.loads(run_cli(CLASSIC_FILE, token, "--json").stdout)
    assert booked["created"]["id"] == kept_id
    assert [c["id"] for c in booked["consignments"]] == [kept_id]
    assert list((state_dir / "bookings").iterdir()) == []


def test_the_same_file_booked_by_two_users_is_two_bookings(run_cli, http_user, gateway):
    """Their kept ids must not collide: the key holds the user, not only the file."""
    tokens = [http_user()[1], http_user()[1]]
    down = f"http://127.0.0.1:{free_port()}"
    for token in tokens:
        assert run_cli(CLASSIC_FILE, token, env={"SHIPPY_API_URL": down}).returncode == 1
    created = [json.loads(run_cli(CLASSIC_FILE, token, "--json").stdout)["created"]["id"] for token in tokens]
    assert created[0] != created[1]
    assert [[c["id"] for c in consignments_of(gateway, token)] for token in tokens] == [[created[0]], [created[1]]]


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


def test_a_malformed_token_is_refused_with_the_services_reason(run_cli):
    assert_refused(run_cli(CLASSIC_FILE, "a.b.c"), 1, "error: token is malformed")


def test_no_vessel_with_room_is_exit_1(run_cli, token, tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**json.loads(CLASSIC_FILE.read_text()), "weight": 999_000_000}))
    assert_refused(run_cli(huge, token), 1, "no vessel has room")
