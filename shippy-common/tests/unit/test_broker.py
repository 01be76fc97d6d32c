"""The broker accounts as RabbitMQ evaluates them (an unanchored regex search, as
Erlang's re:run does), and the accounts file make infra writes.

tests/integration/test_broker_access.py proves the same denials on a real RabbitMQ."""

import os
import re
import stat
import uuid

import pytest

from shippy_common import broker
from shippy_common.broker import ACCOUNTS, ACCOUNTS_BY_KEY, REPLY_KEY

VESSEL, USER, CONSIGNMENT, GATEWAY, OPERATOR = (ACCOUNTS_BY_KEY[key] for key in broker.ACCOUNTS_BY_KEY)
SERVICE_QUEUES = {
    "rpc-vessel_service": VESSEL,
    "rpc-user_service": USER,
    "rpc-user_service-slow": USER,
    "rpc-consignment_service": CONSIGNMENT,
}


def allows(regex, name):
    return re.search(regex, name) is not None


def test_every_regex_is_anchored_and_compiles():
    for account in ACCOUNTS:
        for regex in (account.configure, account.write, account.read, account.topic_write, account.topic_read):
            re.compile(regex)
            assert regex.startswith("^") and regex.endswith("$"), (account.user, regex)


def test_reply_keys_are_what_nameko_and_the_gateway_bind():
    assert REPLY_KEY.fullmatch(str(uuid.uuid4()))
    assert REPLY_KEY.fullmatch(uuid.uuid4().hex)
    for key in ("user_service.auth", "#", "*", "raw-replies-1", str(uuid.uuid4()).upper(), "", "a" * 32 + "."):
        assert not REPLY_KEY.fullmatch(key), key


def test_only_a_service_may_consume_or_bind_its_own_queues():
    for queue, owner in SERVICE_QUEUES.items():
        for account in ACCOUNTS:
            mine = account is owner
            assert allows(account.read, queue) is mine, (account.user, queue)  # consume, purge
            assert allows(account.write, queue) is mine, (account.user, queue)  # bind
            assert allows(account.configure, queue) is mine, (account.user, queue)  # declare, delete


def test_nobody_publishes_through_the_default_exchange_or_binds_elsewhere():
    for account in ACCOUNTS:
        for exchange in ("amq.default", "amq.topic", "amq.direct", "amq.fanout", "amq.headers", "nameko-rpc-2"):
            assert not allows(account.write, exchange), (account.user, exchange)
            assert not allows(account.read, exchange), (account.user, exchange)


def test_the_gateway_cannot_declare_or_delete_the_exchange_and_services_can():
    assert not allows(GATEWAY.configure, "nameko-rpc")
    assert allows(GATEWAY.write, "nameko-rpc") and allows(GATEWAY.read, "nameko-rpc")
    for account in (VESSEL, USER, CONSIGNMENT, OPERATOR):
        assert allows(account.configure, "nameko-rpc"), account.user


def test_only_consignment_service_may_call_the_vessel_ledger():
    for method in ("book", "release", "bookings_between", "depart", "arrive", "voyage"):
        callers = [account.user for account in ACCOUNTS if allows(account.topic_write, f"vessel_service.{method}")]
        assert callers == ["consignment-service"], method


def test_the_gateway_calls_exactly_the_public_rpcs():
    public = [f"{service}.{method}" for service, methods in broker.PUBLIC_CALLS.items() for method in methods]
    for key in public:
        assert allows(GATEWAY.topic_write, key), key
    for key in (
        "vessel_service.book",
        "vessel_service.release",
        "vessel_service.depart",
        "vessel_service.find_available",
        "user_service.creat",
        "user_service.create.x",
        "xuser_service.create",
        "user_service.*",
        "#",
        str(uuid.uuid4()),
        uuid.uuid4().hex,
    ):
        assert not allows(GATEWAY.topic_write, key), key


