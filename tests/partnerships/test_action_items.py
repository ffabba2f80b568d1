"""Action items (督办事项): services and their bad input, scope, evidence, 我的督办 counts, query budgets, the Excel ledger.

The partnership: an agreement between 甲项目党支部 (secretary1) and the street community (liaison1 its liaison); a
meeting hosted by 甲项目党支部 ten days ago with one decision. Agreements, meetings, decisions and items are made with
the factories (tests/factories.py), not through the services under test.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Agreement,
    Evidence,
)
from partnerships.selectors.action_items import my_action_items, workspace_counts
from partnerships.services import action_items as services
from tests.factories import (
    ActionItemFactory,
    ActionItemUpdateFactory,
    AgreementFactory,
    DecisionFactory,
    JointMeetingFactory,
    MembershipFactory,
    UserFactory,
    cast_agreement,
)
from tests.upload_files import FORGED_PDF, bomb_png, docx_bytes, pdf_bytes, png_bytes
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready, table, text_cells

PDF = pdf_bytes()
PNG = png_bytes()
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run in DOS mode"
)


def pdf(name="验收单.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name="现场照片.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def today():
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


@pytest.fixture
def partnership(world):
    agreement = cast_agreement(
        world, number="GJ-TEST-001", title="甲项目与和平街道结对共建协议", term_start=days(-90), term_end=days(270)
    )
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="第一次联席会议",
        starts_at=timezone.now() - dt.timedelta(days=10),
        host=world.branch_a,
    )
    decision = DecisionFactory(meeting=meeting, text="在项目围挡设置共建宣传栏")
    return SimpleNamespace(agreement=agreement, meeting=meeting, decision=decision, meeting_date=days(-10))


def make_item(partnership, world, *, party=None, status=ActionItem.Status.OPEN, due_on=None, title="宣传栏", **extra):
    return ActionItemFactory(
        agreement=partnership.agreement,
        decision=extra.pop("decision", partnership.decision),
        title=title,
        responsible_party=party or world.branch_a,
        due_on=due_on or days(20),
        status=status,
        **extra,
    )


def another_agreement(number, *parties):
    """A draft agreement other than the partnership's: the partnership's decision is not one of its decisions."""
    return AgreementFactory(
        number=number,
        title="另一协议",
        term_start=days(-1),
        term_end=days(30),
        status=Agreement.Status.DRAFT,
        parties=parties,
    )


def raise_item(partnership, world, **overrides):
    fields = dict(
        actor=world.secretary1,
        agreement=partnership.agreement,
        title="设置共建宣传栏",
        responsible_party=world.branch_a,
        responsible_person=world.secretary1,
        due_on=days(20),
        priority=ActionItem.Priority.HIGH,
        decision=partnership.decision,
    )
    fields.update(overrides)
    return services.action_item_create(**fields)


def awaiting_item(partnership, world, **extra):
    item = make_item(partnership, world, **extra)
    services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=[pdf()])
    item.refresh_from_db()
    return item


# --- raising items ------------------------------------------------------------------------------------------


def test_a_party_secretary_raises_an_item_from_a_decision(partnership, world):
    item = raise_item(partnership, world)
    assert item.status == ActionItem.Status.OPEN
    assert item.decision == partnership.decision and item.created_by == world.secretary1
    assert item.history.count() == 1
    assert item.history.first().history_user == world.secretary1


def test_the_other_partys_liaison_may_raise_an_item_for_either_party(partnership, world):
    item = raise_item(partnership, world, actor=world.liaison1, responsible_person=None)
    assert item.responsible_party == world.branch_a


def test_people_outside_the_parties_cannot_raise_items(partnership, world):
    for user in (world.committee, world.secretary2, world.outsider, world.member1):
        with pytest.raises(PermissionDenied):
            raise_item(partnership, world, actor=user)
    assert not ActionItem.objects.exists()


def test_a_due_date_before_the_meeting_is_refused(partnership, world):
    with pytest.raises(ValidationError) as caught:
        raise_item(partnership, world, due_on=partnership.meeting_date - dt.timedelta(days=1))
    assert "due_on" in caught.value.message_dict
    assert not ActionItem.objects.exists()
    assert raise_item(partnership, world, due_on=partnership.meeting_date).due_on == partnership.meeting_date


def test_an_item_raised_directly_under_the_agreement_has_no_meeting_date_rule(partnership, world):
    item = raise_item(partnership, world, decision=None, due_on=partnership.meeting_date - dt.timedelta(days=3))
    assert item.decision is None


def test_a_responsible_party_that_is_not_a_party_is_refused(partnership, world):
    with pytest.raises(ValidationError) as caught:
        raise_item(partnership, world, responsible_party=world.branch_b, responsible_person=None)
    assert "responsible_party" in caught.value.message_dict
    assert not ActionItem.objects.exists()


def test_a_responsible_person_outside_the_responsible_party_is_refused(partnership, world):
    with pytest.raises(ValidationError) as caught:
        raise_item(partnership, world, responsible_person=world.liaison1)
    assert "responsible_person" in caught.value.message_dict


def test_a_decision_of_another_agreement_is_refused(partnership, world):
    other = another_agreement("GJ-TEST-002", world.branch_a, world.partner)
    with pytest.raises(ValidationError) as caught:
        raise_item(partnership, world, agreement=other)
    assert "decision" in caught.value.message_dict


def test_items_cannot_be_raised_under_a_terminated_agreement(partnership, world):
    Agreement.objects.filter(pk=partnership.agreement.pk).update(
        status=Agreement.Status.TERMINATED, termination_reason="x"
    )
    partnership.agreement.refresh_from_db()
    with pytest.raises(ValidationError):
        raise_item(partnership, world)


# --- progress -----------------------------------------------------------------------------------------------


def test_progress_moves_the_item_in_progress_and_keeps_the_evidence(partnership, world):
    item = make_item(partnership, world)
    update = services.action_item_update_progress(
        actor=world.secretary1, item=item, note="宣传栏已设计", percent=40, evidence=[png(), pdf()]
    )
    item.refresh_from_db()
    assert item.status == ActionItem.Status.IN_PROGRESS and item.progress == 40
    assert update.kind == ActionItemUpdate.Kind.PROGRESS and update.percent == 40 and update.author == world.secretary1
    stored = sorted(update.evidence.values_list("content_type", "original_name"))
    assert stored == [("application/pdf", "验收单.pdf"), ("image/png", "现场照片.png")]
    evidence = update.evidence.get(content_type="image/png")
    assert evidence.file.name.endswith(".png") and evidence.size == len(PNG)
    assert evidence.file.read() == PNG


def test_progress_needs_a_note_and_a_percent_between_0_and_100(partnership, world):
    item = make_item(partnership, world)
    with pytest.raises(ValidationError) as caught:
        services.action_item_update_progress(actor=world.secretary1, item=item, note="  ", percent=10)
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.action_item_update_progress(actor=world.secretary1, item=item, note="进展", percent=120)
    assert "percent" in caught.value.message_dict
    assert not item.updates.exists()


def test_only_the_responsible_party_posts_progress(partnership, world):
    item = make_item(partnership, world)
    for user in (world.liaison1, world.committee, world.secretary2, world.outsider, world.member1):
        with pytest.raises(PermissionDenied):
            services.action_item_update_progress(actor=user, item=item, note="越权", percent=10)
    assert not item.updates.exists()


def test_a_liaison_of_the_responsible_party_posts_progress(partnership, world):
    item = make_item(partnership, world, party=world.partner)
    services.action_item_update_progress(actor=world.liaison1, item=item, note="社区已排期", percent=20)
    item.refresh_from_db()
    assert item.progress == 20


def test_progress_on_an_item_awaiting_confirmation_is_refused(partnership, world):
    item = awaiting_item(partnership, world)
    with pytest.raises(ValidationError):
        services.action_item_update_progress(actor=world.secretary1, item=item, note="再补充", percent=100)


# --- closing, evidence checks ---------------------------------------------------------------------------------


def test_closing_without_evidence_is_refused_and_nothing_changes(partnership, world):
    item = make_item(partnership, world)
    with pytest.raises(ValidationError) as caught:
        services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=[])
    assert "evidence" in caught.value.message_dict
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN and not item.updates.exists()


def test_a_renamed_exe_is_refused_as_evidence(partnership, world):
    item = make_item(partnership, world)
    fake = SimpleUploadedFile("验收单.pdf", EXE, content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=[fake])
    assert "evidence" in caught.value.message_dict
    assert caught.value.error_dict["evidence"][0].code == "bad_type"
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN
    assert not Evidence.objects.exists() and not item.updates.exists()


def test_a_file_over_10_mb_is_refused(partnership, world):
    item = make_item(partnership, world)
    big = SimpleUploadedFile("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        services.action_item_update_progress(actor=world.secretary1, item=item, note="进展", percent=50, evidence=[big])
    assert caught.value.error_dict["evidence"][0].code == "too_large"
    assert not item.updates.exists()


def test_one_bad_file_among_good_ones_saves_nothing(partnership, world):
    item = make_item(partnership, world)
    bad = SimpleUploadedFile("照片.jpg", b"just some text", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=[pdf(), bad])
    assert not Evidence.objects.exists()


def test_closing_with_evidence_awaits_the_other_sides_confirmation(partnership, world):
    item = make_item(partnership, world)
    services.action_item_close(actor=world.secretary1, item=item, note="宣传栏已安装", evidence=[pdf()])
    item.refresh_from_db()
    assert item.status == ActionItem.Status.AWAITING_CONFIRMATION and item.progress == 100
    update = item.updates.get()
    assert update.kind == ActionItemUpdate.Kind.CLOSE_REQUEST and update.evidence.count() == 1


def test_only_the_responsible_party_asks_for_closure(partnership, world):
    item = make_item(partnership, world)
    with pytest.raises(PermissionDenied):
        services.action_item_close(actor=world.liaison1, item=item, note="代为办结", evidence=[pdf()])


# --- confirm, send back ----------------------------------------------------------------------------------------


def test_the_responsible_party_cannot_confirm_its_own_closure(partnership, world):
    item = awaiting_item(partnership, world)
    with pytest.raises(PermissionDenied):
        services.action_item_confirm(actor=world.secretary1, item=item)
    item.refresh_from_db()
    assert item.status == ActionItem.Status.AWAITING_CONFIRMATION


def test_a_reviewer_or_outsider_cannot_confirm(partnership, world):
    item = awaiting_item(partnership, world)
    for user in (world.committee, world.outsider, world.secretary2, world.member1):
        with pytest.raises(PermissionDenied):
            services.action_item_confirm(actor=user, item=item)


def test_the_other_partys_liaison_confirms_the_closure(partnership, world):
    item = awaiting_item(partnership, world)
    services.action_item_confirm(actor=world.liaison1, item=item, note="现场核实")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    assert item.confirmed_by == world.liaison1 and item.confirmed_at and item.closed_at
    assert item.updates.first().kind == ActionItemUpdate.Kind.CONFIRM


def test_the_meeting_host_confirms_an_item_of_the_other_party(partnership, world):
    item = make_item(partnership, world, party=world.partner)
    services.action_item_close(actor=world.liaison1, item=item, note="已完成", evidence=[pdf()])
    with pytest.raises(PermissionDenied):
        services.action_item_confirm(actor=world.liaison1, item=item)
    services.action_item_confirm(actor=world.secretary1, item=item)
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.confirmed_by == world.secretary1


def test_confirming_an_item_that_is_not_awaiting_confirmation_is_refused(partnership, world):
    item = make_item(partnership, world)
    with pytest.raises(ValidationError):
        services.action_item_confirm(actor=world.liaison1, item=item)


def test_sending_back_needs_a_reason(partnership, world):
    item = awaiting_item(partnership, world)
    with pytest.raises(ValidationError) as caught:
        services.action_item_send_back(actor=world.liaison1, item=item, reason=" ")
    assert "reason" in caught.value.message_dict
    item.refresh_from_db()
    assert item.status == ActionItem.Status.AWAITING_CONFIRMATION


def test_sending_back_returns_the_item_to_in_progress(partnership, world):
    item = awaiting_item(partnership, world)
    services.action_item_send_back(actor=world.liaison1, item=item, reason="缺少现场照片")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.IN_PROGRESS and item.confirmed_by is None
    assert item.updates.first().kind == ActionItemUpdate.Kind.SEND_BACK
    with pytest.raises(PermissionDenied):
        services.action_item_send_back(
            actor=world.secretary1, item=awaiting_item(partnership, world), reason="自己退回"
        )


# --- cancel, edit --------------------------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(partnership, world):
    item = make_item(partnership, world)
    with pytest.raises(ValidationError) as caught:
        services.action_item_cancel(actor=world.secretary1, item=item, reason="")
    assert "reason" in caught.value.message_dict
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN


def test_the_responsible_party_or_an_admin_cancels(partnership, world):
    first, second = make_item(partnership, world), make_item(partnership, world)
    with pytest.raises(PermissionDenied):
        services.action_item_cancel(actor=world.liaison1, item=first, reason="不需要")
    services.action_item_cancel(actor=world.secretary1, item=first, reason="并入其他事项")
    services.action_item_cancel(actor=world.admin, item=second, reason="协议调整")
    first.refresh_from_db()
    assert first.status == ActionItem.Status.CANCELLED and first.cancel_reason == "并入其他事项"
    assert first.updates.get().kind == ActionItemUpdate.Kind.CANCEL
    with pytest.raises(ValidationError):
        services.action_item_cancel(actor=world.secretary1, item=first, reason="再取消")


def test_a_new_due_date_is_recorded_as_an_extension(partnership, world):
    item = make_item(partnership, world, due_on=days(5))
    services.action_item_edit(actor=world.secretary1, item=item, due_on=days(15), note="材料未到")
    item.refresh_from_db()
    assert item.due_on == days(15)
    update = item.updates.get()
    assert update.kind == ActionItemUpdate.Kind.EXTEND and update.note == "材料未到"
    with pytest.raises(ValidationError) as caught:
        services.action_item_edit(
            actor=world.secretary1, item=item, due_on=partnership.meeting_date - dt.timedelta(days=1)
        )
    assert "due_on" in caught.value.message_dict


def test_a_new_person_is_recorded_as_a_reassignment(partnership, world):
    deputy = UserFactory(username="deputy")
    MembershipFactory(user=deputy, organization=world.branch_a, role="member")
    item = make_item(partnership, world, responsible_person=world.secretary1)
    services.action_item_edit(actor=world.secretary1, item=item, responsible_person=deputy, priority=1)
    item.refresh_from_db()
    assert item.responsible_person == deputy and item.priority == 1
    assert item.updates.get().kind == ActionItemUpdate.Kind.REASSIGN
    with pytest.raises(ValidationError) as caught:
        services.action_item_edit(actor=world.secretary1, item=item, responsible_person=world.liaison1)
    assert "responsible_person" in caught.value.message_dict


def test_only_the_responsible_party_edits_an_item(partnership, world):
    item = make_item(partnership, world)
    for user in (world.liaison1, world.committee):
        with pytest.raises(PermissionDenied):
            services.action_item_edit(actor=user, item=item, due_on=days(40))


def test_every_step_is_in_the_items_history(partnership, world):
    item = raise_item(partnership, world)
    services.action_item_update_progress(actor=world.secretary1, item=item, note="设计中", percent=30)
    services.action_item_close(actor=world.secretary1, item=item, note="已安装", evidence=[pdf()])
    services.action_item_send_back(actor=world.liaison1, item=item, reason="缺少照片")
    services.action_item_close(actor=world.secretary1, item=item, note="补充照片", evidence=[png()])
    services.action_item_confirm(actor=world.liaison1, item=item)
    kinds = list(item.updates.order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds == ["progress", "close_request", "send_back", "close_request", "confirm"]
    statuses = list(item.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert statuses == ["open", "in_progress", "awaiting_confirmation", "in_progress", "awaiting_confirmation", "done"]
    assert item.history.order_by("-history_date").first().history_user == world.liaison1


# --- pages -----------------------------------------------------------------------------------------------------


def test_the_progress_page_posts_a_note_percent_and_several_files(client_for, partnership, world):
    item = make_item(partnership, world)
    url = reverse("partnerships:action_item_progress", args=[item.pk])
    assert client_for(world.secretary1).get(url).status_code == 200
    response = client_for(world.secretary1).post(url, {"note": "已完成设计", "percent": 60, "evidence": [pdf(), png()]})
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    update = item.updates.get()
    assert update.percent == 60 and update.evidence.count() == 2


def test_the_progress_page_shows_a_bad_file_next_to_the_field(client_for, partnership, world):
    item = make_item(partnership, world)
    fake = SimpleUploadedFile("报告.pdf", EXE, content_type="application/pdf")
    response = client_for(world.secretary1).post(
        reverse("partnerships:action_item_progress", args=[item.pk]),
        {"note": "进展", "percent": 10, "evidence": [fake]},
    )
    assert response.status_code == 200
    assert "evidence" in response.context["form"].errors
    assert 'id="error_evidence"' in response.content.decode()
    assert not item.updates.exists()


def test_progress_is_403_for_the_other_side_and_the_reviewer_and_404_for_outsiders(client_for, partnership, world):
    item = make_item(partnership, world)
    url = reverse("partnerships:action_item_progress", args=[item.pk])
    for user in (world.liaison1, world.committee):
        assert client_for(user).post(url, {"note": "越权", "percent": 10}).status_code == 403
    assert client_for(world.outsider).post(url, {"note": "越权", "percent": 10}).status_code == 404
    assert client_for(world.secretary2).get(url).status_code == 404
    assert not item.updates.exists()


def test_the_close_page_requires_evidence(client_for, partnership, world):
    item = make_item(partnership, world)
    response = client_for(world.secretary1).post(
        reverse("partnerships:action_item_close", args=[item.pk]), {"note": "已完成"}
    )
    assert response.status_code == 200 and "evidence" in response.context["form"].errors
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN


def test_the_confirm_page_is_the_other_sides(client_for, partnership, world):
    item = awaiting_item(partnership, world)
    url = reverse("partnerships:action_item_confirm", args=[item.pk])
    assert client_for(world.secretary1).get(url).status_code == 403
    assert client_for(world.liaison1).post(url, {}).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    # Once closed the form is gone: back to the item.
    assert client_for(world.liaison1).get(url).status_code == 302


def test_the_send_back_page_needs_a_reason(client_for, partnership, world):
    item = awaiting_item(partnership, world)
    response = client_for(world.liaison1).post(reverse("partnerships:action_item_send_back", args=[item.pk]), {})
    assert response.status_code == 200 and "reason" in response.context["form"].errors


def test_the_cancel_page_needs_a_reason(client_for, partnership, world):
    item = make_item(partnership, world)
    response = client_for(world.secretary1).post(reverse("partnerships:action_item_cancel", args=[item.pk]), {})
    assert response.status_code == 200 and "reason" in response.context["form"].errors


def test_the_create_page_links_the_decision_and_checks_the_meeting_date(client_for, partnership, world):
    url = (
        reverse("partnerships:action_item_create", args=[partnership.agreement.pk])
        + f"?decision={partnership.decision.pk}"
    )
    client = client_for(world.secretary1)
    response = client.get(url)
    assert response.status_code == 200 and response.context["decision"] == partnership.decision
    data = {"title": "宣传栏", "responsible_party": world.branch_a.pk, "priority": 2}
    response = client.post(url, {**data, "due_on": (partnership.meeting_date - dt.timedelta(days=2)).isoformat()})
    assert response.status_code == 200 and "due_on" in response.context["form"].errors
    response = client.post(url, {**data, "responsible_party": world.branch_b.pk, "due_on": days(9).isoformat()})
    assert response.status_code == 200 and "responsible_party" in response.context["form"].errors
    response = client.post(url, {**data, "responsible_person": world.liaison1.pk, "due_on": days(9).isoformat()})
    assert response.status_code == 200 and "responsible_person" in response.context["form"].errors
    response = client.post(url, {**data, "due_on": days(9).isoformat()})
    assert response.status_code == 302
    assert ActionItem.objects.get().decision == partnership.decision


def test_the_create_page_refuses_a_decision_of_another_agreement(client_for, partnership, world):
    other = another_agreement("GJ-TEST-003", world.branch_a)
    url = reverse("partnerships:action_item_create", args=[other.pk]) + f"?decision={partnership.decision.pk}"
    assert client_for(world.secretary1).get(url).status_code == 404


def test_the_detail_page_offers_each_visitor_their_own_actions(client_for, partnership, world):
    item = awaiting_item(partnership, world)
    url = item.get_absolute_url()
    confirm_url = reverse("partnerships:action_item_confirm", args=[item.pk])
    cancel_url = reverse("partnerships:action_item_cancel", args=[item.pk])
    owner_page = client_for(world.secretary1).get(url).content.decode()
    assert confirm_url not in owner_page and cancel_url in owner_page
    other_page = client_for(world.liaison1).get(url).content.decode()
    assert confirm_url in other_page and cancel_url not in other_page
    reviewer = client_for(world.committee).get(url)
    assert reviewer.status_code == 200 and confirm_url not in reviewer.content.decode()
    evidence = Evidence.objects.get()
    assert reverse("partnerships:evidence_download", args=[evidence.pk]) in other_page


def test_overdue_shows_on_the_detail_page(client_for, partnership, world):
    item = make_item(partnership, world, due_on=days(-3), decision=None)
    assert 'data-overdue="3"' in client_for(world.secretary1).get(item.get_absolute_url()).content.decode()


def test_evidence_is_served_only_to_those_who_see_the_item(client_for, partnership, world):
    awaiting_item(partnership, world)
    url = reverse("partnerships:evidence_download", args=[Evidence.objects.get().pk])
    for user in (world.secretary1, world.liaison1, world.committee, world.admin):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
    for user in (world.secretary2, world.outsider):
        assert client_for(user).get(url).status_code == 404


# --- 我的督办 -----------------------------------------------------------------------------------------------------


@pytest.fixture
def workspace_items(partnership, world):
    """Hand-built: what each tab should hold for secretary1 (items of 甲项目党支部) and liaison1."""
    now = timezone.now()
    items = {
        "due_in_3": make_item(partnership, world, due_on=days(3), title="三天后到期"),
        "due_today": make_item(partnership, world, due_on=days(0), status="in_progress", title="今天到期"),
        "due_in_10": make_item(partnership, world, due_on=days(10), title="十天后到期"),
        "overdue": make_item(
            partnership, world, due_on=days(-2), status="in_progress", title="逾期两天", decision=None
        ),
        "awaiting": make_item(partnership, world, due_on=days(-1), status="awaiting_confirmation", title="待确认"),
        "closed_recent": make_item(
            partnership, world, status="done", closed_at=now - dt.timedelta(days=5), title="近期办结"
        ),
        "closed_old": make_item(
            partnership, world, status="done", closed_at=now - dt.timedelta(days=40), title="早已办结"
        ),
        "cancelled": make_item(
            partnership, world, due_on=days(-5), status="cancelled", cancel_reason="取消", title="已取消"
        ),
        "partner_overdue": make_item(partnership, world, party=world.partner, due_on=days(-4), title="社区逾期"),
        "partner_awaiting": make_item(
            partnership, world, party=world.partner, status="awaiting_confirmation", title="社区待确认"
        ),
    }
    return items


def test_workspace_counts_for_the_responsible_secretary(workspace_items, world):
    counts = workspace_counts(world.secretary1)
    # awaiting: secretary1 hosts the meeting, so the partner's closure is theirs to confirm.
    assert counts == {"open": 5, "due_soon": 2, "overdue": 1, "awaiting": 1, "closed": 1}


def test_workspace_counts_for_the_other_sides_liaison(workspace_items, world):
    counts = workspace_counts(world.liaison1)
    assert counts == {"open": 2, "due_soon": 0, "overdue": 1, "awaiting": 1, "closed": 0}


def test_workspace_counts_are_zero_for_people_without_items(workspace_items, world):
    for user in (world.committee, world.secretary2, world.outsider):
        assert set(workspace_counts(user).values()) == {0}


def test_workspace_counts_take_one_query(workspace_items, world):
    workspace_counts(world.secretary1)  # the scope is cached on the user after the first call
    with CaptureQueriesContext(connection) as ctx:
        workspace_counts(world.secretary1)
    assert len(ctx.captured_queries) == 1


def test_each_workspace_tab_lists_its_items(workspace_items, world):
    def titles(user, tab):
        return {item.title for item in my_action_items(user, tab)}

    assert titles(world.secretary1, "due_soon") == {"三天后到期", "今天到期"}
    assert titles(world.secretary1, "overdue") == {"逾期两天"}
    assert titles(world.secretary1, "awaiting") == {"社区待确认"}
    assert titles(world.liaison1, "awaiting") == {"待确认"}
    assert titles(world.secretary1, "closed") == {"近期办结"}


def test_the_workspace_page_shows_the_tab_and_counts(client_for, workspace_items, world):
    response = client_for(world.liaison1).get(reverse("partnerships:my_action_items") + "?tab=awaiting")
    assert response.status_code == 200
    assert [item.title for item in response.context["object_list"]] == ["待确认"]
    assert response.context["counts"]["awaiting"] == 1
    body = response.content.decode()
    assert reverse("partnerships:action_item_confirm", args=[workspace_items["awaiting"].pk]) in body


def test_the_home_page_shows_the_counts_to_secretaries_and_liaisons_only(client_for, workspace_items, world):
    response = client_for(world.secretary1).get(reverse("home"))
    body = response.content.decode()
    assert 'data-testid="count-overdue">1<' in body
    assert reverse("partnerships:my_action_items") + "?tab=awaiting" in body
    for user in (world.committee, world.member1):
        assert 'data-testid="action-item-counts"' not in client_for(user).get(reverse("home")).content.decode()


# --- query budgets ------------------------------------------------------------------------------------------------


def _many_items(partnership, world, n):
    for i in range(n):
        item = make_item(
            partnership,
            world,
            party=world.branch_a if i % 2 else world.partner,
            due_on=days(i % 9 - 3),
            status=("open", "in_progress", "awaiting_confirmation")[i % 3],
            responsible_person=world.secretary1 if i % 2 else world.liaison1,
            title=f"事项{i}",
        )
        ActionItemUpdateFactory(item=item, note=f"进展{i}", percent=10, author=world.secretary1)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name,query",
    [
        ("partnerships:action_item_list", ""),
        ("partnerships:action_item_list", "?overdue=on&q=事项"),
        ("partnerships:my_action_items", ""),
        ("partnerships:my_action_items", "?tab=awaiting"),
        ("partnerships:action_item_export", ""),
    ],
)
def test_list_queries_do_not_grow_with_the_items(client_for, partnership, world, url_name, query):
    client = client_for(world.secretary1)
    url = reverse(url_name) + query
    _many_items(partnership, world, 5)
    at_five = _count_queries(client, url)
    _many_items(partnership, world, 45)
    at_fifty = _count_queries(client, url)
    assert at_five == at_fifty
    assert at_fifty <= 12


def test_the_detail_page_queries_do_not_grow_with_the_updates(client_for, partnership, world):
    item = make_item(partnership, world)

    def add_updates(n):
        for i in range(n):
            update = ActionItemUpdateFactory(item=item, note=f"进展{i}", percent=i, author=world.secretary1)
            Evidence.objects.create(
                update=update, file="evidence/x.pdf", original_name="x.pdf", content_type="application/pdf", size=1
            )

    client = client_for(world.secretary1)
    add_updates(5)
    at_five = _count_queries(client, item.get_absolute_url())
    add_updates(45)
    assert _count_queries(client, item.get_absolute_url()) == at_five


# --- 督办台账 (Excel) ---------------------------------------------------------------------------------------------


def _read_sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = table(sheet)
    return rows[0], rows[1:]


def test_the_ledger_export_applies_the_filters_and_counts_days_overdue(client_for, partnership, world):
    late = make_item(partnership, world, due_on=days(-4), status="in_progress", title="逾期四天", progress=30)
    ActionItemUpdateFactory(item=late, note="材料采购中", percent=30, author=world.secretary1)
    make_item(partnership, world, due_on=days(-4), status="done", title="已办结不算逾期")
    make_item(partnership, world, due_on=days(6), title="未到期")
    client = client_for(world.secretary1)

    response = client.get(reverse("partnerships:action_item_export") + "?overdue=on")
    assert_print_ready(response.content, world.branch_a.name, timezone.localdate().isoformat())
    header, rows = _read_sheet(response)
    assert len(header) == 12
    assert len(rows) == 1
    row = rows[0]
    assert row[0] == "GJ-TEST-001 甲项目与和平街道结对共建协议"
    assert partnership.meeting.title in row[1] and row[2] == partnership.decision.text
    assert row[3] == "逾期四天" and row[4] == world.branch_a.name
    assert row[6].date() == days(-4)
    assert row[8] == 4
    assert row[9] == "材料采购中 (30%)" and row[10] == 30

    _, rows = _read_sheet(client.get(reverse("partnerships:action_item_export")))
    by_title = {row[3]: row for row in rows}
    assert set(by_title) == {"逾期四天", "已办结不算逾期", "未到期"}
    assert by_title["已办结不算逾期"][8] == 0 and by_title["未到期"][8] == 0


def test_the_ledger_export_holds_only_what_the_user_may_see(client_for, partnership, world):
    make_item(partnership, world)
    _, rows = _read_sheet(client_for(world.secretary2).get(reverse("partnerships:action_item_export")))
    assert rows == []
    _, rows = _read_sheet(client_for(world.committee).get(reverse("partnerships:action_item_export")))
    assert len(rows) == 1


def test_the_ledger_filters_by_party_status_priority_and_due_range(client_for, partnership, world):
    make_item(partnership, world, due_on=days(2), title="甲-近", priority=1)
    make_item(partnership, world, due_on=days(30), title="甲-远")
    make_item(partnership, world, party=world.partner, due_on=days(2), title="社区-近", status="in_progress")
    client = client_for(world.secretary1)
    url = reverse("partnerships:action_item_list")

    def titles(query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {item.title for item in response.context["object_list"]}

    assert titles({"responsible_party": world.partner.pk}) == {"社区-近"}
    assert titles({"status": "open"}) == {"甲-近", "甲-远"}
    assert titles({"priority": 1}) == {"甲-近"}
    assert titles({"due_from": days(1).isoformat(), "due_to": days(5).isoformat()}) == {"甲-近", "社区-近"}
    assert titles({"q": "远"}) == {"甲-远"}
    assert titles({"agreement": partnership.agreement.pk}) == {"甲-近", "甲-远", "社区-近"}


def test_the_ledger_shows_nothing_to_outsiders(client_for, partnership, world):
    make_item(partnership, world)
    response = client_for(world.outsider).get(reverse("partnerships:action_item_list"))
    assert response.status_code == 200 and list(response.context["object_list"]) == []


def test_a_formula_title_reads_back_from_the_ledger_as_text(client_for, partnership, world):
    make_item(partnership, world, title=FORMULA_TITLE)
    response = client_for(world.secretary1).get(reverse("partnerships:action_item_export"))
    (cell,) = text_cells(response.content, FORMULA_TITLE)
    assert cell.column == 4


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("现场照片.png", "bomb", "pixels"),
        ("验收单.pdf", "forged", "bad_pdf"),
        ("验收单.docx", "broken-docx", "bad_office"),
    ],
)
def test_a_pixel_bomb_a_forged_pdf_or_a_broken_docx_is_refused_as_evidence(partnership, world, name, content, code):
    item = make_item(partnership, world)
    data = {"bomb": bomb_png, "forged": lambda: FORGED_PDF, "broken-docx": lambda: docx_bytes(main_part="word/x.xml")}
    bad = SimpleUploadedFile(name, data[content]())
    with pytest.raises(ValidationError) as caught:
        services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=[pdf(), bad])
    assert [error.code for error in caught.value.error_dict["evidence"]] == [code]
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN and not Evidence.objects.exists() and not item.updates.exists()


def test_a_real_pdf_image_and_docx_are_accepted_as_evidence(partnership, world):
    item = make_item(partnership, world)
    files = [pdf(), png(), SimpleUploadedFile("方案.docx", docx_bytes())]
    services.action_item_update_progress(actor=world.secretary1, item=item, note="进展", percent=50, evidence=files)
    assert sorted(Evidence.objects.values_list("content_type", flat=True)) == sorted(
        ["application/pdf", "image/png", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    )


def test_only_pdfs_and_images_within_the_pixel_cap_are_served_inline(client_for, partnership, world):
    item = make_item(partnership, world)
    update = ActionItemUpdateFactory(item=item, note="旧附件", percent=10, author=world.secretary1)
    cases = {
        "image/png": (png_bytes(), "inline"),
        "application/pdf": (PDF, "inline"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (docx_bytes(), "attachment"),
    }
    # Stored before uploads were decoded: a pixel bomb is a download, never rendered in the browser.
    legacy = {"image/png": (bomb_png(), "attachment")}
    client = client_for(world.secretary1)
    for content_type, (content, disposition) in [*cases.items(), *legacy.items()]:
        evidence = Evidence(update=update, original_name="附件", content_type=content_type, size=len(content))
        evidence.file.save("legacy", ContentFile(content), save=False)
        evidence.save()
        response = client.get(reverse("partnerships:evidence_download", args=[evidence.pk]))
        assert response["Content-Disposition"].startswith(disposition), content_type
        assert response["X-Content-Type-Options"] == "nosniff"
