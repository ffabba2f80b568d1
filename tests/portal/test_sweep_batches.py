"""The reminder sweep at volume (issue 11): e-mails over one SMTP connection per batch with their states written per
batch, at most one duplicate when a worker dies mid-batch, and group robots that get digests, paced under their
platforms' limit, exactly once per row. (Real Celery workers killed mid-sweep: tests/portal/test_workers.py.)"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.sweep import SmtpSink, use_sink
from portal import claims, notifications, reminders, sweep
from portal.mailer import BatchMailer, mime_bytes
from portal.models import Notification, WebhookDelivery, WebhookEndpoint
from portal.webhooks import client as webhook_client
from portal.webhooks import deliver as webhook_deliver
from portal.webhooks import plan as webhook_plan

NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
KIND = "export.ready"  # an event kind: planning leaves its rows alone, the sweep delivers them


def due(user, n: int, *, tag: str = "n") -> list[int]:
    target_type = ContentType.objects.get_for_model(type(user))
    rows = Notification.objects.bulk_create(
        Notification(
            kind=KIND,
            target_type=target_type,
            target_id=user.pk,
            occurrence=f"{tag}{i}",
            recipient=user,
            title=f"导出文件已生成：第{i}份",
            body="请在七天内下载。",
            url="/exports/",
            due_at=NOW - dt.timedelta(minutes=1),
        )
        for i in range(n)
    )
    return [row.pk for row in rows]


def titles_sent() -> Counter:
    return Counter(message.subject.rsplit("：", 1)[-1] for message in mail.outbox)


# --- e-mails ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offer", ["PIPELINING,CHUNKING", "PIPELINING", ""])
def test_a_batch_of_emails_goes_over_one_smtp_connection(world, settings, offer):
    """Whatever the server offers: BDAT pipelined with its envelope, DATA pipelined, or smtplib's plain exchange."""
    due(world.secretary1, 40)
    with SmtpSink(offer=offer) as sink:
        use_sink(settings, sink.port)
        summary = sweep.sweep(NOW)
        connections, messages = sink.stop()
    assert summary["sent"] == 40 and summary["failed"] == 0
    assert (connections, messages) == (1, 40)
    assert [(row.status, row.channels) for row in Notification.objects.all()] == [("sent", {"email": "sent"})] * 40
    assert claims.sent_log().read(set(Notification.objects.values_list("claim_token", flat=True))) == {}  # written


@pytest.mark.parametrize("offer", ["PIPELINING,CHUNKING", "PIPELINING", ""])
def test_a_refused_recipient_fails_only_its_rows_and_the_connection_carries_on(world, settings, offer):
    due(world.secretary1, 3, tag="ok")
    due(world.secretary2, 2, tag="refused")
    with SmtpSink(offer=offer, refuse=world.secretary2.email) as sink:
        use_sink(settings, sink.port)
        summary = claims.process_due(Notification, NOW, notifications.deliver, size=100)
        connections, messages = sink.stop()
    assert summary == {"sent": 3, "failed": 2}
    assert (connections, messages) == (1, 3)
    refused = Notification.objects.filter(recipient=world.secretary2)
    assert {(row.status, row.attempts, "550" in row.last_error) for row in refused} == {("pending", 1, True)}
    assert set(Notification.objects.filter(recipient=world.secretary1).values_list("status", flat=True)) == {"sent"}


def test_the_mime_written_for_smtp_reads_back_as_what_django_would_send(world):
    row = Notification.objects.get(pk=due(world.secretary1, 1)[0])
    message = notifications.render_email(row)
    ours = email.message_from_bytes(mime_bytes(message, from_header="=?utf-8?b?5YWx5bu6?= <noreply@localhost>"),
                                    policy=email.policy.default)  # fmt: skip
    django = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    for header in ("Subject", "To", "MIME-Version"):
        assert str(ours[header]).strip() == str(django[header]).strip()  # Django folds a space in front
    assert str(ours["From"]) == "共建 <noreply@localhost>"
    assert ours.get_content_type() == django.get_content_type() == "multipart/alternative"
    assert [(part.get_content_type(), part.get_content()) for part in ours.iter_parts()] == [
        (part.get_content_type(), part.get_content()) for part in django.iter_parts()
    ]
    assert "第0份" in str(ours["Subject"]) and "请在七天内下载" in ours.get_body(("plain",)).get_content()


def test_a_mail_server_that_refuses_one_message_fails_only_that_row(world, settings):
    class RefusingOnce(LocmemBackend):
        def send_messages(self, messages):
            if not getattr(RefusingOnce, "refused", False):
                RefusingOnce.refused = True
                raise OSError("452 too many recipients")
            return super().send_messages(messages)

    settings.EMAIL_BACKEND = f"{__name__}.RefusingOnce"
    globals()["RefusingOnce"] = RefusingOnce
    due(world.secretary1, 5)
    assert claims.process_due(Notification, NOW, notifications.deliver, size=100) == {"sent": 4, "failed": 1}
    failed = Notification.objects.get(status=Notification.Status.PENDING)
    assert failed.attempts == 1 and "452" in failed.last_error and failed.retry_at is not None
    assert len(mail.outbox) == 4