def test_operators_call_the_public_rpcs_and_the_fleet_but_not_the_ledger():
    assert allows(OPERATOR.topic_write, "vessel_service.create")
    assert allows(OPERATOR.topic_write, "vessel_service.find_available")
    assert allows(OPERATOR.topic_write, "user_service.auth")
    assert not allows(OPERATOR.topic_write, "vessel_service.book")


def test_services_answer_any_caller_and_call_nothing_else():
    for account in (VESSEL, USER):
        assert allows(account.topic_write, str(uuid.uuid4())) and allows(account.topic_write, uuid.uuid4().hex)
        for key in ("vessel_service.book", "user_service.auth", "consignment_service.get_consignments", "#"):
            assert not allows(account.topic_write, key), (account.user, key)
    assert allows(CONSIGNMENT.topic_write, "user_service.validate_token")
    assert not allows(CONSIGNMENT.topic_write, "user_service.auth")


@pytest.mark.parametrize(
    "key", ["#", "*", "*.*", "user_service.#", "user_service.*", "user_service.auth", "vessel_service.book", "a.#"]
)
def test_nobody_binds_a_key_that_snoops_on_another_accounts_calls(key):
    service = key.partition(".")[0]
    for account in ACCOUNTS:
        owner = account.user == service.replace("_", "-")
        if not owner:
            assert not allows(account.topic_read, key), (account.user, key)


def test_a_service_binds_its_own_method_keys_and_unbinds_the_old_wildcard():
    assert allows(USER.topic_read, "user_service.auth")
    assert allows(USER.topic_read, "user_service.*")
    assert not allows(USER.topic_read, "user_service.#")
    assert allows(CONSIGNMENT.topic_read, str(uuid.uuid4()))  # its reply queue
    assert not allows(CONSIGNMENT.topic_read, uuid.uuid4().hex)  # the gateway's replies
    assert not allows(OPERATOR.topic_read, uuid.uuid4().hex)
    assert not allows(GATEWAY.topic_read, str(uuid.uuid4()))


def test_reply_queues_are_the_callers_own():
    reply = str(uuid.uuid4())
    assert allows(CONSIGNMENT.configure, f"rpc.reply-consignment_service-{reply}")
    assert allows(OPERATOR.configure, f"rpc.reply-standalone_rpc_proxy-{reply}")
    assert allows(GATEWAY.configure, f"rpc.reply-gateway-{uuid.uuid4().hex}")
    for account in (VESSEL, USER, GATEWAY):
        assert not allows(account.configure, f"rpc.reply-consignment_service-{reply}"), account.user
    assert not allows(GATEWAY.configure, "snoop")
    assert not allows(GATEWAY.configure, f"rpc.reply-gateway-{uuid.uuid4().hex}x")


def test_the_accounts_file_is_private_keeps_its_passwords_and_has_a_uri_each(tmp_path):
    path = tmp_path / "rabbitmq" / "accounts.env"
    first = broker.write_env_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first["SHIPPY_RABBITMQ_ADMIN_USER"] == "shippy-admin"
    for account in ACCOUNTS:
        password = first[account.password_variable]
        assert len(password) >= 40
        assert first[account.uri_variable] == f"pyamqp://{account.user}:{password}@127.0.0.1:5672/"
    assert first["RABBITMQ_API_URI_ADMIN"].startswith("http://shippy-admin:")
    assert broker.write_env_file(path) == first
    as_guest = broker.write_env_file(path, as_guest=True)
    assert as_guest["AMQP_URI_GATEWAY"] == "pyamqp://guest:guest@127.0.0.1:5672/"
    assert as_guest["SHIPPY_RABBITMQ_GATEWAY_PASSWORD"] == first["SHIPPY_RABBITMQ_GATEWAY_PASSWORD"]
    assert len({first[account.password_variable] for account in ACCOUNTS}) == len(ACCOUNTS)


