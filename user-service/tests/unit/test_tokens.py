"""TokenAuthority on its own: no broker, no database."""

import uuid

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shippy_common.errors import InvalidToken
from shippy_common.testing.tokens import bad_tokens
from user_service.settings import TokenSettings
from user_service.testing import AUDIENCE, BAD_TOKEN_REASONS, ISSUER, JWT_SECRET
from user_service.tokens import TokenAuthority

SETTINGS = TokenSettings(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=3600, leeway_seconds=30)
USER_ID = str(uuid.uuid4())
CORPUS = bad_tokens(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, user_id=USER_ID)
# The token is well formed; only user_service's database can tell the user is gone.
NEEDS_DATABASE = {"sub of an unknown user"}


def test_an_issued_token_carries_the_rfc_8725_claims():
    authority = TokenAuthority(SETTINGS, clock=lambda: 1_800_000_000)
    token, expires = authority.issue(USER_ID)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims["sub"] == USER_ID
    assert (claims["iat"], claims["exp"]) == (1_800_000_000, 1_800_003_600) == (claims["iat"], expires)
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert len(claims["jti"]) == 32
    assert authority.issue(USER_ID)[0] != authority.issue(USER_ID)[0]


def test_a_fresh_token_names_its_user():
    authority = TokenAuthority(SETTINGS)
    assert authority.subject(authority.issue(USER_ID)[0]) == USER_ID


def test_leeway_forgives_a_few_seconds_of_clock_skew_but_no_more():
    authority = TokenAuthority(SETTINGS)
    just_expired, _ = TokenAuthority(SETTINGS, clock=lambda: __import__("time").time() - 3600 - 10).issue(USER_ID)
    long_expired, _ = TokenAuthority(SETTINGS, clock=lambda: __import__("time").time() - 3600 - 60).issue(USER_ID)
    assert authority.subject(just_expired) == USER_ID
    with pytest.raises(InvalidToken, match="expired"):
        authority.subject(long_expired)


def test_the_corpus_and_its_reasons_name_the_same_tokens():
    assert set(BAD_TOKEN_REASONS) == set(CORPUS)


@pytest.mark.parametrize("name", sorted(set(CORPUS) - NEEDS_DATABASE))
def test_every_bad_token_is_an_invalid_token_with_a_reason(name):
    with pytest.raises(InvalidToken) as error:
        TokenAuthority(SETTINGS).subject(CORPUS[name])
    assert str(error.value) == BAD_TOKEN_REASONS[name]


@given(st.one_of(st.text(), st.binary(), st.binary().map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text_and_bytes_are_refused_cleanly(value):
    with pytest.raises(InvalidToken):
        TokenAuthority(SETTINGS).subject(value)


@given(st.lists(st.text(max_size=400), min_size=3, max_size=3).map(".".join))
def test_arbitrary_three_part_strings_are_refused_cleanly(value):
    with pytest.raises(InvalidToken):
        TokenAuthority(SETTINGS).subject(value)
