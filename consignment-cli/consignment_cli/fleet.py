"""vessel-cli: the operator's fleet: list it with each vessel's room, add and
retire vessels, and sail them (departure and arrival move their consignments).

    vessel-cli list [--status S]
    vessel-cli create --name N --capacity C --max-weight W [--id ID]
    vessel-cli depart ID     vessel-cli arrive ID     vessel-cli retire ID

Every command but ``list`` is for admins; a customer's ``list`` shows the
vessels with room and their free room only. Talks HTTP to the Shippy API like
consignment-cli (``$SHIPPY_API_URL``, ``$SHIPPY_API_TIMEOUT``, ``--token`` or
``$SHIPPY_TOKEN``). Exit codes: 0 ok, 1 refused or failed, 2 bad usage or input.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import click

from shippy_common.client import EXIT_USAGE, ClientError, connect, print_json, reports_errors

PAGE_SIZE = 200
VESSEL_FIELDS = ("id", "name", "status", "voyage", "containers_free", "weight_free")
VOYAGE_FIELDS = ("vessel_id", "vessel_name", "voyage", "status", "at", "consignments")
STATUSES = ("open", "at_sea", "retired")

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
token_option = click.option(
    "--token", envvar="SHIPPY_TOKEN", help="Access token from 'user-cli auth' (default: $SHIPPY_TOKEN)."
)


def _require_token(token: str | None) -> str:
    if not token:
        raise ClientError("no token: pass --token or set SHIPPY_TOKEN (get one with 'user-cli auth')", EXIT_USAGE)
    return token


def _vessel_path(vessel_id: str) -> str:
    return "/v1/vessels/" + quote(vessel_id, safe="")


def _room(used: Any, free: Any) -> str:
    """``used/total`` when the API told the used room (admins), else ``free``."""
    if isinstance(used, int) and isinstance(free, int):
        return f"{used}/{used + free}"
    return f"{free} free"


def fleet_table(vessels: list[dict[str, Any]]) -> list[str]:
    """The fleet as aligned columns: room used out of the voyage's total (admins) or free (customers)."""
    rows = [("ID", "NAME", "STATUS", "VOYAGE", "CONTAINERS", "WEIGHT")]
    rows += [
        (
            str(v["id"]),
            str(v["name"]),
            str(v["status"]),
            str(v["voyage"]),
            _room(v.get("containers_used"), v["containers_free"]),
            _room(v.get("weight_used"), v["weight_free"]),
        )
        for v in vessels
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Shippy's fleet: list vessels with their room; admins add, retire, depart and arrive them."""


@cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only vessels in this status.")
@token_option
@json_option
@reports_errors
def list_command(status: str | None, token: str | None, as_json: bool) -> None:
    """The fleet, with each vessel's room on its open voyage (used/total for admins)."""
    filters = {"status": status} if status else None
    with connect(_require_token(token)) as api:
        vessels = list(api.pages("/v1/vessels", PAGE_SIZE, expect=VESSEL_FIELDS, filters=filters))
    if as_json:
        print_json(vessels)
    elif not vessels:
        click.echo("no vessels")
    else:
        click.echo("\n".join(fleet_table(vessels)))


@cli.command("create")
@click.option("--name", required=True, help="The vessel's name.")
@click.option("--capacity", required=True, type=click.IntRange(min=1), help="Containers it carries.")
@click.option("--max-weight", required=True, type=click.IntRange(min=1), help="Total weight it carries.")
@click.option("--id", "vessel_id", help="Its id (default: chosen by the service).")
@token_option
@json_option
@reports_errors
def create_command(
    name: str, capacity: int, max_weight: int, vessel_id: str | None, token: str | None, as_json: bool
) -> None:
    """Add a vessel to the fleet (admins only)."""
    body: dict[str, Any] = {"name": name, "capacity": capacity, "max_weight": max_weight}
    if vessel_id is not None:
        body["id"] = vessel_id
    with connect(_require_token(token)) as api:
        vessel = api.call("POST", "/v1/vessels", body=body, expect=VESSEL_FIELDS)
    _print_vessel(vessel, as_json, "added")


@cli.command("retire")
@click.argument("vessel_id")
@token_option
@json_option
@reports_errors
def retire_command(vessel_id: str, token: str | None, as_json: bool) -> None:
    """Retire a vessel: no more bookings. Refused while it is at sea or carries bookings."""
    with connect(_require_token(token)) as api:
        vessel = api.call("POST", _vessel_path(vessel_id) + "/retirement", expect=VESSEL_FIELDS)
    _print_vessel(vessel, as_json, "retired")


@cli.command("depart")
@click.argument("vessel_id")
@token_option
@json_option
@reports_errors
def depart_command(vessel_id: str, token: str | None, as_json: bool) -> None:
    """The vessel sails: its consignments are in transit, it takes no bookings until it arrives."""
    _voyage_change(vessel_id, "departure", token, as_json)


@cli.command("arrive")
@click.argument("vessel_id")
@token_option
@json_option
@reports_errors
def arrive_command(vessel_id: str, token: str | None, as_json: bool) -> None:
    """The vessel arrives: its consignments have arrived, and a new voyage opens with full room."""
    _voyage_change(vessel_id, "arrival", token, as_json)


def _voyage_change(vessel_id: str, change: str, token: str | None, as_json: bool) -> None:
    with connect(_require_token(token)) as api:
        voyage = api.call("POST", f"{_vessel_path(vessel_id)}/{change}", expect=VOYAGE_FIELDS)
    if as_json:
        print_json(voyage)
        return
    moved = "in transit" if voyage["status"] == "departed" else "arrived"
    click.echo(
        f"{voyage['vessel_name']} ({voyage['vessel_id']}) {voyage['status']} on voyage {voyage['voyage']} "
        f"at {voyage['at']}: {voyage['consignments']} consignment(s) {moved}"
    )


def _print_vessel(vessel: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        print_json(vessel)
    else:
        click.echo(f"{verb} vessel {vessel['id']}")
        click.echo("\n".join(fleet_table([vessel])))
