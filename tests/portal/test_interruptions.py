"""Celery's time limits stop the delivery loops (robots, reminder emails, the digest) instead of being recorded as a
failed send, and leave every row recoverable.

The limit is raised the way a Celery worker raises it: billiard's SIGUSR1 handler raises ``SoftTimeLimitExceeded`` in
the main thread. A local TCP server sends that signal to this process as soon as a robot post or an SMTP connection
reaches it, so the exception arrives while the loop is blocked on the network, as it does in production.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading

import pytest
from billiard.pool import soft_timeout_sighandler
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from portal import claims, notifications
from portal.models import Notification, WebhookDelivery, WebhookEndpoint
from portal.webhooks import deliver as webhook_deliver

NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))


class Interrupter:
    """Accepts connections on 127.0.0.1; each one makes the time limit go off in this process (once per test)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)  # held open, never answered: the client is blocked reading
            os.kill(os.getpid(), signal.SIGUSR1)

    def close(self):
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def interrupter():
    previous = signal.signal(signal.SIGUSR1, soft_timeout_sighandler)
    server = Interrupter()
    yield server
    server.close()
    signal.signal(signal.SIGUSR1, previous)


def _webhook_rows(world, url: str, n: int) -> list[WebhookDelivery]:
    hook = WebhookEndpoint.objects.create(
        organization=world.branch_a, platform=WebhookEndpoint.Platform.WECOM, name="项目部党员群", url=url
    )
    target_type = ContentType.objects.get_for_model(WebhookEndpoint)
    return [
        WebhookDelivery.objects.create(
            endpoint=hook,
            kind="action_item.due_today",
            target_type=target_type,
            target_id=hook.pk,
            occurrence=f"x{i}",
            title=f"消息{i}",
            body="正文",
            due_at=NOW - dt.timedelta(minutes=10 - i),
        )
        for i in range(n)
    ]


def test_a_time_limit_stops_the_robot_loop_and_leaves_the_rows_recoverable(world, interrupter):
    first, *others = _webhook_rows(world, f"http://127.0.0.1:{interrupter.port}/cgi-bin/webhook/send?key=k", 3)

    with pytest.raises(SoftTimeLimitExceeded):
        webhook_deliver.deliver_due(NOW)

    assert len(interrupter.connections) == 1  # stopped at the first post
    first.refresh_from_db()
    assert first.status == WebhookDelivery.Status.SENDING and first.attempts == 0  # in flight: recovered as stale
    for row in others:
        row.refresh_from_db()
        assert row.status == WebhookDelivery.Status.PENDING and row.attempts == 0 and not row.claim_token
        assert row.retry_at is None and not row.last_error

    assert claims.recover_stale(WebhookDelivery, NOW + claims.STALE_AFTER + dt.timedelta(minutes=1)) == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.PENDING}


def _pending_notifications(user, n: int) -> list[Notification]:
    return [
        Notification.objects.create(
            kind="action_item.due_today",
            target_type=ContentType.objects.get_for_model(type(user)),
            target_id=user.pk,
            occurrence=f"x{i}",
            recipient=user,
            title=f"督办事项今日到期：第{i}项",
            url="/me/",
            due_at=NOW - dt.timedelta(minutes=10 - i),
        )
        for i in range(n)
    ]


def _smtp_at(settings, port: int):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10


def test_a_time_limit_stops_the_email_loop_instead_of_counting_a_failed_email(world, interrupter, settings):
    _pending_notifications(world.secretary1, 3)
    _smtp_at(settings, interrupter.port)

    with pytest.raises(SoftTimeLimitExceeded):
        claims.process_due(Notification, NOW, notifications.deliver, size=100)

    assert len(interrupter.connections) == 1  # stopped at the first email, not recorded as a failure
    statuses = sorted(Notification.objects.values_list("status", "attempts", "last_error"))
    assert statuses == [("pending", 0, ""), ("pending", 0, ""), ("sending", 0, "")]
    assert Notification.objects.filter(status=Notification.Status.PENDING, claim_token="").count() == 2

    claims.recover_stale(Notification, NOW + claims.STALE_AFTER + dt.timedelta(minutes=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = NOW + dt.timedelta(minutes=20)
    assert claims.process_due(Notification, later, notifications.deliver, size=100) == {"sent": 3, "failed": 0}
    assert len(mail.outbox) == 3


def test_a_time_limit_stops_the_digest_run_and_gives_the_rows_back(world, interrupter, settings):
    for user in (world.secretary1, world.secretary2):
        rows = _pending_notifications(user, 2)
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Notification.Status.SENT, sent_at=NOW, channels={"email": notifications.DIGEST}
        )
    _smtp_at(settings, interrupter.port)

    with pytest.raises(SoftTimeLimitExceeded):
        notifications.digest_send_all(now=NOW)

    assert len(interrupter.connections) == 1  # the second user's digest was not attempted
    assert not Notification.objects.filter(digested_at__isnull=False).exists()
    assert not Notification.objects.exclude(digest_token="").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.digest_send_all(now=NOW) == {"emails": 2, "notifications": 4}


class TakenOverThenRefused:
    """A mail backend whose send is slow enough that the claim goes stale: meanwhile recovery gives the row back and
    another worker claims it (a new token); then the server refuses the message."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        Notification.objects.update(claim_token="anotherworker")
        raise ConnectionError("the mail server hung up")


def test_a_failed_email_whose_claim_was_taken_over_leaves_the_new_claim_alone(world, settings):
    (row,) = _pending_notifications(world.secretary1, 1)
    settings.EMAIL_BACKEND = f"{__name__}.TakenOverThenRefused"
    assert claims.claim_ids(Notification, [row.pk], NOW) == [row.pk]

    assert notifications.deliver([row.pk], now=NOW) == {"sent": 0, "failed": 1}

    row.refresh_from_db()
    # The other worker's claim stands: not put back to pending, no attempt spent on its behalf.
    assert (row.status, row.claim_token, row.attempts, row.last_error) == ("sending", "anotherworker", 0, "")
