"""UTC windows: which window a timestamp falls in, its label, and when it resets.

Fixed-length periods are counted from the Unix epoch, so minute, hour and day windows align with UTC
(POSIX time has no leap seconds). Months follow the calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime

FIXED_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
PERIODS = (*FIXED_SECONDS, "month")


def month_index(now: float) -> int:
    """Months since January of year 0: a monotonic integer id for the calendar month of `now`."""
    dt = datetime.fromtimestamp(now, UTC)
    return dt.year * 12 + dt.month - 1


def month_bounds(index: int) -> tuple[float, float]:
    """Start and end (epoch seconds) of the calendar month with id `index`."""
    year, month0 = divmod(index, 12)
    start = datetime(year, month0 + 1, 1, tzinfo=UTC)
    nyear, nmonth0 = divmod(index + 1, 12)
    end = datetime(nyear, nmonth0 + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


def window_index(period: str, now: float) -> int:
    """The integer id of the window of `period` that contains `now`."""
    if period == "month":
        return month_index(now)
    try:
        return int(now // FIXED_SECONDS[period])
    except KeyError:
        raise ValueError(f"unknown period {period!r}; valid: {', '.join(PERIODS)}") from None


def window_bounds(period: str, index: int) -> tuple[float, float]:
    """Start and end (epoch seconds) of window `index` of `period`."""
    if period == "month":
        return month_bounds(index)
    size = FIXED_SECONDS[period]
    return float(index * size), float((index + 1) * size)


def seconds_until_reset(period: str, now: float) -> float:
    """Seconds from `now` until the window of `period` containing `now` ends."""
    return window_bounds(period, window_index(period, now))[1] - now


def period_seconds(period: str, now: float | None = None) -> float:
    """Length of a period in seconds (for months: the month containing `now`, default 30 days)."""
    if period == "month":
        if now is None:
            return 30 * 86400.0
        start, end = month_bounds(month_index(now))
        return end - start
    return float(FIXED_SECONDS[period])


def window_label(period: str, index: int) -> str:
    """A readable UTC label: 2025-03-07 for a day, 2025-03 for a month, 2025-03-07T14:05Z for a minute."""
    start = datetime.fromtimestamp(window_bounds(period, index)[0], UTC)
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "day":
        return start.strftime("%Y-%m-%d")
    if period == "hour":
        return start.strftime("%Y-%m-%dT%H:00Z")
    if period == "minute":
        return start.strftime("%Y-%m-%dT%H:%MZ")
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_index(now: float) -> int:
    """Hours since the epoch: the bucket of usage history."""
    return int(now // 3600)
