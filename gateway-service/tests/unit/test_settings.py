"""gateway_service's settings: the shipped defaults, and one-line refusals."""

import pytest

from gateway_service.main import CONFIG_FILE
from gateway_service.settings import GatewaySettings
from shippy_common.config import ConfigError, load_config


def config(**changes):
    return {**load_config(CONFIG_FILE), "AMQP_URI": "pyamqp://gateway-service:secret@127.0.0.1:5672/", **changes}


def test_the_defaults_are_valid(monkeypatch):
    for name in ("GATEWAY_HTTP_ADDRESS", "GATEWAY_RATE_LIMIT_LOG_IN", "GATEWAY_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AMQP_URI", "pyamqp://gateway-service:secret@127.0.0.1:5672/")
    settings = GatewaySettings.from_config(load_config(CONFIG_FILE))
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.amqp_uri == "amqp://gateway-service:secret@127.0.0.1:5672/"
    assert settings.trusted_proxies == ()
    assert str(settings.log_in_rate_limit[0]) == "30 per 1 minute"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("HTTP_ADDRESS", "nowhere"),
        ("HTTP_ADDRESS", "127.0.0.1:99999"),
        ("AMQP_URI", "http://rabbit/"),
        ("RPC_TIMEOUT_SECONDS", 0),
        ("MAX_BODY_BYTES", "big"),
        ("RATE_LIMIT_SIGN_UP", "lots"),
        ("TRUSTED_PROXIES", "not-an-address"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(key, value):
    with pytest.raises(ConfigError, match=key):
        GatewaySettings.from_config(config(**{key: value}))


def test_several_rate_limits_and_proxies():
    settings = GatewaySettings.from_config(
        config(RATE_LIMIT_SIGN_UP="100/hour;10/minute", TRUSTED_PROXIES="10.0.0.1, 172.16.0.0/12")
    )
    assert len(settings.sign_up_rate_limit) == 2
    assert settings.trusted_proxies == ("10.0.0.1", "172.16.0.0/12")


def test_amqp_uri_has_no_default_and_says_so(monkeypatch):
    """The broker has no shared account: the gateway has its own (shippy_common.broker)."""
    monkeypatch.delenv("AMQP_URI", raising=False)
    with pytest.raises(ConfigError, match=r"AMQP_URI is not set .*own RabbitMQ account"):
        GatewaySettings.from_config(load_config(CONFIG_FILE))
