"""Group robots (企业微信 / 钉钉): which groups hear of a reminder, the payloads, signing, failures and retries, and the
settings pages. Every post goes to a real HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import socket
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships.models import ActionItem, Agreement
from portal.models import Membership, WebhookDelivery, WebhookEndpoint
from portal.sweep import sweep
from portal.webhooks import deliver as webhook_deliver
from portal.webhooks import plan as webhook_plan
from portal.webhooks import services as webhook_services
from tests.factories import ActionItemFactory, MembershipFactory, cast_agreement
from tests.robot_support import KEY

TODAY = dt.date(2026, 11, 25)
NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))  # Asia/Shanghai, after the 08:00 reminder hour
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def agreement(world):
    return cast_agreement(
        world,
        number="GJ-HOOK-01",
        title="群机器人测试共建协议",
        term_start=TODAY - dt.timedelta(days=200),
        term_end=TODAY + dt.timedelta(days=200),
    )


@pytest.fixture
def item(world, agreement):
    return ActionItemFactory(
        agreement=agreement,
        title="清理施工围挡周边垃圾",
        responsible_party=world.branch_a,
        responsible_person=world.secretary1,
        due_on=TODAY,
    )


def endpoint(organization, url, *, platform=WebhookEndpoint.Platform.WECOM, name="项目部党员群", **extra):
    return WebhookEndpoint.objects.create(organization=organization, platform=platform, name=name, url=url, **extra)


def deliveries(**filters):
    return WebhookDelivery.objects.filter(**filters)


# --- who hears of what, and the payloads -------------------------------------------------------------------------------


def test_a_due_item_is_posted_once_to_the_responsible_partys_wecom_group(world, robot, item, settings):
    endpoint(world.branch_a, robot.url("/ok"))
    endpoint(world.partner, robot.url("/partner"), name="社区党委群")

    summary = sweep(NOW)

    (request,) = robot.requests
    assert request["path"] == "/ok" and request["query"] == {"key": KEY}
    assert request["content_type"].startswith("application/json")
    assert request["body"]["msgtype"] == "markdown"
    content = request["body"]["markdown"]["content"]
    assert content.startswith("### 督办事项今日到期：清理施工围挡周边垃圾")
    assert f"({settings.SITE_URL}{item.get_absolute_url()})" in content
    assert settings.SITE_URL.startswith("http")
    row = deliveries().get()
    assert row.status == WebhookDelivery.Status.SENT and row.attempts == 0 and row.sent_at == NOW
    assert summary["webhooks"]["created"] == 1 and summary["webhooks"]["sent"] == 1
    assert WebhookEndpoint.objects.get(organization=world.branch_a).last_success_at == NOW


def test_dingtalk_gets_its_markdown_shape_and_a_valid_signature(world, robot, agreement, settings):
    # An agreement expiring in 30 days reminds both parties, so both groups hear of it.
    Agreement.objects.filter(pk=agreement.pk).update(term_end=TODAY + dt.timedelta(days=30))
    endpoint(world.branch_a, robot.url("/ok"))
    endpoint(world.partner, robot.url("/ding"), platform=WebhookEndpoint.Platform.DINGTALK, secret=SECRET)

    sweep(NOW)

    (request,) = robot.to("/ding")
    markdown = request["body"]["markdown"]
    assert request["body"]["msgtype"] == "markdown"
    assert "群机器人测试共建协议" in markdown["title"]
    assert markdown["text"].startswith(f"### {markdown['title']}")
    assert f"({settings.SITE_URL}{agreement.get_absolute_url()})" in markdown["text"]
    query = request["query"]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{query['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == expected and query["key"] == KEY
    assert abs(int(query["timestamp"]) / 1000 - timezone.now().timestamp()) < 3600
    assert len(robot.to("/ok")) == 1


def test_a_robot_saved_before_the_hosts_were_narrowed_is_never_posted_to(world, robot, item, settings):
    endpoint(world.branch_a, robot.url("/ok"))
    settings.WEBHOOK_ALLOWED_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]

    sweep(NOW)

    assert robot.requests == []
    row = deliveries().get()
    assert row.status == WebhookDelivery.Status.PENDING and row.attempts == 1
    assert "qyapi.weixin.qq.com" in row.last_error


def test_production_defaults_to_the_two_platforms_hosts():
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "WEBHOOK_ALLOWED_HOSTS")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="k3y-" + "abcdefghij" * 6,
        ALLOWED_HOSTS="gongjian.example.cn",
        SITE_URL="https://gongjian.example.cn",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(','.join(settings.WEBHOOK_ALLOWED_HOSTS), settings.WEBHOOK_ALLOW_LOCAL_HTTP)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip() == "qyapi.weixin.qq.com,oapi.dingtalk.com False", out.stderr[-2000:]


def test_two_sweeps_post_nothing_twice(world, robot, item):
    endpoint(world.branch_a, robot.url("/ok"))
    sweep(NOW)
    second = sweep(NOW + minutes(5))
    assert len(robot.requests) == 1
    assert "webhooks" not in second  # no robot work the second time


def test_each_group_hears_once_however_many_of_its_people_are_recipients(world, robot, item):
    other = MembershipFactory(user=world.member1, organization=world.branch_a, role=Membership.Role.LIAISON)
    assert other.pk
    endpoint(world.branch_a, robot.url("/ok"))
    sweep(NOW)
    assert len(robot.requests) == 1


def test_closing_the_item_cancels_its_waiting_message(world, robot, item):
    endpoint(world.branch_a, robot.url("/ok"))
    sweep(timezone.make_aware(dt.datetime(2026, 11, 25, 6, 0)))  # planned, not due before 08:00
    assert deliveries().get().status == WebhookDelivery.Status.PENDING

    ActionItem.objects.filter(pk=item.pk).update(status=ActionItem.Status.DONE)
    summary = sweep(NOW)

    assert deliveries().get().status == WebhookDelivery.Status.CANCELLED
    assert summary["webhooks"]["cancelled"] == 1
    assert not robot.requests


def test_a_secretary_who_also_serves_elsewhere_does_not_leak_the_item_to_that_group(world, robot, item):
    MembershipFactory(user=world.secretary1, organization=world.unrelated, role=Membership.Role.LIAISON)
    endpoint(world.branch_a, robot.url("/ok"))
    endpoint(world.unrelated, robot.url("/unrelated"), name="外单位群")

    sweep(NOW)

    assert robot.to("/unrelated") == []
    assert len(robot.to("/ok")) == 1


def test_an_escalation_reaches_the_committee_group_that_takes_only_escalations(world, robot, agreement):
    ActionItem.objects.create(
        agreement=agreement, title="整改安全隐患", responsible_party=world.branch_a, due_on=TODAY - dt.timedelta(days=8)
    )
    endpoint(world.group, robot.url("/committee"), name="党委群", kinds=["action_item.escalated"])
    endpoint(world.branch_a, robot.url("/ok"))

    sweep(NOW)

    (request,) = robot.to("/committee")
    assert "整改安全隐患" in request["body"]["markdown"]["content"]
    assert deliveries(endpoint__organization=world.group).get().kind == "action_item.escalated"
    assert {row.kind for row in deliveries(endpoint__organization=world.branch_a)} == {"action_item.overdue"}


def test_a_disabled_robot_gets_nothing_and_its_waiting_messages_are_cancelled(world, robot, item):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    sweep(timezone.make_aware(dt.datetime(2026, 11, 25, 6, 0)))
    webhook_services.webhook_endpoint_update(
        actor=world.secretary1, endpoint=hook, platform=hook.platform, name=hook.name, enabled=False
    )
    sweep(NOW)
    assert deliveries().get().status == WebhookDelivery.Status.CANCELLED
    assert not robot.requests


def test_a_domain_app_may_name_the_organizations_itself(world, robot, item):
    from portal.reminders import Candidate

    endpoint(world.partner, robot.url("/partner"))
    found = {
        "action_item.due_today": [
            (
                ContentType.objects.get_for_model(ActionItem),
                Candidate(item, "x", [world.secretary1], NOW, "标题", organizations=[world.partner.pk]),
            )
        ]
    }
    assert webhook_plan.plan(found, NOW)["created"] == 1
    assert deliveries().get().endpoint.organization == world.partner


# --- failures, retries, claims ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["/500", "/errcode", "/hang"])
def test_a_failing_robot_is_retried_with_backoff_and_never_blocks_the_others(world, robot, item, settings, bad):
    settings.WEBHOOK_TIMEOUT = 0.5
    endpoint(world.branch_a, robot.url(bad), name="坏的群")
    endpoint(world.branch_a, robot.url("/ok"), name="好的群")

    summary = sweep(NOW)

    assert summary["webhooks"]["sent"] == 1 and summary["webhooks"]["failed"] == 1  # the sweep reports the failure
    good = deliveries(endpoint__name="好的群").get()
    failing = deliveries(endpoint__name="坏的群").get()
    assert good.status == WebhookDelivery.Status.SENT
    assert failing.status == WebhookDelivery.Status.PENDING
    assert failing.attempts == 1 and failing.retry_at == NOW + minutes(5) and failing.last_error
    assert WebhookEndpoint.objects.get(name="坏的群").last_error == failing.last_error

    sweep(NOW + minutes(4))  # not yet time to retry
    assert deliveries(endpoint__name="坏的群").get().attempts == 1

    at = NOW
    for attempt, wait in ((2, 5), (3, 10), (4, 20), (5, 40)):
        at = at + minutes(wait)
        sweep(at)
        failing.refresh_from_db()
        assert failing.attempts == attempt
    assert failing.status == WebhookDelivery.Status.FAILED and failing.retry_at is None
    assert len(robot.to(bad)) == 5
    assert len(robot.to("/ok")) == 1  # the good group heard of it once

    sweep(at + dt.timedelta(hours=3))
    assert len(robot.to(bad)) == 5  # failed is final


class SlowDrip:
    """A robot that reads the request, then answers one byte every 0.4 s (a whole reply would take ~40 s)."""

    REPLY = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n"
        + b"X-Padding: "
        + b"x" * 30
        + b"\r\n\r\n"
        + b'{"errcode": 0, "errmsg": ""}'
    )

    def __init__(self, *, drip_headers: bool):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.drip_from = 0 if drip_headers else self.REPLY.index(b"\r\n\r\n") + 4
        self.received = threading.Event()
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _address = self.listener.accept()
        except OSError:
            return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            head, body = data.split(b"\r\n\r\n", 1)
            length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
            while len(body) < length:
                body += conn.recv(4096)
            self.received.set()
            try:
                conn.sendall(self.REPLY[: self.drip_from])
                for byte in self.REPLY[self.drip_from :]:
                    if self.stop.wait(0.4):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={KEY}"

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("drip_headers", [True, False], ids=["headers", "body"])
def test_a_robot_that_answers_byte_by_byte_is_cut_off_at_the_deadline(world, item, settings, drip_headers):
    settings.WEBHOOK_TIMEOUT = 1
    server = SlowDrip(drip_headers=drip_headers)
    try:
        endpoint(world.branch_a, server.url())
        sweep(timezone.make_aware(dt.datetime(2026, 11, 25, 6, 0)))  # planned, not yet due
        started = time.monotonic()
        webhook_deliver.deliver_due(NOW)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert server.received.is_set()  # it got the post and started answering
    row = deliveries().get()
    assert row.status == WebhookDelivery.Status.PENDING and row.attempts == 1 and row.retry_at == NOW + minutes(5)
    assert row.last_error == "1 秒内无响应。"
    assert elapsed < 3 * settings.WEBHOOK_TIMEOUT


def test_an_unreachable_robot_is_skipped_for_the_rest_of_the_run_without_spending_attempts(world, robot, agreement):
    for n in range(3):
        ActionItem.objects.create(agreement=agreement, title=f"事项{n}", responsible_party=world.branch_a, due_on=TODAY)
    endpoint(world.branch_a, robot.url("/500"))

    sweep(NOW)

    assert len(robot.requests) == 1
    rows = list(deliveries().order_by("pk"))
    assert sorted(row.attempts for row in rows) == [0, 0, 1]
    assert all(row.status == WebhookDelivery.Status.PENDING and row.retry_at == NOW + minutes(5) for row in rows)


def test_two_claims_on_the_same_delivery_only_one_wins(world, robot, item):
    endpoint(world.branch_a, robot.url("/ok"))
    sweep(timezone.make_aware(dt.datetime(2026, 11, 25, 6, 0)))
    pk = deliveries().get().pk
    assert webhook_deliver.claim_ids([pk], NOW) == [pk]
    assert webhook_deliver.claim_ids([pk], NOW) == []


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_after_15_minutes(world, robot, item):
    endpoint(world.branch_a, robot.url("/ok"))
    sweep(timezone.make_aware(dt.datetime(2026, 11, 25, 6, 0)))
    deliveries().update(status=WebhookDelivery.Status.SENDING, claimed_at=NOW - minutes(5), claim_token="dead")

    sweep(NOW)
    assert not robot.requests  # its worker may still be alive

    sweep(NOW + minutes(11))
    assert len(robot.requests) == 1
    assert deliveries().get().status == WebhookDelivery.Status.SENT


def test_the_sweep_costs_the_same_queries_for_3_or_30_items_with_robots(world, robot, agreement):
    endpoint(world.branch_a, robot.url("/ok"))
    endpoint(world.partner, robot.url("/partner"), name="社区党委群")

    def run(n: int) -> int:
        for i in range(n):
            ActionItem.objects.create(
                agreement=agreement, title=f"事项{i}", responsible_party=world.branch_a, due_on=TODAY
            )
        with CaptureQueriesContext(connection) as queries:
            sweep(NOW)
        ActionItem.objects.all().delete()
        return len(queries)

    run(1)  # first run: the rules are created and content types cached
    few, many = run(3), run(30)
    # Neither a post nor an e-mail costs a query of its own: what went out is logged (claims.SentLog) and the
    # states are written per batch. At 30 items the robots get digests; at 3, one message per item.
    assert many == few


# --- masking and the settings pages ------------------------------------------------------------------------------


def test_the_address_and_secret_are_masked():
    hook = WebhookEndpoint(url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}", secret=SECRET)
    assert hook.masked_url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••5aaa"
    assert hook.masked_secret == "••••abcd"


def test_a_secretary_adds_a_robot_and_no_page_shows_its_key(client_for, world, robot):
    client = client_for(world.secretary1)
    response = client.post(
        reverse("webhook_create"),
        {
            "organization": world.branch_a.pk,
            "platform": "dingtalk",
            "name": "甲支部党员群",
            "url": robot.url("/ok"),
            "secret": SECRET,
            "kinds": ["action_item.due_today", "action_item.overdue"],
            "enabled": "on",
        },
    )
    hook = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == hook.get_absolute_url()
    assert hook.secret == SECRET and hook.kinds == ["action_item.due_today", "action_item.overdue"]
    assert hook.created_by == world.secretary1
    for url in (
        reverse("webhook_list"),
        hook.get_absolute_url(),
        reverse("webhook_update", args=[hook.pk]),
        world.branch_a.get_absolute_url(),
    ):
        body = client.get(url).content.decode()
        assert KEY not in body and SECRET not in body, url
        assert "甲支部党员群" in body, url


def test_editing_with_an_empty_address_and_secret_keeps_them(client_for, world, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"), platform="dingtalk", secret=SECRET)
    response = client_for(world.secretary1).post(
        reverse("webhook_update", args=[hook.pk]),
        {"platform": "dingtalk", "name": "改名后的群", "url": "", "secret": "", "enabled": "on"},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.name == "改名后的群" and hook.url == robot.url("/ok") and hook.secret == SECRET

    client_for(world.secretary1).post(
        reverse("webhook_update", args=[hook.pk]),
        {"platform": "dingtalk", "name": "改名后的群", "clear_secret": "on", "enabled": "on"},
    )
    hook.refresh_from_db()
    assert hook.secret == ""


def test_form_errors_are_shown_next_to_the_fields(client_for, world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
    response = client_for(world.secretary1).post(
        reverse("webhook_create"),
        {
            "organization": world.branch_a.pk,
            "platform": "wecom",
            "name": "群",
            "url": "http://10.0.0.5/internal",
            "secret": "SECabc",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "url" in form.errors and "secret" in form.errors
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "请填写以 https:// 开头的完整机器人地址。"),
        ("https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=k", "请删除主机名后面的端口号"),
        ("https://qyapi.weixin.qq.com:80/cgi-bin/webhook/send?key=k", "请删除主机名后面的端口号"),
        ("http://10.0.0.5:8080/internal", "请填写以 https:// 开头的完整机器人地址。"),
        ("https://10.0.0.5:8080/internal", "请删除主机名后面的端口号"),
        ("http://127.0.0.1:8080/internal", "请填写以 https:// 开头的完整机器人地址。"),  # loopback: only under DEBUG
    ],
)
def test_robot_addresses_are_https_on_the_standard_port(client_for, world, settings, url, error):
    settings.WEBHOOK_ALLOWED_HOSTS = []  # any host: the scheme and port rules hold by themselves
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    response = client_for(world.secretary1).post(
        reverse("webhook_create"),
        {"organization": world.branch_a.pk, "platform": "wecom", "name": "群", "url": url, "enabled": "on"},
    )
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["url"])
    assert error in response.content.decode()  # next to the field
    assert not WebhookEndpoint.objects.exists()


def test_the_standard_https_port_may_be_written_out(client_for, world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
    response = client_for(world.secretary1).post(
        reverse("webhook_create"),
        {
            "organization": world.branch_a.pk,
            "platform": "wecom",
            "name": "群",
            "url": "https://qyapi.weixin.qq.com:443/cgi-bin/webhook/send?key=k",
            "enabled": "on",
        },
    )
    assert response.status_code == 302 and WebhookEndpoint.objects.exists()


def test_an_address_against_the_rules_is_checked_again_before_every_post(world, robot, item, settings):
    endpoint(world.branch_a, robot.url("/ok"))  # a local http robot, allowed only under DEBUG
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False

    sweep(NOW)

    assert robot.requests == []
    row = deliveries().get()
    assert row.status == WebhookDelivery.Status.PENDING and row.attempts == 1 and "https://" in row.last_error


def test_a_secretary_cannot_add_a_robot_to_another_organization(client_for, world, robot):
    response = client_for(world.secretary1).post(
        reverse("webhook_create"),
        {"organization": world.branch_b.pk, "platform": "wecom", "name": "乙群", "url": robot.url("/ok")},
    )
    assert response.status_code == 200 and "organization" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_the_reviewer_over_the_organization_reads_its_robots_but_changes_nothing(client_for, world, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    client = client_for(world.committee)

    detail = client.get(hook.get_absolute_url())
    assert detail.status_code == 200 and 'data-testid="webhook-log"' in detail.content.decode()
    for testid in ("webhook-test", "webhook-edit", "webhook-delete"):
        assert f'data-testid="{testid}"' not in detail.content.decode(), testid
    listing = client.get(f"{reverse('webhook_list')}?organization={world.branch_a.pk}").content.decode()
    assert "项目部党员群" in listing
    assert reverse("webhook_update", args=[hook.pk]) not in listing and 'data-testid="webhook-create"' not in listing
    section = client.get(world.branch_a.get_absolute_url()).content.decode()
    assert "项目部党员群" in section and f"{reverse('webhook_create')}?organization=" not in section

    assert client.get(reverse("webhook_create")).status_code == 403
    assert client.get(reverse("webhook_update", args=[hook.pk])).status_code == 403
    posts = {
        "webhook_update": {"platform": "wecom", "name": "党委改的名", "enabled": "on"},
        "webhook_delete": {},
        "webhook_test": {},
    }
    for name, data in posts.items():
        assert client.post(reverse(name, args=[hook.pk]), data).status_code == 403, name
    response = client.post(
        reverse("webhook_create"),
        {"organization": world.branch_a.pk, "platform": "wecom", "name": "党委加的群", "url": robot.url("/ok")},
    )
    assert response.status_code == 403
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["项目部党员群"]
    assert not WebhookDelivery.objects.exists() and not robot.requests
    with pytest.raises(PermissionDenied):
        webhook_services.webhook_endpoint_delete(actor=world.committee, endpoint=hook)


def test_the_test_message_is_sent_by_celery_and_the_page_picks_up_the_result(
    client_for, world, robot, django_capture_on_commit_callbacks
):
    good = endpoint(world.branch_a, robot.url("/ok"), kinds=["action_item.overdue"], enabled=False)
    client = client_for(world.secretary1)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("webhook_test", args=[good.pk]))
    row = deliveries(endpoint=good).get()
    assert response.status_code == 302 and response["Location"] == f"{good.get_absolute_url()}?test={row.pk}"
    assert len(queued) == 1 and not robot.requests  # nothing posted inside the request
    assert row.kind == webhook_plan.TEST_KIND and row.status == WebhookDelivery.Status.PENDING

    # Before the worker has run: "sending…", polling the status partial.
    page = client.get(response["Location"]).content.decode()
    status_url = reverse("webhook_test_status", args=[row.pk])
    assert 'data-testid="webhook-test-status" data-status="pending"' in page
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    partial = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="pending"' in partial and "正在发送测试消息" in partial

    queued[0]()  # the worker (eager): posted whatever the robot's kinds and switch
    (request,) = robot.requests
    assert "甲项目党支部" in request["body"]["markdown"]["content"]
    partial = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="sent"' in partial and "hx-get" not in partial and "测试消息已发送" in partial
    row.refresh_from_db()
    assert row.status == WebhookDelivery.Status.SENT and row.attempts == 0 and row.sent_at
    assert client.get(good.get_absolute_url()).context["test"] is None  # nothing on its way any more


def test_a_failed_test_message_is_final_and_shown(client_for, world, robot, django_capture_on_commit_callbacks):
    bad = endpoint(world.branch_a, robot.url("/errcode"), name="坏的群")
    client = client_for(world.secretary1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhook_test", args=[bad.pk]))

    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="webhook-test-status" data-status="failed"' in body and "93000" in body
    assert "群机器人未能接收测试消息" in body
    row = deliveries(endpoint=bad).get()
    assert row.status == WebhookDelivery.Status.FAILED and row.attempts == 1 and row.retry_at is None
    assert 'data-status="failed"' in body.split('data-testid="webhook-log"')[1]  # the log shows it too
    sweep(NOW + dt.timedelta(days=1))
    assert len(robot.requests) == 1  # never retried


def test_a_test_message_whose_task_was_lost_is_posted_by_the_sweep(client_for, world, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    client_for(world.secretary1).post(reverse("webhook_test", args=[hook.pk]))  # the on-commit task never runs here
    assert not robot.requests

    sweep(timezone.now() + minutes(1))

    assert len(robot.requests) == 1
    assert deliveries(endpoint=hook).get().status == WebhookDelivery.Status.SENT


def test_a_test_messages_status_is_for_those_who_may_read_the_robot(client_for, world, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    test = webhook_services.webhook_endpoint_test_request(actor=world.secretary1, endpoint=hook)
    reminder = WebhookDelivery.objects.create(
        endpoint=hook,
        kind="action_item.due_today",
        target_type=ContentType.objects.get_for_model(WebhookEndpoint),
        target_id=hook.pk,
        occurrence="x",
        title="t",
        due_at=NOW,
    )
    url = reverse("webhook_test_status", args=[test.pk])
    for user in (world.secretary1, world.member1, world.committee):
        assert client_for(user).get(url).status_code == 200, user
    for user in (world.outsider, world.secretary2, world.liaison1):
        assert client_for(user).get(url).status_code == 404, user
    assert client_for(world.secretary1).get(reverse("webhook_test_status", args=[reminder.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        webhook_services.webhook_endpoint_test_request(actor=world.committee, endpoint=hook)


def test_outsiders_get_404_and_read_only_members_403(client, world, robot):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    client.force_login(world.outsider)
    for name in ("webhook_detail", "webhook_update", "webhook_delete"):
        assert client.get(reverse(name, args=[hook.pk])).status_code == 404, name
    for name in ("webhook_update", "webhook_delete", "webhook_test"):
        assert client.post(reverse(name, args=[hook.pk]), {}).status_code == 404, name
    client.force_login(world.member1)
    assert client.get(reverse("webhook_detail", args=[hook.pk])).status_code == 200
    for name in ("webhook_update", "webhook_delete", "webhook_test"):
        assert client.post(reverse(name, args=[hook.pk]), {}).status_code == 403, name
    assert not robot.requests
    assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()


def test_deleting_a_robot_removes_it_and_its_log(client_for, world, robot, item):
    hook = endpoint(world.branch_a, robot.url("/ok"))
    sweep(NOW)
    response = client_for(world.secretary1).post(reverse("webhook_delete", args=[hook.pk]))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_the_organization_page_shows_its_robots_to_its_people_only(client_for, world, robot):
    endpoint(world.branch_a, robot.url("/ok"), name="甲支部党员群")
    assert "甲支部党员群" in client_for(world.member1).get(world.branch_a.get_absolute_url()).content.decode()
    body = client_for(world.outsider).get(world.branch_a.get_absolute_url()).content.decode()
    assert "甲支部党员群" not in body and 'data-testid="org-webhooks-section"' not in body


def test_the_preferences_page_explains_group_robots(client_for, world):
    body = client_for(world.secretary1).get(reverse("notification_preferences")).content.decode()
    assert 'data-testid="group-robot-note"' in body and reverse("webhook_list") in body


def test_the_list_costs_the_same_queries_for_3_or_30_robots(client_for, world, robot):
    client = client_for(world.committee)
    counts = []
    for n in (3, 30):
        WebhookEndpoint.objects.all().delete()
        for i in range(n):
            org = world.branch_a if i % 2 else world.branch_b
            hook = endpoint(org, robot.url("/ok"), name=f"群{i}")
            WebhookDelivery.objects.create(
                endpoint=hook,
                kind="action_item.due_today",
                target_type=ContentType.objects.get_for_model(WebhookEndpoint),
                target_id=hook.pk,
                occurrence="x",
                title="t",
                due_at=NOW,
                status=WebhookDelivery.Status.FAILED,
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("webhook_list"))
        assert response.status_code == 200 and len(response.context["endpoints"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 10
