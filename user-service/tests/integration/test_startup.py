"""user-service as an operator runs it: a console script in its own process."""

import sys
from pathlib import Path

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from shippy_common.testing.net import free_port, get_json
from user_service.migrations import alembic_config
from user_service.models import Base
from user_service.testing import JWT_SECRET

USER_SERVICE = str(Path(sys.executable).with_name("user-service"))
USER_SERVICE_MIGRATE = str(Path(sys.executable).with_name("user-service-migrate"))


def test_started_before_postgres_it_waits_migrates_and_serves_without_leaking_secrets(
    tcp_gate, start_process, rabbit_config, database_url, rpc_client
):
    postgres_gate = tcp_gate("postgres")
    service = start_process(
        [USER_SERVICE],
        env={
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "DATABASE_URL": postgres_gate.reroute(database_url),
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_COST": "4",
            "USER_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
            "LOG_LEVEL": "DEBUG",
        },
    )
    service.wait_for_output("waiting for PostgreSQL")
    postgres_gate.open()
    service.wait_for_output("user_service is ready")

    users = rpc_client(timeout=30).user_service
    password = "my very secret password"
    user = users.create({"name": "Ana", "company": "X", "email": "ana@example.com", "password": password})
    token = users.auth("ana@example.com", password)["token"]
    assert users.validate_token(token)["user"] == user
    assert service.stop() == 0
    output = service.output
    assert "Traceback" not in output
    for secret in (password, JWT_SECRET, token, "$2b$"):
        assert secret not in output


def test_a_second_instance_starting_at_once_shares_the_migrated_schema(
    tcp_gate, start_process, rabbit_config, database_url
):
    postgres_gate = tcp_gate("postgres")
    env = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DATABASE_URL": postgres_gate.reroute(database_url),
        "JWT_SECRET": JWT_SECRET,
        "BCRYPT_COST": "4",
    }
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    first, second = (start_process([USER_SERVICE], env={**env, "USER_HTTP_ADDRESS": a}) for a in addresses)
    # Both wait for PostgreSQL, then reach it at the same moment: they race to migrate.
    first.wait_for_output("waiting for PostgreSQL")
    second.wait_for_output("waiting for PostgreSQL")
    postgres_gate.open()
    first.wait_for_output("user_service is ready")
    second.wait_for_output("user_service is ready")

    for address in addresses:
        status, body = get_json(f"http://{address}/health")
        assert (status, body["checks"]) == (200, {"RabbitMQ": "ok", "PostgreSQL": "ok"})
    script = ScriptDirectory.from_config(alembic_config(database_url))
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select version_num from alembic_version")
        assert cursor.fetchall() == [(script.get_current_head(),)]
        cursor.execute("select table_name, column_name from information_schema.columns where table_schema = 'public'")
        columns = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
    connection.close()
    assert columns == {
        "alembic_version": {"version_num"},
        **{table.name: set(table.columns.keys()) for table in Base.metadata.sorted_tables},
    }
    # alembic logs each migration it runs: between them, the two ran each one once.
    outputs = first.output + second.output
    for revision in script.walk_revisions():
        assert outputs.count(f"-> {revision.revision}, ") == 1, revision.revision
    for instance in (first, second):
        assert instance.process.poll() is None
        assert "Traceback" not in instance.output
        assert " ERROR " not in instance.output


def test_the_migrate_script_brings_an_empty_database_up_to_date(start_process, database_url):
    migrate = start_process([USER_SERVICE_MIGRATE], env={"DATABASE_URL": database_url})
    assert migrate.process.wait(timeout=60) == 0
    assert "the schema is up to date" in migrate.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET must be set to a secret of at least 32 bytes"),
        ({"JWT_SECRET": "short-secret"}, "JWT_SECRET must be set to a secret of at least 32 bytes"),
        (
            {"JWT_SECRET": "replace-me-with-a-long-random-secret-of-at-least-32-bytes"},
            "JWT_SECRET looks like a placeholder",
        ),
        ({"JWT_SECRET": "0123456789abcdef" * 4}, "JWT_SECRET is too predictable"),
        ({"JWT_LEEWAY_SECONDS": "300"}, "JWT_LEEWAY_SECONDS must be at most 30"),
        ({"BCRYPT_COST": "40"}, "BCRYPT_COST must be between 4 and 16"),
        ({"DATABASE_URL": "mysql://root:pw@db/x"}, "DATABASE_URL must be a URL starting with postgresql://"),
    ],
)
def test_bad_configuration_is_refused_in_one_line(start_process, env, message):
    service = start_process(
        [USER_SERVICE], env={"JWT_SECRET": JWT_SECRET, "AMQP_URI": "pyamqp://user-service:x@127.0.0.1:1/", **env}
    )
    assert service.process.wait(timeout=30) == 2
    assert message in service.output
    assert "Traceback" not in service.output
    assert "short-secret" not in service.output
    secret = env.get("JWT_SECRET")
    if secret is not None:
        assert "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'" in service.output
    if secret:
        assert secret not in service.output
