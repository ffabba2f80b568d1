"""The quarters automatic indicators are measured over, in Asia/Shanghai (``TIME_ZONE``): their dates and instants,
and ``Period``, a quarter with the moment it is measured at."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First day of the quarter and first day after it."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be between 1 and 4")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end


def quarter_datetimes(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    """The quarter as aware datetimes [start, end) at midnight in the portal's time zone (Asia/Shanghai)."""
    start, end = quarter_bounds(year, quarter)
    tz = _tz()
    return dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end, dt.time(), tz)


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def current_quarter(today: dt.date | None = None) -> tuple[int, int]:
    return quarter_of(today or timezone.localdate())


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_months(quarter: int) -> list[int]:
    return [3 * quarter - 2, 3 * quarter - 1, 3 * quarter]


@dataclass(frozen=True)
class Period:
    """A quarter and the moment it is measured at: records whose deadline has not passed yet are not held
    against anyone (``cutoff`` is the end of the quarter, or now while it is still open)."""

    year: int
    quarter: int
    now: dt.datetime

    @property
    def start(self) -> dt.date:
        return quarter_bounds(self.year, self.quarter)[0]

    @property
    def end(self) -> dt.date:
        return quarter_bounds(self.year, self.quarter)[1]

    @property
    def start_dt(self) -> dt.datetime:
        return quarter_datetimes(self.year, self.quarter)[0]

    @property
    def end_dt(self) -> dt.datetime:
        return quarter_datetimes(self.year, self.quarter)[1]

    @property
    def cutoff(self) -> dt.date:
        """The first day not yet measured: the day after the quarter, or today while it is open."""
        return min(self.end, timezone.localtime(self.now, _tz()).date())
