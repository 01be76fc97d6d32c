"""notification-service's settings: its heartbeat file and log level come from
its config.yml (the env vars it names), checked once at start."""

import pytest

from notification_service.main import CONFIG_FILE
from notification_service.settings import NotificationSettings
from shippy_common.config import ConfigError, load_config

ENV = ("HEARTBEAT_FILE", "LOG_LEVEL", "SMTP_URL", "NATS_URL", "EVENT_STREAM", "EVENT_SUBJECT_PREFIX", "MAIL_FROM")


@pytest.fixture(autouse=True)
def shipped_defaults(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_the_defaults_are_valid_with_no_heartbeat():
    settings = NotificationSettings.from_config(load_config(CONFIG_FILE))
    assert settings.heartbeat_file is None
    assert settings.log_level == "INFO"


def test_the_containers_heartbeat_file_and_log_level_arrive_through_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTBEAT_FILE", str(tmp_path / "heartbeat"))
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = NotificationSettings.from_config(load_config(CONFIG_FILE))
    assert settings.heartbeat_file == tmp_path / "heartbeat"
    assert settings.log_level == "WARNING"


@pytest.mark.parametrize(
    ("key", "value"), [("LOG_LEVEL", "LOUD"), ("HEARTBEAT_FILE", "/no/such/directory/heartbeat"), ("MAX_DELIVERIES", 0)]
)
def test_a_bad_setting_is_refused_naming_it(key, value):
    with pytest.raises(ConfigError, match=key):
        NotificationSettings.from_config({**load_config(CONFIG_FILE), key: value})
