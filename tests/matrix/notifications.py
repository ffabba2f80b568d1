"""Access-matrix rows for the notification centre: the list, opening one, mark all read, preferences.

Everyone owns their own notifications, so there is no read-only role; the outsider gets 404 for secretary1's
notification and sees only their own (empty) centre.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification
from tests.matrix import Case

TITLE = "矩阵通知：督办事项今日到期"


def objects(world) -> dict:
    notification = Notification.objects.create(
        kind="action_item.due_today",
        target_type=ContentType.objects.get_for_model(type(world.branch_a)),
        target_id=world.branch_a.pk,
        occurrence="matrix",
        recipient=world.secretary1,
        title=TITLE,
        url=reverse("profile"),
        due_at=timezone.now(),
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
    )
    return {"notif_secretary1": notification}


CASES: dict[str, Case] = {
    "notifications": Case(
        lambda w, o: reverse("notifications"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: TITLE,
    ),
    "notification_open": Case(
        lambda w, o: reverse("notification_open", args=[o["notif_secretary1"].pk]),
        owner="secretary1",
        get_ok=False,
        outsider_status=404,
        extra={"note": "a GET that redirects: covered in tests/portal/test_notifications.py"},
    ),
    "notifications_mark_all_read": Case(
        lambda w, o: reverse("notifications_mark_all_read"),
        owner="secretary1",
        get_ok=False,
        owner_post=lambda w, o: {},
        outsider_status=405,
    ),
    "notification_preferences": Case(
        lambda w, o: reverse("notification_preferences"),
        owner="secretary1",
        owner_post=lambda w, o: {"action_item.due_today:in_app": "on"},
        outsider_status=200,
    ),
}
