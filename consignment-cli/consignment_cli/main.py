"""consignment-cli: book the consignment in a JSON file, then list yours.

    consignment-cli consignment.json <token>
    consignment-cli consignment.json --token <token>     (or SHIPPY_TOKEN=...)

Without an "id" in the file, one is chosen here, so that a retry of the same
run cannot book twice. Talks to consignment_service over RabbitMQ at $AMQP_URI.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import click

from shippy_common.client import EXIT_USAGE, ClientError, cluster, print_json, reports_errors

MAX_FILE_BYTES = 1_000_000


def read_consignment(path: Path) -> dict[str, Any]:
    """The consignment in ``path``, with an id; ``ClientError`` (exit 2) if unusable."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ClientError(f"{path} is larger than {MAX_FILE_BYTES} bytes", EXIT_USAGE)
        text = path.read_text(encoding="utf-8")
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
    consignment.setdefault("id", str(uuid.uuid4()))
    return consignment


def describe(consignment: dict[str, Any]) -> list[str]:
    containers = consignment["containers"]
    lines = [
        f"consignment {consignment['id']}",
        f"  vessel      {consignment['vessel_id']}",
        f"  weight      {consignment['weight']}",
        f"  description {consignment['description']}",
        f"  containers  {len(containers)}",
    ]
    lines += [f"    - {c['customer_id']} from {c['origin']}" for c in containers]
    return lines


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.argument("token_argument", metavar="[TOKEN]", required=False)
@click.option("--token", envvar="SHIPPY_TOKEN", help="Access token from 'user-cli auth' (default: $SHIPPY_TOKEN).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@reports_errors
def cli(file: Path, token_argument: str | None, token: str | None, as_json: bool) -> None:
    """Book the consignment described in FILE, then list your consignments."""
    token = token_argument or token
    if not token:
        raise ClientError("no token: pass it after the file, with --token, or in SHIPPY_TOKEN", EXIT_USAGE)
    consignment = read_consignment(file)
    with cluster(token) as rpc:
        created = rpc.consignment_service.create_consignment(consignment)
        mine = rpc.consignment_service.get_consignments()
    if as_json:
        print_json({"created": created, "consignments": mine})
        return
    click.echo("booked " + "\n".join(describe(created)))
    click.echo(f"\nyour consignments ({len(mine)}), newest first:")
    for item in mine:
        click.echo(f"  {item['id']}  {item['vessel_id']}  weight {item['weight']}  {item['description']}")
