"""consignment-cli: book the consignment in a JSON file, then list yours; follow
and cancel your consignments.

    consignment-cli consignment.json <token>
    consignment-cli consignment.json --token <token>     (or SHIPPY_TOKEN=...)
    consignment-cli list [--status S]     consignment-cli show ID
    consignment-cli track REFERENCE       consignment-cli cancel ID
    consignment-cli deliver ID            (admins)

Talks HTTP to the Shippy API (gateway-service) at $SHIPPY_API_URL (default
http://127.0.0.1:8080): ``POST /v1/consignments``, then ``GET /v1/consignments``
page after page; each request waits up to $SHIPPY_API_TIMEOUT seconds (default
30). Needs no broker credentials.

A file's own "id" is its booking's id: sending the file again answers that same
booking. Without one, the id is chosen here and remembered for the file's exact
content and the user until the booking succeeds, in the state folder
($SHIPPY_CLI_STATE_DIR, else $XDG_STATE_HOME/shippy, else ~/.local/state/shippy;
see ``consignment_cli.bookings``): a re-run after a timeout, a 5xx or an
unreachable API sends the same id and books once; a run after a success books
a new consignment. An unwritable state folder is a warning, not a refusal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from consignment_cli.bookings import BookingIds, booking_key
from shippy_common.client import (
    EXIT_USAGE,
    ApiClient,
    ClientError,
    connect,
    print_json,
    reports_errors,
    shown_url,
    unexpected,
    warn,
)

MAX_FILE_BYTES = 1_000_000
#: Consignments asked for per request when listing (the API's largest page).
PAGE_SIZE = 200
#: What the lines printed here need of a booking, and of a listed consignment.
BOOKED_FIELDS = ("id", "vessel_id", "weight", "description", "containers")
LISTED_FIELDS = ("id", "vessel_id", "weight", "description", "status")
SHOWN_FIELDS = (*BOOKED_FIELDS, "status", "timeline")
STATUSES = ("booked", "in_transit", "arrived", "delivered", "cancelled")


def read_consignment(path: Path) -> tuple[dict[str, Any], bytes]:
    """The consignment in ``path`` and the file's bytes; ``ClientError`` (exit 2) if unusable."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ClientError(f"{path} is larger than {MAX_FILE_BYTES} bytes", EXIT_USAGE)
        content = path.read_bytes()
        text = content.decode("utf-8")
    except FileNotFoundError:
        raise ClientError(f"{path}: no such file", EXIT_USAGE) from None
    except IsADirectoryError:
        raise ClientError(f"{path} is a directory, not a consignment file", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"cannot read {path}: {exc}", EXIT_USAGE) from None
    try:
        consignment = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ClientError(f"{path} is not valid JSON: {exc.msg} at {where}", EXIT_USAGE) from None
    if not isinstance(consignment, dict):
        raise ClientError(f"{path} must hold one JSON object, not {type(consignment).__name__}", EXIT_USAGE)
    return consignment, content


def book(api: ApiClient, consignment: dict[str, Any], content: bytes, token: str, ids: BookingIds) -> dict[str, Any]:
    """Book ``consignment`` (the file's ``content``) for ``token``'s user. Without an
    id of its own it is sent with the id ``ids`` remember for this file and user,
    which is forgotten once the booking succeeded."""
    if consignment.get("id") is not None:
        return _create(api, consignment)
    key = booking_key(content, token)
    created = _create(api, {**consignment, "id": ids.id_for(key)})
    ids.forget(key)
    return created


def _create(api: ApiClient, consignment: dict[str, Any]) -> dict[str, Any]:
    created = api.call("POST", "/v1/consignments", body=consignment, expect=BOOKED_FIELDS)
    containers = created["containers"]
    if not isinstance(containers, list) or not all(
        isinstance(container, dict) and "customer_id" in container and "origin" in container for container in containers
    ):
        raise unexpected("POST /v1/consignments", shown_url(api.url))
    return created


def my_consignments(api: ApiClient, status: str | None = None) -> list[dict[str, Any]]:
    """The caller's consignments (only those in ``status``, if given), newest first, every page of them."""
    filters = {"status": status} if status else None
    return list(api.pages("/v1/consignments", PAGE_SIZE, expect=LISTED_FIELDS, filters=filters))


def describe(consignment: dict[str, Any]) -> list[str]:
    containers = consignment["containers"]
    lines = [f"consignment {consignment['id']}"]
    if consignment.get("reference"):
        lines.append(f"  reference   {consignment['reference']}")
    if consignment.get("status"):
        lines.append(f"  status      {consignment['status']}")
    voyage = f" (voyage {consignment['voyage']})" if consignment.get("voyage") else ""
    lines += [
        f"  vessel      {consignment['vessel_id']}{voyage}",
        f"  weight      {consignment['weight']}",
        f"  description {consignment['description']}",
        f"  containers  {len(containers)}",
    ]
    lines += [f"    - {c['customer_id']} from {c['origin']}" for c in containers]
    timeline = consignment.get("timeline") or []
    if timeline:
        lines.append("  timeline")
        lines += [
            f"    {step.get('at', '?')}  {step.get('status', '?'):<10}  by {step.get('by', '?')}" for step in timeline
        ]
    return lines


