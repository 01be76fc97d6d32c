"""Console script ``user-service-admin``: give an account the admin role or
take it away.

It talks to user_service's database directly, not over RPC: the first admin
has to come from somewhere, and it comes from an operator who can reach the
database, not from a token. Roles are looked up on every token check, so a
change holds for the account's next call.

    user-service-admin promote --email E
    user-service-admin demote --email E

Exit codes as the other CLIs: 0 done, 1 refused (no such account, database
unreachable), 2 bad usage or configuration; every failure is one line.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from shippy_common.auth import ADMIN, CUSTOMER
from shippy_common.client import EXIT_REFUSED, EXIT_USAGE, fail
from shippy_common.config import ConfigError, load_config
from shippy_common.servers import describe_failure, servers_from_config

ROLE_OF_COMMAND = {"promote": ADMIN, "demote": CUSTOMER}


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see {self.prog} --help)", EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="user-service-admin", description="Give an account a role, as an operator.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{promote,demote}")
    for command, role in ROLE_OF_COMMAND.items():
        sub = commands.add_parser(command, help=f"make the account {'an' if role == ADMIN else 'a'} {role}")
        sub.add_argument("--email", required=True, help="the account's email address, in any letter case")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    role = ROLE_OF_COMMAND[args.command]

    from user_service.domain import email_key
    from user_service.main import CONFIG_FILE
    from user_service.migrations import upgrade
    from user_service.repository import UserDatabase, UserRepository
    from user_service.settings import DatabaseSettings

    try:
        config = load_config(CONFIG_FILE)
        settings = DatabaseSettings.from_config(config)
        (database,) = servers_from_config(config, ["postgres"])
    except ConfigError as exc:
        fail(f"configuration error: {exc}", EXIT_USAGE)
    try:
        database.check()
    except Exception as exc:
        fail(f"cannot reach PostgreSQL at {database.address} ({describe_failure(exc)})", EXIT_REFUSED)
    upgrade(settings.url)
    users = UserDatabase(settings.url, pool_size=1)
    try:
        user = UserRepository(users).set_role(email_key(args.email), role)
    finally:
        users.close()
    if user is None:
        fail(f"no account for {args.email}", EXIT_REFUSED)
    print(f"{user.email} ({user.id}) is now {'an' if role == ADMIN else 'a'} {role}")
