"""Access-matrix rows for 扫码签到: the organizer's code pages (show, print, live count, regenerate) of an activity
led by 甲项目党支部 and of a joint meeting it hosts. secretary1 owns both; the committee, member1 and liaison1 (the
partner's liaison) see them but may not manage the code (403); the outsider gets 404. The public page ``/c/<token>/``
is in PUBLIC (its token is its credential) and has its own tests (tests/activities/test_checkin.py)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import ActivityFactory, JointMeetingFactory, cast_agreement
from tests.matrix import Case

READ_ONLY = ("committee", "member1", "liaison1")


def objects(world) -> dict:
    agreement = cast_agreement(world, number="GJ-CHECKIN-M01", title="签到矩阵共建协议")
    activity = ActivityFactory(
        title="签到矩阵活动",
        agreement=agreement,
        lead=world.branch_a,
        co_organizers=[world.partner],
        starts_at=timezone.now() + dt.timedelta(hours=2),
    )
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="签到矩阵联席会议",
        host=world.branch_a,
        starts_at=timezone.now() + dt.timedelta(days=1),
    )
    return {"checkin_activity": activity, "checkin_meeting": meeting}


def _url(name, key):
    return lambda w, o: reverse(f"activities:{name}", args=[o[key].pk])


CASES: dict[str, Case] = {}
for _kind in ("activity", "meeting"):
    _key = f"checkin_{_kind}"
    CASES.update(
        {
            f"activities:{_kind}_checkin_code": Case(_url(f"{_kind}_checkin_code", _key), owner="secretary1"),
            f"activities:{_kind}_checkin_print": Case(_url(f"{_kind}_checkin_print", _key), owner="secretary1"),
            f"activities:{_kind}_checkin_count": Case(_url(f"{_kind}_checkin_count", _key), owner="secretary1"),
            # POST only: everyone's GET is a 405 before anything is read; the outsider's POST is a 404 (tested in
            # tests/activities/test_checkin.py).
            f"activities:{_kind}_checkin_regenerate": Case(
                _url(f"{_kind}_checkin_regenerate", _key),
                owner="secretary1",
                get_ok=False,
                owner_post=lambda w, o: {},
                read_only=READ_ONLY,
                outsider_status=405,
            ),
        }
    )
