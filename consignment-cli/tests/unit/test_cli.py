"""consignment-cli without a server: reading files, the booking ids it keeps
between runs, and its requests against a stub API (``httpx.MockTransport``)."""

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from consignment_cli.bookings import BookingIds, booking_key, state_folder, token_subject
from consignment_cli.main import book, my_consignments, read_consignment
from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.client import EXIT_REFUSED, EXIT_USAGE, ApiClient, ClientError
from shippy_common.testing.net import free_port

CONSIGNMENT_CLI = str(Path(sys.executable).with_name("consignment-cli"))
CLASSIC_FILE = Path(__file__).parents[2] / "consignment.json"
DEAD_BROKER = "pyamqp://nobody:x@127.0.0.1:1/"


def jwt_for(subject, salt="x"):
    """A token shaped as a JWT naming ``subject`` (unsigned: only its shape matters here)."""
    payload = base64.urlsafe_b64encode(json.dumps({"sub": subject, "n": salt}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"


ANA = jwt_for("0b8e6a3c-0000-4000-8000-000000000001")


def test_the_classic_file_ships_with_the_package():
    assert json.loads(CLASSIC_FILE.read_text()) == CLASSIC_CONSIGNMENT


def test_a_file_is_its_consignment_and_its_exact_bytes():
    consignment, content = read_consignment(CLASSIC_FILE)
    assert consignment == CLASSIC_CONSIGNMENT
    assert content == CLASSIC_FILE.read_bytes()
    assert "id" not in consignment  # chosen when booking, not when reading


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, "no such file"),
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[1, 2]", "must hold one JSON object, not list"),
        (b"\xff\xfe\x00", "cannot read"),
        ("x" * 1_000_001, "is larger than 1000000 bytes"),
    ],
)
def test_a_bad_file_is_bad_input(tmp_path, content, text):
    path = tmp_path / "consignment.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ClientError) as caught:
        read_consignment(path)
    assert caught.value.exit_code == EXIT_USAGE
    assert text in caught.value.message


def test_a_directory_is_not_a_consignment_file(tmp_path):
    with pytest.raises(ClientError, match="is a directory"):
        read_consignment(tmp_path)


def test_the_state_folder_is_the_variable_else_xdg_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHIPPY_CLI_STATE_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert state_folder() == tmp_path / "home" / ".local" / "state" / "shippy"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG spec ignores relative paths
    assert state_folder() == tmp_path / "home" / ".local" / "state" / "shippy"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_folder() == tmp_path / "xdg" / "shippy"
    monkeypatch.setenv("SHIPPY_CLI_STATE_DIR", str(tmp_path / "mine"))
    assert state_folder() == tmp_path / "mine"


def test_the_key_is_the_file_and_the_user():
    same_user_new_token = jwt_for("0b8e6a3c-0000-4000-8000-000000000001", salt="later")
    bob = jwt_for("0b8e6a3c-0000-4000-8000-000000000002")
    content = CLASSIC_FILE.read_bytes()
    assert booking_key(content, ANA) == booking_key(content, same_user_new_token)  # a fresh login keeps the id
    assert booking_key(content, ANA) != booking_key(content, bob)  # another user's same file is another booking
    assert booking_key(content, ANA) != booking_key(content + b" ", ANA)
    assert token_subject("not-a-jwt").startswith("token:")
    assert token_subject("not-a-jwt") != token_subject("not-a-jwt-either")


def test_an_id_is_kept_until_forgotten_in_a_private_file(tmp_path):
    warnings = []
    ids = BookingIds(tmp_path / "state", warnings.append)
    first = ids.id_for("k")
    assert ids.id_for("k") == first
    assert BookingIds(tmp_path / "state", warnings.append).id_for("k") == first  # the next run's
    (kept,) = (tmp_path / "state" / "bookings").iterdir()
    assert kept.read_text() == first + "\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state" / "bookings").stat().st_mode) == 0o700
    assert ids.id_for("other") != first
    ids.forget("k")
    assert ids.id_for("k") != first
    assert warnings == []
    assert not [path for path in (tmp_path / "state" / "bookings").iterdir() if path.name.endswith(".tmp")]


def test_a_damaged_entry_is_replaced(tmp_path):
    ids = BookingIds(tmp_path, print)
    (tmp_path / "bookings").mkdir()
    (tmp_path / "bookings" / "k").write_text("half an i")
    chosen = ids.id_for("k")
    assert (tmp_path / "bookings" / "k").read_text() == chosen + "\n"


