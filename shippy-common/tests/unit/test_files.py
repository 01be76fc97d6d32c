"""Files written whole or not at all (``shippy_common.files``)."""

import os

import pytest

from shippy_common.files import write_whole


def test_a_file_is_written_whole_with_exactly_its_mode_whatever_the_umask(tmp_path):
    path = tmp_path / "accounts.env"
    path.write_text("old")
    previous = os.umask(0o022)
    try:
        write_whole(path, b"new", mode=0o600)
    finally:
        os.umask(previous)
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["accounts.env"]


@pytest.mark.parametrize("sync", [False, True])
def test_a_file_that_cannot_be_finished_leaves_the_old_one_and_nothing_else(tmp_path, monkeypatch, sync):
    path = tmp_path / "booking"
    path.write_text("old")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_whole(path, b"new", sync=sync)
    assert path.read_text() == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["booking"]
