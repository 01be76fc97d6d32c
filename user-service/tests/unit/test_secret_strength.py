"""JWT_SECRET must be one nobody can guess: the service refuses the rest at start."""

import secrets
from pathlib import Path

import pytest

from shippy_common.config import ConfigError
from user_service.settings import secret_weakness, token_settings
from user_service.testing import AUDIENCE, ISSUER, JWT_SECRET

ROOT = Path(__file__).resolve().parents[3]
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def config_with(secret):
    return {
        "JWT_SECRET": secret,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_TTL_SECONDS": 3600,
        "JWT_LEEWAY_SECONDS": 30,
    }


def example_env_secret():
    lines = (ROOT / ".env.example").read_text().splitlines()
    return next(line.partition("=")[2] for line in lines if line.startswith("JWT_SECRET="))


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("", "at least 32 bytes"),
        # What .env.example used to ship, and others like it.
        ("replace-me-with-a-long-random-secret-of-at-least-32-bytes", "placeholder"),
        ("test-secret-for-user-service-0123456789", "placeholder"),
        ("ChangeMe!ChangeMe!ChangeMe!ChangeMe!", "placeholder"),
        ("my-jwt-password-for-production-use-2024", "placeholder"),
        ("YOUR_EXAMPLE_VALUE_GOES_HERE_PLEASE_FILL", "placeholder"),
        ("qwertyuiopasdfghjklzxcvbnm1234567890", "placeholder"),
        # Too few distinct characters.
        ("a" * 64, "distinct characters"),
        ("abababababababababababababababababab", "distinct characters"),
        ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxQ1w2E3r4", "distinct characters"),
        # Runs, steps and repeats.
        ("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "too predictable"),
        ("0123456789abcdef" * 4, "too predictable"),
        ("Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3", "too predictable"),
        ("1q2w3e4r5t6y7u8i9o0p1q2w3e4r5t6y7u8i9o0p", "too predictable"),
    ],
)
def test_guessable_secrets_are_refused_with_how_to_make_one(secret, why):
    with pytest.raises(ConfigError) as error:
        token_settings(config_with(secret))
    message = str(error.value)
    assert message.startswith("JWT_SECRET ")
    assert why in message
    assert message.endswith(f"generate one with: {GENERATE}")
    assert "\n" not in message
    if secret:
        assert secret not in message


@pytest.mark.parametrize(
    "secret",
    [
        *(secrets.token_urlsafe(32) for _ in range(20)),
        *(secrets.token_hex(32) for _ in range(20)),
        *(secrets.token_urlsafe(48) for _ in range(5)),
        JWT_SECRET,
    ],
)
def test_generated_secrets_are_accepted(secret):
    assert secret_weakness(secret) is None
    assert token_settings(config_with(secret)).secret == secret


def test_the_example_env_ships_no_usable_secret_and_says_how_to_make_one():
    assert example_env_secret() == ""
    with pytest.raises(ConfigError):
        token_settings(config_with(example_env_secret()))
    assert GENERATE in (ROOT / ".env.example").read_text()
