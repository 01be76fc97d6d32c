"""user_service over real nameko RPC, RabbitMQ and PostgreSQL."""

import os

import eventlet
import psycopg2
import pytest

from shippy_common.auth import TOKEN_CONTEXT_KEY
from shippy_common.errors import (
    AlreadyExists,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    Unauthorized,
    ValidationError,
)
from shippy_common.testing.net import get_json
from shippy_common.testing.tokens import bad_tokens
from shippy_common.testing.waits import eventually
from user_service.service import UserService
from user_service.testing import AUDIENCE, BAD_TOKEN_REASONS, ISSUER, JWT_SECRET

PUBLIC_FIELDS = {"id", "name", "company", "email", "role"}


def test_create_returns_the_user_without_password_or_hash(users, new_user):
    payload = new_user()
    user = users.create(payload)
    assert set(user) == PUBLIC_FIELDS
    assert user["email"] == payload["email"]
    assert user["name"] == "Ana Lopes"
    assert payload["password"] not in str(user)


def test_the_password_is_stored_as_a_bcrypt_hash(users, new_user, database_url):
    payload = new_user()
    user = users.create(payload)
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select password_hash from users where id = %s", (user["id"],))
        (password_hash,) = cursor.fetchone()
    assert password_hash.startswith("$2b$04$")
    assert payload["password"] not in password_hash


def test_email_is_unique_whatever_its_case(users, new_user):
    payload = new_user(email="Ana@X.io")
    users.create(payload)
    with pytest.raises(AlreadyExists):
        users.create({**payload, "email": "ana@x.io"})


def test_two_concurrent_creates_of_one_address_make_one_account(users, new_user, rpc_client, database_url):
    payload = new_user(email="Race@Example.com")
    first = rpc_client().user_service.create.call_async(payload)
    second = rpc_client().user_service.create.call_async({**payload, "email": "race@example.com"})
    outcomes = []
    for reply in (first, second):
        try:
            outcomes.append(reply.result())
        except AlreadyExists:
            outcomes.append("already exists")
    assert outcomes.count("already exists") == 1
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from users where lower(email) = 'race@example.com'")
        assert cursor.fetchone() == (1,)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b@c"}, "email"),
        ({"email": {"$ne": ""}}, "email"),
        ({"name": ""}, "name"),
        ({"company": "c" * 10_000}, "company"),
        ({"password": ""}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 73}, "password"),
        ({"password": "é" * 37}, "password"),
        ({"password": 12345678}, "password"),
        ({"password": None}, "password"),
        ({"password": ["correct horse battery"]}, "password"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_bad_accounts_are_refused_by_field_and_nothing_is_stored(users, new_user, change, field, database_url):
    with pytest.raises(ValidationError) as error:
        users.create(new_user(**change))
    assert error.value.field == field
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from users")
        assert cursor.fetchone() == (0,)


def test_a_72_byte_password_is_accepted(users, new_user):
    payload = new_user(password="é" * 36)
    users.create(payload)
    assert users.auth(payload["email"], payload["password"])["token"]


def test_auth_returns_a_token_that_validates_to_the_user(users, new_user):
    payload = new_user()
    user = users.create(payload)
    answer = users.auth(payload["email"].upper(), payload["password"])
    assert answer["expires_at"] > 0
    assert users.validate_token(answer["token"]) == {"valid": True, "user": user}


def test_a_wrong_password_and_an_unknown_email_fail_alike(users, new_user):
    payload = new_user()
    users.create(payload)
    with pytest.raises(InvalidCredentials) as wrong_password:
        users.auth(payload["email"], "not the password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        users.auth("nobody@example.com", payload["password"])
    assert str(wrong_password.value) == str(unknown_email.value)


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        (None, "correct horse battery", "email"),
        ({"$gt": ""}, "correct horse battery", "email"),
        ("a@b.io", None, "password"),
        ("a@b.io", "x" * 100, "password"),
        ("a@b.io", "", "password"),
    ],
)
def test_auth_with_malformed_arguments_is_a_validation_error(users, email, password, field):
    with pytest.raises(ValidationError) as error:
        users.auth(email, password)
    assert error.value.field == field


