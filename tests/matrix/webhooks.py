"""Access-matrix rows for the group-robot (企业微信 / 钉钉) settings: list, add, a robot's page and log, edit,
remove, test message and its status.

One robot of 甲项目党支部. secretary1 (its secretary) owns it; member1 (a member there) and committee (the reviewer
over it, DESIGN.md §10) see it and its log but may not change it; liaison1, member1 and committee may add none (no
secretary role); the outsider and secretary2 get 404 on it. The owner's test message is queued (a redirect).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.webhooks.plan import TEST_KIND
from tests.matrix import Case

NAME = "矩阵机器人：甲支部党员群"


def objects(world) -> dict:
    hook = WebhookEndpoint.objects.create(
        organization=world.branch_a,
        platform=WebhookEndpoint.Platform.WECOM,
        name=NAME,
        url="http://127.0.0.1:9/cgi-bin/webhook/send?key=matrix-key-0000",
    )
    test = WebhookDelivery.objects.create(
        endpoint=hook,
        kind=TEST_KIND,
        target_type=ContentType.objects.get_for_model(WebhookEndpoint),
        target_id=hook.pk,
        occurrence="matrix-test",
        title="测试消息",
        due_at=timezone.now(),
        status=WebhookDelivery.Status.SENT,
    )
    return {"hook_branch_a": hook, "hook_test": test}


def _url(name):
    return lambda w, o: reverse(name, args=[o["hook_branch_a"].pk])


def _create_post(w, o):
    return {
        "organization": w.branch_a.pk,
        "platform": "wecom",
        "name": "新的群机器人",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=new-key",
        "enabled": "on",
    }


CASES: dict[str, Case] = {
    "webhook_list": Case(
        lambda w, o: reverse("webhook_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: NAME,
    ),
    # The outsider is a secretary of their own organization, so may open the form — for their organization only.
    "webhook_create": Case(
        lambda w, o: reverse("webhook_create"),
        owner="secretary1",
        owner_post=_create_post,
        read_only=("member1", "liaison1", "committee"),
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "webhook_detail": Case(_url("webhook_detail"), owner="secretary1"),
    "webhook_update": Case(
        _url("webhook_update"),
        owner="secretary1",
        owner_post=lambda w, o: {"platform": "wecom", "name": NAME + "（改）", "enabled": "on"},
        read_only=("member1", "committee"),
    ),
    "webhook_delete": Case(
        _url("webhook_delete"), owner="secretary1", owner_post=lambda w, o: {}, read_only=("member1", "committee")
    ),
    "webhook_test": Case(
        _url("webhook_test"),
        owner="secretary1",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=("member1", "committee"),
        outsider_status=405,
    ),
    # Read-only: whoever may read the robot's log (committee, member1 too); the outsider gets 404.
    "webhook_test_status": Case(
        lambda w, o: reverse("webhook_test_status", args=[o["hook_test"].pk]), owner="secretary1"
    ),
}
