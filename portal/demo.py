"""The demo-data hook: each app contributes a ``demo.py`` with a ``seed(ctx)`` function.

portal does not import the domain apps; ``seed_demo`` discovers their ``demo`` modules in INSTALLED_APPS order
(partnerships → activities → assessments), so each app builds on what the previous ones made.

The demo's clock (``DemoClock``, on ``ctx.clock``) is the one notion of time every demo module reads: the day the
story is told from and the span it fills. The span is whole quarters — the four closed quarters before today's and
the open one, the five the assessments seeder computes — so every quarter the demo shows is filled from its first
day, whatever the date.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import OutputWrapper
from django.utils import timezone

DEMO_PASSWORD = "gongjian-demo"
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


@dataclass
class DemoContext:
    """Shared state handed from one app's seeder to the next, plus progress output."""

    stdout: OutputWrapper
    style: Any
    create_passwords: bool
    data: dict[str, Any] = field(default_factory=dict)
    clock: DemoClock = field(default_factory=DemoClock.current)

    def step(self, message: str) -> None:
        self.stdout.write(f"  · {message}")

    def progress(self, label: str, done: int, total: int) -> None:
        """A one-line progress bar, rewritten in place."""
        if not self.stdout.isatty() and done < total:
            return  # in logs and CI, only the finished line is useful
        width = 30
        filled = int(width * done / total) if total else width
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r    {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end)
        self.stdout.flush()


def seeders():
    """(app label, seed function) for every installed app that ships a demo module."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            found.append((config.label, module.seed))
    return found
