"""user_service's settings, and the migration script's share of them."""

import pytest

from shippy_common.config import ConfigError, load_config
from user_service.main import CONFIG_FILE
from user_service.settings import DatabaseSettings, MigrationSettings, UserSettings
from user_service.testing import JWT_SECRET

ENV = ("DATABASE_URL", "USER_DATABASE_POOL_SIZE", "JWT_SECRET", "LOG_LEVEL", "BCRYPT_COST", "BCRYPT_MAX_WAITING")


@pytest.fixture
def config(monkeypatch):
    """The shipped config.yml with its defaults (none of the caller's environment)."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)

    def config(**changes):
        return {**load_config(CONFIG_FILE), **changes}

    return config


def test_the_service_reads_its_database_and_log_level_once(config):
    settings = UserSettings.from_config(config(JWT_SECRET=JWT_SECRET, LOG_LEVEL="debug"))
    assert settings.database == DatabaseSettings(url="postgresql://shippy:shippy@127.0.0.1:5432/shippy", pool_size=10)
    assert settings.log_level == "DEBUG"


def test_the_migration_needs_the_database_but_not_the_services_secret(config):
    settings = MigrationSettings.from_config(config())
    assert settings.database.url == "postgresql://shippy:shippy@127.0.0.1:5432/shippy"
    assert settings.log_level == "INFO"
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        UserSettings.from_config(config())


@pytest.mark.parametrize(
    ("key", "value"),
    [("DATABASE_URL", "mysql://root@db/x"), ("DATABASE_URL", None), ("DATABASE_POOL_SIZE", 0), ("LOG_LEVEL", "LOUD")],
)
def test_a_bad_setting_stops_the_service_and_the_migration_naming_it(config, key, value):
    with pytest.raises(ConfigError, match=key):
        MigrationSettings.from_config(config(**{key: value}))
    with pytest.raises(ConfigError, match=key):
        UserSettings.from_config(config(JWT_SECRET=JWT_SECRET, **{key: value}))


def test_the_database_password_stays_out_of_the_settings_repr(config):
    settings = MigrationSettings.from_config(config(DATABASE_URL="postgresql://shippy:hunter2@db:5432/shippy"))
    assert "hunter2" not in repr(settings)
    assert "postgresql://shippy:***@db:5432/shippy" in repr(settings)
