"""One account per address, whatever its letter case, beyond ASCII too."""

import uuid

import psycopg2
import pytest

from shippy_common.errors import AlreadyExists, ValidationError
from user_service.domain import email_key
from user_service.migrations import upgrade


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Émile@example.com", "émile@example.com"),
        ("ÉMILE@EXAMPLE.COM", "émile@example.com"),
        ("STRASSE@example.com", "straße@example.com"),
        ("Ωmega@example.com", "ωmega@example.com"),
        ("\uff45\uff4d\uff49\uff4c\uff45@example.com", "emile@example.com"),  # fullwidth letters: NFKC
    ],
)
def test_email_keys_are_equal_across_case_and_compatibility_forms(one, other):
    assert email_key(one) == email_key(other)


def test_different_addresses_have_different_keys():
    assert email_key("emile@example.com") != email_key("émile@example.com")


@pytest.mark.parametrize(
    ("first", "second"),
    [("Émile@example.com", "émile@example.com"), ("émile@example.com", "ÉMILE@example.com")],
)
def test_an_address_in_another_case_is_the_same_account(users, new_user, first, second):
    users.create(new_user(email=first))
    with pytest.raises(AlreadyExists):
        users.create(new_user(email=second))


def test_a_user_logs_in_with_their_address_in_any_case(users, new_user):
    payload = new_user(email="Émile.Zola@example.com")
    user = users.create(payload)
    assert user["email"] == "Émile.Zola@example.com"
    for spelling in ("émile.zola@example.com", "ÉMILE.ZOLA@EXAMPLE.COM"):
        token = users.auth(spelling, payload["password"])["token"]
        assert users.validate_token(token)["user"]["id"] == user["id"]


def test_an_address_that_grows_too_long_once_normalised_is_refused(users, new_user):
    # U+FDFA is one character (three bytes) that NFKC turns into eighteen.
    with pytest.raises(ValidationError) as error:
        users.create(new_user(email="\ufdfa" * 21 + "@example.com"))
    assert error.value.field == "email"


def insert_at_0003(database_url, *emails):
    ids = [str(uuid.uuid4()) for _ in emails]
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.executemany(
            "insert into users (id, name, company, email, password_hash) values (%s, 'N', 'C', %s, 'x')",
            list(zip(ids, emails, strict=True)),
        )
    connection.close()
    return ids


def query(database_url, sql):
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    connection.close()
    return rows


def test_migrating_fills_email_key_and_role_for_existing_accounts(database_url):
    upgrade(database_url, "0003")
    emile, ana = insert_at_0003(database_url, "Émile@Example.com", "ana@x.io")
    upgrade(database_url)
    rows = {user_id: (key, role) for user_id, key, role in query(database_url, "select id, email_key, role from users")}
    assert rows == {
        emile: ("émile@example.com", "customer"),
        ana: ("ana@x.io", "customer"),
    }


def test_a_migrated_account_logs_in_in_any_case_and_its_address_stays_taken(
    database_url, service_config, container_factory, rpc_client, new_user
):
    """Accounts made before 0004 keep working: the service migrates at start."""
    import bcrypt

    from user_service.service import UserService
    from user_service.testing import CONFIG_FILE, JWT_SECRET

    upgrade(database_url, "0003")
    password = "correct horse battery"
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "insert into users (id, name, company, email, password_hash) values (%s, 'N', 'C', %s, %s)",
            (str(uuid.uuid4()), "Émile@example.com", bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()),
        )
    connection.close()
    config = service_config(CONFIG_FILE, DATABASE_URL=database_url, JWT_SECRET=JWT_SECRET, BCRYPT_COST=4)
    container_factory(UserService, config).start()
    users = rpc_client().user_service
    assert users.auth("émile@example.com", password)["token"]
    with pytest.raises(AlreadyExists):
        users.create(new_user(email="ÉMILE@example.com"))


def test_accounts_that_already_collide_stop_the_migration_naming_them(database_url):
    upgrade(database_url, "0003")
    # Distinct to lower() in every PostgreSQL locale (so the old index takes
    # both), one account to email_key: the ligature ﬀ is "ff" under NFKC.
    ids = insert_at_0003(database_url, "oﬀice@example.com", "office@example.com")
    with pytest.raises(RuntimeError, match="share an address") as error:
        upgrade(database_url)
    assert all(user_id in str(error.value) for user_id in ids)
    assert "ice@example" not in str(error.value).casefold()
    assert query(database_url, "select version_num from alembic_version") == [("0003",)]
