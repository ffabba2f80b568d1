"""Event notices of action items and joint meetings: the right people (never the actor), on every channel (in-app
row, e-mail, group robot), exactly once across sweeps; the meetings' .ics; confirm/send-back refuse before the state.

The partnership: 甲项目党支部 (secretary1 its secretary, liaison_a its liaison) and the street community (liaison1 its
liaison); member1 is a plain member of 甲项目党支部, committee a reviewer above it. Robots are a local HTTP server.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from partnerships.models import ActionItem
from partnerships.services import action_items as item_services
from partnerships.services import meetings as meeting_services
from partnerships.services import minutes as minutes_services
from partnerships.services import notices
from portal.models import Membership, Notification, ReminderRule, WebhookDelivery, WebhookEndpoint
from portal.sweep import sweep
from tests.factories import (
    ActionItemFactory,
    DecisionFactory,
    JointMeetingFactory,
    MembershipFactory,
    UserFactory,
    cast_agreement,
)
from tests.upload_files import pdf_bytes

PDF = pdf_bytes()  # a real PDF: uploads are parsed, not sniffed


def pdf():
    return SimpleUploadedFile("验收单.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def partnership(world, robot):
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-NOTICE-01",
        title="甲项目与和平街道结对共建协议",
        term_start=today - dt.timedelta(days=90),
        term_end=today + dt.timedelta(days=270),
    )
    liaison_a = UserFactory(username="liaison_a", email="liaison_a@example.com")
    MembershipFactory(user=liaison_a, organization=world.branch_a, role=Membership.Role.LIAISON)
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="第一次联席会议",
        starts_at=timezone.now() - dt.timedelta(days=10),
        place="项目部会议室",
        host=world.partner,
    )
    decision = DecisionFactory(meeting=meeting, text="在项目围挡设置共建宣传栏")
    hook_a = WebhookEndpoint.objects.create(
        organization=world.branch_a, platform="wecom", name="甲项目党员群", url=robot.url("/a")
    )
    hook_p = WebhookEndpoint.objects.create(
        organization=world.partner, platform="wecom", name="社区党员群", url=robot.url("/p")
    )
    return SimpleNamespace(
        agreement=agreement, meeting=meeting, decision=decision, liaison_a=liaison_a, hook_a=hook_a, hook_p=hook_p
    )


def recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def delivered(kind: str, now=None):
    """Two sweeps (the second must add nothing); the kind's e-mails and robot posts."""
    mail.outbox.clear()
    first = sweep(now)
    second = sweep(now)
    assert second["sent"] == 0 and second.get("webhooks", {}).get("sent", 0) == 0, second
    assert not Notification.objects.filter(kind=kind).exclude(status=Notification.Status.SENT).exists()
    assert not WebhookDelivery.objects.filter(kind=kind).exclude(status=WebhookDelivery.Status.SENT).exists()
    assert first["sent"] >= Notification.objects.filter(kind=kind).count()
    return mail.outbox


def robot_paths(robot, kind_title: str) -> list[str]:
    return sorted(r["path"] for r in robot.requests if kind_title in r["body"]["markdown"]["content"])


def make_item(partnership, world, **extra):
    return ActionItemFactory(
        agreement=partnership.agreement,
        decision=extra.pop("decision", partnership.decision),
        title=extra.pop("title", "设置共建宣传栏"),
        responsible_party=world.branch_a,
        responsible_person=extra.pop("responsible_person", world.member1),
        due_on=timezone.localdate() + dt.timedelta(days=20),
        **extra,
    )


def awaiting(partnership, world):
    item = make_item(partnership, world)
    item_services.action_item_close(actor=partnership.liaison_a, item=item, note="已安装到位", evidence=[pdf()])
    item.refresh_from_db()
    return item


# --- action items ------------------------------------------------------------------------------------------


def test_a_new_item_reaches_the_responsible_partys_liaison_and_person_on_every_channel_once(partnership, world, robot):
    item = item_services.action_item_create(
        actor=world.liaison1,
        agreement=partnership.agreement,
        title="设置共建宣传栏",
        responsible_party=world.branch_a,
        responsible_person=world.member1,
        due_on=timezone.localdate() + dt.timedelta(days=20),
    )
    assert recipients(notices.ITEM_ASSIGNED) == {"liaison_a", "member1"}
    outbox = delivered(notices.ITEM_ASSIGNED)
    emails = [m for m in outbox if "设置共建宣传栏" in m.subject]
    assert sorted(m.to[0] for m in emails) == sorted([partnership.liaison_a.email, world.member1.email])
    assert "新督办事项" in emails[0].subject and "甲项目党支部" in emails[0].subject
    assert item.get_absolute_url() in emails[0].body and "截止" in emails[0].body
    # The responsible party's group hears once; the actor's (the partner's) group does not.
    assert robot_paths(robot, "新督办事项") == ["/a"]
    assert Notification.objects.filter(kind=notices.ITEM_ASSIGNED, in_app=True).count() == 2