def test_an_unwritable_state_folder_is_a_warning_and_a_fresh_id(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    warnings = []
    ids = BookingIds(blocker, warnings.append)
    assert ids.id_for("k") != ids.id_for("k")
    assert len(warnings) == 2
    assert warnings[0].startswith(f"cannot keep the booking id in {blocker / 'bookings'} (")
    assert warnings[0].endswith("booking anyway, but a re-run after a failure may book twice")


class StubApi:
    """Answers ``POST /v1/consignments`` with the next of ``outcomes`` (a status, or an
    exception to raise), echoing the booking; lists what it booked."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent = []
        self.booked = {}

    def __call__(self, request):
        if request.method == "GET":
            items = list(reversed(self.booked.values()))
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        body = json.loads(request.content)
        self.sent.append(body)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, type) and issubclass(outcome, Exception):
            raise outcome("lost", request=request)
        if outcome >= 400:
            return httpx.Response(outcome, json={"status": outcome, "detail": f"failed with {outcome}"})
        answer = {**body, "owner_id": "u", "vessel_id": "vessel001", "status": "booked"}
        stored = self.booked.setdefault(body["id"], answer)
        return httpx.Response(outcome, json=stored)

    def client(self):
        return ApiClient("http://api.test", 5, ANA, transport=httpx.MockTransport(self))


def book_classic(api, ids):
    consignment, content = read_consignment(CLASSIC_FILE)
    return book(api.client(), consignment, content, ANA, ids)


@pytest.mark.parametrize("failure", [503, 504, 500, httpx.ConnectError, httpx.ReadTimeout])
def test_a_run_after_a_failure_sends_the_same_id_and_one_after_success_a_new_one(tmp_path, failure):
    api = StubApi(failure, 201, 201)
    ids = BookingIds(tmp_path, print)
    with pytest.raises(ClientError) as caught:
        book_classic(api, ids)
    assert caught.value.exit_code == EXIT_REFUSED
    retried = book_classic(api, ids)
    again = book_classic(api, ids)
    first_id, retry_id, next_id = (sent["id"] for sent in api.sent)
    assert retry_id == first_id == retried["id"]
    assert next_id == again["id"] != first_id
    assert [item["id"] for item in my_consignments(api.client())] == [next_id, first_id]
    assert list((tmp_path / "bookings").iterdir()) == []


def test_a_refusal_keeps_the_id_too(tmp_path):
    """A 401 (say, an expired token) after a lost answer must not cost the booking its id."""
    api = StubApi(504, 401, 201)
    ids = BookingIds(tmp_path, print)
    for _ in range(2):
        with pytest.raises(ClientError):
            book_classic(api, ids)
    book_classic(api, ids)
    assert len({sent["id"] for sent in api.sent}) == 1


def test_a_file_with_its_own_id_is_sent_as_it_is_and_keeps_nothing(tmp_path):
    api = StubApi(201)
    consignment = {**CLASSIC_CONSIGNMENT, "id": "order-1"}
    book(api.client(), consignment, json.dumps(consignment).encode(), ANA, BookingIds(tmp_path, print))
    assert api.sent == [consignment]
    assert not (tmp_path / "bookings").exists()


def test_a_booking_answer_that_is_not_one_is_one_line_exit_1(tmp_path):
    def handler(request):
        return httpx.Response(201, json={"id": "x", "vessel_id": "v", "weight": 1, "description": "d", "containers": 3})

    api = ApiClient("http://api.test", 5, ANA, transport=httpx.MockTransport(handler))
    consignment, content = read_consignment(CLASSIC_FILE)
    with pytest.raises(ClientError, match="unexpected answer to POST /v1/consignments"):
        book(api, consignment, content, ANA, BookingIds(tmp_path, print))


def run(*args, **env):
    return subprocess.run(
        [CONSIGNMENT_CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AMQP_URI": DEAD_BROKER, "SHIPPY_TOKEN": "", **env},
    )


def assert_refused(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert text in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_an_api_that_is_down_is_one_line_and_the_id_is_kept_for_the_re_run(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env = {"SHIPPY_API_URL": url, "SHIPPY_CLI_STATE_DIR": str(tmp_path)}
    assert_refused(run(CLASSIC_FILE, ANA, **env), 1, f"error: cannot reach the Shippy API at {url} (")
    (kept,) = (tmp_path / "bookings").iterdir()
    remembered = kept.read_text()
    assert_refused(run(CLASSIC_FILE, "--token", ANA, **env), 1, "cannot reach the Shippy API")
    assert [path.read_text() for path in (tmp_path / "bookings").iterdir()] == [remembered]


def test_an_unwritable_state_folder_still_tries_with_one_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    url = f"http://127.0.0.1:{free_port()}"
    result = run(CLASSIC_FILE, ANA, SHIPPY_API_URL=url, SHIPPY_CLI_STATE_DIR=str(blocker))
    assert result.returncode == 1
    warning, error = result.stderr.splitlines()
    assert warning.startswith("warning: cannot keep the booking id in ")
    assert error.startswith(f"error: cannot reach the Shippy API at {url}")


@pytest.mark.parametrize(
    ("args", "env", "code", "text"),
    [
        ([CLASSIC_FILE], {}, 2, "no token"),
        (["no-such.json", ANA], {}, 2, "no-such.json: no such file"),
        ([CLASSIC_FILE, ANA], {"SHIPPY_API_TIMEOUT": "0"}, 2, "SHIPPY_API_TIMEOUT must be a number of seconds"),
        ([CLASSIC_FILE, ANA], {"SHIPPY_API_URL": "nowhere"}, 2, "SHIPPY_API_URL must be an http:// or https:// URL"),
        ([CLASSIC_FILE, "bad token"], {}, 1, "error: token is malformed"),
    ],
)
def test_refused_before_any_request_in_one_line(tmp_path, args, env, code, text):
    result = run(*args, SHIPPY_CLI_STATE_DIR=str(tmp_path), **env)
    assert_refused(result, code, text)
    assert not (tmp_path / "bookings").exists()


def test_help():
    result = subprocess.run([CONSIGNMENT_CLI, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "consignment-cli FILE [TOKEN] is consignment-cli book FILE [TOKEN]" in result.stdout
    for command in ("book", "list", "show", "track", "cancel", "deliver"):
        assert f"  {command} " in result.stdout
    booking = subprocess.run([CONSIGNMENT_CLI, "book", "--help"], capture_output=True, text=True, timeout=30)
    assert "Book the consignment described in FILE" in booking.stdout
    assert "SHIPPY_CLI_STATE_DIR" in booking.stdout
