import pytest

from shippy_common.config import ConfigError, load_config, redact_url, require_log_level
from shippy_common.servers import servers_from_config
from shippy_common.settings import NoSettings


def test_env_vars_override_local_defaults(tmp_path, monkeypatch):
    config_file = tmp_path / "config.yml"
    config_file.write_text("AMQP_URI: ${AMQP_URI:pyamqp://127.0.0.1/}\nmax_workers: ${WORKERS:10}\n")
    assert load_config(config_file) == {"AMQP_URI": "pyamqp://127.0.0.1/", "max_workers": 10}
    monkeypatch.setenv("AMQP_URI", "amqp://rabbit:5672/")
    monkeypatch.setenv("WORKERS", "3")
    assert load_config(config_file) == {"AMQP_URI": "amqp://rabbit:5672/", "max_workers": 3}


@pytest.mark.parametrize("content", ["- a list\n", "key: [unclosed\n"])
def test_a_malformed_config_file_is_a_config_error(tmp_path, content):
    config_file = tmp_path / "config.yml"
    config_file.write_text(content)
    with pytest.raises(ConfigError):
        load_config(config_file)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.yml")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://shippy:hunter2@db:5432/shippy", "postgresql://shippy:***@db:5432/shippy"),
        ("pyamqp://guest:guest@127.0.0.1:5672/", "pyamqp://guest:***@127.0.0.1:5672/"),
        ("mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"),
    ],
)
def test_urls_in_logs_never_show_a_password(url, shown):
    assert redact_url(url) == shown


def test_a_url_of_the_wrong_kind_is_refused_without_showing_its_password():
    with pytest.raises(ConfigError) as error:
        servers_from_config({"DATABASE_URL": "mysql://root:topsecret@db/x"}, ["postgres"])
    assert "DATABASE_URL must be a URL starting with postgresql://" in str(error.value)
    assert "topsecret" not in str(error.value)


def test_a_missing_url_is_refused():
    with pytest.raises(ConfigError, match="MONGO_URI is not set"):
        servers_from_config({}, ["mongodb"])


@pytest.mark.parametrize(("value", "level"), [(None, "INFO"), ("", "INFO"), ("debug", "DEBUG"), ("WARNING", "WARNING")])
def test_a_log_level_is_a_level_name_info_when_unset(value, level):
    config = {} if value is None else {"LOG_LEVEL": value}
    assert require_log_level(config) == level


@pytest.mark.parametrize("value", ["LOUD", "10", 10, True, ["INFO"]])
def test_a_bad_log_level_is_a_config_error_naming_it(value):
    with pytest.raises(ConfigError, match="LOG_LEVEL must be a logging level name"):
        require_log_level({"LOG_LEVEL": value})


def test_log_level_comes_from_the_config_file_and_its_env_var(tmp_path, monkeypatch):
    config_file = tmp_path / "config.yml"
    config_file.write_text('LOG_LEVEL: !raw_env_var "${LOG_LEVEL:INFO}"\n')
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert require_log_level(load_config(config_file)) == "INFO"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        require_log_level(load_config(config_file))


def test_a_service_with_no_settings_still_has_its_log_level():
    assert NoSettings.from_config({"LOG_LEVEL": "warning"}).log_level == "WARNING"
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        NoSettings.from_config({"LOG_LEVEL": "LOUD"})
