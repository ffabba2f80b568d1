"""The read API's cast: a token per person, a client that sends it, and records of secretary1's agreement."""

from __future__ import annotations

import pytest

from api.services.tokens import api_token_create
from partnerships.models import JointMeeting, MinutesVersion
from tests.factories import (
    ActionItemFactory,
    ActivityFactory,
    ActivityParticipationFactory,
    DecisionFactory,
    JointMeetingFactory,
    QuarterRollupFactory,
    ResponsibilityZoneFactory,
    ZoneCheckFactory,
    cast_agreement,
)


class ApiClient:
    """Django's test client, sending ``Authorization: Bearer <secret>`` with every request."""

    def __init__(self, client, secret: str):
        self.client = client
        self.secret = secret

    def get(self, path: str, data=None, **headers):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **headers}
        return self.client.get(path, data or {}, **extra)

    def json(self, path: str, data=None, **headers):
        response = self.get(path, data, **headers)
        assert response.status_code == 200, response.content[:500]
        return response.json()


@pytest.fixture
def api_for(client):
    """``api_for(world.secretary1)``: a client with a fresh token of that user."""

    def make(user, name: str = "测试系统"):
        _token, secret = api_token_create(actor=user, name=name)
        return ApiClient(client, secret)

    return make


def publish_minutes(meeting: JointMeeting, actor, body: str = "会议纪要正文") -> None:
    """Minutes as the publish service leaves them: a version row, the meeting marked published."""
    MinutesVersion.objects.create(
        meeting=meeting, number=1, body=body, published_at=meeting.starts_at, published_by=actor
    )
    JointMeeting.objects.filter(pk=meeting.pk).update(
        minutes=body, minutes_status="published", minutes_version=1, published_at=meeting.starts_at
    )


@pytest.fixture
def records_a(world):
    """One of each record on secretary1's agreement (甲项目党支部 with the street community)."""
    agreement = cast_agreement(world)
    meeting = JointMeetingFactory(agreement=agreement)
    decision = DecisionFactory(meeting=meeting, text="设置共建宣传栏")
    publish_minutes(meeting, world.secretary1)
    item = ActionItemFactory(agreement=agreement, decision=decision, title="甲支部督办事项")
    activity = ActivityFactory(agreement=agreement, lead=world.branch_a, title="甲支部主题党日")
    ActivityParticipationFactory(activity=activity, organization=world.branch_a, headcount=12)
    zone = ResponsibilityZoneFactory(project__agreement=agreement, name="甲支部责任区")
    check = ZoneCheckFactory(zone=zone)
    result = QuarterRollupFactory(organization=world.branch_a)
    return {
        "agreement": agreement,
        "meeting": meeting,
        "item": item,
        "activity": activity,
        "zone": zone,
        "check": check,
        "result": result,
    }
