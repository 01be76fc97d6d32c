"""The heartbeat of processes without an HTTP endpoint: the file their settings
name, and the container health check that reads it."""

import sys

import pytest

from shippy_common import heartbeat
from shippy_common.heartbeat import beat, heartbeat_file


def check(monkeypatch, path, max_age="60"):
    monkeypatch.setattr(sys, "argv", ["heartbeat", str(path), max_age])
    heartbeat.main()


def test_a_beat_touches_the_file_the_settings_name_and_the_check_passes(tmp_path, monkeypatch):
    path = tmp_path / "heartbeat"
    beat(path)
    assert path.exists()
    check(monkeypatch, path)


def test_without_a_heartbeat_file_a_beat_touches_nothing_whatever_the_environment_says(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTBEAT_FILE", str(tmp_path / "from-env"))
    beat(None)
    assert list(tmp_path.iterdir()) == []


def test_the_check_fails_without_a_heartbeat(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="no heartbeat"):
        check(monkeypatch, tmp_path / "heartbeat")


def test_the_check_fails_when_the_last_beat_is_too_old(tmp_path, monkeypatch):
    path = tmp_path / "heartbeat"
    beat(path)
    with pytest.raises(SystemExit, match="last heartbeat"):
        check(monkeypatch, path, max_age="-1")


def test_an_empty_setting_is_no_heartbeat_and_a_path_is_one(tmp_path):
    assert heartbeat_file({"HEARTBEAT_FILE": ""}) is None
    assert heartbeat_file({}) is None
    assert heartbeat_file({"HEARTBEAT_FILE": str(tmp_path / "beat")}) == tmp_path / "beat"
