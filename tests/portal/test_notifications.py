"""Notifications: email content, channel preferences, the notification centre, the header badge and the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal import notifications, reminders
from portal.celery import app
from portal.models import Notification, NotificationPreference
from portal.sweep import claim_ids

KIND = "action_item.due_today"


def _row(user, n: int = 0, *, status=Notification.Status.PENDING, kind=KIND, **extra) -> Notification:
    return Notification(
        kind=kind,
        target_type=ContentType.objects.get_for_model(type(user)),
        target_id=user.pk,
        occurrence=f"2026-11-{n + 1:02d}" if n < 28 else f"n-{n}",
        recipient=user,
        title=extra.pop("title", f"督办事项今日到期：第{n}项"),
        body=extra.pop("body", "协议：提醒测试共建协议。"),
        url=extra.pop("url", "/me/"),
        due_at=timezone.now() - dt.timedelta(minutes=1),
        status=status,
        **extra,
    )


def _deliver(*rows: Notification) -> dict:
    saved = Notification.objects.bulk_create(rows)
    return notifications.deliver(claim_ids([row.pk for row in saved], timezone.now()))


def _sent(user, n: int, **extra) -> list[Notification]:
    now = timezone.now()
    return Notification.objects.bulk_create(
        _row(user, i, status=Notification.Status.SENT, sent_at=now - dt.timedelta(minutes=i), **extra) for i in range(n)
    )


# --- email --------------------------------------------------------------------------------------------------------


def test_the_email_has_a_subject_plain_text_and_html_in_the_site_language(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    _deliver(_row(world.secretary1, title="督办事项今日到期：清理围挡垃圾"))

    (message,) = mail.outbox
    assert message.to == [world.secretary1.email]
    assert message.subject.startswith(settings.EMAIL_SUBJECT_PREFIX)
    assert "清理围挡垃圾" in message.subject and "\n" not in message.subject
    assert "清理围挡垃圾" in message.body and "/me/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="zh-hans"' in html and "清理围挡垃圾" in html and f'href="{settings.SITE_URL}/me/"' in html


def test_the_email_is_rendered_in_the_site_language_whatever_the_request_language(world, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        _deliver(_row(world.secretary1))
    html, _mimetype = mail.outbox[0].alternatives[0]
    assert 'lang="zh-hans"' in html


def test_email_switched_off_sends_no_mail_but_keeps_the_portal_notification(world):
    NotificationPreference.objects.create(user=world.secretary1, kind=KIND, email=False)
    _deliver(_row(world.secretary1))
    assert not mail.outbox
    row = Notification.objects.get()
    assert row.status == Notification.Status.SENT and row.channels == {"email": "off"}
    assert Notification.objects.unread_for(world.secretary1).count() == 1


def test_in_app_switched_off_hides_it_from_the_centre_but_still_emails(world):
    NotificationPreference.objects.create(user=world.secretary1, kind=KIND, in_app=False)
    _deliver(_row(world.secretary1))
    assert len(mail.outbox) == 1
    assert not Notification.objects.unread_for(world.secretary1).exists()


def test_the_digest_takes_the_place_of_single_emails(world):
    NotificationPreference.objects.create(user=world.secretary1, kind=KIND, digest=True)
    _deliver(_row(world.secretary1))
    assert not mail.outbox
    assert Notification.objects.get().channels == {"email": "digest"}


def test_a_user_without_an_address_gets_the_portal_notification_only(world):
    world.secretary1.email = ""
    world.secretary1.save()
    _deliver(_row(world.secretary1))
    assert not mail.outbox
    assert Notification.objects.get().status == Notification.Status.SENT


def test_only_claimed_rows_are_delivered(world):
    row = Notification.objects.bulk_create([_row(world.secretary1)])[0]
    assert notifications.deliver([row.pk]) == {"sent": 0, "failed": 0}  # still pending: not claimed
    assert not mail.outbox


# --- the notification centre ------------------------------------------------------------------------------------------


def test_the_centre_lists_unread_by_default_and_all_on_request(client_for, world):
    read, unread = _sent(world.secretary1, 2)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client = client_for(world.secretary1)

    response = client.get(reverse("notifications"))
    assert [n.pk for n in response.context["notifications"]] == [unread.pk]

    response = client.get(reverse("notifications"), {"show": "all"})
    assert {n.pk for n in response.context["notifications"]} == {read.pk, unread.pk}


def test_the_centre_filters_by_kind(client_for, world):
    _sent(world.secretary1, 2)
    other = _sent(world.secretary1, 1, kind="agreement.expiring")[0]
    response = client_for(world.secretary1).get(reverse("notifications"), {"kind": "agreement.expiring"})
    assert [n.pk for n in response.context["notifications"]] == [other.pk]


def test_the_centre_shows_nobody_elses_notifications(client_for, world):
    _sent(world.secretary2, 3)
    response = client_for(world.secretary1).get(reverse("notifications"), {"show": "all"})
    assert list(response.context["notifications"]) == []
    assert 'data-testid="unread-badge"' not in response.content.decode()


def test_pending_and_cancelled_rows_are_not_shown(client_for, world):
    Notification.objects.bulk_create(
        [_row(world.secretary1, 0), _row(world.secretary1, 1, status=Notification.Status.CANCELLED)]
    )
    response = client_for(world.secretary1).get(reverse("notifications"), {"show": "all"})
    assert list(response.context["notifications"]) == []


@pytest.mark.parametrize("show", ["unread", "all"])
def test_the_centre_costs_the_same_queries_for_5_or_60_notifications(
    client_for, world, django_assert_max_num_queries, show
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.secretary1)
    counts = []
    for n in (5, 60):
        Notification.objects.all().delete()
        _sent(world.secretary1, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("notifications"), {"show": show})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get(reverse("notifications"), {"show": show})


def test_the_header_badge_counts_unread_notifications(client_for, world):
    _sent(world.secretary1, 3)
    body = client_for(world.secretary1).get(reverse("profile")).content.decode()
    assert 'data-testid="unread-badge"' in body
    assert ">3<" in body.split('data-testid="unread-badge"')[1][:10]


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, world):
    (row,) = _sent(world.secretary1, 1, url="/me/")
    response = client_for(world.secretary1).get(reverse("notification_open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == "/me/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_a_notification_with_a_foreign_link_goes_back_to_the_centre(client_for, world):
    (row,) = _sent(world.secretary1, 1, url="https://evil.example/")
    response = client_for(world.secretary1).get(reverse("notification_open", args=[row.pk]))
    assert response["Location"] == reverse("notifications")


def test_someone_elses_notification_is_404(client_for, world):
    (row,) = _sent(world.secretary1, 1)
    response = client_for(world.secretary2).get(reverse("notification_open", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read_touches_only_my_notifications(client_for, world):
    _sent(world.secretary1, 3)
    _sent(world.secretary2, 2)
    response = client_for(world.secretary1).post(reverse("notifications_mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.unread_for(world.secretary1).exists()
    assert Notification.objects.unread_for(world.secretary2).count() == 2


# --- preferences ---------------------------------------------------------------------------------------------------


def test_the_preferences_page_has_a_row_per_kind(client_for, world):
    response = client_for(world.secretary1).get(reverse("notification_preferences"))
    assert [row["kind"] for row in response.context["rows"]] == list(reminders.kinds())
    assert all(row["values"] == {"in_app": True, "email": True, "digest": False} for row in response.context["rows"])


def test_saving_preferences_stores_each_kinds_channels(client_for, world):
    data = {f"{kind}:in_app": "on" for kind in reminders.kinds()}
    data[f"{KIND}:email"] = "on"
    data[f"{KIND}:digest"] = "on"
    data["unknown.kind:email"] = "on"

    response = client_for(world.secretary1).post(reverse("notification_preferences"), data)

    assert response.status_code == 302
    prefs = {
        p.kind: (p.in_app, p.email, p.digest) for p in NotificationPreference.objects.filter(user=world.secretary1)
    }
    assert set(prefs) == set(reminders.kinds())
    assert prefs[KIND] == (True, True, True)
    assert prefs["agreement.expiring"] == (True, False, False)


def test_saving_twice_updates_rather_than_duplicates(client_for, world):
    client = client_for(world.secretary1)
    client.post(reverse("notification_preferences"), {})
    client.post(reverse("notification_preferences"), {f"{KIND}:email": "on"})
    assert NotificationPreference.objects.filter(user=world.secretary1).count() == len(reminders.kinds())
    assert NotificationPreference.objects.get(user=world.secretary1, kind=KIND).email


# --- the task ---------------------------------------------------------------------------------------------------------


def test_the_sweep_task_runs_the_sweep(world):
    from portal.tasks import sweep_reminders

    # A kind nobody registers: the sweep's planning step leaves it alone and only the claim-and-send part acts.
    Notification.objects.bulk_create([_row(world.secretary1, kind="tests.unregistered")])
    result = sweep_reminders.delay().get()
    assert result["sent"] == 1
    assert Notification.objects.get().status == Notification.Status.SENT


def test_the_sweep_is_scheduled_every_five_minutes(settings):
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "portal.tasks.sweep_reminders"]
    assert entry["schedule"].minute == set(range(0, 60, 5))
    assert "portal.tasks.sweep_reminders" in app.tasks


def test_every_kind_of_this_issue_is_registered():
    assert set(reminders.kinds()) >= {
        "action_item.due_soon",
        "action_item.due_today",
        "action_item.overdue",
        "action_item.escalated",
        "agreement.expiring",
        "meeting.minutes_unpublished",
        "activity.upcoming",
        "activity.not_logged",
    }


def test_admins_edit_one_rule_per_kind_and_only_read_notifications(client_for, world):
    from portal.models import ReminderRule

    client = client_for(world.admin)
    assert client.get("/admin/portal/reminderrule/").status_code == 200
    assert set(ReminderRule.objects.values_list("kind", flat=True)) == set(reminders.kinds())
    rule = ReminderRule.objects.get(kind="agreement.expiring")
    assert client.get(f"/admin/portal/reminderrule/{rule.pk}/change/").status_code == 200
    assert client.get("/admin/portal/notification/").status_code == 200
    assert client.get("/admin/portal/notification/add/").status_code == 403
