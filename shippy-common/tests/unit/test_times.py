from datetime import UTC, datetime, timedelta, timezone

from shippy_common.times import as_utc


def test_an_instant_read_back_without_its_offset_is_the_utc_instant_it_was_written_as():
    assert as_utc(datetime(2026, 11, 21, 12, 30)) == datetime(2026, 11, 21, 12, 30, tzinfo=UTC)
    assert as_utc(datetime(2026, 11, 21, 12, 30)).isoformat() == "2026-11-21T12:30:00+00:00"


def test_an_instant_with_an_offset_keeps_it():
    paris = datetime(2026, 11, 21, 13, 30, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(paris).isoformat() == "2026-11-21T13:30:00+01:00"
