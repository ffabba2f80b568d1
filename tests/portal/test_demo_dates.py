"""The demo on any date: its clock spans whole quarters, and seeded at awkward dates (first and last day of a
quarter, just after midnight in Shanghai while it is still the day before in UTC, 1 January, 1 December, 29 February)
it keeps its own invariants — every quarter it shows is filled from its first day, the scores differ believably,
three closed quarters are published and the latest awaits review, and nothing that must be past is dated ahead."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from activities.models import Activity, PlannedActivity
from assessments.models import Indicator, IndicatorScore, QuarterRollup, Review, SelfAssessment
from demo.clock import STORY_RECENT, STORY_YEAR, DemoClock
from partnerships.models import Organization
from tests.rollback import rolled_back

SHANGHAI = ZoneInfo("Asia/Shanghai")
DONE = (Activity.Status.HELD, Activity.Status.LOGGED)
# Fields that record something that has happened: never after "now" (dates: never after today).
PAST_FIELDS = {
    "created_at",
    "updated_at",
    "logged_at",
    "published_at",
    "closed_at",
    "confirmed_at",
    "submitted_at",
    "reviewed_at",
    "computed_at",
    "history_date",
    "checked_on",
    "fixed_on",
    "joined_party_on",
    "signed_on",
}


def shanghai(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("today", "quarters"),
    [
        (dt.date(2027, 1, 1), [(2026, 1), (2026, 2), (2026, 3), (2026, 4), (2027, 1)]),
        (dt.date(2026, 12, 31), [(2025, 4), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
        (dt.date(2026, 12, 1), [(2025, 4), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
        (dt.date(2028, 2, 29), [(2027, 1), (2027, 2), (2027, 3), (2027, 4), (2028, 1)]),
        (dt.date(2027, 3, 31), [(2026, 1), (2026, 2), (2026, 3), (2026, 4), (2027, 1)]),
        (dt.date(2027, 4, 1), [(2026, 2), (2026, 3), (2026, 4), (2027, 1), (2027, 2)]),
    ],
)
def test_the_demo_clock_spans_whole_quarters(today, quarters):
    clock = DemoClock(today=today, now=shanghai(today.year, today.month, today.day, 12))

    assert clock.quarters == quarters
    assert clock.start == dt.date(quarters[0][0], 3 * quarters[0][1] - 2, 1)
    assert 365 <= clock.days_back <= 456


@pytest.mark.parametrize(
    "today", [dt.date(2027, 1, 1), dt.date(2026, 12, 31), dt.date(2028, 2, 29), dt.date(2027, 8, 15)]
)
def test_a_story_written_for_a_year_fills_every_quarter_shown(today):
    clock = DemoClock(today=today, now=shanghai(today.year, today.month, today.day, 12))
    days = [clock.story_day(offset) for offset in range(-900, 400)]

    assert clock.story_day(-STORY_YEAR) == clock.start  # the story's year ago is the oldest quarter's first day
    for offset in (-STORY_RECENT, -30, -1, 0, 9, 365):  # the recent past and the future, day for day
        assert clock.story_day(offset) == today + dt.timedelta(days=offset)
    assert all(later > earlier for earlier, later in zip(days, days[1:], strict=False))  # order and gaps kept


def test_the_demo_clock_reads_the_day_in_shanghai_not_utc():
    # 00:30 on 1 April in Shanghai is still 31 March in UTC: the demo's quarter is already the second.
    with time_machine.travel(shanghai(2027, 4, 1, 0, 30), tick=False):
        clock = DemoClock.current()
    assert clock.today == dt.date(2027, 4, 1)
    assert clock.quarters[-1] == (2027, 2) and clock.start == dt.date(2026, 4, 1)


def test_a_resumed_clock_stays_on_the_storys_day():
    clock = DemoClock(today=dt.date(2027, 5, 20), now=shanghai(2027, 5, 20, 9))

    resumed = clock.resumed(dt.date(2027, 2, 10))

    assert resumed.today == dt.date(2027, 2, 10) and resumed.now == shanghai(2027, 2, 10, 23, 59)
    assert resumed.quarters[-1] == (2027, 1)
    assert clock.resumed(dt.date(2027, 5, 20)) is clock


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-passwords", stdout=out)
    return out.getvalue()


def company_branches(year: int, quarter: int):
    group = Organization.objects.get(name="中衡建工集团华东建设有限公司党委")
    return QuarterRollup.objects.filter(year=year, quarter=quarter, organization__path__startswith=group.path)


def months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """(year, month) from ``start``'s month up to, not including, ``end``'s month."""
    found, year, month = [], start.year, start.month
    while (year, month) < (end.year, end.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def check_invariants(output: str, clock: DemoClock) -> None:
    *closed, current = clock.quarters
    assert "quarter results: 5 quarters computed" in output

    # Every quarter shown is filled from its first day: the company branches held activities in every month of the
    # span, the oldest quarter's first month included, and the plans have rows in those months.
    group = Organization.objects.get(name="中衡建工集团华东建设有限公司党委")
    held = Activity.objects.filter(lead__path__startswith=group.path, status__in=DONE, starts_at__lt=clock.now)
    held_months = {
        (s.year, s.month) for s in (timezone.localtime(a, SHANGHAI) for a in held.values_list("starts_at", flat=True))
    }
    span = months(clock.start, clock.today)
    assert span[0] == (closed[0][0], 3 * closed[0][1] - 2)
    assert set(span) <= held_months, sorted(set(span) - held_months)
    planned = set(PlannedActivity.objects.values_list("plan__year", "month"))
    assert {(closed[0][0], 3 * closed[0][1] - 2 + n) for n in range(3)} <= planned

    # The scores differ believably between branches and quarters. The quarter awaiting review has no manual points
    # yet (10 of the 100), so its best branch may score a little lower.
    orders = set()
    for year, quarter in closed:
        totals = list(company_branches(year, quarter).values_list("total", flat=True))
        best = 85 if (year, quarter) != closed[-1] else 78
        assert len(totals) >= 8
        assert max(totals) >= best and max(totals) - min(totals) >= 20, (year, quarter, totals)
        assert len(set(totals)) >= 6, (year, quarter, totals)
        orders.add(
            tuple(company_branches(year, quarter).order_by("-total", "subject").values_list("organization", flat=True))
        )
    assert len(orders) > 1

    # The three oldest closed quarters are published with reviews; the latest closed one is submitted, awaiting
    # review; the open one is provisional.
    for year, quarter in closed[:3]:
        rollups = company_branches(year, quarter)
        assert set(rollups.values_list("status", flat=True)) == {QuarterRollup.Status.PUBLISHED}
        assert Review.objects.filter(rollup__in=rollups, published_at__isnull=False).count() == rollups.count()
        assert not IndicatorScore.objects.filter(
            rollup__in=rollups, indicator__source=Indicator.Source.MANUAL, review_points__isnull=True
        ).exists()
    latest = company_branches(*closed[-1])
    assert set(latest.values_list("status", flat=True)) == {QuarterRollup.Status.FINAL}
    submitted = SelfAssessment.objects.filter(rollup__in=latest, status=SelfAssessment.Status.SUBMITTED)
    assert submitted.count() >= latest.count() // 2
    assert not Review.objects.filter(
        rollup__in=latest, published_at__isnull=False
    ).exists()  # a few reviewed, none published
    assert set(QuarterRollup.objects.filter(year=current[0], quarter=current[1]).values_list("status", flat=True)) == {
        QuarterRollup.Status.PROVISIONAL
    }
    assert not QuarterRollup.objects.exclude(
        models.Q(*[models.Q(year=y, quarter=q) for y, q in clock.quarters], _connector=models.Q.OR)
    ).exists()

    # Nothing that has happened is dated after now (or after today), in any table or history table.
    now = timezone.now()
    for model in apps.get_models():
        if model._meta.app_label not in ("partnerships", "activities", "assessments", "portal"):
            continue
        for f in model._meta.concrete_fields:
            if f.name not in PAST_FIELDS:
                continue
            if isinstance(f, models.DateTimeField):
                ahead = model._default_manager.filter(**{f"{f.name}__gt": now})
            elif isinstance(f, models.DateField):
                ahead = model._default_manager.filter(**{f"{f.name}__gt": clock.today})
            else:
                continue
            assert not ahead.exists(), (model.__name__, f.name, list(ahead.values_list(f.name, flat=True)[:3]))
    # Held or logged activities have ended; planned ones have not started yet, or are still running.
    assert not Activity.objects.filter(status__in=DONE, ends_at__gt=now).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_keeps_its_invariants_on_awkward_dates():
    for moment in (
        shanghai(2027, 4, 1, 0, 30),  # first day of a quarter, still 31 March in UTC
        shanghai(2027, 9, 30, 23, 30),  # last day of a quarter
        shanghai(2028, 1, 1, 9),  # 1 January
        shanghai(2027, 12, 1, 10),  # 1 December
        shanghai(2028, 2, 29, 15),  # 29 February
    ):
        with rolled_back(), time_machine.travel(moment, tick=True):
            clock = DemoClock.current()
            check_invariants(seed_demo(), clock)
