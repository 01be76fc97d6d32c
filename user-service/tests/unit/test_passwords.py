import bcrypt
import pytest

from shippy_common.errors import ValidationError
from user_service.passwords import PasswordHasher, check_password


@pytest.mark.parametrize(
    ("password", "why"),
    [
        (None, "must be a string"),
        (b"bytes-password", "must be a string"),
        (12345678, "must be a string"),
        ("", "must not be empty"),
        ("seven77", "at least 8"),
        ("x" * 73, "at most 72 bytes"),
        ("ü" * 37, "at most 72 bytes"),
        ("\ud800abcdefgh", "valid unicode"),
    ],
)
def test_passwords_bcrypt_cannot_take_are_validation_errors(password, why):
    with pytest.raises(ValidationError, match=why) as error:
        check_password(password)
    assert error.value.field == "password"


def test_72_bytes_is_the_longest_password():
    assert check_password("x" * 72) == "x" * 72


def test_hash_and_verify_round_trip_at_the_configured_cost():
    hasher = PasswordHasher(cost=4)
    password_hash = hasher.hash("correct horse battery")
    assert password_hash.startswith("$2b$04$")
    assert bcrypt.checkpw(b"correct horse battery", password_hash.encode())
    assert hasher.verify("correct horse battery", password_hash)
    assert not hasher.verify("wrong horse battery", password_hash)


def test_verify_without_a_hash_says_no():
    assert PasswordHasher(cost=4).verify("correct horse battery", None) is False
