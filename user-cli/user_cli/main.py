"""user-cli: create accounts, get a token, look users up.

    user-cli create --name N --email E --company C [--password P]
    TOKEN=$(user-cli auth --email E [--password P])
    user-cli list --token "$TOKEN"          (admins only; or SHIPPY_TOKEN=...)
    user-cli get ID --token "$TOKEN"        (yourself, or anyone for an admin)

Talks to user_service over RabbitMQ at $AMQP_URI (default: the local broker).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from shippy_common.client import EXIT_USAGE, ClientError, cluster, print_json, reports_errors

#: Users asked for per call by ``list`` (user_service's largest page).
PAGE_SIZE = 200

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
token_option = click.option(
    "--token",
    envvar="SHIPPY_TOKEN",
    help="Access token from 'user-cli auth' (default: $SHIPPY_TOKEN).",
)


def _require_token(token: str | None) -> str:
    if not token:
        raise ClientError("no token: pass --token or set SHIPPY_TOKEN (get one with 'user-cli auth')", EXIT_USAGE)
    return token


def _describe(user: dict[str, Any]) -> str:
    return f"{user['id']}  {user['name']} <{user['email']}>, {user['company']}"


def _every_user(rpc: Any) -> Iterator[dict[str, Any]]:
    """Every user, page after page of ``get_all``."""
    cursor = None
    while True:
        page = rpc.user_service.get_all(limit=PAGE_SIZE, cursor=cursor)
        yield from page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Shippy accounts: create users, sign in, look users up."""


@cli.command()
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True, help="Email address; one account per address, whatever its case.")
@click.option("--company", required=True, help="Company name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="8 to 72 bytes; prompted for (without echo) when not given.",
)
@json_option
@reports_errors
def create(name: str, email: str, company: str, password: str, as_json: bool) -> None:
    """Create an account."""
    with cluster() as rpc:
        user = rpc.user_service.create({"name": name, "email": email, "company": company, "password": password})
    if as_json:
        print_json(user)
    else:
        click.echo(f"created {_describe(user)}")


@cli.command()
@click.option("--email", required=True, help="The account's email address.")
@click.option("--password", prompt=True, hide_input=True, help="Prompted for (without echo) when not given.")
@json_option
@reports_errors
def auth(email: str, password: str, as_json: bool) -> None:
    """Sign in; prints the access token alone, for TOKEN=$(user-cli auth ...)."""
    with cluster() as rpc:
        answer = rpc.user_service.auth(email, password)
    if as_json:
        print_json(answer)
    else:
        click.echo(answer["token"])


@cli.command()
@click.argument("user_id", metavar="ID")
@token_option
@json_option
@reports_errors
def get(user_id: str, token: str | None, as_json: bool) -> None:
    """Show one user: yourself, or anyone if you are an admin."""
    with cluster(_require_token(token)) as rpc:
        user = rpc.user_service.get(user_id)
    if as_json:
        print_json(user)
    else:
        click.echo(_describe(user))


@cli.command(name="list")
@token_option
@json_option
@reports_errors
def list_users(token: str | None, as_json: bool) -> None:
    """List every user (admins only)."""
    with cluster(_require_token(token)) as rpc:
        if as_json:
            print_json(list(_every_user(rpc)))
        else:
            for user in _every_user(rpc):
                click.echo(_describe(user))
