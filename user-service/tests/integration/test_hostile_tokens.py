"""Property-based: whatever arrives as a token, user_service survives it."""

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=TOKENS)
def test_validate_token_survives_anything(signed_in, users, token):
    _, good_token, _ = signed_in
    try:
        users.validate_token(token)
    except InvalidToken as error:
        assert str(error)
    else:
        raise AssertionError(f"accepted {token!r}")
    assert users.validate_token(good_token)["valid"] is True