def test_get_and_get_all_answer_an_admin_token_without_hashes(admin_signed_in, users, new_user):
    admin, _, as_admin = admin_signed_in
    other = users.create(new_user(name="Ben"))
    assert as_admin.get(other["id"]) == other
    everyone = as_admin.get_all()["items"]
    assert {u["id"] for u in everyone} == {admin["id"], other["id"]}
    assert all(set(u) == PUBLIC_FIELDS for u in everyone)


def test_get_of_an_unknown_or_malformed_id(signed_in):
    _, _, as_user = signed_in
    with pytest.raises(NotFound):
        as_user.get("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError):
        as_user.get("'; drop table users; --")


def test_get_and_get_all_refuse_a_caller_without_a_token(users, signed_in):
    user, _, _ = signed_in
    with pytest.raises(Unauthorized, match="no access token"):
        users.get(user["id"])
    with pytest.raises(Unauthorized):
        users.get_all()


def test_get_all_refuses_a_bad_token_with_the_reason(user_container, rpc_client):
    with pytest.raises(Unauthorized, match="malformed"):
        rpc_client(context_data={TOKEN_CONTEXT_KEY: "a.b.c"}).user_service.get_all()


def test_the_token_of_a_deleted_user_is_rejected(signed_in, users, database_url):
    user, token, _ = signed_in
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("delete from users where id = %s", (user["id"],))
    with pytest.raises(InvalidToken, match="no longer exists"):
        users.validate_token(token)


def test_every_bad_token_is_refused_with_a_reason_and_the_service_goes_on(signed_in, users):
    user, token, _ = signed_in
    corpus = bad_tokens(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, user_id=user["id"])
    reasons = {}
    for name, bad in corpus.items():
        with pytest.raises(InvalidToken) as error:
            users.validate_token(bad)
        reasons[name] = str(error.value)
        assert users.validate_token(token)["valid"] is True, f"service broken after {name}"
    assert all(reasons.values())
    assert reasons["expired"] == "token has expired"
    assert reasons["wrong aud"] == "token is for another audience"
    assert reasons["no exp"] == "token has no exp claim"
    assert reasons["alg none, empty signature"] == "token algorithm is not allowed"
    assert reasons["sub of an unknown user"] == "the token's user no longer exists"
    assert reasons["None"] == "token must be a string, got NoneType"
    assert reasons == BAD_TOKEN_REASONS


def test_validate_token_answers_while_logins_are_hashing(
    container_factory, user_config, rpc_client, new_user, held_bcrypt
):
    """bcrypt runs off the eventlet hub: a token check sent after four logins
    completes while they are inside bcrypt (held there until the check is
    answered, then hashing at cost 12), before any login does."""
    container = container_factory(UserService, {**user_config, "BCRYPT_COST": 12})
    container.start()
    client = rpc_client(timeout=60).user_service
    payload = new_user()
    client.create(payload)
    token = client.auth(payload["email"], payload["password"])["token"]

    held_bcrypt.hold()
    # One connection per caller: a standalone proxy is not shared between greenthreads.
    logins = [
        rpc_client(timeout=60).user_service.auth.call_async(payload["email"], payload["password"]) for _ in range(4)
    ]
    held_bcrypt.wait_until_entered(min(4, os.cpu_count() or 1))  # every bcrypt slot is taken by a login
    check = rpc_client(timeout=60).user_service.validate_token.call_async(token)
    order = []
    pool = eventlet.GreenPool()
    pool.spawn(lambda: (check.result(), order.append("validate")))
    for login in logins:
        pool.spawn(lambda login=login: (login.result(), order.append("login")))
    eventually(lambda: order, what="the token check answered while the logins are inside bcrypt")
    assert order == ["validate"]
    held_bcrypt.release()
    pool.waitall()
    assert order.index("validate") < order.index("login"), order


def test_health_reports_rabbitmq_and_postgres(user_container, user_config):
    status, body = get_json(f"http://{user_config['WEB_SERVER_ADDRESS']}/health")
    assert status == 200
    assert body["checks"] == {"RabbitMQ": "ok", "PostgreSQL": "ok"}
