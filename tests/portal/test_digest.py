"""The daily digest email and absolute links in emails: one email per user with their digest-marked reminders,
grouped by kind, in Chinese, exactly once."""

from __future__ import annotations

import datetime as dt
import socket

from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from portal import notifications
from portal.models import Notification, NotificationPreference
from portal.sweep import sweep
from tests.factories import ActionItemFactory, AgreementFactory

DUE_TODAY = "action_item.due_today"
OVERDUE = "action_item.overdue"


def _sent(user, n: int, *, kind=DUE_TODAY, email="digest", title="督办事项今日到期：第{n}项", url="/me/"):
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            kind=kind,
            target_type=ContentType.objects.get_for_model(type(user)),
            target_id=user.pk,
            occurrence=f"{kind}-{i}",
            recipient=user,
            title=title.format(n=i),
            body="协议：汇总测试共建协议。",
            url=url,
            due_at=now - dt.timedelta(hours=1),
            status=Notification.Status.SENT,
            sent_at=now - dt.timedelta(minutes=i),
            channels={"email": email},
        )
        for i in range(n)
    )


def test_a_digest_user_gets_one_email_with_all_their_digest_reminders_grouped_by_kind(world, settings):
    _sent(world.secretary1, 2)
    _sent(world.secretary1, 1, kind=OVERDUE, title="督办事项已逾期：整改第{n}项", url="/action-items/7/")

    result = notifications.digest_send_all()

    assert result == {"emails": 1, "notifications": 3}
    (message,) = mail.outbox
    assert message.to == [world.secretary1.email]
    assert message.subject.startswith(settings.EMAIL_SUBJECT_PREFIX) and "3" in message.subject
    text = message.body
    assert "您好" in text  # the greeting, in the site language
    assert text.index("【督办事项今日到期】") < text.index("督办事项今日到期：第0项") < text.index("【督办事项逾期】")
    assert "整改第0项" in text and f"{settings.SITE_URL}/action-items/7/" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'lang="zh-hans"' in html
    assert f'href="{settings.SITE_URL}/me/"' in html and "督办事项今日到期：第1项" in html
    assert Notification.objects.filter(digested_at__isnull=False).count() == 3


def test_the_digest_subject_is_in_chinese(world):
    _sent(world.secretary1, 2)
    notifications.digest_send_all()
    assert "今日提醒汇总" in mail.outbox[0].subject and "2 条" in mail.outbox[0].subject


def test_nothing_is_sent_twice_on_a_second_run(world):
    _sent(world.secretary1, 2)
    notifications.digest_send_all()
    assert notifications.digest_send_all() == {"emails": 0, "notifications": 0}
    assert len(mail.outbox) == 1

    _sent(world.secretary1, 1, kind=OVERDUE)  # a new one arrives: only it goes in the next digest
    notifications.digest_send_all()
    assert len(mail.outbox) == 2 and "（1" in mail.outbox[1].subject


def test_users_without_the_digest_get_none(world):
    _sent(world.secretary2, 3, email="sent")
    _sent(world.member1, 2, email="off")
    assert notifications.digest_send_all() == {"emails": 0, "notifications": 0}
    assert not mail.outbox


def test_rows_another_worker_claimed_are_not_sent_again(world):
    _sent(world.secretary1, 2)
    # Worker A has claimed them (the conditional update) and is sending; worker B starts its run now.
    Notification.objects.update(digested_at=timezone.now(), digest_token="worker-a")
    assert notifications.digest_send(user=world.secretary1) == 0
    assert notifications.digest_send_all() == {"emails": 0, "notifications": 0}
    assert not mail.outbox


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_email_gives_the_rows_back_for_the_next_run(world, settings):
    _sent(world.secretary1, 2)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2

    assert notifications.digest_send_all() == {"emails": 0, "notifications": 0}
    assert not Notification.objects.filter(digested_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.digest_send_all() == {"emails": 1, "notifications": 2}


def test_from_the_sweep_to_the_digest(world):
    """A user who chose the digest gets no single email from the sweep, then the daily task sends the digest."""
    from portal.tasks import send_digests

    today = dt.date(2026, 11, 25)
    now = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
    agreement = AgreementFactory(
        number="GJ-DIG-01",
        title="汇总测试共建协议",
        term_start=today - dt.timedelta(days=100),
        term_end=today + dt.timedelta(days=100),
        parties=[world.branch_a],
    )
    item = ActionItemFactory(agreement=agreement, title="清理围挡垃圾", responsible_party=world.branch_a, due_on=today)
    NotificationPreference.objects.create(user=world.secretary1, kind=DUE_TODAY, digest=True)

    sweep(now)
    assert not mail.outbox

    result = send_digests.delay().get()

    assert result == {"emails": 1, "notifications": 1}
    (message,) = mail.outbox
    assert "清理围挡垃圾" in message.body and item.get_absolute_url() in message.body
    assert send_digests.delay().get() == {"emails": 0, "notifications": 0}


def test_single_emails_link_with_the_site_address(world, settings):
    settings.SITE_URL = "https://gongjian.example.cn"
    row = Notification.objects.create(
        kind=DUE_TODAY,
        target_type=ContentType.objects.get_for_model(type(world.secretary1)),
        target_id=world.secretary1.pk,
        occurrence="link",
        recipient=world.secretary1,
        title="督办事项今日到期：清理围挡垃圾",
        url="/action-items/3/",
        due_at=timezone.now(),
    )
    message = notifications.render_email(row)
    assert "https://gongjian.example.cn/action-items/3/" in message.body
    assert 'href="https://gongjian.example.cn/action-items/3/"' in message.alternatives[0][0]