def test_the_actor_is_never_told_of_their_own_new_item(partnership, world):
    item_services.action_item_create(
        actor=partnership.liaison_a,
        agreement=partnership.agreement,
        title="自己立项",
        responsible_party=world.branch_a,
        responsible_person=partnership.liaison_a,
        due_on=timezone.localdate() + dt.timedelta(days=20),
    )
    assert recipients(notices.ITEM_ASSIGNED) == set()


def test_a_closure_awaiting_confirmation_reaches_those_who_may_confirm_it(partnership, world, robot):
    item = awaiting(partnership, world)
    # The other party's liaison (also the deciding meeting's host); not the responsible party, not the actor.
    assert recipients(notices.ITEM_AWAITING_CONFIRMATION) == {"liaison1"}
    assert ActionItem.objects.confirmer_rights(world.liaison1).filter(pk=item.pk).exists()
    update = item.updates.get(kind="close_request")
    assert Notification.objects.get(kind=notices.ITEM_AWAITING_CONFIRMATION).occurrence == f"update:{update.pk}"
    outbox = delivered(notices.ITEM_AWAITING_CONFIRMATION)
    [email] = [m for m in outbox if "待您确认" in m.subject]
    assert email.to == [world.liaison1.email] and "已安装到位" in email.body
    assert robot_paths(robot, "待您确认") == ["/p"]


def test_a_confirmation_reaches_the_responsible_party_once(partnership, world, robot):
    item = awaiting(partnership, world)
    item_services.action_item_confirm(actor=world.liaison1, item=item, note="现场核实")
    assert recipients(notices.ITEM_CONFIRMED) == {"liaison_a", "member1"}
    outbox = delivered(notices.ITEM_CONFIRMED)
    emails = [m for m in outbox if "已确认办结" in m.subject]
    assert len(emails) == 2 and all("现场核实" in m.body for m in emails)
    assert robot_paths(robot, "已确认办结") == ["/a"]


def test_a_send_back_reaches_the_responsible_party_with_the_reason_each_time(partnership, world, robot):
    item = awaiting(partnership, world)
    item_services.action_item_send_back(actor=world.liaison1, item=item, reason="缺少现场照片")
    outbox = delivered(notices.ITEM_SENT_BACK)
    assert recipients(notices.ITEM_SENT_BACK) == {"liaison_a", "member1"}
    emails = [m for m in outbox if "被退回" in m.subject]
    assert len(emails) == 2 and all("缺少现场照片" in m.body for m in emails)
    assert robot_paths(robot, "被退回") == ["/a"]
    # A second send-back is a new event (another update): told again.
    item_services.action_item_close(actor=partnership.liaison_a, item=item, note="已补照片", evidence=[pdf()])
    item_services.action_item_send_back(actor=world.liaison1, item=item, reason="照片不清楚")
    assert Notification.objects.filter(kind=notices.ITEM_SENT_BACK).count() == 4


def test_digest_and_switched_off_email_are_respected(partnership, world):
    from portal.models import NotificationPreference

    NotificationPreference.objects.create(user=world.member1, kind=notices.ITEM_ASSIGNED, email=True, digest=True)
    NotificationPreference.objects.create(user=partnership.liaison_a, kind=notices.ITEM_ASSIGNED, email=False)
    make = item_services.action_item_create
    make(
        actor=world.liaison1,
        agreement=partnership.agreement,
        title="摘要测试",
        responsible_party=world.branch_a,
        responsible_person=world.member1,
        due_on=timezone.localdate() + dt.timedelta(days=5),
    )
    outbox = delivered(notices.ITEM_ASSIGNED)
    assert not [m for m in outbox if "摘要测试" in m.subject]
    channels = dict(
        Notification.objects.filter(kind=notices.ITEM_ASSIGNED).values_list("recipient__username", "channels")
    )
    assert channels == {"member1": {"email": "digest"}, "liaison_a": {"email": "off"}}


def test_an_event_kind_switched_off_by_an_admin_records_nothing(partnership, world):
    sweep()  # creates the rules
    ReminderRule.objects.filter(kind=notices.ITEM_AWAITING_CONFIRMATION).update(enabled=False)
    awaiting(partnership, world)
    assert not Notification.objects.filter(kind=notices.ITEM_AWAITING_CONFIRMATION).exists()


