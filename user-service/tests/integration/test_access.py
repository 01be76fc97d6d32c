"""Who may read whom: a customer sees only themself; an admin sees everyone, a page at a time."""

import base64
import uuid

import psycopg2
import pytest

from shippy_common.errors import Forbidden, NotFound, ValidationError


def test_a_new_account_is_a_customer_and_its_token_says_so(signed_in, users):
    user, token, _ = signed_in
    assert user["role"] == "customer"
    assert users.validate_token(token)["user"]["role"] == "customer"


def test_a_customer_gets_themself(signed_in):
    user, _, as_user = signed_in
    assert as_user.get(user["id"]) == user


def test_a_customer_cannot_tell_another_account_from_no_account(signed_in, users, new_user):
    _, _, as_user = signed_in
    other = users.create(new_user(name="Ben"))
    nobody = str(uuid.uuid4())
    with pytest.raises(NotFound) as existing:
        as_user.get(other["id"])
    with pytest.raises(NotFound) as missing:
        as_user.get(nobody)
    assert str(existing.value) == f"no user {other['id']}"
    assert str(missing.value) == f"no user {nobody}"


def test_a_customer_may_not_list_users(signed_in):
    _, _, as_user = signed_in
    with pytest.raises(Forbidden, match="only an admin may list users"):
        as_user.get_all()


def test_an_admin_gets_anyone_but_not_who_does_not_exist(admin_signed_in, users, new_user):
    _, _, as_admin = admin_signed_in
    other = users.create(new_user(name="Ben"))
    assert as_admin.get(other["id"]) == other
    with pytest.raises(NotFound):
        as_admin.get(str(uuid.uuid4()))


def test_the_role_is_read_at_each_call_so_a_demotion_holds_at_once(admin_signed_in, users, set_role):
    admin, token, as_admin = admin_signed_in
    assert users.validate_token(token)["user"]["role"] == "admin"
    assert as_admin.get_all()["items"]
    set_role(admin["id"], "customer")
    assert users.validate_token(token)["user"]["role"] == "customer"
    with pytest.raises(Forbidden):
        as_admin.get_all()


def page_through(as_admin, limit):
    seen, cursor, pages = [], None, 0
    while True:
        page = as_admin.get_all(limit=limit, cursor=cursor)
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


def test_an_admin_pages_through_everyone_once_in_creation_order(admin_signed_in, users, new_user):
    admin, _, as_admin = admin_signed_in
    created = [users.create(new_user(name=f"User {n}")) for n in range(6)]
    everyone, pages = page_through(as_admin, limit=2)
    assert [u["id"] for u in everyone] == [admin["id"]] + [u["id"] for u in created]
    assert pages == 4
    assert as_admin.get_all(limit=7)["next_cursor"] is None
    assert len(as_admin.get_all()["items"]) == 7


def test_users_created_in_one_instant_are_each_listed_once(admin_signed_in, database_url):
    """Rows with the same created_at are ordered by id: no page skips or repeats one."""
    _, _, as_admin = admin_signed_in
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.executemany(
            "insert into users (id, name, company, email, email_key, password_hash, created_at)"
            " values (%s, 'Twin', 'T', %s, %s, 'x', '2030-01-01T00:00:00Z')",
            [(str(uuid.uuid4()), f"twin{n}@example.com", f"twin{n}@example.com") for n in range(9)],
        )
    connection.close()
    everyone, _ = page_through(as_admin, limit=4)
    assert len(everyone) == 10
    assert len({u["id"] for u in everyone}) == 10


def test_a_cursor_stays_valid_while_users_are_added(admin_signed_in, users, new_user):
    admin, _, as_admin = admin_signed_in
    first = users.create(new_user(name="First"))
    page = as_admin.get_all(limit=1)
    assert [u["id"] for u in page["items"]] == [admin["id"]]
    later = users.create(new_user(name="Later"))
    rest = as_admin.get_all(limit=10, cursor=page["next_cursor"])
    assert [u["id"] for u in rest["items"]] == [first["id"], later["id"]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("limit", [0, -1, 201, 10**9, "10", 2.5, True, None])
def test_a_limit_outside_1_to_200_is_a_validation_error(admin_signed_in, limit):
    _, _, as_admin = admin_signed_in
    with pytest.raises(ValidationError) as error:
        as_admin.get_all(limit=limit)
    assert error.value.field == "limit"


def test_200_is_the_largest_page(admin_signed_in):
    _, _, as_admin = admin_signed_in
    assert len(as_admin.get_all(limit=200)["items"]) == 1


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!!",
        base64.urlsafe_b64encode(b"2030-01-01T00:00:00|not-a-uuid").decode(),
        base64.urlsafe_b64encode(f"2030-01-01T00:00:00|{uuid.uuid4()}".encode()).decode(),  # no time zone
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "x" * 10_000,
        42,
        ["a"],
        {"$gt": ""},
    ],
)
def test_a_malformed_cursor_is_a_validation_error_naming_cursor(admin_signed_in, cursor):
    _, _, as_admin = admin_signed_in
    with pytest.raises(ValidationError) as error:
        as_admin.get_all(cursor=cursor)
    assert error.value.field == "cursor"
