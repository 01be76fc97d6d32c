import pytest

from shippy_common.config import ConfigError, load_config, redact_url
from shippy_common.servers import servers_from_config


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
