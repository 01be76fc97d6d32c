"""notification-service's settings: its heartbeat file and log level come from
its config.yml (the env vars it names), checked once at start."""

import pytest

from notification_service.mailers import FileMailer, SmtpMailer
from notification_service.main import CONFIG_FILE
from notification_service.settings import NotificationSettings
from shippy_common.config import ConfigError, load_config

ENV = (
    "HEARTBEAT_FILE",
    "LOG_LEVEL",
    "SMTP_URL",
    "SMTP_CA_FILE",
    "NATS_URL",
    "EVENT_STREAM",
    "EVENT_SUBJECT_PREFIX",
    "MAIL_FROM",
)


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


def test_mail_goes_to_files_unless_an_smtp_url_is_set(monkeypatch):
    assert isinstance(NotificationSettings.from_config(load_config(CONFIG_FILE)).mailer, FileMailer)
    monkeypatch.setenv("SMTP_URL", "smtps://mailer:secret@smtp.example.com")
    mailer = NotificationSettings.from_config(load_config(CONFIG_FILE)).mailer
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.implicit_tls, mailer.host, mailer.port, mailer.username) == (True, "smtp.example.com", 465, "mailer")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMTP_URL": "ftp://smtp.example.com"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://mailer:secret@smtp.example.com:notaport"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://smtp.example.com", "SMTP_CA_FILE": "/no/such/ca.pem"}, "SMTP_CA_FILE"),
        ({"SMTP_CA_FILE": "/etc/hostname"}, "SMTP_CA_FILE"),
    ],
)
def test_a_bad_smtp_setting_is_refused_naming_it_and_never_its_password(monkeypatch, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=named) as refused:
        NotificationSettings.from_config(load_config(CONFIG_FILE))
    assert "secret" not in str(refused.value)


def test_a_ca_file_that_is_not_pem_is_refused(monkeypatch, tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate")
    monkeypatch.setenv("SMTP_URL", "smtp://smtp.example.com")
    monkeypatch.setenv("SMTP_CA_FILE", str(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError, match="SMTP_CA_FILE"):
        NotificationSettings.from_config(load_config(CONFIG_FILE))