# --- confirm / send back: the right before the state -------------------------------------------------------


@pytest.mark.parametrize("name", ["confirm", "send_back"])
@pytest.mark.parametrize("status", ["open", "in_progress", "awaiting_confirmation", "done"])
def test_confirm_pages_refuse_read_only_users_with_403_whatever_the_state(client_for, partnership, world, name, status):
    item = make_item(partnership, world, status=status)
    url = reverse(f"partnerships:action_item_{name}", args=[item.pk])
    for user in (world.committee, world.member1, world.secretary1, partnership.liaison_a):
        assert client_for(user).get(url).status_code == 403, user
        assert client_for(user).post(url, {"reason": "越权", "note": ""}).status_code == 403, user
    assert client_for(world.outsider).get(url).status_code == 404
    item.refresh_from_db()
    assert item.status == status


def test_the_confirmer_still_gets_the_state_message_on_an_item_not_awaiting(client_for, partnership, world):
    item = make_item(partnership, world, status="in_progress")
    response = client_for(world.liaison1).get(reverse("partnerships:action_item_confirm", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()


def test_the_confirm_service_refuses_the_right_before_the_state(partnership, world):
    from django.core.exceptions import PermissionDenied

    item = make_item(partnership, world, status="in_progress")
    with pytest.raises(PermissionDenied):
        item_services.action_item_confirm(actor=world.secretary1, item=item)
    with pytest.raises(ValidationError):
        item_services.action_item_confirm(actor=world.liaison1, item=item)


# --- joint meetings ------------------------------------------------------------------------------------------


def schedule(partnership, world, **extra):
    fields = dict(
        actor=world.secretary1,
        agreement=partnership.agreement,
        title="第二次联席会议",
        starts_at=timezone.make_aware(dt.datetime(2030, 5, 20, 14, 30)),
        place="社区党群服务中心",
        host=world.branch_a,
        attendees=[world.liaison1, world.member1],
    )
    fields.update(extra)
    return meeting_services.meeting_schedule(**fields)


def update(meeting, world, **changes):
    fields = dict(
        actor=world.secretary1,
        meeting=meeting,
        title=meeting.title,
        starts_at=meeting.starts_at,
        place=meeting.place,
        host=meeting.host,
        attendees=list(meeting.attendees.all()),
    )
    fields.update(changes)
    return meeting_services.meeting_update(**fields)


def ics_event(email):
    [(name, content, mimetype)] = email.attachments
    assert name == "meeting.ics" and mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_a_scheduled_meeting_reaches_attendees_and_parties_with_its_calendar_entry(partnership, world, robot):
    meeting = schedule(partnership, world)
    assert recipients(notices.MEETING_SCHEDULED) == {"liaison1", "member1", "liaison_a"}  # not secretary1, the actor
    outbox = delivered(notices.MEETING_SCHEDULED)
    emails = [m for m in outbox if "第二次联席会议" in m.subject]
    assert len(emails) == 3 and "2030-05-20 14:30" in emails[0].subject
    calendar, event = ics_event(emails[0])
    assert str(calendar["METHOD"]) == "REQUEST"
    start = event.decoded("DTSTART")
    assert start == timezone.make_aware(dt.datetime(2030, 5, 20, 14, 30))
    assert str(start.tzinfo) == "Asia/Shanghai" and event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert calendar.walk("VTIMEZONE")
    assert str(event["UID"]) == f"joint-meeting-{meeting.pk}@gongjian" and int(event["SEQUENCE"]) == 0
    assert str(event["LOCATION"]) == "社区党群服务中心"
    assert robot_paths(robot, "第二次联席会议") == ["/a", "/p"]


def test_a_changed_meeting_sends_a_change_notice_that_updates_the_calendar_entry(partnership, world, robot):
    meeting = schedule(partnership, world)
    delivered(notices.MEETING_SCHEDULED)
    update(meeting, world, starts_at=timezone.make_aware(dt.datetime(2030, 5, 21, 9, 0)), attendees=[world.liaison1])
    meeting.refresh_from_db()
    assert meeting.revision == 1
    # member1 was taken off the list and still hears of it.
    assert recipients(notices.MEETING_CHANGED) == {"liaison1", "member1", "liaison_a"}
    outbox = delivered(notices.MEETING_CHANGED)
    emails = [m for m in outbox if "会议变更" in m.subject]
    assert len(emails) == 3
    assert "2030-05-21 09:00" in emails[0].body and "2030-05-20 14:30" in emails[0].body
    _calendar, event = ics_event(emails[0])
    assert str(event["UID"]) == f"joint-meeting-{meeting.pk}@gongjian" and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == timezone.make_aware(dt.datetime(2030, 5, 21, 9, 0))
    assert robot_paths(robot, "会议变更") == ["/a", "/p"]
    # Saving without a change tells nobody anything new.
    update(meeting, world)
    assert Notification.objects.filter(kind=notices.MEETING_CHANGED).count() == 3


def test_a_cancelled_meeting_sends_a_cancellation_and_no_day_before_reminder(partnership, world, robot):
    meeting = schedule(partnership, world)
    day_before = timezone.make_aware(dt.datetime(2030, 5, 19, 9, 0))
    sweep(day_before)
    assert Notification.objects.filter(kind="meeting.upcoming", status="sent").count() == 2
    meeting2 = schedule(
        partnership, world, title="第三次联席会议", starts_at=timezone.make_aware(dt.datetime(2030, 6, 2, 9))
    )
    sweep(timezone.make_aware(dt.datetime(2030, 5, 31, 9, 0)))  # two days ahead: nothing yet
    meeting_services.meeting_cancel(actor=world.secretary1, meeting=meeting2, reason="与上级会议冲突")
    assert recipients(notices.MEETING_CANCELLED) == {"liaison1", "member1", "liaison_a"}
    outbox = delivered(notices.MEETING_CANCELLED, timezone.make_aware(dt.datetime(2030, 6, 1, 9, 0)))
    emails = [m for m in outbox if "会议取消" in m.subject]
    assert len(emails) == 3 and "与上级会议冲突" in emails[0].body
    calendar, event = ics_event(emails[0])
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"joint-meeting-{meeting2.pk}@gongjian" and int(event["SEQUENCE"]) == 1
    assert not [m for m in outbox if "第三次联席会议" in m.subject and "会议取消" not in m.subject]
    assert not Notification.objects.filter(kind="meeting.upcoming", target_id=meeting2.pk).exists()
    assert robot_paths(robot, "会议取消") == ["/a", "/p"]
    with pytest.raises(ValidationError):
        update(meeting2, world, place="别处")
    assert meeting.pk != meeting2.pk


def test_the_day_before_reminder_reaches_the_attendees_once_with_the_ics(partnership, world):
    meeting = schedule(partnership, world)
    mail.outbox.clear()
    sweep(timezone.make_aware(dt.datetime(2030, 5, 18, 9, 0)))  # two days ahead: not yet
    assert not Notification.objects.filter(kind="meeting.upcoming").exists()
    outbox = delivered("meeting.upcoming", timezone.make_aware(dt.datetime(2030, 5, 19, 8, 30)))
    assert recipients("meeting.upcoming") == {"liaison1", "member1"}
    emails = [m for m in outbox if "联席会议" in m.subject and "即将召开" in m.subject]
    assert sorted(m.to[0] for m in emails) == sorted([world.liaison1.email, world.member1.email])
    _calendar, event = ics_event(emails[0])
    assert event.decoded("DTSTART") == meeting.starts_at
    assert timezone.localtime(event.decoded("DTSTART")).hour == 14
    assert ReminderRule.objects.get(kind="meeting.upcoming").offset_days == 1


def test_published_minutes_reach_attendees_and_parties(partnership, world, robot):
    meeting = schedule(partnership, world, starts_at=timezone.now() - dt.timedelta(days=1))
    minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="会议纪要正文", attendee_ids=[world.liaison1.pk]
    )
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    # The attendance recorded in the minutes (member1 did not come) and the parties' officers.
    assert recipients(notices.MINUTES_PUBLISHED) == {"liaison1", "liaison_a"}
    outbox = delivered(notices.MINUTES_PUBLISHED)
    emails = [m for m in outbox if "纪要已发布" in m.subject]
    assert len(emails) == 2 and not emails[0].attachments
    assert meeting.get_absolute_url() in emails[0].body
    assert robot_paths(robot, "纪要已发布") == ["/a", "/p"]


def test_the_cancel_page_is_the_hosts(client_for, partnership, world):
    meeting = schedule(partnership, world)
    url = reverse("partnerships:meeting_cancel", args=[meeting.pk])
    assert client_for(world.liaison1).post(url, {"reason": "越权"}).status_code == 403
    response = client_for(world.secretary1).post(url, {"reason": ""})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    response = client_for(world.secretary1).post(url, {"reason": "场地维修"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.is_cancelled and meeting.cancel_reason == "场地维修"
