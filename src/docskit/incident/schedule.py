"""Incident clock: when 'now' is, when the next update is due, and how times are written in messages."""

from __future__ import annotations

import datetime as dt


class IncidentInputError(ValueError):
    """Input to `./dev incident` that cannot make a correct message; the text says what to change."""


def parse_now(text: str | None) -> dt.datetime:
    """The current time in UTC, or the ISO-8601 time given (without an offset it is read as UTC)."""
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise IncidentInputError(
            f"--now {text!r} is not an ISO-8601 time; write it as 2026-11-25T14:05:00Z or 2026-11-25T15:05+01:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def next_update_at(now: dt.datetime, cadence_minutes: int) -> dt.datetime:
    """When the next update is due: the current minute plus the cadence (seconds dropped, so never late)."""
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=cadence_minutes)


def utc_text(moment: dt.datetime) -> str:
    """A time as messages write it: '2026-11-25 14:35 UTC'."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
