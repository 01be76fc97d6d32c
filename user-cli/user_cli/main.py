"""user-cli: create accounts, get a token, look users up.

    user-cli create --name N --email E --company C [--password P]
    TOKEN=$(user-cli auth --email E [--password P])
    user-cli list --token "$TOKEN"          (admins only; or SHIPPY_TOKEN=...)
    user-cli get ID --token "$TOKEN"        (yourself, or anyone for an admin)

Talks HTTP to the Shippy API (gateway-service) at $SHIPPY_API_URL (default
http://127.0.0.1:8080); each request waits up to $SHIPPY_API_TIMEOUT seconds
(default 30). Needs no broker credentials. Exit codes: 0 ok, 1 refused or
failed, 2 bad usage or input (see ``shippy_common.client``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import click

from shippy_common.client import EXIT_USAGE, ApiClient, ClientError, connect, print_json, reports_errors

#: Users asked for per request by ``list`` (the API's largest page).
PAGE_SIZE = 200
#: What every user the API answers must hold for the lines printed here.
USER_FIELDS = ("id", "name", "email", "company")

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


def _every_user(api: ApiClient) -> Iterator[dict[str, Any]]:
    """Every user, page after page of ``GET /v1/users``."""
    return api.pages("/v1/users", PAGE_SIZE, expect=USER_FIELDS)


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
    with connect() as api:
        account = {"name": name, "email": email, "company": company, "password": password}
        user = api.call("POST", "/v1/users", body=account, expect=USER_FIELDS)
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
    with connect() as api:
        answer = api.call("POST", "/v1/tokens", body={"email": email, "password": password}, expect=("token",))
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
    if not user_id.strip():
        raise ClientError("ID must not be empty", EXIT_USAGE)
    with connect(_require_token(token)) as api:
        user = api.call("GET", f"/v1/users/{quote(user_id, safe='')}", expect=USER_FIELDS)
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
    with connect(_require_token(token)) as api:
        if as_json:
            print_json(list(_every_user(api)))
        else:
            for user in _every_user(api):
                click.echo(_describe(user))
