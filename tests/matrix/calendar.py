"""Access-matrix rows for the activity calendar: the page, its JSON feed, and the iCal token management.

The iCal feed itself (``activities:ical_feed``) is public — its token is the credential — and is listed in PUBLIC;
tests/activities/test_calendar.py covers its rules (unknown, revoked, regenerated, deactivated, scope).
One activity led by 甲项目党支部 (secretary1's branch) this week; the outsider must not see it.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import ActivityFactory
from tests.matrix import Case

TITLE = "日历矩阵：甲支部主题党日"


def objects(world) -> dict:
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    activity = ActivityFactory(title=TITLE, lead=world.branch_a, starts_at=starts, place="项目部党员活动室")
    return {"calendar_activity": activity}


def _events_url(w, o):
    start = timezone.localtime(o["calendar_activity"].starts_at) - dt.timedelta(days=7)
    end = start + dt.timedelta(days=14)
    return reverse("activities:calendar_events") + f"?start={start.date().isoformat()}&end={end.date().isoformat()}"


def _must_not_see(w, o):
    return TITLE


CASES: dict[str, Case] = {
    "activities:calendar": Case(
        lambda w, o: reverse("activities:calendar"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=_must_not_see,
    ),
    "activities:calendar_events": Case(
        _events_url, owner="secretary1", outsider_status=200, outsider_must_not_see=_must_not_see
    ),
    # Every signed-in user manages their own feed address: nobody is read-only here.
    "activities:ical_token_regenerate": Case(
        lambda w, o: reverse("activities:ical_token_regenerate"),
        owner="secretary1",
        get_ok=False,
        outsider_status=405,
        owner_post=lambda w, o: {},
    ),
    "activities:ical_token_revoke": Case(
        lambda w, o: reverse("activities:ical_token_revoke"),
        owner="secretary1",
        get_ok=False,
        outsider_status=405,
        owner_post=lambda w, o: {},
    ),
}
