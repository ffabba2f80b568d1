"""The demo's one clock: the day the story is told from (``DemoClock``) and ``as_of``, which runs the enclosed saves
as if it were a given moment.

The span is whole quarters — the four closed quarters before today's and the open one, the five the assessments
seeder computes — so every quarter the demo shows is filled from its first day, whatever the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.utils import timezone

CLOSED_QUARTERS = 4  # closed quarters the demo shows before the open one
# The demo's stories (agreements, meetings, zone checks) are written in days from today for a year of past; the
# recent past is told day for day, the older part stretched so that "a year ago" falls on the span's first day.
STORY_YEAR = 365
STORY_RECENT = 120


def _quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


@dataclass(frozen=True)
class DemoClock:
    """The day the demo story is told from, the moment that counts as "now", and the whole quarters it fills.

    ``now`` never leaves ``today``: a re-run on a later day is ``resumed`` on the story's first day, so new rows fit
    the old ones.
    """

    today: dt.date
    now: dt.datetime

    @classmethod
    def current(cls) -> DemoClock:
        now = timezone.now()
        return cls(today=timezone.localdate(now), now=now)

    def resumed(self, day: dt.date) -> DemoClock:
        """The clock of a story first told on ``day`` (a re-run of the seeder on a later day)."""
        if day >= self.today:
            return self
        end_of_day = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))
        return DemoClock(today=day, now=min(self.now, end_of_day))

    @property
    def quarters(self) -> list[tuple[int, int]]:
        """(year, quarter) of the closed quarters the demo shows, oldest first, then the open one."""
        found = [_quarter_of(self.today)]
        for _ in range(CLOSED_QUARTERS):
            found.append(_previous_quarter(*found[-1]))
        return found[::-1]

    @property
    def start(self) -> dt.date:
        """The first day of the oldest quarter the demo shows: where its story of past work begins."""
        year, quarter = self.quarters[0]
        return dt.date(year, 3 * quarter - 2, 1)

    @property
    def days_back(self) -> int:
        """Days from ``start`` to ``today`` (between 365 and 456)."""
        return (self.today - self.start).days

    def story_day(self, offset: int) -> dt.date:
        """The day of a story event written ``offset`` days from today (negative: the past).

        The future and the last ``STORY_RECENT`` days are kept day for day (a meeting next week, an item due soon);
        the older past is stretched so that the story's ``-STORY_YEAR`` falls on ``start``, and a story that fills
        its year fills every quarter the demo shows, from its first day. Strictly increasing: the order of the
        events, and the gaps between them, are kept or widened, never narrowed.
        """
        if offset >= -STORY_RECENT:
            return self.today + dt.timedelta(days=offset)
        stretch = (self.days_back - STORY_RECENT) / (STORY_YEAR - STORY_RECENT)
        return self.today + dt.timedelta(days=-STORY_RECENT + round((offset + STORY_RECENT) * stretch))


@contextmanager
def as_of(moment: dt.datetime) -> Iterator[None]:
    """Run the enclosed writes as if it were ``moment``: the demo's one way to make history in the past.

    ``django.utils.timezone.now`` is what the services (their date checks), ``auto_now``/``auto_now_add`` fields and
    django-simple-history read; pointing it at the story's moment makes every row and history entry carry that time.
    Seeding only, in one thread.
    """
    with mock.patch.object(timezone, "now", new=lambda: moment):
        yield
