"""Instants as Shippy keeps them: in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """An instant without an offset is UTC: Shippy writes every instant in UTC,
    and pymongo reads one back without its offset unless told to keep it.
    An instant with an offset is left as it is."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