def test_a_batch_costs_the_same_queries_for_3_or_300_due_emails(world):
    many = 300
    reminders.ensure_rules()
    due(world.secretary1, 1, tag="warm")
    sweep.sweep(NOW)  # content types cached, rules created
    counts = {}
    for n in (3, many):
        due(world.secretary2, n, tag=f"q{n}-")
        with CaptureQueriesContext(connection) as queries:
            summary = sweep.sweep(NOW)
        assert summary["sent"] == n
        counts[n] = len(queries)
    assert counts[3] == counts[many]
    assert len(mail.outbox) == 1 + 3 + many


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the send loop catches it, nothing after it runs."""


class DyingBackend(LocmemBackend):
    """Hands messages over like locmem; the worker dies right after the 5th was handed over, before returning."""

    handed_over = 0

    def send_messages(self, messages):
        count = super().send_messages(messages)
        DyingBackend.handed_over += count
        if DyingBackend.handed_over == 5:
            raise Killed
        return count


def test_a_worker_dying_mid_batch_resends_at_most_the_message_in_flight(world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DyingBackend"
    DyingBackend.handed_over = 0
    due(world.secretary1, 12)
    with pytest.raises(Killed):
        claims.process_due(Notification, NOW, notifications.deliver, size=100)
    assert Notification.objects.filter(status=Notification.Status.SENDING).count() == 12  # nothing written yet
    assert len(mail.outbox) == 5

    later = NOW + claims.STALE_AFTER + dt.timedelta(minutes=1)
    assert sweep.recover_stale(later) == 12
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 4  # the logged ones
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert claims.process_due(Notification, later, notifications.deliver, size=100) == {"sent": 8, "failed": 0}

    sent = titles_sent()
    assert len(sent) == 12 and sorted(sent.values()) == [1] * 11 + [2]  # one duplicate: the message in flight
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert not list(settings.SENT_LOG_DIR.iterdir()) if settings.SENT_LOG_DIR.exists() else True


def test_the_sent_log_keeps_what_each_claim_sent_until_discarded(settings, tmp_path):
    settings.SENT_LOG_DIR = tmp_path / "log"
    log = claims.sent_log()
    log.add("a1", [(1, "in_app"), (2, "email_only")])
    log.add("a1", [(3, "in_app")])
    log.add("b2", [(4, "")])
    assert log.read(["a1", "b2", "c3"]) == {1: "in_app", 2: "email_only", 3: "in_app", 4: ""}
    log.discard(["a1"])
    assert log.read(["a1", "b2"]) == {4: ""}
    log.discard(["b2"])


def test_a_file_log_takes_only_claim_tokens_as_names(tmp_path):
    log = claims.FileSentLog(tmp_path)
    with pytest.raises(ValueError):
        log.add("../escape", [(5, "")])
    log.add("c3", [(5, "")])
    assert log.read(["c3"]) == {5: ""} and [path.name for path in tmp_path.iterdir()] == ["c3"]


def test_the_batch_mailer_opens_one_connection_for_many_messages(world, settings):
    rows = Notification.objects.filter(pk__in=due(world.secretary1, 3)).select_related("recipient")
    mailer = BatchMailer()
    try:
        for row in rows:
            mailer.send(notifications.render_email(row))
    finally:
        mailer.close()
    assert mailer.connections == 1 and len(mail.outbox) == 3


# --- group robots -------------------------------------------------------------------------------------------------


def owed(organization, url: str, n: int, *, body_bytes: int = 0) -> WebhookEndpoint:
    hook = WebhookEndpoint.objects.create(
        organization=organization, platform=WebhookEndpoint.Platform.WECOM, name="项目部党员群", url=url
    )
    target_type = ContentType.objects.get_for_model(WebhookEndpoint)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=hook,
            kind="action_item.due_today",
            target_type=target_type,
            target_id=hook.pk,
            occurrence=f"r{i}",
            title=f"督办事项今日到期：第{i}项",
            body=webhook_client.render_markdown(
                title=f"督办事项今日到期：第{i}项",
                label="督办事项今日到期",
                body="说" * (body_bytes // 3),
                link=f"/items/{i}/",
            ),  # fmt: skip
            due_at=NOW - dt.timedelta(minutes=5),
        )
        for i in range(n)
    )
    return hook


def posted_items(robot) -> Counter:
    """How many times each reminder (第N项) appeared across everything the robot received."""
    seen: Counter = Counter()
    for request in robot.requests:
        text = request["body"]["markdown"]["content"]
        seen.update(line[len("### 督办事项今日到期：") :] for line in text.splitlines() if line.startswith("### 督办"))
    return seen


def test_a_robot_owed_100_reminders_gets_a_few_digests_not_100_posts(world, robot):
    owed(world.branch_a, robot.url("/ok"), 100)
    summary = webhook_deliver.deliver_due(NOW)

    assert summary["sent"] == 100 and summary["failed"] == 0
    sizes = [len(request["body"]["markdown"]["content"].encode()) for request in robot.requests]
    assert all(size <= webhook_client.MAX_MARKDOWN_BYTES for size in sizes)
    total = sum(len(row.body.encode()) for row in WebhookDelivery.objects.all())
    assert -(-total // webhook_client.MAX_MARKDOWN_BYTES) <= len(sizes) < 100 / 10  # about as few as the size allows
    assert posted_items(robot) == Counter({f"第{i}项": 1 for i in range(100)})
    assert robot.requests[0]["body"]["markdown"]["content"].startswith("## ")
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.SENT}
    assert claims.sent_log().read(set(WebhookDelivery.objects.values_list("claim_token", flat=True))) == {}


def test_a_few_reminders_still_go_one_message_each(world, robot):
    owed(world.branch_a, robot.url("/ok"), 3)
    webhook_deliver.deliver_due(NOW)
    assert len(robot.requests) == 3
    assert [r["body"]["markdown"]["content"] for r in robot.requests] == list(
        WebhookDelivery.objects.order_by("due_at", "pk").values_list("body", flat=True)
    )


def test_pacing_holds_the_limit_per_rolling_minute_across_sweeps_and_loses_nothing(world, robot, settings):
    # Big reminders: three fit in a digest, so 200 of them need 67 posts, about four minutes of this robot's budget.
    hook = owed(world.branch_a, robot.url("/ok"), 200, body_bytes=1000)
    limit = settings.WEBHOOK_POSTS_PER_MINUTE
    posts_at: list[dt.datetime] = []
    clock = NOW
    for _ in range(40):  # a sweep every 20 seconds, for 13 minutes
        before = len(robot.requests)
        webhook_deliver.deliver_due(clock)
        posts_at += [clock] * (len(robot.requests) - before)
        clock += dt.timedelta(seconds=20)

    for moment in posts_at:
        in_minute = [t for t in posts_at if moment - webhook_plan.PACING_WINDOW < t <= moment]
        assert len(in_minute) <= limit
    assert posted_items(robot) == Counter({f"第{i}项": 1 for i in range(200)})
    assert set(hook.deliveries.values_list("status", "attempts")) == {(WebhookDelivery.Status.SENT, 0)}
    assert len(posts_at) < 200 / 2


def test_rows_over_the_budget_wait_pending_for_the_window_to_free(world, robot, settings):
    settings.WEBHOOK_POSTS_PER_MINUTE = 2
    hook = owed(world.branch_a, robot.url("/ok"), 30, body_bytes=1500)  # two per digest: 15 digests
    webhook_deliver.deliver_due(NOW)
    assert len(robot.requests) == 2
    waiting = hook.deliveries.filter(status=WebhookDelivery.Status.PENDING)
    assert waiting.count() == 26
    assert set(waiting.values_list("due_at", "attempts", "claim_token")) == {(NOW + dt.timedelta(minutes=1), 0, "")}
    webhook_deliver.deliver_due(NOW + dt.timedelta(seconds=30))
    assert len(robot.requests) == 2  # the window has not freed yet
    webhook_deliver.deliver_due(NOW + dt.timedelta(minutes=1))
    assert len(robot.requests) == 4
    stamps = [dt.datetime.fromisoformat(t) for t in WebhookEndpoint.objects.get(pk=hook.pk).recent_posts]
    assert stamps == [NOW + dt.timedelta(minutes=1)] * 2  # older posts are forgotten


class KilledPosting(BaseException):
    pass


def test_a_worker_dying_between_digests_reposts_at_most_the_one_in_flight(world, robot, monkeypatch):
    owed(world.branch_a, robot.url("/ok"), 100)
    real_post = webhook_client.post
    calls = []

    def dying_post(endpoint, body, **kwargs):
        calls.append(1)
        reply = real_post(endpoint, body, **kwargs)
        if len(calls) == 2:
            raise KilledPosting  # the second digest reached the group; the worker died before knowing
        return reply

    monkeypatch.setattr(webhook_client, "post", dying_post)
    with pytest.raises(KilledPosting):
        webhook_deliver.deliver_due(NOW)
    monkeypatch.setattr(webhook_client, "post", real_post)

    later = NOW + claims.STALE_AFTER + dt.timedelta(minutes=1)
    webhook_deliver.deliver_due(later)
    seen = posted_items(robot)
    assert set(seen) == {f"第{i}项" for i in range(100)}
    twice = {item for item, count in seen.items() if count == 2}
    second_digest = robot.requests[1]["body"]["markdown"]["content"]
    assert twice and all(f"：{item}\n" in second_digest for item in twice)  # only the message in flight, again
    assert max(seen.values()) == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.SENT}


def test_a_digest_reply_marks_every_row_it_carried(world, robot):
    owed(world.branch_a, robot.url("/ok"), 40)
    webhook_deliver.deliver_due(NOW)
    replies = set(WebhookDelivery.objects.values_list("response", flat=True))
    assert {json.loads(reply)["errcode"] for reply in replies} == {0}
