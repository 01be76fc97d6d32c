"""user_service's use cases on in-memory fakes of its ports."""

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shippy_common.auth import ADMIN, Caller
from shippy_common.errors import AlreadyExists, Busy, Forbidden, InvalidCredentials, InvalidToken, NotFound
from user_service import services
from user_service.domain import Credentials, NewAccount, PageRequest, User, page_position

T0 = datetime(2026, 11, 25, tzinfo=UTC)


class InMemoryUsers:
    def __init__(self):
        self.users = {}  # id -> (User, password hash, email key)
        self.events = []

    def add(self, user_id, *, name, company, email, email_key, password_hash, event):
        if self.email_taken(email_key):
            raise AlreadyExists(f"an account for {email} already exists")
        user = User(user_id, name, company, email, "customer", T0 + timedelta(seconds=len(self.users)))
        self.users[user_id] = (user, password_hash, email_key)
        self.events.append(event)
        return user

    def email_taken(self, email_key):
        return any(key == email_key for _, _, key in self.users.values())

    def with_password_hash(self, email_key):
        return next(((user, hash_) for user, hash_, key in self.users.values() if key == email_key), None)

    def get(self, user_id):
        found = self.users.get(user_id)
        return None if found is None else found[0]

    def page(self, after, limit):
        ordered = sorted((u for u, _, _ in self.users.values()), key=lambda u: (u.created_at, uuid.UUID(u.id)))
        if after is not None:
            ordered = [u for u in ordered if (u.created_at, uuid.UUID(u.id)) > after]
        return ordered[:limit]


class PlainHasher:
    """``hash:<password>``; ``busy`` makes every admission a ``Busy``."""

    def __init__(self):
        self.busy = False
        self.checks = 0

    @contextlib.contextmanager
    def admitted(self):
        if self.busy:
            raise Busy("busy, retry")
        yield

    def hash(self, password):
        return f"hash:{password}"

    def verify(self, password, password_hash):
        self.checks += 1
        return password_hash == f"hash:{password}"


class FakeTokens:
    def issue(self, user_id):
        return f"token-for:{user_id}", 1_000

    def subject(self, token):
        if not isinstance(token, str) or not token.startswith("token-for:"):
            raise InvalidToken("token is malformed")
        return token.removeprefix("token-for:")


@pytest.fixture
def users():
    return InMemoryUsers()


@pytest.fixture
def hasher():
    return PlainHasher()


def register(users, hasher, email="ana@example.com", password="correct horse"):
    return services.register(users, hasher, NewAccount("Ana", "Co", email, password))


def as_caller(user, role=None):
    return Caller(user.id, user.name, user.company, user.email, role or user.role)


def test_registering_stores_a_hash_and_records_user_created(users, hasher):
    user = register(users, hasher)
    assert users.users[user.id][1] == "hash:correct horse"
    (event,) = users.events
    assert (event["type"], event["aggregate_id"]) == ("user.created", user.id)
    assert "correct horse" not in str(event)


def test_an_address_is_one_account_whatever_its_letter_case(users, hasher):
    register(users, hasher, email="Émile@example.com")
    with pytest.raises(AlreadyExists):
        register(users, hasher, email="émile@EXAMPLE.com")


def test_the_right_password_gets_a_token_for_the_user(users, hasher):
    user = register(users, hasher)
    issued = services.authenticate(users, hasher, FakeTokens(), Credentials("ANA@example.com", "correct horse"))
    assert issued.token == f"token-for:{user.id}"


def test_a_wrong_password_and_an_unknown_email_fail_alike_after_one_check_each(users, hasher):
    register(users, hasher)
    failures = []
    for credentials in (Credentials("ana@example.com", "wrong pass"), Credentials("nobody@example.com", "x" * 8)):
        with pytest.raises(InvalidCredentials) as error:
            services.authenticate(users, hasher, FakeTokens(), credentials)
        failures.append(str(error.value))
    assert failures[0] == failures[1]
    assert hasher.checks == 2


def test_a_login_beyond_the_bcrypt_backlog_is_busy_and_checks_nothing(users, hasher):
    register(users, hasher)
    hasher.busy = True
    with pytest.raises(Busy):
        services.authenticate(users, hasher, FakeTokens(), Credentials("ana@example.com", "correct horse"))
    assert hasher.checks == 0


def test_a_token_of_a_deleted_user_is_refused(users, hasher):
    user = register(users, hasher)
    assert services.user_for_token(users, FakeTokens(), f"token-for:{user.id}") == user
    del users.users[user.id]
    with pytest.raises(InvalidToken, match="no longer exists"):
        services.user_for_token(users, FakeTokens(), f"token-for:{user.id}")


def test_a_customer_sees_only_themself_and_others_look_like_nobody(users, hasher):
    ana = register(users, hasher)
    ben = register(users, hasher, email="ben@example.com")
    assert services.visible_user(users, as_caller(ana), ana.id) == ana
    with pytest.raises(NotFound) as other:
        services.visible_user(users, as_caller(ana), ben.id)
    nobody = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        services.visible_user(users, as_caller(ana), nobody)
    assert str(other.value).replace(ben.id, "?") == str(missing.value).replace(nobody, "?")


def test_an_admin_sees_anyone_and_pages_through_everyone(users, hasher):
    accounts = [register(users, hasher, email=f"u{i}@example.com") for i in range(5)]
    admin = as_caller(accounts[0], role=ADMIN)
    assert services.visible_user(users, admin, accounts[3].id) == accounts[3]
    first = services.list_users(users, admin, PageRequest(limit=2))
    second = services.list_users(users, admin, PageRequest(limit=2, after=page_position(first.next_cursor)))
    third = services.list_users(users, admin, PageRequest(limit=2, after=page_position(second.next_cursor)))
    assert first.items + second.items + third.items == accounts
    assert third.next_cursor is None


def test_a_customer_may_not_list_users(users, hasher):
    ana = register(users, hasher)
    with pytest.raises(Forbidden):
        services.list_users(users, as_caller(ana), PageRequest(limit=10))
