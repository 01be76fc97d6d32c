"""How long a service trusts a token user_service accepted (``auth.RecentCallers``)."""

from shippy_common.auth import TRUST_SECONDS, Caller, RecentCallers
from shippy_common.testing.clocks import ManualClock

ANA = Caller(id="u1", name="Ana", company="A", email="ana@example.com", role="admin")
BEN = Caller(id="u2", name="Ben", company="B", email="ben@example.com")


def test_an_accepted_token_is_trusted_until_the_window_ends_then_asked_about_again():
    clock = ManualClock()
    recent = RecentCallers(seconds=4, clock=clock)
    recent.accepted("token-a", ANA)
    clock.now += 3.9
    assert recent.get("token-a") == ANA
    clock.now += 0.1
    assert recent.get("token-a") is None


def test_a_token_never_accepted_is_not_answered():
    recent = RecentCallers(clock=ManualClock())
    recent.accepted("token-a", ANA)
    assert recent.get("token-b") is None


def test_the_least_recently_used_token_goes_first_when_full():
    recent = RecentCallers(size=2, clock=ManualClock())
    recent.accepted("token-a", ANA)
    recent.accepted("token-b", BEN)
    assert recent.get("token-a") == ANA  # a is now the most recently used
    recent.accepted("token-c", BEN)
    assert recent.get("token-b") is None
    assert recent.get("token-a") == ANA


def test_tokens_are_kept_only_as_digests():
    recent = RecentCallers(clock=ManualClock())
    recent.accepted("secret-token", ANA)
    assert all(b"secret-token" not in key and len(key) == 32 for key in recent._callers)


def test_the_window_is_within_the_five_seconds_the_platform_allows():
    assert 0 < TRUST_SECONDS <= 5
