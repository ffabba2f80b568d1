"""Assessment reminders through the real sweep: the quarter's self-assessment opening, its due date, and published
results — each due, not yet due, already sent (never twice) and cancelled when no longer wanted.

2025 Q2 ends on 30 June: its self-assessment opens on 16 June and is due on 10 July (reminded on 7 July).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from assessments import reminders, rules
from assessments.models import Indicator, IndicatorScore, QuarterRollup
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from portal.models import Notification, ReminderRule
from portal.sweep import plan, sweep

SH = ZoneInfo("Asia/Shanghai")
Y, Q = 2025, 2


def at(month, day, hour=9):
    return dt.datetime(Y, month, day, hour, tzinfo=SH)


@pytest.fixture
def results(world):
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    return {
        "a": QuarterRollup.objects.get(organization=world.branch_a, year=Y, quarter=Q),
        "b": QuarterRollup.objects.get(organization=world.branch_b, year=Y, quarter=Q),
    }


def rows(kind):
    return Notification.objects.filter(kind=kind).select_related("recipient").order_by("recipient__username")


def submit(world, rollup):
    manual = IndicatorScore.objects.filter(rollup=rollup, indicator__source=Indicator.Source.MANUAL)
    review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=rollup,
        narrative="自评",
        self_points={s.indicator_id: 3 for s in manual},
        submit=True,
    )


def test_the_window_is_the_last_15_days_and_due_on_the_10th_day_after():
    assert rules.self_assessment_window(Y, Q) == (dt.date(Y, 6, 16), dt.date(Y, 7, 10))
    assert rules.self_assessment_window(Y, 4) == (dt.date(Y, 12, 17), dt.date(Y + 1, 1, 10))


# --- opening -----------------------------------------------------------------------------------------------------


def test_self_open_is_not_planned_before_the_eve_of_the_opening(world, results):
    plan(at(6, 14))
    assert not rows(reminders.SELF_OPEN).exists()


def test_self_open_waits_pending_on_the_eve_then_goes_to_each_branch_secretary_once(world, results):
    plan(at(6, 15))
    pending = rows(reminders.SELF_OPEN)
    assert [n.recipient for n in pending] == [world.secretary1, world.secretary2]
    assert {n.status for n in pending} == {Notification.Status.PENDING}
    assert pending[0].due_at == at(6, 16, 8) and pending[0].occurrence == f"{Y}Q{Q}"
    assert sweep(at(6, 15, 20))["sent"] == 0  # not yet due
    summary = sweep(at(6, 16, 9))
    assert summary["sent"] == 2
    assert {n.status for n in rows(reminders.SELF_OPEN)} == {Notification.Status.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == ["secretary1@example.cn", "secretary2@example.cn"]
    # Already sent: the next sweeps (same day, next day) create and send nothing more.
    assert sweep(at(6, 16, 10))["sent"] == 0
    assert sweep(at(6, 17, 9))["created"] == 0
    assert rows(reminders.SELF_OPEN).count() == 2


def test_self_open_is_cancelled_for_a_branch_that_submits_before_it_goes_out(world, results):
    plan(at(6, 15))
    submit(world, results["a"])
    summary = plan(at(6, 15, 12))
    assert summary["cancelled"] >= 1
    statuses = {n.recipient.username: n.status for n in rows(reminders.SELF_OPEN)}
    assert statuses == {"secretary1": Notification.Status.CANCELLED, "secretary2": Notification.Status.PENDING}


# --- due ---------------------------------------------------------------------------------------------------------


def test_self_due_goes_out_three_days_before_the_due_date(world, results):
    plan(at(7, 5))
    assert not rows(reminders.SELF_DUE).exists()  # not yet due
    plan(at(7, 6))
    pending = rows(reminders.SELF_DUE)
    assert pending.count() == 2 and pending[0].due_at == at(7, 7, 8)
    assert pending[0].occurrence == "d-3:2025-07-10"
    sweep(at(7, 7, 9))  # (the opening reminder, never sent in this story, goes out too)
    assert {n.status for n in rows(reminders.SELF_DUE)} == {Notification.Status.SENT}
    assert sweep(at(7, 8, 9))["created"] == 0  # already sent: never twice
    plan(at(7, 11))  # after the due date nothing new is offered
    assert rows(reminders.SELF_DUE).count() == 2


def test_self_due_follows_the_rule_offset_and_is_cancelled_by_submitting(world, results):
    ReminderRule.objects.update_or_create(kind=reminders.SELF_DUE, defaults={"offset_days": 1})
    plan(at(7, 6))
    assert not rows(reminders.SELF_DUE).exists()
    plan(at(7, 8))
    assert rows(reminders.SELF_DUE).count() == 2
    submit(world, results["a"])
    plan(at(7, 8, 12))
    statuses = {n.recipient.username: n.status for n in rows(reminders.SELF_DUE)}
    assert statuses == {"secretary1": Notification.Status.CANCELLED, "secretary2": Notification.Status.PENDING}


# --- published ---------------------------------------------------------------------------------------------------


def review_and_publish(world, rollup):
    manual = IndicatorScore.objects.filter(rollup=rollup, indicator__source=Indicator.Source.MANUAL)
    review_services.review_save(
        actor=world.committee,
        rollup=rollup,
        review_points={s.indicator_id: 4 for s in manual},
        adjustments={},
        highlights="",
        weaknesses="",
    )
    review_services.rollup_publish(actor=world.committee, rollup=rollup)


def test_published_is_offered_only_for_published_results(world, results):
    plan(timezone.now())
    assert not rows(reminders.PUBLISHED).exists()  # nothing published yet


def test_published_is_sent_once_to_the_branch_secretaries(world, results):
    review_and_publish(world, results["a"])  # on_commit does not run here: the sweep alone plans it
    summary = sweep(timezone.now() + dt.timedelta(seconds=1))
    assert summary["sent"] == 1
    row = rows(reminders.PUBLISHED).get()
    assert row.recipient == world.secretary1 and row.status == Notification.Status.SENT
    assert str(Y) in row.title and row.url
    # The direct insert after commit finds the row already there and adds nothing; a later sweep neither.
    assert reminders.notify_published([results["a"].pk]) == 0
    assert sweep(timezone.now() + dt.timedelta(minutes=5))["created"] == 0


def test_published_pending_rows_are_cancelled_when_the_result_is_unpublished(world, results):
    review_and_publish(world, results["a"])
    plan(timezone.now() + dt.timedelta(seconds=1))
    assert rows(reminders.PUBLISHED).get().status == Notification.Status.PENDING
    review_services.rollup_unpublish(actor=world.admin, rollup=results["a"])
    plan(timezone.now() + dt.timedelta(seconds=2))
    assert rows(reminders.PUBLISHED).get().status == Notification.Status.CANCELLED


def test_a_disabled_kind_creates_nothing(world, results):
    ReminderRule.objects.update_or_create(kind=reminders.PUBLISHED, defaults={"enabled": False})
    review_and_publish(world, results["a"])
    assert reminders.notify_published([results["a"].pk]) == 0
    plan(timezone.now() + dt.timedelta(seconds=1))
    assert not rows(reminders.PUBLISHED).exists()
