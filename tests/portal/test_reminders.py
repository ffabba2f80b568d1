"""The reminder sweep: every kind (due, not yet due, already sent, cancelled), moving dates, claims and recovery."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import Activity
from partnerships.models import ActionItem, Agreement, JointMeeting
from portal import reminders
from portal.models import Notification, NotificationPreference, ReminderRule
from portal.sweep import claim_ids, sweep
from tests.factories import ActionItemFactory, ActivityFactory, JointMeetingFactory, MembershipFactory, cast_agreement

TODAY = dt.date(2026, 11, 25)
NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))  # Asia/Shanghai, after the 08:00 reminder hour


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def agreement(world):
    return cast_agreement(
        world, number="GJ-REM-01", title="提醒测试共建协议", term_start=TODAY - days(200), term_end=TODAY + days(200)
    )


@pytest.fixture
def make_item(world, agreement):
    def make(due_on: dt.date, **extra) -> ActionItem:
        return ActionItemFactory(
            agreement=agreement,
            title=extra.pop("title", "清理施工围挡周边垃圾"),
            responsible_party=world.branch_a,
            responsible_person=extra.pop("responsible_person", world.secretary1),
            due_on=due_on,
            **extra,
        )

    return make


@pytest.fixture
def make_activity(world):
    def make(starts_at: dt.datetime, **extra) -> Activity:
        return ActivityFactory(
            title=extra.pop("title", "联合主题党日"), lead=world.branch_a, starts_at=starts_at, **extra
        )

    return make


def rows(kind: str, **filters):
    return Notification.objects.filter(kind=kind, **filters)


# --- action items -------------------------------------------------------------------------------------------------


def test_an_item_due_in_three_days_reminds_the_responsible_party(world, make_item):
    item = make_item(TODAY + days(3))

    summary = sweep(NOW)

    sent = rows("action_item.due_soon", status="sent")
    assert [(n.recipient, n.target_id, n.occurrence) for n in sent] == [(world.secretary1, item.pk, "d-3:2026-11-28")]
    assert summary["sent"] >= 1
    assert [m.to for m in mail.outbox] == [[world.secretary1.email]]


def test_an_item_due_later_is_not_reminded_yet(world, make_item):
    make_item(TODAY + days(10))
    sweep(NOW)
    assert not Notification.objects.exists()
    assert not mail.outbox


def test_the_responsible_person_and_the_partys_liaison_are_reminded_too(world, make_item):
    from portal.models import Membership

    MembershipFactory(user=world.liaison1, organization=world.branch_a, role=Membership.Role.LIAISON)
    make_item(TODAY + days(2), responsible_person=world.member1)
    sweep(NOW)
    recipients = set(rows("action_item.due_soon").values_list("recipient__username", flat=True))
    assert recipients == {"secretary1", "liaison1", "member1"}


def test_an_item_due_today_is_reminded_once(world, make_item):
    make_item(TODAY)
    sweep(NOW)
    sweep(NOW + dt.timedelta(hours=2))
    assert rows("action_item.due_today", status="sent").count() == 1
    assert len(mail.outbox) == 1


def test_the_reminder_of_the_day_waits_for_the_reminder_hour(world, make_item):
    make_item(TODAY)
    sweep(at(TODAY, 6))
    assert rows("action_item.due_today", status="pending").count() == 1
    assert not mail.outbox
    sweep(at(TODAY, 8))
    assert rows("action_item.due_today", status="sent").count() == 1


def test_an_overdue_item_is_reminded_every_day_until_closed(world, make_item):
    item = make_item(TODAY - days(2))

    sweep(NOW)
    sweep(NOW + dt.timedelta(hours=1))
    sweep(NOW + days(1))

    occurrences = list(rows("action_item.overdue", status="sent").values_list("occurrence", flat=True))
    assert sorted(occurrences) == ["overdue:2026-11-25", "overdue:2026-11-26"]

    ActionItem.objects.filter(pk=item.pk).update(status=ActionItem.Status.DONE)
    sweep(NOW + days(2))
    assert rows("action_item.overdue").count() == 2


def test_an_item_a_week_overdue_is_escalated_to_the_committee_reviewer(world, make_item):
    late = make_item(TODAY - days(8), title="逾期八天的事项")
    make_item(TODAY - days(5), title="逾期五天的事项")

    sweep(NOW)

    escalated = rows("action_item.escalated", status="sent")
    assert [(n.recipient, n.target_id) for n in escalated] == [(world.committee, late.pk)]
    assert world.committee.email in {address for m in mail.outbox for address in m.to}


def test_an_item_awaiting_confirmation_is_not_chased(world, make_item):
    make_item(TODAY - days(3), status=ActionItem.Status.AWAITING_CONFIRMATION, progress=100)
    sweep(NOW)
    assert not Notification.objects.exists()


def test_closing_an_item_cancels_its_pending_reminder(world, make_item):
    item = make_item(TODAY)
    sweep(at(TODAY, 6))  # created, not due before 08:00
    ActionItem.objects.filter(pk=item.pk).update(status=ActionItem.Status.CANCELLED, cancel_reason="不再需要")

    summary = sweep(NOW)

    assert summary["cancelled"] == 1
    assert rows("action_item.due_today").get().status == Notification.Status.CANCELLED
    assert not mail.outbox


def test_editing_a_due_date_moves_the_reminder(world, make_item):
    item = make_item(TODAY + days(3))
    sweep(at(TODAY, 6))
    assert rows("action_item.due_soon", status="pending").get().occurrence == "d-3:2026-11-28"

    item.due_on = TODAY + days(2)
    item.save()
    sweep(NOW)

    assert rows("action_item.due_soon", status="cancelled").get().occurrence == "d-3:2026-11-28"
    assert rows("action_item.due_soon", status="sent").get().occurrence == "d-3:2026-11-27"
    assert len(mail.outbox) == 1


# --- agreements and meetings -------------------------------------------------------------------------------------


def test_an_agreement_ending_within_30_days_reminds_both_parties(world, agreement):
    Agreement.objects.filter(pk=agreement.pk).update(term_end=TODAY + days(20))
    sweep(NOW)
    recipients = set(rows("agreement.expiring", status="sent").values_list("recipient__username", flat=True))
    assert recipients == {"secretary1", "liaison1"}
    assert rows("agreement.expiring").first().occurrence == "d-30:2026-12-15"


def test_an_agreement_ending_later_is_not_reminded(world, agreement):
    sweep(NOW)
    assert not rows("agreement.expiring").exists()


def test_minutes_unpublished_a_week_after_the_meeting_remind_the_host(world, agreement):
    late = JointMeetingFactory(
        agreement=agreement, title="第二次联席会议", starts_at=NOW - days(8), place="社区会议室", host=world.branch_a
    )
    JointMeetingFactory(
        agreement=agreement, title="第三次联席会议", starts_at=NOW - days(3), place="社区会议室", host=world.branch_a
    )
    JointMeetingFactory(
        agreement=agreement,
        title="已发布纪要的会议",
        starts_at=NOW - days(9),
        place="社区会议室",
        host=world.branch_a,
        minutes="纪要",
        minutes_status=JointMeeting.MinutesStatus.PUBLISHED,
        published_at=NOW - days(8),
    )

    sweep(NOW)

    assert [(n.target_id, n.recipient) for n in rows("meeting.minutes_unpublished", status="sent")] == [
        (late.pk, world.secretary1)
    ]


# --- activities -----------------------------------------------------------------------------------------------------


def test_an_activity_is_reminded_three_days_and_one_day_before(world, make_activity):
    from portal.models import Membership

    make_activity(at(TODAY + days(3), 14)).co_organizers.add(world.branch_b)
    assert Membership.objects.filter(user=world.secretary2, organization=world.branch_b).exists()

    sweep(NOW)
    first = set(rows("activity.upcoming", status="sent").values_list("recipient__username", "occurrence"))
    assert first == {("secretary1", "d-3:2026-11-28"), ("secretary2", "d-3:2026-11-28")}

    sweep(NOW + days(1))  # two days before: nothing new
    assert rows("activity.upcoming").count() == 2

    sweep(NOW + days(2))
    assert set(rows("activity.upcoming", occurrence="d-1:2026-11-28").values_list("status", flat=True)) == {"sent"}
    assert rows("activity.upcoming").count() == 4


def test_a_cancelled_activity_is_not_reminded(world, make_activity):
    activity = make_activity(at(TODAY + days(1), 9))
    sweep(at(TODAY, 6))
    assert rows("activity.upcoming", status="pending").count() == 1
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CANCELLED, cancel_reason="天气原因")
    sweep(NOW)
    assert rows("activity.upcoming", status="cancelled").count() == 1
    assert not mail.outbox


def test_an_activity_held_and_not_logged_after_two_days_reminds_the_lead_secretary(world, make_activity):
    old = make_activity(NOW - days(3), status=Activity.Status.HELD)
    make_activity(NOW - days(1), status=Activity.Status.HELD, title="昨天的活动")

    sweep(NOW)

    assert [(n.target_id, n.recipient) for n in rows("activity.not_logged", status="sent")] == [
        (old.pk, world.secretary1)
    ]


# --- the sweep's guarantees ------------------------------------------------------------------------------------------


def test_two_sweeps_in_a_row_create_and_send_nothing_new(world, make_item, make_activity, agreement):
    make_item(TODAY + days(1))
    make_item(TODAY - days(9))
    make_activity(at(TODAY + days(2), 9))
    first = sweep(NOW)
    outbox = len(mail.outbox)
    assert first["created"] > 0 and first["sent"] == first["created"]

    second = sweep(NOW)

    assert second == {"created": 0, "cancelled": 0, "recovered": 0, "sent": 0, "failed": 0}
    assert len(mail.outbox) == outbox


def test_a_disabled_rule_creates_nothing(world, make_item):
    reminders.ensure_rules()
    ReminderRule.objects.filter(kind="action_item.due_today").update(enabled=False)
    make_item(TODAY)
    sweep(NOW)
    assert not rows("action_item.due_today").exists()


def test_an_admin_can_change_the_timing(world, make_item):
    reminders.ensure_rules()
    ReminderRule.objects.filter(kind="action_item.due_soon").update(offset_days=5)
    make_item(TODAY + days(5))
    sweep(NOW)
    assert rows("action_item.due_soon").get().occurrence == "d-5:2026-11-30"


def test_two_claims_on_the_same_row_only_one_wins(world, make_item):
    make_item(TODAY)
    sweep(at(TODAY, 6))
    pk = rows("action_item.due_today").get().pk

    # Two workers read the same due ids before either updates them.
    first = claim_ids([pk], NOW)
    second = claim_ids([pk], NOW)

    assert first == [pk]
    assert second == []
    assert rows("action_item.due_today").get().status == Notification.Status.SENDING


def test_a_row_left_sending_by_a_dead_worker_is_sent_after_15_minutes(world, make_item):
    make_item(TODAY)
    sweep(at(TODAY, 6))
    Notification.objects.update(status=Notification.Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=5))

    sweep(NOW)
    assert rows("action_item.due_today").get().status == Notification.Status.SENDING  # its worker may be alive
    assert not mail.outbox

    summary = sweep(NOW + dt.timedelta(minutes=11))
    assert summary["recovered"] == 1
    assert rows("action_item.due_today").get().status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_a_failed_email_is_retried_later_with_backoff(world, make_item):
    make_item(TODAY)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        summary = sweep(NOW)
    row = rows("action_item.due_today").get()
    assert summary["failed"] == 1
    assert row.status == Notification.Status.PENDING and row.attempts == 1 and "smtp down" in row.last_error
    assert row.retry_at == NOW + dt.timedelta(minutes=5)

    sweep(NOW + dt.timedelta(minutes=1))
    assert not mail.outbox  # still backing off

    sweep(NOW + dt.timedelta(minutes=6))
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and len(mail.outbox) == 1


def test_after_the_last_attempt_the_row_is_failed_but_stays_in_the_portal(world, make_item):
    from portal import notifications

    make_item(TODAY)
    when = NOW
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        for _attempt in range(notifications.MAX_ATTEMPTS):
            sweep(when)
            when += dt.timedelta(hours=3)
    row = rows("action_item.due_today").get()
    assert row.status == Notification.Status.FAILED and row.attempts == notifications.MAX_ATTEMPTS
    assert Notification.objects.unread_for(world.secretary1).filter(pk=row.pk).exists()


def _many_items(agreement, world, n: int) -> None:
    ActionItem.objects.bulk_create(
        ActionItem(
            agreement=agreement,
            title=f"到期事项 {i}",
            responsible_party=world.branch_a,
            responsible_person=world.secretary1,
            due_on=TODAY,
        )
        for i in range(n)
    )


def _sweep_queries() -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        summary = sweep(NOW)
    return len(queries), summary


@pytest.mark.parametrize("email", [False, True])
def test_the_sweep_costs_the_same_queries_for_3_or_30_due_items(world, agreement, email):
    """Neither in-app rows nor e-mails cost a query per row: an e-mail's "sent" goes to the claim's SentLog, and
    the batch's states are written together at the end."""
    reminders.ensure_rules()
    if not email:
        NotificationPreference.objects.create(user=world.secretary1, kind="action_item.due_today", email=False)
    _many_items(agreement, world, 3)
    few, summary_few = _sweep_queries()
    Notification.objects.all().delete()
    ActionItem.objects.all().delete()
    _many_items(agreement, world, 30)
    many, summary_many = _sweep_queries()

    assert summary_few["sent"] == 3 and summary_many["sent"] == 30
    assert many == few
