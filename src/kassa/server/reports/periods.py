"""A store's business days: its own time zone, and a day that turns at `day_start`
(04:00 by default, so a sale at 01:30 counts to the evening before)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kassa.server.terminals.models import Store


def store_zone(store: Store) -> ZoneInfo:
    return ZoneInfo(store.time_zone)


def day_start_offset(store: Store) -> timedelta:
    return timedelta(hours=store.day_start.hour, minutes=store.day_start.minute)


def business_day(store: Store, at: datetime) -> date:
    """The business day `at` belongs to in `store`."""
    return (at.astimezone(store_zone(store)) - day_start_offset(store)).date()


def day_bounds(store: Store, first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """From the start of business day `first` to the start of the day after `last`
    (default `first`): aware datetimes, across daylight-saving changes."""
    zone = store_zone(store)
    end_day = (last or first) + timedelta(days=1)
    return (
        datetime.combine(first, store.day_start, tzinfo=zone),
        datetime.combine(end_day, store.day_start, tzinfo=zone),
    )


def week_start(day: date) -> date:
    """The Monday of `day`'s week (ISO 8601)."""
    return day - timedelta(days=day.weekday())
