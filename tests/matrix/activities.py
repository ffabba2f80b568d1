"""Access-matrix rows for yearly plans and activities: the plan pages, the ledger and its export, the to-log page,
an activity's page and forms, its photos.

An agreement between 甲项目党支部 (secretary1 secretary, member1 member) and the street community (liaison1 its
liaison), with this year's plan (one row led by 甲项目党支部) and an activity 甲项目党支部 led two days ago (held, not
logged) with one photo. secretary1 owns everything; liaison1 sees it all as a party but may write only the plan;
the committee (reviewer) and member1 only read; the outsider and secretary2 get 404 on the objects.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import Activity, ActivityPhoto, ActivityType, PendingPhoto
from activities.photos import check_photos, store_photo
from tests.factories import ActivityFactory, ActivityPlanFactory, PlannedActivityFactory, cast_agreement
from tests.matrix import Case

ACTIVITY_TITLE = "矩阵活动：共建主题党日"
PLAN_TITLE = "矩阵共建活动计划"
READ_ONLY = ("committee", "member1", "liaison1")


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 22, 29)).save(buffer, format="PNG")
    return SimpleUploadedFile("现场.png", buffer.getvalue(), content_type="image/png")


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-ACT-M01",
        title="活动矩阵共建协议",
        term_start=dt.date(today.year - 1, 1, 1),
        term_end=dt.date(today.year + 1, 12, 31),
    )
    plan = ActivityPlanFactory(agreement=agreement, year=today.year, title=PLAN_TITLE)
    row = PlannedActivityFactory(
        plan=plan, month=today.month, theme="重温入党誓词", lead=world.branch_a, co_organizers=[world.partner]
    )
    starts = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=2)
    activity = ActivityFactory(
        title=ACTIVITY_TITLE,
        agreement=agreement,
        plan_row=row,
        lead=world.branch_a,
        starts_at=starts,
        place="项目部党员活动室",
        status=Activity.Status.HELD,
        co_organizers=[world.partner],
    )
    photo = store_photo(
        ActivityPhoto, upload=check_photos([_png()])[0], uploaded_by=world.secretary1, activity=activity
    )
    pending = store_photo(PendingPhoto, upload=check_photos([_png()])[0], uploaded_by=world.secretary1)
    return {
        "act_pending_photo": pending,
        "act_agreement": agreement,
        "act_plan": plan,
        "act_plan_row": row,
        "act_activity": activity,
        "act_photo": photo,
    }


def _url(name, key):
    return lambda w, o: reverse(f"activities:{name}", args=[o[key].pk])


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _plan_create_post(w, o):
    return {"agreement": o["act_agreement"].pk, "year": timezone.localdate().year + 1, "title": "明年计划"}


def _plan_update_post(w, o):
    row = o["act_plan_row"]
    return {
        "year": o["act_plan"].year,
        "title": PLAN_TITLE,
        "notes": "",
        "rows-TOTAL_FORMS": 1,
        "rows-INITIAL_FORMS": 1,
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
        "rows-0-id": row.pk,
        "rows-0-month": row.month,
        "rows-0-theme": "重温入党誓词（修改）",
        "rows-0-type": row.type_id,
        "rows-0-lead": w.branch_a.pk,
        "rows-0-co_organizers": [w.partner.pk],
        "rows-0-content": "",
    }


def _activity_post(w, o):
    starts = timezone.now() + dt.timedelta(days=3)
    return {
        "title": "新的共建活动",
        "type": ActivityType.objects.get(code="volunteer").pk,
        "agreement": o["act_agreement"].pk,
        "lead": w.branch_a.pk,
        "co_organizers": [w.partner.pk],
        "starts_at": _local(starts),
        "ends_at": _local(starts + dt.timedelta(hours=3)),
        "place": "和平街道社区",
    }


def _update_post(w, o):
    activity = o["act_activity"]
    return {
        "title": ACTIVITY_TITLE + "（修改）",
        "type": activity.type_id,
        "agreement": activity.agreement_id,
        "plan_row": activity.plan_row_id,
        "lead": w.branch_a.pk,
        "co_organizers": [w.partner.pk],
        "starts_at": _local(activity.starts_at),
        "ends_at": _local(activity.ends_at),
        "place": activity.place,
    }


def _log_post(w, o):
    return {
        "summary": "两支部党员共同重温入党誓词。",
        f"headcount_{w.branch_a.pk}": 12,
        f"headcount_{w.partner.pk}": 8,
    }


def _must_not_see_activity(w, o):
    return ACTIVITY_TITLE


CASES: dict[str, Case] = {
    # Photos uploaded as soon as they are picked: only those who may log activities upload (read-only users 403);
    # the outsider is a secretary of their own organization, so the endpoint answers their GET with 405 like anyone's.
    "activities:pending_photo_upload": Case(
        lambda w, o: reverse("activities:pending_photo_upload"),
        owner="secretary1",
        get_ok=False,
        read_only=READ_ONLY,
        outsider_status=405,
    ),
    # A pending photo is its uploader's alone: everyone else, the committee included, gets 404.
    "activities:pending_photo_thumb": Case(_url("pending_photo_thumb", "act_pending_photo"), owner="secretary1"),
    "activities:plan_list": Case(
        lambda w, o: reverse("activities:plan_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: PLAN_TITLE,
    ),
    "activities:plan_create": Case(
        lambda w, o: reverse("activities:plan_create"),
        owner="secretary1",
        owner_post=_plan_create_post,
        read_only=("committee", "member1"),
        outsider_status=403,
    ),
    "activities:plan_detail": Case(_url("plan_detail", "act_plan"), owner="secretary1"),
    "activities:plan_update": Case(
        _url("plan_update", "act_plan"),
        owner="secretary1",
        owner_post=_plan_update_post,
        read_only=("committee", "member1"),
    ),
    "activities:plan_export": Case(_url("plan_export", "act_plan"), owner="secretary1"),
    "activities:activity_list": Case(
        lambda w, o: reverse("activities:activity_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=_must_not_see_activity,
    ),
    "activities:activity_export": Case(
        lambda w, o: reverse("activities:activity_export"), owner="secretary1", outsider_status=200
    ),
    "activities:activity_to_log": Case(
        lambda w, o: reverse("activities:activity_to_log"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=_must_not_see_activity,
    ),
    # The outsider is a secretary of their own organization, so may open the form — for their organization only.
    "activities:activity_create": Case(
        lambda w, o: reverse("activities:activity_create"),
        owner="secretary1",
        owner_post=_activity_post,
        read_only=READ_ONLY,
        outsider_status=200,
        outsider_must_not_see=_must_not_see_activity,
    ),
    "activities:activity_detail": Case(_url("activity_detail", "act_activity"), owner="secretary1"),
    "activities:activity_update": Case(
        _url("activity_update", "act_activity"), owner="secretary1", owner_post=_update_post, read_only=READ_ONLY
    ),
    "activities:activity_log": Case(
        _url("activity_log", "act_activity"), owner="secretary1", owner_post=_log_post, read_only=READ_ONLY
    ),
    "activities:activity_cancel": Case(
        _url("activity_cancel", "act_activity"),
        owner="secretary1",
        owner_post=lambda w, o: {"reason": "天气原因"},
        read_only=READ_ONLY,
    ),
    "activities:activity_photo": Case(_url("activity_photo", "act_photo"), owner="secretary1"),
    "activities:activity_photo_thumb": Case(_url("activity_photo_thumb", "act_photo"), owner="secretary1"),
}