def one_line_each(consignments: list[dict[str, Any]]) -> list[str]:
    return [
        f"  {item.get('reference') or '-':<14}  {item['status']:<10}  {item['vessel_id']}  "
        f"weight {item['weight']}  {item['description']}  ({item['id']})"
        for item in consignments
    ]


def _require_token(token: str | None) -> str:
    if not token:
        raise ClientError("no token: pass --token or set SHIPPY_TOKEN (get one with 'user-cli auth')", EXIT_USAGE)
    return token


def _consignment_path(consignment_id: str) -> str:
    return "/v1/consignments/" + quote(consignment_id, safe="")


class BookByDefault(click.Group):
    """A group whose first argument, unless it names a command, is a file to book:
    ``consignment-cli consignment.json <token>`` is ``consignment-cli book ...``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["book", *args]
        return super().parse_args(ctx, args)


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
token_option = click.option(
    "--token", envvar="SHIPPY_TOKEN", help="Access token from 'user-cli auth' (default: $SHIPPY_TOKEN)."
)


@click.group(cls=BookByDefault, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Book consignments from JSON files, follow them, cancel them.

    consignment-cli FILE [TOKEN] is consignment-cli book FILE [TOKEN].
    The API is at $SHIPPY_API_URL (default http://127.0.0.1:8080); each
    request waits up to $SHIPPY_API_TIMEOUT seconds (default 30).
    Exit status: 0 ok, 1 refused or failed, 2 bad usage or input.
    """


@cli.command("book")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.argument("token_argument", metavar="[TOKEN]", required=False)
@token_option
@json_option
@reports_errors
def book_command(file: Path, token_argument: str | None, token: str | None, as_json: bool) -> None:
    """Book the consignment described in FILE, then list your consignments.

    Without an "id" in FILE, the booking's id is chosen here and kept until
    the booking succeeds, for FILE's exact content and your account, in the
    state folder ($SHIPPY_CLI_STATE_DIR, else $XDG_STATE_HOME/shippy, else
    ~/.local/state/shippy): running the command again after a timeout, a
    server error or an unreachable API sends the same id and books once;
    running it again after a success books a new consignment. With an "id"
    in FILE, every run is that one booking.

    Exit status: 0 booked, 1 refused or failed (invalid token, no vessel with
    room, API unreachable or failing), 2 bad usage or a bad FILE.
    """
    token = token_argument or token
    if not token:
        raise ClientError("no token: pass it after the file, with --token, or in SHIPPY_TOKEN", EXIT_USAGE)
    consignment, content = read_consignment(file)
    with connect(token) as api:
        created = book(api, consignment, content, token, BookingIds.in_state_folder(warn))
        mine = my_consignments(api)
    if as_json:
        print_json({"created": created, "consignments": mine})
        return
    click.echo("booked " + "\n".join(describe(created)))
    click.echo(f"\nyour consignments ({len(mine)}), newest first:")
    click.echo("\n".join(one_line_each(mine)))


@cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only consignments in this status.")
@token_option
@json_option
@reports_errors
def list_command(status: str | None, token: str | None, as_json: bool) -> None:
    """Your consignments, newest first: reference, status, vessel, weight, description, id."""
    with connect(_require_token(token)) as api:
        mine = my_consignments(api, status)
    if as_json:
        print_json(mine)
        return
    what = f"{status} consignments" if status else "consignments"
    click.echo(f"your {what} ({len(mine)}), newest first:")
    if mine:
        click.echo("\n".join(one_line_each(mine)))


@cli.command("show")
@click.argument("consignment_id")
@token_option
@json_option
@reports_errors
def show_command(consignment_id: str, token: str | None, as_json: bool) -> None:
    """One of your consignments by its id: status, vessel and timeline."""
    with connect(_require_token(token)) as api:
        found = api.call("GET", _consignment_path(consignment_id), expect=SHOWN_FIELDS)
    _print(found, as_json)


@cli.command("track")
@click.argument("reference")
@token_option
@json_option
@reports_errors
def track_command(reference: str, token: str | None, as_json: bool) -> None:
    """One of your consignments by its tracking reference (as in its mails)."""
    with connect(_require_token(token)) as api:
        found = api.call("GET", "/v1/tracking/" + quote(reference.strip(), safe=""), expect=SHOWN_FIELDS)
    _print(found, as_json)


@cli.command("cancel")
@click.argument("consignment_id")
@token_option
@json_option
@reports_errors
def cancel_command(consignment_id: str, token: str | None, as_json: bool) -> None:
    """Cancel a consignment that has not sailed; its room goes back to its vessel.
    Running it again on a cancelled consignment just shows it."""
    with connect(_require_token(token)) as api:
        cancelled = api.call("POST", _consignment_path(consignment_id) + "/cancellation", expect=SHOWN_FIELDS)
    _print(cancelled, as_json, "cancelled ")


@cli.command("deliver")
@click.argument("consignment_id")
@token_option
@json_option
@reports_errors
def deliver_command(consignment_id: str, token: str | None, as_json: bool) -> None:
    """Mark an arrived consignment delivered (admins only)."""
    with connect(_require_token(token)) as api:
        delivered = api.call("POST", _consignment_path(consignment_id) + "/delivery", expect=SHOWN_FIELDS)
    _print(delivered, as_json, "delivered ")


def _print(consignment: dict[str, Any], as_json: bool, verb: str = "") -> None:
    if as_json:
        print_json(consignment)
    else:
        click.echo(verb + "\n".join(describe(consignment)))
