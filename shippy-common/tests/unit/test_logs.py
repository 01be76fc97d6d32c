"""Logging takes its level from the caller (the process's settings), never the environment."""

import logging

import pytest

from shippy_common.logs import setup_logging

NOISY = ("kombu", "amqp", "pymongo", "nameko", "alembic.runtime.plugins")


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in NOISY}
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in levels.items():
        logging.getLogger(name).setLevel(noisy_level)


def test_the_level_is_the_one_given_not_the_environments(restore_logging, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    setup_logging()
    assert restore_logging.level == logging.INFO
    setup_logging("WARNING")
    assert restore_logging.level == logging.WARNING
    assert len(restore_logging.handlers) == 1, "setting the level again replaced the handler"


def test_libraries_that_log_payloads_stay_at_info_at_most(restore_logging):
    setup_logging("DEBUG")
    assert restore_logging.level == logging.DEBUG
    assert logging.getLogger("kombu").level == logging.INFO
    assert logging.getLogger("nameko").level == logging.INFO
