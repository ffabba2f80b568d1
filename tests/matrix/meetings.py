"""Access-matrix rows for joint meetings: an agreement between branch_a (secretary1) and partner (liaison1),
with a meeting hosted by branch_a (draft minutes) and one whose minutes are published."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from partnerships.services import meetings as services
from partnerships.services import minutes as minutes_services
from tests.factories import cast_agreement
from tests.matrix import Case

READ_ONLY = ("committee", "liaison1", "member1")


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-MEETING-MATRIX",
        title="甲支部与和平街道结对共建",
        term_start=today - datetime.timedelta(days=30),
        term_end=today + datetime.timedelta(days=700),
    )
    starts = timezone.now() - datetime.timedelta(days=1)
    meeting = services.meeting_schedule(
        actor=world.secretary1,
        agreement=agreement,
        title="第一次联席会议",
        starts_at=starts,
        place="项目部会议室",
        host=world.branch_a,
        attendees=[world.secretary1, world.liaison1],
        agenda=["通报共建计划"],
    )
    meeting = minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="会议讨论了共建计划。", attendee_ids=[world.secretary1.pk]
    )
    published = services.meeting_schedule(
        actor=world.secretary1,
        agreement=agreement,
        title="第二次联席会议",
        starts_at=starts,
        place="社区党群服务中心",
        host=world.branch_a,
        agenda=["总结"],
    )
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=published, minutes="会议总结了上季度工作。")
    published = minutes_services.minutes_publish(actor=world.secretary1, meeting=published)
    upcoming = services.meeting_schedule(
        actor=world.secretary1,
        agreement=agreement,
        title="第三次联席会议",
        starts_at=timezone.now() + datetime.timedelta(days=7),
        place="项目部会议室",
        host=world.branch_a,
        agenda=["季度推进"],
    )
    return {
        "meeting_agreement": agreement,
        "meeting": meeting,
        "meeting_published": published,
        "meeting_upcoming": upcoming,
    }


def _meeting_post(world, objs) -> dict:
    return {
        "title": "第三次联席会议",
        "starts_at": (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "place": "项目部会议室",
        "host": world.branch_a.pk,
        "attendees": [world.secretary1.pk],
        "agenda": "通报进展\n研究下一步工作",
    }


def _minutes_post(world, objs) -> dict:
    return {
        "minutes": "会议决定：\n\n- 联合开展主题党日",
        "attendees": [world.secretary1.pk, world.liaison1.pk],
        "guests": "",
        "decisions-TOTAL_FORMS": "1",
        "decisions-INITIAL_FORMS": "0",
        "decisions-0-text": "联合开展主题党日活动",
        "rulings-TOTAL_FORMS": "0",
        "rulings-INITIAL_FORMS": "0",
    }


CASES: dict[str, Case] = {
    "partnerships:meeting_create": Case(
        lambda w, o: reverse("partnerships:meeting_create", args=[o["meeting_agreement"].pk]),
        owner="secretary1",
        owner_post=_meeting_post,
        read_only=("committee", "member1"),  # any party's secretary or liaison may schedule
    ),
    "partnerships:meeting_detail": Case(
        lambda w, o: reverse("partnerships:meeting_detail", args=[o["meeting"].pk]), owner="secretary1"
    ),
    "partnerships:meeting_update": Case(
        lambda w, o: reverse("partnerships:meeting_update", args=[o["meeting"].pk]),
        owner="secretary1",
        owner_post=_meeting_post,
        read_only=READ_ONLY,
    ),
    "partnerships:meeting_minutes": Case(
        lambda w, o: reverse("partnerships:meeting_minutes", args=[o["meeting"].pk]),
        owner="secretary1",
        owner_post=_minutes_post,
        read_only=READ_ONLY,
    ),
    "partnerships:meeting_publish": Case(
        lambda w, o: reverse("partnerships:meeting_publish", args=[o["meeting"].pk]),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=READ_ONLY,
        get_ok=False,
        outsider_status=405,
    ),
    "partnerships:meeting_correct": Case(
        lambda w, o: reverse("partnerships:meeting_correct", args=[o["meeting_published"].pk]),
        owner="secretary1",
        owner_post=lambda w, o: {"minutes": "会议总结了上季度工作（更正）。", "reason": "补充遗漏内容"},
        read_only=READ_ONLY,
    ),
    "partnerships:meeting_cancel": Case(
        lambda w, o: reverse("partnerships:meeting_cancel", args=[o["meeting_upcoming"].pk]),
        owner="secretary1",
        owner_post=lambda w, o: {"reason": "台风预警，改期举行"},
        read_only=READ_ONLY,
    ),
    "partnerships:meeting_print": Case(
        lambda w, o: reverse("partnerships:meeting_print", args=[o["meeting_published"].pk]), owner="secretary1"
    ),
}
