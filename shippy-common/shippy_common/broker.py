"""Shippy's RabbitMQ accounts: one per service, one for the gateway and one for
operators, each allowed only what it does; and ``shippy-broker-accounts``, the
console script that applies them through the management API.

What RabbitMQ checks, per vhost, against an account's regular expressions:

- configure: declaring or deleting a queue or an exchange (its name);
- write: publishing to an exchange (the exchange's name; the default exchange
  is ``amq.default``), binding a queue (the queue's name);
- read: consuming from or purging a queue (its name), binding a queue to an
  exchange (the exchange's name);
- topic permissions on a topic exchange: write when publishing (the routing
  key), read when binding or unbinding a queue (the binding key). An account
  with no topic permission on an exchange may use any key there, so every
  account below has one on ``nameko-rpc``.

nameko 2.14's names (``nameko.rpc``, ``nameko.standalone.rpc``), and ours:

- the topic exchange ``nameko-rpc``; a call is a message routed by
  ``<service>.<method>``;
- a service's queue ``rpc-<service>``, bound to the key of each of its methods
  (``shippy_common.rpc``), and user_service's slow lane ``rpc-user_service-slow``;
- a caller's reply queue ``rpc.reply-<caller>-<uuid4>``, bound to the uuid (with
  dashes), which is the ``reply_to`` of its calls: ``<caller>`` is the calling
  service's name, or ``standalone_rpc_proxy`` for ``ClusterRpcProxy`` (``nameko
  shell``); the gateway's is ``rpc.reply-gateway-<32 hex digits>``, bound to the
  32 hex digits (``gateway_service.rpc``).

So a reply key is a uuid (:data:`UUID`) or 32 hex digits (:data:`HEX32`), and no
binding key an account may use contains ``#``, or ``*`` outside its own
service's keys: nobody can bind a queue that receives other accounts' calls or
replies. The administrator (``shippy-admin``) has every right and no topic
permission; it sets the accounts up, and the tests and the bench make their
vhosts with it; no service runs with it.

The module imports only the standard library: the test plugin loads it before
eventlet's monkey patch.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shippy_common.files import write_whole

EXCHANGE = "nameko-rpc"
#: A reply key of a nameko caller (``str(uuid.uuid4())``).
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: A reply key of the gateway (``uuid.uuid4().hex``).
HEX32 = "[0-9a-f]{32}"
#: Every key a reply may be sent to (``shippy_common.rpc`` drops a call whose
#: ``reply_to`` is not one: its answer would be refused, and the service with it).
REPLY_KEY = re.compile(f"{UUID}|{HEX32}")
#: A method name in a service's own binding keys (``*``: the binding
#: ``<service>.*`` of queues declared before per-method keys, which services unbind).
_METHOD = "[A-Za-z0-9_*]+"

#: What the gateway calls (its routes and ``GET /ready``): the public RPCs.
PUBLIC_CALLS: dict[str, tuple[str, ...]] = {
    "user_service": ("create", "auth", "validate_token", "get", "get_all"),
    "consignment_service": (
        "create_consignment",
        "get_consignments",
        "get_consignment",
        "list_consignments",
        "track",
        "cancel_consignment",
        "mark_delivered",
        "depart_vessel",
        "arrive_vessel",
    ),
    "vessel_service": ("create", "retire", "list_vessels"),
}
#: What consignment_service calls: token checks and the vessel ledger.
CONSIGNMENT_CALLS: dict[str, tuple[str, ...]] = {
    "user_service": ("validate_token",),
    "vessel_service": ("book", "release", "bookings_between", "depart", "arrive", "voyage"),
}
#: What an operator calls from ``nameko shell`` beyond the public RPCs.
OPERATOR_CALLS: dict[str, tuple[str, ...]] = {
    **PUBLIC_CALLS,
    "vessel_service": (*PUBLIC_CALLS["vessel_service"], "find_available"),
}

ADMIN_USER = "shippy-admin"
DEFAULT_AMQP_ADDRESS = "127.0.0.1:5672"
DEFAULT_API_ADDRESS = "127.0.0.1:15672"


def _calls(calls: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [rf"{service}\.({'|'.join(methods)})" for service, methods in calls.items()]


def _one_of(*alternatives: str) -> str:
    return "^" + alternatives[0] + "$" if len(alternatives) == 1 else "^(" + "|".join(alternatives) + ")$"


def _reply_queue(caller: str, key: str) -> str:
    return rf"rpc\.reply-{caller}-{key}"


@dataclass(frozen=True)
class Account:
    """One RabbitMQ user and what it may do on a vhost and on ``nameko-rpc``."""

    #: The name in settings: ``AMQP_URI_<KEY>``, ``SHIPPY_RABBITMQ_<KEY>_PASSWORD``.
    key: str
    user: str
    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str
    #: Who runs with it.
    used_by: str

    @property
    def password_variable(self) -> str:
        return f"SHIPPY_RABBITMQ_{self.key}_PASSWORD"

    @property
    def uri_variable(self) -> str:
        return f"AMQP_URI_{self.key}"


def _service(
    key: str, user: str, service: str, queues: list[str], calls: Mapping[str, tuple[str, ...]] | None = None
) -> Account:
    """A nameko service: its queues (and reply queue, if it calls anyone), answers to any caller."""
    calls = calls or {}
    names = _one_of(EXCHANGE, *queues, *([_reply_queue(service, UUID)] if calls else []))
    return Account(
        key=key,
        user=user,
        configure=names,
        write=names,
        read=names,
        topic_write=_one_of(HEX32, UUID, *_calls(calls)),
        topic_read=_one_of(rf"{service}\.{_METHOD}", *([UUID] if calls else [])),
        used_by=f"{service} (make run: {key.lower()})",
    )


#: Every account but the administrator.
ACCOUNTS: tuple[Account, ...] = (
    _service(
        "VESSEL", "vessel-service", "vessel_service", ["rpc-vessel_service"], {"user_service": ("validate_token",)}
    ),
    _service("USER", "user-service", "user_service", ["rpc-user_service", "rpc-user_service-slow"]),
    _service(
        "CONSIGNMENT", "consignment-service", "consignment_service", ["rpc-consignment_service"], CONSIGNMENT_CALLS
    ),
    Account(
        key="GATEWAY",
        user="gateway-service",
        # No configure right on the exchange: the gateway declares it passively.
        configure=_one_of(_reply_queue("gateway", HEX32)),
        write=_one_of(EXCHANGE, _reply_queue("gateway", HEX32)),
        read=_one_of(EXCHANGE, _reply_queue("gateway", HEX32)),
        topic_write=_one_of(*_calls(PUBLIC_CALLS)),
        topic_read=_one_of(HEX32),
        used_by="gateway-service",
    ),
    Account(
        key="OPERATOR",
        user="operator",
        configure=_one_of(EXCHANGE, _reply_queue("standalone_rpc_proxy", UUID)),
        write=_one_of(EXCHANGE, _reply_queue("standalone_rpc_proxy", UUID)),
        read=_one_of(EXCHANGE, _reply_queue("standalone_rpc_proxy", UUID)),
        topic_write=_one_of(*_calls(OPERATOR_CALLS)),
        topic_read=_one_of(UUID),
        used_by="nameko shell (people)",
    ),
)
ACCOUNTS_BY_KEY = {account.key: account for account in ACCOUNTS}


class BrokerSetupError(Exception):
    """The accounts could not be applied; the message says why, in one line."""


# ---------------------------------------------------------------- the accounts file


def accounts_file(root: str | os.PathLike[str] = ".") -> Path:
    """Where ``make infra`` keeps the local broker's accounts: ``$SHIPPY_INFRA_DIR/rabbitmq/accounts.env``
    (``SHIPPY_INFRA_DIR`` relative to ``root``; default ``.infra``)."""
    return Path(root) / os.environ.get("SHIPPY_INFRA_DIR", ".infra") / "rabbitmq" / "accounts.env"


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """``KEY=value`` lines (no quoting; ``#`` comments); ``{}`` if there is no file."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {}
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value
    return values


def amqp_uri(user: str, password: str, address: str = DEFAULT_AMQP_ADDRESS, vhost: str = "/") -> str:
    path = "" if vhost == "/" else urllib.parse.quote(vhost, safe="")
    return f"pyamqp://{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@{address}/{path}"


def api_uri(user: str, password: str, address: str = DEFAULT_API_ADDRESS) -> str:
    return f"http://{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@{address}"


def write_env_file(
    path: str | os.PathLike[str],
    *,
    amqp_address: str = DEFAULT_AMQP_ADDRESS,
    api_address: str = DEFAULT_API_ADDRESS,
    as_guest: bool = False,
) -> dict[str, str]:
    """Write (mode 0600) the accounts file: a password per account, kept from the
    file already there or made now, and each account's ``AMQP_URI_<KEY>``. With
    ``as_guest``, every URI signs in as ``guest`` (a broker make infra did not
    start and cannot set up); the passwords are kept for when it can."""
    path = Path(path)
    old = read_env_file(path)
    admin_user = old.get("SHIPPY_RABBITMQ_ADMIN_USER") or ADMIN_USER
    passwords = {"ADMIN": old.get("SHIPPY_RABBITMQ_ADMIN_PASSWORD") or secrets.token_urlsafe(32)}
    for account in ACCOUNTS:
        passwords[account.key] = old.get(account.password_variable) or secrets.token_urlsafe(32)
    logins = {"ADMIN": (admin_user, passwords["ADMIN"])}
    logins.update({account.key: (account.user, passwords[account.key]) for account in ACCOUNTS})
    if as_guest:
        logins = {key: ("guest", "guest") for key in logins}
    lines = [
        "# Shippy's RabbitMQ accounts on the local broker: written by make infra (infra/infra.sh),",
        "# read by make run (infra/with-broker-account), the tests and the bench. Secret: keep it 0600.",
        *([] if not as_guest else ["# This broker was not set up by make infra: every URI signs in as guest."]),
        f"SHIPPY_RABBITMQ_ADMIN_USER={admin_user}",
        f"SHIPPY_RABBITMQ_ADMIN_PASSWORD={passwords['ADMIN']}",
        *(f"{account.password_variable}={passwords[account.key]}" for account in ACCOUNTS),
        f"RABBITMQ_API_URI_ADMIN={api_uri(*logins['ADMIN'], api_address)}",
        f"AMQP_URI_ADMIN={amqp_uri(*logins['ADMIN'], amqp_address)}",
        *(f"{account.uri_variable}={amqp_uri(*logins[account.key], amqp_address)}" for account in ACCOUNTS),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, ("\n".join(lines) + "\n").encode())
    return read_env_file(path)


def local_admin(root: str | os.PathLike[str] = ".") -> tuple[str, str]:
    """The local broker's administrator from the accounts file, else ``guest``."""
    values = read_env_file(accounts_file(root))
    user, password = values.get("SHIPPY_RABBITMQ_ADMIN_USER"), values.get("SHIPPY_RABBITMQ_ADMIN_PASSWORD")
    if user and password and "guest@" not in values.get("AMQP_URI_ADMIN", ""):
        return user, password
    return "guest", "guest"


# ---------------------------------------------------------------- the management API


class ManagementApi:
    """The RabbitMQ management HTTP API, as one user (never through a proxy)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 10) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self._authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.timeout = timeout

    @classmethod
    def from_uri(cls, uri: str) -> ManagementApi:
        """From ``http://user:password@host:port`` (nameko's ``--rabbit-api-uri``)."""
        parts = urllib.parse.urlsplit(uri)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return cls(
            urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", "")),
            urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password or ""),
        )

    def request(self, method: str, *path: str, body: Any = None, missing_ok: bool = False) -> Any:
        url = self.url + "/api/" + "/".join(urllib.parse.quote(part, safe="") for part in path)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", self._authorization)
        request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                content = response.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return None
            detail = " ".join(exc.read()[:300].decode(errors="replace").split())
            raise BrokerSetupError(f"{method} /api/{'/'.join(path)} as {self.user}: {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BrokerSetupError(f"the RabbitMQ management API at {self.url} does not answer ({reason})") from None
        return json.loads(content) if content else None

    def is_administrator(self) -> bool:
        """Whether this user signs in and has the ``administrator`` tag."""
        try:
            me = self.request("GET", "whoami")
        except BrokerSetupError:
            return False
        tags = me.get("tags", []) if isinstance(me, dict) else []
        return "administrator" in (tags.split(",") if isinstance(tags, str) else tags)

    def user_exists(self, name: str) -> bool:
        return self.request("GET", "users", name, missing_ok=True) is not None


def apply(
    api: ManagementApi,
    vhost: str,
    passwords: Mapping[str, str],
    *,
    user_prefix: str = "",
    delete_guest: bool = False,
) -> list[str]:
    """Make every account of :data:`ACCOUNTS` (named ``user_prefix + user``) with
    its password (``passwords[key]``) and exactly its rights on ``vhost``; give
    ``api``'s own user every right there; declare ``nameko-rpc``, so that the
    gateway (which may only declare it passively) can start before any service.
    Idempotent. Returns what it did, a line each."""
    missing = [account.password_variable for account in ACCOUNTS if not passwords.get(account.key)]
    if missing:
        raise BrokerSetupError(f"no password for {', '.join(missing)}")
    done = []
    api.request("PUT", "vhosts", vhost, body={})
    api.request("PUT", "permissions", vhost, api.user, body={"configure": ".*", "write": ".*", "read": ".*"})
    api.request(
        "PUT",
        "exchanges",
        vhost,
        EXCHANGE,
        body={"type": "topic", "durable": True, "auto_delete": False, "internal": False, "arguments": {}},
    )
    for account in ACCOUNTS:
        user = user_prefix + account.user
        api.request("PUT", "users", user, body={"password": passwords[account.key], "tags": ""})
        api.request(
            "PUT",
            "permissions",
            vhost,
            user,
            body={"configure": account.configure, "write": account.write, "read": account.read},
        )
        api.request(
            "PUT",
            "topic-permissions",
            vhost,
            user,
            body={"exchange": EXCHANGE, "write": account.topic_write, "read": account.topic_read},
        )
        done.append(f"account {user}: set on vhost {vhost}")
    if delete_guest:
        if api.user == "guest":
            raise BrokerSetupError("will not delete guest while signed in as guest")
        api.request("DELETE", "users", "guest", missing_ok=True)
        done.append("guest: deleted (or was already gone)")
    elif api.user_exists("guest"):
        done.append("guest: still exists (delete it: rabbitmqctl delete_user guest)")
    return done


def delete_users(api: ManagementApi, user_prefix: str) -> None:
    """Delete the accounts :func:`apply` made with ``user_prefix`` (tests)."""
    for account in ACCOUNTS:
        api.request("DELETE", "users", user_prefix + account.user, missing_ok=True)


# ---------------------------------------------------------------- console script


def _passwords(values: Mapping[str, str]) -> dict[str, str]:
    """Each account's password: ``SHIPPY_RABBITMQ_<KEY>_PASSWORD`` from the environment, else the file."""
    return {
        account.key: os.environ.get(account.password_variable) or values.get(account.password_variable, "")
        for account in ACCOUNTS
    }


def _admin_api(args: argparse.Namespace, values: Mapping[str, str]) -> ManagementApi:
    user = os.environ.get("SHIPPY_RABBITMQ_ADMIN_USER") or values.get("SHIPPY_RABBITMQ_ADMIN_USER") or ADMIN_USER
    password = os.environ.get("SHIPPY_RABBITMQ_ADMIN_PASSWORD") or values.get("SHIPPY_RABBITMQ_ADMIN_PASSWORD")
    if not password:
        raise BrokerSetupError("no administrator password: set SHIPPY_RABBITMQ_ADMIN_PASSWORD or pass --env-file")
    return ManagementApi(args.management_url, user, password)


def _table() -> str:
    def cell(regex: str) -> str:
        return "`" + regex.replace("|", "\\|") + "`"

    rows = ["| account (user) | configure | write | read | topic write on nameko-rpc | topic read on nameko-rpc |"]
    rows.append("| --- | --- | --- | --- | --- | --- |")
    rows.append(f"| `{ADMIN_USER}` (administrator tag) | `.*` | `.*` | `.*` | (none: any key) | (none: any key) |")
    for a in ACCOUNTS:
        rows.append(
            f"| `{a.user}` | {cell(a.configure)} | {cell(a.write)} | {cell(a.read)} "
            f"| {cell(a.topic_write)} | {cell(a.topic_read)} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Console script ``shippy-broker-accounts``."""
    parser = argparse.ArgumentParser(
        prog="shippy-broker-accounts",
        description="Shippy's RabbitMQ accounts: a user per service, the gateway and operators, "
        "each with only the rights it needs. Passwords never go on a command line: they come from "
        "SHIPPY_RABBITMQ_<ACCOUNT>_PASSWORD or from the accounts file.",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="the accounts file (default: $SHIPPY_INFRA_DIR/rabbitmq/accounts.env)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write the accounts file: passwords (kept if there) and URIs")
    init.add_argument("--amqp-address", default=DEFAULT_AMQP_ADDRESS)
    init.add_argument("--api-address", default=DEFAULT_API_ADDRESS)
    init.add_argument("--as-guest", action="store_true", help="every URI signs in as guest (a broker not set up)")
    probe = commands.add_parser("probe", help="print who administers the broker: admin, guest or none")
    probe.add_argument("--management-url", default=f"http://{DEFAULT_API_ADDRESS}")
    do = commands.add_parser("apply", help="create or update every account on a vhost (idempotent)")
    do.add_argument("--management-url", default=f"http://{DEFAULT_API_ADDRESS}")
    do.add_argument("--vhost", default="/")
    do.add_argument("--delete-guest", action="store_true", help="delete the default guest user")
    uri = commands.add_parser("uri", help="print an account's AMQP URI from the accounts file")
    uri.add_argument("account", type=str.upper, choices=["ADMIN", *ACCOUNTS_BY_KEY])
    commands.add_parser("table", help="print the accounts and their rights (Markdown)")
    args = parser.parse_args(argv)
    env_file = args.env_file or accounts_file()
    try:
        if args.command == "init":
            write_env_file(
                env_file, amqp_address=args.amqp_address, api_address=args.api_address, as_guest=args.as_guest
            )
            print(f"accounts file: {env_file}")
        elif args.command == "probe":
            values = read_env_file(env_file)
            admin = values.get("SHIPPY_RABBITMQ_ADMIN_PASSWORD")
            if admin and _admin_api(args, values).is_administrator():
                print("admin")
            elif ManagementApi(args.management_url, "guest", "guest").is_administrator():
                print("guest")
            else:
                print("none")
        elif args.command == "apply":
            values = read_env_file(env_file)
            for line in apply(_admin_api(args, values), args.vhost, _passwords(values), delete_guest=args.delete_guest):
                print(line)
        elif args.command == "uri":
            value = read_env_file(env_file).get(f"AMQP_URI_{args.account}")
            if not value:
                raise BrokerSetupError(f"no AMQP_URI_{args.account} in {env_file}; run make infra")
            print(value)
        else:
            print(_table())
    except BrokerSetupError as exc:
        print(f"shippy-broker-accounts: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