def test_local_admin_is_the_files_administrator_else_guest(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPPY_INFRA_DIR", str(tmp_path))
    assert broker.local_admin() == ("guest", "guest")
    values = broker.write_env_file(broker.accounts_file())
    assert broker.local_admin() == ("shippy-admin", values["SHIPPY_RABBITMQ_ADMIN_PASSWORD"])
    broker.write_env_file(broker.accounts_file(), as_guest=True)
    assert broker.local_admin() == ("guest", "guest")


def test_a_vhost_goes_into_the_uri_quoted():
    assert broker.amqp_uri("u", "p", "h:1", "nameko_test_x") == "pyamqp://u:p@h:1/nameko_test_x"
    assert broker.amqp_uri("u", "p/:@", "h:1") == "pyamqp://u:p%2F%3A%40@h:1/"


def test_the_api_client_takes_nameko_s_uri_form():
    api = broker.ManagementApi.from_uri("http://shippy-admin:s3cr%2Ft@127.0.0.1:15672")
    assert (api.url, api.user) == ("http://127.0.0.1:15672", "shippy-admin")


def test_the_console_script_prints_a_uri_and_the_table(tmp_path, capsys):
    path = tmp_path / "accounts.env"
    assert broker.main(["--env-file", str(path), "uri", "gateway"]) == 1
    assert "run make infra" in capsys.readouterr().err
    broker.main(["--env-file", str(path), "init"])
    capsys.readouterr()
    assert broker.main(["--env-file", str(path), "uri", "operator"]) == 0
    assert capsys.readouterr().out.startswith("pyamqp://operator:")
    assert broker.main(["table"]) == 0
    assert "`gateway-service`" in capsys.readouterr().out


def test_apply_refuses_without_every_password():
    api = broker.ManagementApi("http://127.0.0.1:1", "shippy-admin", "x")
    with pytest.raises(broker.BrokerSetupError, match="SHIPPY_RABBITMQ_GATEWAY_PASSWORD"):
        broker.apply(api, "/", {"VESSEL": "a", "USER": "b", "CONSIGNMENT": "c", "OPERATOR": "d"})


def test_an_unreachable_api_is_one_line():
    api = broker.ManagementApi("http://127.0.0.1:1", "shippy-admin", "x", timeout=2)
    with pytest.raises(broker.BrokerSetupError, match="does not answer"):
        api.request("GET", "overview")
    assert not api.is_administrator()


def test_the_tests_administrator_comes_from_the_environment_else_the_accounts_file_else_guest(tmp_path, monkeypatch):
    from shippy_common.testing.plugin import rabbitmq_admin_uris

    for name in ("SHIPPY_TEST_AMQP_URI", "SHIPPY_TEST_RABBIT_API_URI", "SHIPPY_TEST_RABBITMQ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHIPPY_INFRA_DIR", ".infra")
    assert rabbitmq_admin_uris(tmp_path) == (
        "pyamqp://guest:guest@127.0.0.1:5672/",
        "http://guest:guest@127.0.0.1:15672",
    )
    values = broker.write_env_file(tmp_path / ".infra" / "rabbitmq" / "accounts.env")
    password = values["SHIPPY_RABBITMQ_ADMIN_PASSWORD"]
    assert rabbitmq_admin_uris(tmp_path) == (
        f"pyamqp://shippy-admin:{password}@127.0.0.1:5672/",
        f"http://shippy-admin:{password}@127.0.0.1:15672",
    )
    monkeypatch.setenv("SHIPPY_TEST_RABBITMQ", "rabbitmq:5672")  # another broker: not the local file's
    assert rabbitmq_admin_uris(tmp_path) == ("pyamqp://guest:guest@rabbitmq:5672/", "http://guest:guest@rabbitmq:15672")
    monkeypatch.setenv("SHIPPY_TEST_AMQP_URI", "pyamqp://a:b@rabbitmq:5672/")
    monkeypatch.setenv("SHIPPY_TEST_RABBIT_API_URI", "http://a:b@rabbitmq:15672")
    assert rabbitmq_admin_uris(tmp_path) == ("pyamqp://a:b@rabbitmq:5672/", "http://a:b@rabbitmq:15672")
