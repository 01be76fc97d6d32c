"""consignment-cli's list, show, track, cancel and deliver, and vessel-cli, as
people run them: real processes against the real gateway and platform."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CLASSIC_FILE = Path(__file__).parents[2] / "consignment.json"


@pytest.fixture
def cli(gateway, tmp_path):
    """``cli(program, *args, token=...)``: run consignment-cli or vessel-cli against this test's gateway."""

    def run(program, *args, token):
        env = {**os.environ, "SHIPPY_API_URL": gateway.url, "SHIPPY_TOKEN": token}
        env["SHIPPY_CLI_STATE_DIR"] = str(tmp_path)
        return subprocess.run(
            [str(BIN / program), *map(str, args)], capture_output=True, text=True, timeout=60, env=env
        )

    return run


@pytest.fixture
def operator(http_user, set_role):
    user, token, _ = http_user()
    set_role(user["id"], "admin")
    return token


def ok(result):
    assert result.returncode == 0, result
    assert result.stderr == ""
    return result.stdout


def test_a_shipper_books_lists_tracks_and_cancels(cli, http_user):
    _, token, _ = http_user()
    booked = json.loads(ok(cli("consignment-cli", CLASSIC_FILE, token, "--json", token=token)))["created"]
    reference = booked["reference"]

    listed = ok(cli("consignment-cli", "list", token=token))
    assert reference in listed and "booked" in listed and booked["id"] in listed
    shown = ok(cli("consignment-cli", "show", booked["id"], token=token))
    assert f"reference   {reference}" in shown and "timeline" in shown
    assert ok(cli("consignment-cli", "track", reference, token=token)) == shown

    cancelled = ok(cli("consignment-cli", "cancel", booked["id"], token=token))
    assert cancelled.startswith(f"cancelled consignment {booked['id']}") and "status      cancelled" in cancelled
    assert "cancelled" in ok(cli("consignment-cli", "list", "--status", "cancelled", token=token))
    assert ok(cli("consignment-cli", "list", "--status", "booked", token=token)).startswith(
        "your booked consignments (0)"
    )


def test_someone_elses_reference_is_not_found_in_one_line(cli, http_user):
    _, ana, _ = http_user()
    _, ben, _ = http_user()
    booked = json.loads(ok(cli("consignment-cli", CLASSIC_FILE, "--json", token=ana)))["created"]
    refused = cli("consignment-cli", "track", booked["reference"], token=ben)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == "error: no such consignment\n"


def test_an_operator_runs_a_voyage_with_vessel_cli(cli, http_user, operator):
    _, token, _ = http_user()
    added = ok(
        cli(
            "vessel-cli",
            "create",
            "--id",
            "puffin",
            "--name",
            "Puffin",
            "--capacity",
            3,
            "--max-weight",
            200_000,
            token=operator,
        )
    )
    assert added.startswith("added vessel puffin")
    booked = json.loads(ok(cli("consignment-cli", CLASSIC_FILE, "--json", token=token)))["created"]
    assert booked["vessel_id"] == "puffin"

    table = ok(cli("vessel-cli", "list", token=operator)).splitlines()
    assert table[0].split() == ["ID", "NAME", "STATUS", "VOYAGE", "CONTAINERS", "WEIGHT"]
    (puffin,) = [line.split() for line in table if line.startswith("puffin ")]
    assert puffin == ["puffin", "Puffin", "open", "1", "3/3", "55000/200000"]

    departed = ok(cli("vessel-cli", "depart", "puffin", token=operator))
    assert departed.startswith("Puffin (puffin) departed on voyage 1") and "1 consignment(s) in transit" in departed
    refused = cli("consignment-cli", "cancel", booked["id"], token=token)
    assert refused.returncode == 1 and "in_transit" in refused.stderr
    assert "1 consignment(s) arrived" in ok(cli("vessel-cli", "arrive", "puffin", token=operator))
    delivered = ok(cli("consignment-cli", "deliver", booked["id"], token=operator))
    assert "status      delivered" in delivered
    assert "retired" in ok(cli("vessel-cli", "retire", "puffin", token=operator))

    customer_view = ok(cli("vessel-cli", "list", token=token))
    assert "puffin" not in customer_view and "free" in customer_view
    forbidden = cli("vessel-cli", "depart", "vessel001", token=token)
    assert forbidden.returncode == 1 and forbidden.stdout == "" and forbidden.stderr.count("\n") == 1
