"""Joint meetings: scheduling with carry-over, minutes, publication, corrections, rulings, scope and query budgets."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Agreement,
    Decision,
    JointMeeting,
    MinutesVersion,
)
from partnerships.services import meetings as services
from partnerships.services import minutes as minutes_services
from partnerships.services.notices import ITEM_RULED
from portal.models import Notification
from tests.conftest import FIXED_NOW
from tests.factories import ActionItemFactory, ActionItemUpdateFactory, cast_agreement

# Expectations here are worked out from the date: the tests run on a fixed clock.
pytestmark = pytest.mark.usefixtures("fixed_clock")
TODAY = FIXED_NOW.date()


def make_agreement(world, number="GJ-T-001", *parties, status=Agreement.Status.ACTIVE) -> Agreement:
    return cast_agreement(
        world,
        *parties,
        number=number,
        title="结对共建协议",
        term_start=TODAY - datetime.timedelta(days=60),
        term_end=TODAY + datetime.timedelta(days=600),
        status=status,
    )


def make_item(agreement, party, title="督办事项", status=ActionItem.Status.OPEN, due_in=10, **fields) -> ActionItem:
    return ActionItemFactory(
        agreement=agreement,
        responsible_party=party,
        title=title,
        status=status,
        due_on=TODAY + datetime.timedelta(days=due_in),
        **fields,
    )


def schedule(world, agreement, actor=None, **fields) -> JointMeeting:
    values = {
        "title": "联席会议",
        "starts_at": timezone.now() - datetime.timedelta(hours=2),
        "place": "项目部会议室",
        "host": world.branch_a,
        "attendees": [world.secretary1, world.liaison1],
        "guests": "区住建局 张科长",
        "agenda": ["通报共建计划", "研究下一步工作"],
    }
    values.update(fields)
    return services.meeting_schedule(actor=actor or world.secretary1, agreement=agreement, **values)


def carried_ids(meeting) -> set[int]:
    return set(meeting.agenda.filter(carried_item__isnull=False).values_list("carried_item_id", flat=True))


@pytest.fixture
def agreement(world):
    return make_agreement(world)


# --- scheduling and carry-over -----------------------------------------------------------------------------------


def test_scheduling_lists_every_open_item_of_the_agreement_on_the_agenda(world, agreement):
    open_items = [
        make_item(agreement, world.branch_a, "未开始", ActionItem.Status.OPEN),
        make_item(agreement, world.partner, "推进中", ActionItem.Status.IN_PROGRESS),
        make_item(agreement, world.partner, "待确认", ActionItem.Status.AWAITING_CONFIRMATION),
    ]
    make_item(agreement, world.branch_a, "已办结", ActionItem.Status.DONE)
    make_item(agreement, world.branch_a, "已取消", ActionItem.Status.CANCELLED)
    other = make_agreement(world, "GJ-T-OTHER", world.branch_a, world.branch_b)
    make_item(other, world.branch_a, "别的协议的事项")

    meeting = schedule(world, agreement)

    assert carried_ids(meeting) == {item.pk for item in open_items}
    typed = list(meeting.agenda.filter(carried_item__isnull=True).order_by("order").values_list("title", flat=True))
    assert typed == ["通报共建计划", "研究下一步工作"]
    last_typed = meeting.agenda.filter(carried_item__isnull=True).order_by("-order").first().order
    assert all(row.order > last_typed for row in meeting.agenda.filter(carried_item__isnull=False))


def test_agenda_shows_each_carried_item_with_its_latest_progress_and_overdue_state(client_for, world, agreement):
    item = make_item(agreement, world.partner, "修缮社区活动室", ActionItem.Status.IN_PROGRESS, due_in=-3)
    ActionItemUpdateFactory(item=item, note="旧的进展说明", percent=20, author=world.liaison1)
    ActionItemUpdateFactory(item=item, note="最新进展：已完成招标", percent=60, author=world.liaison1)
    meeting = schedule(world, agreement)

    page = client_for(world.committee).get(meeting.get_absolute_url()).content.decode()

    assert "最新进展：已完成招标" in page
    assert "旧的进展说明" not in page
    assert "60%" in page
    assert f'data-carried-item="{item.pk}"' in page
    assert 'data-overdue="3"' in page


def test_the_schedule_page_creates_the_meeting_with_carry_over(client_for, world, agreement):
    item = make_item(agreement, world.branch_a)
    response = client_for(world.secretary1).post(
        reverse("partnerships:meeting_create", args=[agreement.pk]),
        {
            "title": "第二次联席会议",
            "starts_at": "2026-12-01T09:30",
            "place": "社区党群服务中心",
            "host": world.branch_a.pk,
            "attendees": [world.secretary1.pk, world.liaison1.pk],
            "agenda": "通报进展\n\n研究明年计划\n",
        },
    )
    assert response.status_code == 302
    meeting = JointMeeting.objects.get(title="第二次联席会议")
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-12-01 09:30"
    assert meeting.agenda.count() == 3
    assert carried_ids(meeting) == {item.pk}
    assert set(meeting.attendees.all()) == {world.secretary1, world.liaison1}


def test_scheduling_refuses_a_host_that_is_not_a_party(world, agreement):
    with pytest.raises(ValidationError) as exc:
        schedule(world, agreement, host=world.branch_b)
    assert "host" in exc.value.message_dict
    assert not JointMeeting.objects.exists()


def test_scheduling_refuses_attendees_from_outside_the_parties(world, agreement):
    with pytest.raises(ValidationError) as exc:
        schedule(world, agreement, attendees=[world.secretary1, world.outsider])
    assert "attendees" in exc.value.message_dict
    assert not JointMeeting.objects.exists()


def test_schedule_form_offers_only_users_of_the_parties_and_only_party_hosts(client_for, world, agreement):
    response = client_for(world.secretary1).get(reverse("partnerships:meeting_create", args=[agreement.pk]))
    form = response.context["form"]
    assert set(form.fields["attendees"].queryset) == {world.secretary1, world.member1, world.liaison1}
    assert set(form.fields["host"].queryset) == {world.branch_a, world.partner}


def test_scheduling_under_a_terminated_agreement_is_refused(world):
    agreement = make_agreement(world, "GJ-T-END", status=Agreement.Status.TERMINATED)
    with pytest.raises(ValidationError):
        schedule(world, agreement)
    assert not JointMeeting.objects.exists()


def test_a_reviewer_cannot_schedule_a_meeting(world, agreement):
    with pytest.raises(PermissionDenied):
        schedule(world, agreement, actor=world.committee)


def test_the_partner_liaison_may_schedule_a_meeting_hosted_by_their_side(world, agreement):
    meeting = schedule(world, agreement, actor=world.liaison1, host=world.partner)
    assert JointMeeting.objects.editable_by(world.liaison1).filter(pk=meeting.pk).exists()
    assert not JointMeeting.objects.editable_by(world.secretary1).filter(pk=meeting.pk).exists()


def test_updating_a_meeting_keeps_carried_items_and_adds_items_opened_since(world, agreement):
    first = make_item(agreement, world.branch_a, "第一项")
    meeting = schedule(world, agreement)
    second = make_item(agreement, world.partner, "第二项")

    services.meeting_update(
        actor=world.secretary1,
        meeting=meeting,
        title="联席会议（改期）",
        starts_at=meeting.starts_at,
        place="新会议室",
        host=world.branch_a,
        attendees=[world.secretary1],
        guests="",
        agenda=["只议一项"],
    )

    meeting.refresh_from_db()
    assert meeting.place == "新会议室"
    assert carried_ids(meeting) == {first.pk, second.pk}
    assert list(meeting.agenda.filter(carried_item__isnull=True).values_list("title", flat=True)) == ["只议一项"]


def test_items_decided_at_a_meeting_are_not_carried_over_to_that_same_meeting(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="纪要", decisions=[{"text": "开展联合党课"}]
    )
    make_item(agreement, world.branch_a, "联合党课", decision=meeting.decisions.get())
    services.meeting_update(
        actor=world.secretary1,
        meeting=meeting,
        title=meeting.title,
        starts_at=meeting.starts_at,
        place=meeting.place,
        host=meeting.host,
        agenda=[],
    )
    assert carried_ids(meeting) == set()


# --- minutes, publication and corrections ------------------------------------------------------------------------


def test_publishing_locks_the_minutes_as_version_1(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="第一段\n\n- 要点一")

    meeting = minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)

    meeting.refresh_from_db()
    assert meeting.is_published
    assert meeting.minutes_version == 1
    assert meeting.published_by == world.secretary1 and meeting.published_at is not None
    version = MinutesVersion.objects.get(meeting=meeting)
    assert (version.number, version.body, version.reason) == (1, "第一段\n\n- 要点一", "")


def test_saving_a_draft_over_published_minutes_is_refused(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="原纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)

    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="偷偷改掉")

    assert "minutes" in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.minutes == "原纪要" and meeting.is_published


def test_posting_to_the_minutes_page_of_a_published_meeting_changes_nothing(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="原纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    client = client_for(world.secretary1)

    response = client.post(
        reverse("partnerships:meeting_minutes", args=[meeting.pk]),
        {
            "minutes": "偷偷改掉",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "rulings-TOTAL_FORMS": "0",
            "rulings-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["minutes"]
    meeting.refresh_from_db()
    assert meeting.minutes == "原纪要"
    # The page itself sends the host to the correction form.
    assert client.get(reverse("partnerships:meeting_minutes", args=[meeting.pk]))["Location"] == reverse(
        "partnerships:meeting_correct", args=[meeting.pk]
    )


def test_a_published_meeting_can_no_longer_be_edited(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    with pytest.raises(ValidationError):
        services.meeting_update(
            actor=world.secretary1,
            meeting=meeting,
            title="改名",
            starts_at=meeting.starts_at,
            place="x",
            host=world.branch_a,
        )


def test_publishing_twice_or_without_minutes_is_refused(world, agreement):
    meeting = schedule(world, agreement)
    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    assert "minutes" in exc.value.message_dict
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    with pytest.raises(ValidationError):
        minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    assert MinutesVersion.objects.filter(meeting=meeting).count() == 1


def test_a_correction_creates_version_2_with_its_reason_and_keeps_version_1(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="原纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)

    version = minutes_services.minutes_correct(
        actor=world.secretary1, meeting=meeting, minutes="更正后纪要", reason="人名有误"
    )

    meeting.refresh_from_db()
    assert (version.number, version.reason, version.body) == (2, "人名有误", "更正后纪要")
    assert meeting.minutes == "更正后纪要" and meeting.minutes_version == 2
    assert MinutesVersion.objects.get(meeting=meeting, number=1).body == "原纪要"


def test_a_correction_needs_a_reason_and_a_change(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="原纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_correct(actor=world.secretary1, meeting=meeting, minutes="新纪要", reason="  ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_correct(actor=world.secretary1, meeting=meeting, minutes="原纪要", reason="无")
    assert "minutes" in exc.value.message_dict
    assert MinutesVersion.objects.filter(meeting=meeting).count() == 1


def test_unpublished_minutes_are_not_corrected(world, agreement):
    meeting = schedule(world, agreement)
    with pytest.raises(ValidationError):
        minutes_services.minutes_correct(actor=world.secretary1, meeting=meeting, minutes="x", reason="y")


def test_the_correction_page_shows_both_versions_on_the_meeting(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="原纪要")
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    client = client_for(world.secretary1)

    response = client.post(
        reverse("partnerships:meeting_correct", args=[meeting.pk]), {"minutes": "更正后纪要", "reason": "人名有误"}
    )
    assert response.status_code == 302
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "更正后纪要" in page and "人名有误" in page and "原纪要" in page

    response = client.post(
        reverse("partnerships:meeting_correct", args=[meeting.pk]), {"minutes": "再改", "reason": ""}
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors


def test_minutes_are_sanitised(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes='会议决定：\n\n- 第一条<script>alert("x")</script>\n- <img src=x onerror="alert(1)">第二条',
    )
    client = client_for(world.liaison1)
    for url in (meeting.get_absolute_url(), reverse("partnerships:meeting_print", args=[meeting.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "onerror" not in page
        assert "<li>第一条" in page


# --- decisions and rulings on carried-over items ------------------------------------------------------------------


@pytest.fixture
def ruled(world, agreement):
    """A meeting with three carried-over items and a ruling on each, still in draft."""
    extend = make_item(agreement, world.branch_a, "延期事项", ActionItem.Status.IN_PROGRESS, due_in=-5)
    reassign = make_item(agreement, world.branch_a, "改派事项", responsible_person=world.secretary1)
    close = make_item(agreement, world.partner, "办结事项", ActionItem.Status.IN_PROGRESS)
    meeting = schedule(world, agreement)
    new_due = TODAY + datetime.timedelta(days=30)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="会议逐项研究了督办事项。",
        attendee_ids=[world.secretary1.pk, world.liaison1.pk],
        decisions=[
            {"text": "联合开展主题党日"},
            {"outcome": "extend", "carried_item": extend, "due_on": new_due, "text": ""},
            {
                "outcome": "reassign",
                "carried_item": reassign.pk,
                "responsible_party": world.partner,
                "text": "由社区牵头",
            },
            {"outcome": "close", "carried_item": close, "text": "现场查看已完成"},
        ],
    )
    return {"meeting": meeting, "extend": extend, "reassign": reassign, "close": close, "new_due": new_due}


def test_rulings_are_not_applied_while_the_minutes_are_a_draft(ruled):
    ruled["extend"].refresh_from_db()
    ruled["close"].refresh_from_db()
    assert ruled["extend"].due_on != ruled["new_due"]
    assert ruled["close"].status == ActionItem.Status.IN_PROGRESS
    assert not ActionItemUpdate.objects.exists()
    assert Decision.objects.filter(meeting=ruled["meeting"]).count() == 4


def test_rulings_on_carried_items_are_applied_on_publish_and_recorded_in_their_history(world, ruled):
    minutes_services.minutes_publish(actor=world.secretary1, meeting=ruled["meeting"])
    extend, reassign, close = (ActionItem.objects.get(pk=ruled[key].pk) for key in ("extend", "reassign", "close"))

    assert extend.due_on == ruled["new_due"] and extend.status == ActionItem.Status.IN_PROGRESS
    assert reassign.responsible_party == world.partner and reassign.responsible_person is None
    assert close.status == ActionItem.Status.DONE and close.confirmed_by == world.secretary1
    assert close.closed_at is not None and close.progress == 100
    kinds = {u.item_id: (u.kind, u.author_id) for u in ActionItemUpdate.objects.all()}
    assert kinds == {
        extend.pk: (ActionItemUpdate.Kind.EXTEND, world.secretary1.pk),
        reassign.pk: (ActionItemUpdate.Kind.REASSIGN, world.secretary1.pk),
        close.pk: (ActionItemUpdate.Kind.CONFIRM, world.secretary1.pk),
    }
    assert "现场查看已完成" in ActionItemUpdate.objects.get(item=close).note
    assert extend.history.first().history_user == world.secretary1
    assert reassign.history.count() == 2


def test_each_ruling_reaches_the_responsible_party_and_a_reassignment_the_former_one_too(world, ruled):
    ActionItem.objects.filter(pk=ruled["reassign"].pk).update(responsible_person=world.member1)
    minutes_services.minutes_publish(actor=world.secretary1, meeting=ruled["meeting"])
    heard: dict[int, set[str]] = {}
    for target_id, username in Notification.objects.filter(kind=ITEM_RULED).values_list(
        "target_id", "recipient__username"
    ):
        heard.setdefault(target_id, set()).add(username)
    assert heard[ruled["close"].pk] == {"liaison1"}  # the partner's liaison: the meeting closed its item
    assert heard[ruled["reassign"].pk] == {"liaison1", "member1"}  # the new party and the former responsible person
    assert ruled["extend"].pk not in heard  # its only responsible person published the minutes: never the actor
    note = Notification.objects.get(kind=ITEM_RULED, target_id=ruled["close"].pk)
    assert "现场查看已完成" in note.body and "办结事项" in note.title


def test_rulings_show_without_their_parameters_on_the_meeting_page(client_for, world, ruled):
    page = client_for(world.liaison1).get(ruled["meeting"].get_absolute_url()).content.decode()
    assert "new_due_on" not in page
    assert ruled["new_due"].isoformat() in page
    assert "由社区牵头" in page


def test_a_ruling_on_an_item_closed_before_publication_is_skipped(world, ruled):
    ActionItem.objects.filter(pk=ruled["extend"].pk).update(status=ActionItem.Status.DONE)
    minutes_services.minutes_publish(actor=world.secretary1, meeting=ruled["meeting"])
    assert not ActionItemUpdate.objects.filter(item=ruled["extend"]).exists()


@pytest.mark.parametrize(
    ("ruling", "field"),
    [
        ({"outcome": "extend", "due_on": None}, "due_on"),
        ({"outcome": "extend", "due_on": TODAY - datetime.timedelta(days=10)}, "due_on"),
        ({"outcome": "reassign", "responsible_party": None}, "responsible_party"),
        ({"outcome": "reassign", "responsible_party": "branch_b"}, "responsible_party"),
        ({"outcome": "reassign", "responsible_party": "branch_a"}, "responsible_party"),
        ({"outcome": "close", "text": ""}, "text"),
    ],
)
def test_bad_rulings_are_refused_with_the_field_named(world, agreement, ruling, field):
    item = make_item(agreement, world.branch_a, due_in=5)
    meeting = schedule(world, agreement)
    ruling = dict(ruling)
    if isinstance(ruling.get("responsible_party"), str):
        ruling["responsible_party"] = getattr(world, ruling["responsible_party"])
    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_save_draft(
            actor=world.secretary1, meeting=meeting, minutes="纪要", decisions=[{"carried_item": item, **ruling}]
        )
    assert field in exc.value.message_dict
    meeting.refresh_from_db()
    assert meeting.minutes == "" and not meeting.decisions.exists()


def test_a_ruling_on_an_item_that_was_not_carried_over_is_refused(world, agreement):
    meeting = schedule(world, agreement)
    late = make_item(agreement, world.branch_a)
    with pytest.raises(ValidationError) as exc:
        minutes_services.minutes_save_draft(
            actor=world.secretary1,
            meeting=meeting,
            minutes="纪要",
            decisions=[{"outcome": "close", "carried_item": late, "text": "已办"}],
        )
    assert "carried_item" in exc.value.message_dict


def test_a_decision_that_already_has_action_items_cannot_be_dropped(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="纪要", decisions=[{"text": "甲"}]
    )
    make_item(agreement, world.branch_a, decision=meeting.decisions.get())
    with pytest.raises(ValidationError):
        minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="纪要", decisions=[])
    assert meeting.decisions.count() == 1


def test_the_minutes_page_records_decisions_and_rulings(client_for, world, agreement):
    item = make_item(agreement, world.partner, "社区活动室")
    meeting = schedule(world, agreement)
    client = client_for(world.secretary1)
    url = reverse("partnerships:meeting_minutes", args=[meeting.pk])
    assert len(client.get(url).context["ruling_formset"].forms) == 1
    data = {
        "minutes": "纪要正文",
        "attendees": [world.secretary1.pk],
        "guests": "",
        "decisions-TOTAL_FORMS": "2",
        "decisions-INITIAL_FORMS": "0",
        "decisions-0-text": "联合开展志愿服务",
        "decisions-1-text": "",
        "rulings-TOTAL_FORMS": "1",
        "rulings-INITIAL_FORMS": "1",
        "rulings-0-carried_item": str(item.pk),
        "rulings-0-outcome": "extend",
        "rulings-0-due_on": "",
    }

    response = client.post(url, data)
    assert response.status_code == 200
    assert "due_on" in response.context["ruling_formset"].forms[0].errors
    assert not meeting.decisions.exists()

    data["rulings-0-due_on"] = (TODAY + datetime.timedelta(days=40)).isoformat()
    assert client.post(url, data).status_code == 302
    assert list(meeting.decisions.values_list("outcome", "carried_item_id")) == [("new", None), ("extend", item.pk)]
    # Saving again keeps one decision per entry (no duplicates).
    response = client.get(url)
    decision_id = meeting.decisions.get(outcome="new").pk
    assert response.context["decision_formset"].forms[0].initial["id"] == decision_id
    data.update({"decisions-INITIAL_FORMS": "1", "decisions-0-id": str(decision_id)})
    assert client.post(url, data).status_code == 302
    assert meeting.decisions.count() == 2
    meeting.refresh_from_db()
    assert meeting.minutes_status == JointMeeting.MinutesStatus.DRAFT


def test_a_service_error_on_a_ruling_shows_next_to_that_ruling(client_for, world, agreement):
    item = make_item(agreement, world.partner, due_in=20)
    meeting = schedule(world, agreement)
    response = client_for(world.secretary1).post(
        reverse("partnerships:meeting_minutes", args=[meeting.pk]),
        {
            "minutes": "纪要",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "rulings-TOTAL_FORMS": "1",
            "rulings-INITIAL_FORMS": "1",
            "rulings-0-carried_item": str(item.pk),
            "rulings-0-outcome": "extend",
            "rulings-0-due_on": (TODAY + datetime.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "due_on" in response.context["ruling_formset"].forms[0].errors


def test_the_publish_button_publishes_and_applies_rulings(client_for, world, ruled):
    response = client_for(world.secretary1).post(reverse("partnerships:meeting_publish", args=[ruled["meeting"].pk]))
    assert response.status_code == 302
    assert ActionItem.objects.get(pk=ruled["close"].pk).status == ActionItem.Status.DONE


def test_decisions_show_their_action_items_on_the_meeting_page(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1, meeting=meeting, minutes="纪要", decisions=[{"text": "甲"}]
    )
    make_item(agreement, world.partner, "由决定产生的事项", decision=meeting.decisions.get())
    page = client_for(world.committee).get(meeting.get_absolute_url()).content.decode()
    assert "由决定产生的事项" in page


# --- scope -------------------------------------------------------------------------------------------------------


def _write_urls(meeting):
    return [
        reverse(name, args=[meeting.pk])
        for name in ("partnerships:meeting_update", "partnerships:meeting_minutes", "partnerships:meeting_publish")
    ]


def test_the_non_host_liaison_sees_the_meeting_but_may_not_write(client_for, world, agreement):
    meeting = schedule(world, agreement)
    client = client_for(world.liaison1)
    assert client.get(meeting.get_absolute_url()).status_code == 200
    assert client.get(reverse("partnerships:meeting_print", args=[meeting.pk])).status_code == 200
    for url in _write_urls(meeting):
        assert client.post(url, {"minutes": "改"}).status_code == 403, url
    assert client.get(reverse("partnerships:meeting_minutes", args=[meeting.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        minutes_services.minutes_save_draft(actor=world.liaison1, meeting=meeting, minutes="改")
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_the_reviewer_reads_and_may_not_write(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(actor=world.secretary1, meeting=meeting, minutes="纪要")
    client = client_for(world.committee)
    assert client.get(meeting.get_absolute_url()).status_code == 200
    for url in _write_urls(meeting):
        assert client.post(url, {}).status_code == 403, url
    with pytest.raises(PermissionDenied):
        minutes_services.minutes_publish(actor=world.committee, meeting=meeting)


@pytest.mark.parametrize("username", ["outsider", "secretary2"])
def test_anyone_outside_the_agreement_gets_404(client_for, world, agreement, username):
    meeting = schedule(world, agreement)
    client = client_for(world.user(username))
    for name in ("meeting_detail", "meeting_print", "meeting_minutes", "meeting_update", "meeting_correct"):
        assert client.get(reverse(f"partnerships:{name}", args=[meeting.pk])).status_code == 404, name
    assert client.post(reverse("partnerships:meeting_publish", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("partnerships:meeting_create", args=[agreement.pk])).status_code == 404


def test_host_users_see_the_write_buttons_and_others_do_not(client_for, world, agreement):
    meeting = schedule(world, agreement)
    assert (
        'data-testid="record-minutes"' in client_for(world.secretary1).get(meeting.get_absolute_url()).content.decode()
    )
    assert (
        'data-testid="record-minutes"'
        not in client_for(world.liaison1).get(meeting.get_absolute_url()).content.decode()
    )


# --- query budget and print ------------------------------------------------------------------------------------


def _meeting_with(world, number, count):
    agreement = make_agreement(world, number)
    for index in range(count):
        item = make_item(agreement, world.partner, f"事项{index}", ActionItem.Status.IN_PROGRESS, due_in=index - 2)
        ActionItemUpdateFactory(item=item, note=f"进展{index}-1", percent=10, author=world.liaison1)
        ActionItemUpdateFactory(item=item, note=f"进展{index}-2", percent=40, author=world.liaison1)
    meeting = schedule(world, agreement, agenda=[f"议题{i}" for i in range(count)])
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="纪要",
        decisions=[{"text": f"决定{i}"} for i in range(count)],
    )
    for decision in meeting.decisions.all():
        make_item(agreement, world.branch_a, f"由{decision.text}产生", decision=decision)
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    return meeting


@pytest.mark.parametrize("name", ["partnerships:meeting_detail", "partnerships:meeting_print"])
def test_meeting_pages_take_the_same_number_of_queries_for_3_and_30_items(client_for, world, name):
    small = _meeting_with(world, "GJ-Q-3", 3)
    large = _meeting_with(world, "GJ-Q-30", 30)
    client = client_for(world.secretary1)
    client.get(reverse(name, args=[small.pk]))  # warm the session
    counts = []
    for meeting in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, args=[meeting.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    # 18: the 变更记录 tab's page of history and its rows' predecessors; +1: the venue bookings card's bookings; the
    # detail page adds its 签到名单 (one query).
    assert counts[1] <= (20 if name == "partnerships:meeting_detail" else 19), counts
    assert "进展29-2" in response.content.decode()


def test_the_print_view_renders_the_minutes_for_a4(client_for, world, ruled):
    minutes_services.minutes_publish(actor=world.secretary1, meeting=ruled["meeting"])
    meeting = ruled["meeting"]
    page = client_for(world.liaison1).get(reverse("partnerships:meeting_print", args=[meeting.pk])).content.decode()
    assert 'href="/static/css/meeting-print.css"' in page  # no inline style under the Content-Security-Policy
    stylesheet = Path(finders.find("css/meeting-print.css")).read_text()
    assert "size: A4" in stylesheet and "margin: 18mm" in stylesheet
    assert 'data-testid="print-button"' in page
    for text in (meeting.title, "项目部会议室", world.branch_a.name, "会议逐项研究了督办事项。", "联合开展主题党日"):
        assert text in page
    assert "extends" not in page and "gj-navbar" not in page
