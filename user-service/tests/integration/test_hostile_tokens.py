"""Property-based: whatever arrives as a token, user_service survives it."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shippy_common.errors import InvalidToken

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
TOKENS = st.one_of(
    st.text(),
    st.binary().map(lambda raw: raw.decode("latin-1")),
    st.lists(st.text(max_size=200), min_size=3, max_size=3).map(".".join),
    JSON_VALUES,
)


#: What the decoder may say of a string of three dot-separated parts (user_service.tokens).
DECODING_REASONS = re.compile(
    "token is malformed|token has expired|token is not valid yet|token is for another audience"
    "|token is from another issuer|token signature does not match|token algorithm is not allowed"
    r"|token iat is not a number|token has no \w+ claim|token sub is not a user id|token is invalid"
)


def the_reason_for(token):
    """The reason a token must be refused with, from its shape alone; ``None``
    where only decoding tells (then one of ``DECODING_REASONS``)."""
    if not isinstance(token, str):
        return f"token must be a string, got {type(token).__name__}"
    if not token:
        return "token is empty"
    if len(token) > 4096:
        return "token is longer than 4096 characters"
    if token.count(".") != 2:
        return "token must have three dot-separated parts"
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=TOKENS)
def test_validate_token_survives_anything(signed_in, users, token):
    _, good_token, _ = signed_in
    try:
        users.validate_token(token)
    except InvalidToken as error:
        expected = the_reason_for(token)
        if expected is None:
            assert DECODING_REASONS.fullmatch(str(error)), f"{token!r}: {error}"
        else:
            assert str(error) == expected, repr(token)
    else:
        raise AssertionError(f"accepted {token!r}")
    assert users.validate_token(good_token)["valid"] is True
