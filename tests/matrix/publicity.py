"""Access-matrix rows for publicity items (宣传) and brand pages (品牌联创, 一支部一特色).

An agreement hosted by 乙机关党支部 (secretary2, so the reviewer) with 甲项目党支部 (secretary1, who logged an
activity under it); a draft item and one awaiting review, made from that activity. 甲项目党支部 has a 特色品牌.
secretary1 writes the items; secretary2 reviews (and may not edit them); member1 and the committee read; the
outsider gets 404 on every object.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, PublicityItem
from partnerships.models import Organization
from tests.factories import ActivityFactory, cast_agreement
from tests.matrix import Case

ITEM_TITLE = "矩阵宣传：联合主题党日见成效"


def objects(world) -> dict:
    agreement = cast_agreement(
        world, world.branch_b, world.branch_a, number="GJ-PUB-M01", title="宣传矩阵共建协议", brand="矩阵品牌"
    )
    starts = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    activity = ActivityFactory(
        title="矩阵宣传活动",
        lead=world.branch_a,
        agreement=agreement,
        starts_at=starts,
        status=Activity.Status.LOGGED,
        logged_at=starts + dt.timedelta(hours=3),
    )
    common = {"activity": activity, "text": "正文", "agreement": agreement, "reviewer_org": world.branch_b}
    draft = PublicityItem.objects.create(title=ITEM_TITLE, created_by=world.secretary1, **common)
    submitted = PublicityItem.objects.create(
        title=ITEM_TITLE + "（待审核）",
        status=PublicityItem.Status.SUBMITTED,
        submitted_at=timezone.now(),
        created_by=world.secretary1,
        **common,
    )
    Organization.objects.filter(pk=world.branch_a.pk).update(brand="红色盾构", brand_description="攻坚在一线")
    return {
        "pub_agreement": agreement,
        "pub_activity": activity,
        "pub_draft": draft,
        "pub_submitted": submitted,
    }


def _url(name, key):
    return lambda w, o: reverse(f"activities:{name}", args=[o[key].pk])


CASES: dict[str, Case] = {
    "activities:publicity_list": Case(
        lambda w, o: reverse("activities:publicity_list") + "?tab=draft",
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: ITEM_TITLE,
    ),
    "activities:publicity_create": Case(
        _url("publicity_create", "pub_activity"),
        owner="secretary1",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=("member1", "committee", "secretary2"),
        outsider_status=405,
    ),
    "activities:publicity_detail": Case(_url("publicity_detail", "pub_draft"), owner="secretary1"),
    "activities:publicity_update": Case(
        _url("publicity_update", "pub_draft"),
        owner="secretary1",
        owner_post=lambda w, o: {"title": ITEM_TITLE, "text": "修改后的正文", "link": ""},
        read_only=("member1", "committee", "secretary2"),
    ),
    "activities:publicity_submit": Case(
        _url("publicity_submit", "pub_draft"),
        owner="secretary1",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=("member1", "committee", "secretary2"),
        outsider_status=405,
    ),
    # Review pages are the reviewing organization's (乙机关党支部's secretary): the author and readers get 403.
    "activities:publicity_approve": Case(
        _url("publicity_approve", "pub_submitted"),
        owner="secretary2",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=("member1", "secretary1"),
        outsider_status=405,
    ),
    "activities:publicity_return": Case(
        _url("publicity_return", "pub_submitted"),
        owner="secretary2",
        owner_post=lambda w, o: {"reason": "请补充照片"},
        read_only=("member1", "secretary1"),
    ),
    "activities:agreement_brand": Case(_url("agreement_brand", "pub_agreement"), owner="secretary1"),
    "activities:branch_brand": Case(
        lambda w, o: reverse("activities:branch_brand", args=[w.branch_a.pk]), owner="secretary1"
    ),
    "activities:branch_brand_edit": Case(
        lambda w, o: reverse("activities:branch_brand_edit", args=[w.branch_a.pk]),
        owner="secretary1",
        owner_post=lambda w, o: {"brand": "红色盾构·先锋", "brand_description": ""},
        read_only=("member1",),
    ),
}
