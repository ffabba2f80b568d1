"""Agreements: services (every bad input refused, nothing half-saved), scope, the signed scan, list filters and query
budgets, the Excel ledger."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from partnerships.models import ActionItem, Agreement, AgreementParty, Dimension
from partnerships.services import agreements as services
from portal.models import Membership
from tests.factories import ActionItemFactory, JointMeetingFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.matrix.agreements import PDF_BYTES
from tests.upload_files import FORGED_PDF, bomb_png, pdf_bytes, png_bytes
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready, table, text_cells

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PNG_BYTES = png_bytes()
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def pdf(name="共建协议.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def parties(world):
    rows = [
        {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR, "signatory": "张书记"},
        {
            "organization": world.partner,
            "role": AgreementParty.Role.PARTNER,
            "signatory": "李主任",
            "liaison": world.liaison1,
            "commitments": "提供活动阵地",
        },
    ]
    return rows


def make(world, actor=None, number="GJ-2025-001", activate=False, **kwargs):
    data = {
        "number": number,
        "title": "结对共建协议",
        "parties": parties(world),
        "term_start": TODAY - 30 * DAY,
        "term_end": TODAY + 335 * DAY,
    }
    data.update(kwargs)
    agreement = services.agreement_create(actor=actor or world.secretary1, **data)
    if activate:
        agreement = services.agreement_activate(actor=actor or world.secretary1, agreement=agreement)
    return agreement


def meeting(agreement, host, when=None, title="联席会议"):
    return JointMeetingFactory(
        agreement=agreement, title=title, starts_at=when or timezone.now() - DAY, place="会议室", host=host
    )


def item(agreement, party, due=None, status=ActionItem.Status.OPEN, title="督办事项"):
    return ActionItemFactory(
        agreement=agreement, title=title, responsible_party=party, due_on=due or TODAY + 10 * DAY, status=status
    )


def form_post(world, number="GJ-FORM-001", **overrides):
    data = {
        "number": number,
        "title": "结对共建协议",
        "term_start": TODAY.isoformat(),
        "term_end": (TODAY + 365 * DAY).isoformat(),
        "parties-TOTAL_FORMS": "3",
        "parties-INITIAL_FORMS": "2",
        "parties-MIN_NUM_FORMS": "2",
        "parties-MAX_NUM_FORMS": "1000",
        "parties-0-organization": world.branch_a.pk,
        "parties-0-role": "initiator",
        "parties-1-organization": world.partner.pk,
        "parties-1-role": "partner",
        "parties-1-liaison": world.liaison1.pk,
        "parties-2-role": "partner",
    }
    data.update(overrides)
    return data


# --- services: creating ------------------------------------------------------------------------------------------


def test_it_creates_a_draft_agreement_with_parties_dimensions_and_history(world):
    dims = list(Dimension.objects.all()[:3])
    agreement = make(world, dimensions=dims, brand="红色纽带", document=pdf())
    assert agreement.status == Agreement.Status.DRAFT
    assert agreement.created_by == world.secretary1
    assert set(agreement.dimensions.all()) == set(dims)
    rows = {p.organization_id: p for p in agreement.parties.all()}
    assert set(rows) == {world.branch_a.pk, world.partner.pk}
    assert rows[world.partner.pk].liaison == world.liaison1
    assert rows[world.partner.pk].commitments == "提供活动阵地"
    assert agreement.document.name.endswith("/共建协议.pdf")
    assert agreement.history.first().history_user == world.secretary1


def test_a_liaison_of_a_party_may_create_and_an_admin_may_create_any(world):
    assert make(world, actor=world.liaison1, number="L-1").pk
    assert make(world, actor=world.admin, number="A-1").pk


@pytest.mark.parametrize("username", ["secretary2", "committee", "outsider", "member1"])
def test_only_a_secretary_or_liaison_of_a_party_may_create(world, username):
    with pytest.raises(PermissionDenied):
        make(world, actor=world.user(username))
    assert not Agreement.objects.exists()


def test_it_refuses_a_term_ending_before_it_starts(world):
    with pytest.raises(ValidationError) as caught:
        make(world, term_start=TODAY, term_end=TODAY - DAY)
    assert set(caught.value.message_dict) == {"term_end"}
    assert not Agreement.objects.exists() and not AgreementParty.objects.exists()


def test_the_database_refuses_a_term_ending_before_it_starts_even_past_the_service(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(number="X", title="X", term_start=TODAY, term_end=TODAY - DAY)


def test_it_refuses_fewer_than_two_parties(world):
    with pytest.raises(ValidationError) as caught:
        make(world, parties=parties(world)[:1])
    assert "parties" in caught.value.message_dict
    assert not Agreement.objects.exists()


def test_it_refuses_the_same_organization_twice(world):
    rows = parties(world)
    rows.append({"organization": world.branch_a, "role": AgreementParty.Role.PARTNER})
    with pytest.raises(ValidationError) as caught:
        make(world, parties=rows)
    assert "organization" in caught.value.message_dict
    assert not Agreement.objects.exists() and not AgreementParty.objects.exists()


def test_it_refuses_a_liaison_from_another_organization(world):
    rows = parties(world)
    rows[0]["liaison"] = world.liaison1  # liaison of the partner, not of branch_a
    with pytest.raises(ValidationError) as caught:
        make(world, parties=rows)
    assert "liaison" in caught.value.message_dict
    assert not Agreement.objects.exists()


def test_it_refuses_a_liaison_who_holds_another_role_in_that_organization(world):
    rows = parties(world)
    rows[0]["liaison"] = world.secretary1  # secretary of branch_a, not its liaison officer
    with pytest.raises(ValidationError) as caught:
        make(world, parties=rows)
    assert "liaison" in caught.value.message_dict


def test_it_reports_every_problem_at_once(world):
    rows = parties(world)[:1]
    rows[0]["liaison"] = world.liaison1
    with pytest.raises(ValidationError) as caught:
        make(world, parties=rows, term_end=TODAY - 60 * DAY, document=pdf(content=EXE_BYTES))
    assert {"term_end", "parties", "liaison", "document"} <= set(caught.value.message_dict)


def test_it_refuses_a_scan_that_is_not_a_pdf_or_image_by_content(world):
    with pytest.raises(ValidationError) as caught:
        make(world, document=pdf("scan.pdf", EXE_BYTES))
    assert "document" in caught.value.message_dict
    assert not Agreement.objects.exists()


def test_it_refuses_a_scan_larger_than_10_mb(world):
    with pytest.raises(ValidationError) as caught:
        make(world, document=pdf("big.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024)))
    assert "document" in caught.value.message_dict
    assert not Agreement.objects.exists()


def test_an_image_scan_is_stored_under_the_extension_of_its_content(world):
    agreement = make(world, document=SimpleUploadedFile("扫描件.pdf", PNG_BYTES))
    assert agreement.document.name.endswith("/扫描件.png")


def test_a_duplicate_number_is_refused_next_to_the_number(world):
    make(world)
    with pytest.raises(ValidationError) as caught:
        make(world)
    assert "number" in caught.value.message_dict
    assert Agreement.objects.count() == 1


# --- services: editing and the life cycle ------------------------------------------------------------------------


def test_a_party_edits_fields_and_parties(world):
    agreement = make(world)
    MembershipFactory(user=UserFactory(username="liaison_a"), organization=world.branch_a, role="liaison")
    rows = parties(world)
    rows[0]["liaison"] = Membership.objects.get(organization=world.branch_a, role="liaison").user
    rows.append({"organization": world.branch_b, "role": AgreementParty.Role.PARTNER})
    services.agreement_update(actor=world.liaison1, agreement=agreement, parties=rows, title="三方联建协议")
    agreement.refresh_from_db()
    assert agreement.title == "三方联建协议"
    assert agreement.parties.count() == 3
    assert agreement.parties.get(organization=world.branch_a).liaison.username == "liaison_a"


def test_the_reviewer_may_not_edit(world):
    agreement = make(world)
    with pytest.raises(PermissionDenied):
        services.agreement_update(actor=world.committee, agreement=agreement, title="改名")


def test_an_editor_cannot_write_their_own_organization_out_of_the_agreement(world):
    agreement = make(world)
    rows = parties(world)
    rows[0]["organization"] = world.branch_b
    with pytest.raises(PermissionDenied):
        services.agreement_update(actor=world.secretary1, agreement=agreement, parties=rows, title="改名")
    agreement.refresh_from_db()
    assert agreement.title == "结对共建协议"
    assert set(agreement.parties.values_list("organization_id", flat=True)) == {world.branch_a.pk, world.partner.pk}


def test_a_party_that_owns_items_cannot_be_removed_and_nothing_is_half_saved(world):
    agreement = make(world)
    third = OrganizationFactory(name="第三方党支部")
    rows = parties(world) + [{"organization": third}]
    services.agreement_update(actor=world.secretary1, agreement=agreement, parties=rows)
    item(agreement, third)
    with pytest.raises(ValidationError) as caught:
        services.agreement_update(actor=world.secretary1, agreement=agreement, parties=parties(world), title="改名")
    assert "parties" in caught.value.message_dict
    agreement.refresh_from_db()
    assert agreement.title == "结对共建协议" and agreement.parties.count() == 3


def test_a_bad_edit_saves_nothing(world):
    agreement = make(world)
    with pytest.raises(ValidationError):
        services.agreement_update(
            actor=world.secretary1, agreement=agreement, title="改名", term_end=agreement.term_start - DAY
        )
    agreement.refresh_from_db()
    assert agreement.title == "结对共建协议"


def test_attaching_a_document_checks_its_content(world):
    agreement = make(world)
    with pytest.raises(ValidationError) as caught:
        services.agreement_attach_document(actor=world.secretary1, agreement=agreement, document=pdf("x.pdf", b"hi"))
    assert "document" in caught.value.message_dict
    services.agreement_attach_document(actor=world.liaison1, agreement=agreement, document=pdf())
    agreement.refresh_from_db()
    assert agreement.document.name.endswith(".pdf")


def test_activate_puts_a_draft_in_force_once(world):
    agreement = make(world)
    services.agreement_activate(actor=world.liaison1, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    with pytest.raises(ValidationError):
        services.agreement_activate(actor=world.liaison1, agreement=agreement)


def test_an_agreement_whose_term_is_over_cannot_be_put_in_force(world):
    agreement = make(world, term_start=TODAY - 400 * DAY, term_end=TODAY - DAY)
    with pytest.raises(ValidationError) as caught:
        services.agreement_activate(actor=world.secretary1, agreement=agreement)
    assert "term_end" in caught.value.message_dict
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


def test_terminating_needs_a_reason(world):
    agreement = make(world, activate=True)
    with pytest.raises(ValidationError) as caught:
        services.agreement_terminate(actor=world.secretary1, agreement=agreement, reason="  ")
    assert "reason" in caught.value.message_dict
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    services.agreement_terminate(actor=world.secretary1, agreement=agreement, reason="项目完工")
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED
    assert agreement.terminated_on == TODAY and agreement.termination_reason == "项目完工"


def test_a_closed_agreement_cannot_be_edited_or_terminated_again(world):
    agreement = make(world, activate=True)
    services.agreement_terminate(actor=world.secretary1, agreement=agreement, reason="项目完工")
    with pytest.raises(ValidationError):
        services.agreement_update(actor=world.secretary1, agreement=agreement, title="改名")
    with pytest.raises(ValidationError):
        services.agreement_terminate(actor=world.secretary1, agreement=agreement, reason="再次")


def test_renewal_carries_the_parties_and_dimensions_over(world):
    dims = list(Dimension.objects.all()[:2])
    agreement = make(world, activate=True, dimensions=dims, brand="红色纽带", goals="共建共享")
    successor = services.agreement_renew(
        actor=world.secretary1,
        agreement=agreement,
        number="GJ-2026-001",
        term_start=agreement.term_end + DAY,
        term_end=agreement.term_end + 366 * DAY,
    )
    assert successor.predecessor == agreement and successor.status == Agreement.Status.DRAFT
    assert successor.brand == "红色纽带" and successor.goals == "共建共享" and successor.title == agreement.title
    assert set(successor.dimensions.all()) == set(dims)
    copied = {(p.organization_id, p.role, p.signatory, p.liaison_id, p.commitments) for p in successor.parties.all()}
    original = {(p.organization_id, p.role, p.signatory, p.liaison_id, p.commitments) for p in agreement.parties.all()}
    assert copied == original and len(copied) == 2
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE  # its term is not over: it stays in force


def test_renewing_an_agreement_whose_term_is_over_marks_it_expired(world):
    agreement = make(world, term_start=TODAY - 400 * DAY, term_end=TODAY + 10 * DAY, activate=True)
    Agreement.objects.filter(pk=agreement.pk).update(term_end=TODAY - DAY)
    services.agreement_renew(
        actor=world.secretary1, agreement=agreement, number="R-1", term_start=TODAY, term_end=TODAY + 365 * DAY
    )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.EXPIRED


def test_an_agreement_is_renewed_only_once_and_bad_terms_are_refused(world):
    agreement = make(world, activate=True)
    with pytest.raises(ValidationError) as caught:
        services.agreement_renew(
            actor=world.secretary1, agreement=agreement, number="R-1", term_start=TODAY, term_end=TODAY - DAY
        )
    assert "term_end" in caught.value.message_dict
    assert Agreement.objects.count() == 1 and AgreementParty.objects.count() == 2
    services.agreement_renew(
        actor=world.secretary1, agreement=agreement, number="R-1", term_start=TODAY, term_end=TODAY + DAY
    )
    with pytest.raises(ValidationError):
        services.agreement_renew(
            actor=world.secretary1, agreement=agreement, number="R-2", term_start=TODAY, term_end=TODAY + DAY
        )
    with pytest.raises(PermissionDenied):
        services.agreement_renew(
            actor=world.committee, agreement=agreement, number="R-3", term_start=TODAY, term_end=TODAY + DAY
        )


def test_a_draft_cannot_be_renewed(world):
    with pytest.raises(ValidationError):
        services.agreement_renew(
            actor=world.secretary1, agreement=make(world), number="R", term_start=TODAY, term_end=TODAY + DAY
        )


def _expiry_fixture(world, count: int, prefix: str):
    for n in range(count):
        agreement = make(world, number=f"{prefix}-{n}", term_start=TODAY - 400 * DAY, term_end=TODAY + DAY)
        Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.ACTIVE, term_end=TODAY - DAY)


def test_expiry_is_set_based_and_idempotent(world):
    current = make(world, number="CURRENT", activate=True)
    ends_today = make(world, number="ENDS-TODAY", term_end=TODAY, activate=True)
    terminated = make(world, number="TERMINATED", activate=True)
    services.agreement_terminate(actor=world.secretary1, agreement=terminated, reason="终止")
    Agreement.objects.filter(pk=terminated.pk).update(term_end=TODAY - DAY)
    _expiry_fixture(world, 3, "FEW")
    with CaptureQueriesContext(connection) as few:
        assert services.agreements_expire(today=TODAY) == 3
    _expiry_fixture(world, 30, "MANY")
    with CaptureQueriesContext(connection) as many:
        assert services.agreements_expire(today=TODAY) == 30
    assert len(few.captured_queries) == len(many.captured_queries)
    assert services.agreements_expire(today=TODAY) == 0  # the second run changes nothing
    assert Agreement.objects.filter(status=Agreement.Status.EXPIRED).count() == 33
    for agreement in (current, ends_today):
        agreement.refresh_from_db()
        assert agreement.status == Agreement.Status.ACTIVE
    terminated.refresh_from_db()
    assert terminated.status == Agreement.Status.TERMINATED
    expired = Agreement.objects.get(number="FEW-0")
    assert expired.history.first().status == Agreement.Status.EXPIRED  # the 变更记录 tab shows the expiry


def test_a_service_is_the_outermost_transaction_and_refuses_to_run_inside_a_callers(world):
    agreement = make(world)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.agreement_update(actor=world.secretary1, agreement=agreement, title="改名")
    # Its private body is what a caller that batches on purpose (the demo seeder) runs inside its own transaction.
    with transaction.atomic():
        services._agreement_update(actor=world.secretary1, agreement=agreement, title="改名")
    agreement.refresh_from_db()
    assert agreement.title == "改名"


# --- scope -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["secretary1", "liaison1", "member1", "committee", "admin"])
def test_parties_and_the_reviewer_see_the_agreement(client_for, world, username):
    agreement = make(world)
    response = client_for(world.user(username)).get(reverse("partnerships:agreement_detail", args=[agreement.pk]))
    assert response.status_code == 200
    assert [p.organization for p in response.context["parties"]] == [world.branch_a, world.partner]


@pytest.mark.parametrize("username", ["secretary2", "outsider"])
def test_anyone_else_gets_404_everywhere(client_for, world, username):
    agreement = make(world, document=pdf())
    client = client_for(world.user(username))
    for name in (
        "agreement_detail",
        "agreement_update",
        "agreement_renew",
        "agreement_terminate",
        "agreement_document",
    ):
        assert client.get(reverse(f"partnerships:{name}", args=[agreement.pk])).status_code == 404, name
    for name in ("agreement_update", "agreement_activate", "agreement_renew", "agreement_terminate"):
        assert client.post(reverse(f"partnerships:{name}", args=[agreement.pk]), {"reason": "x"}).status_code == 404
    listed = client.get(reverse("partnerships:agreement_list"))
    assert agreement not in listed.context["object_list"]


def test_the_reviewer_reads_but_every_write_is_403(client_for, world):
    agreement = make(world)
    client = client_for(world.committee)
    detail = client.get(reverse("partnerships:agreement_detail", args=[agreement.pk]))
    assert detail.status_code == 200
    assert not detail.context["can_edit"] and not detail.context["can_activate"]
    assert client.get(reverse("partnerships:agreement_update", args=[agreement.pk])).status_code == 403
    assert client.get(reverse("partnerships:agreement_create")).status_code == 403
    for name in ("agreement_update", "agreement_activate", "agreement_renew", "agreement_terminate"):
        response = client.post(reverse(f"partnerships:{name}", args=[agreement.pk]), {"reason": "x"})
        assert response.status_code == 403, name
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


def test_activate_is_post_only(client_for, world):
    agreement = make(world)
    client = client_for(world.secretary1)
    url = reverse("partnerships:agreement_activate", args=[agreement.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE


# --- pages -----------------------------------------------------------------------------------------------------


def test_the_form_creates_an_agreement(client_for, world):
    dim = Dimension.objects.first()
    response = client_for(world.secretary1).post(
        reverse("partnerships:agreement_create"),
        form_post(world, dimensions=[dim.pk], document=pdf()),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(number="GJ-FORM-001")
    assert response["Location"] == agreement.get_absolute_url()
    assert agreement.parties.count() == 2 and list(agreement.dimensions.all()) == [dim]
    assert agreement.document


def test_the_form_puts_each_error_next_to_its_field(client_for, world):
    data = form_post(world, term_end=(TODAY - DAY).isoformat(), **{"parties-0-liaison": world.liaison1.pk})
    response = client_for(world.secretary1).post(reverse("partnerships:agreement_create"), data)
    assert response.status_code == 200
    assert "term_end" in response.context["form"].errors
    assert "liaison" in response.context["formset"].forms[0].errors
    assert not Agreement.objects.exists()


def test_the_form_refuses_one_party_and_the_same_organization_twice(client_for, world):
    client = client_for(world.secretary1)
    one = form_post(world, **{"parties-1-organization": "", "parties-1-liaison": "", "parties-1-DELETE": "on"})
    response = client.post(reverse("partnerships:agreement_create"), one)
    assert response.status_code == 200 and response.context["formset"].non_form_errors()
    twice = form_post(world, **{"parties-2-organization": world.branch_a.pk})
    response = client.post(reverse("partnerships:agreement_create"), twice)
    assert response.status_code == 200
    assert "organization" in response.context["formset"].forms[2].errors
    assert not Agreement.objects.exists()


def test_the_form_refuses_a_fake_scan_next_to_the_file_field(client_for, world):
    data = form_post(world, document=pdf("scan.pdf", EXE_BYTES))
    response = client_for(world.secretary1).post(reverse("partnerships:agreement_create"), data)
    assert response.status_code == 200
    assert "document" in response.context["form"].errors
    assert not Agreement.objects.exists()


def test_the_form_refuses_an_agreement_between_other_organizations(client_for, world):
    data = form_post(
        world, **{"parties-0-organization": world.unrelated.pk, "parties-1-organization": world.partner.pk}
    )
    response = client_for(world.secretary1).post(reverse("partnerships:agreement_create"), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Agreement.objects.exists()


def test_the_edit_form_keeps_unchanged_parties_and_adds_one(client_for, world):
    agreement = make(world)
    data = form_post(world, number=agreement.number, **{"parties-2-organization": world.branch_b.pk})
    response = client_for(world.liaison1).post(reverse("partnerships:agreement_update", args=[agreement.pk]), data)
    assert response.status_code == 302
    assert set(agreement.parties.values_list("organization_id", flat=True)) == {
        world.branch_a.pk,
        world.partner.pk,
        world.branch_b.pk,
    }


def test_the_edit_page_of_a_closed_agreement_redirects(client_for, world):
    agreement = make(world, activate=True)
    services.agreement_terminate(actor=world.secretary1, agreement=agreement, reason="终止")
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_update", args=[agreement.pk]))
    assert response.status_code == 302


def test_the_terminate_page_asks_for_a_reason(client_for, world):
    agreement = make(world, activate=True)
    client = client_for(world.secretary1)
    url = reverse("partnerships:agreement_terminate", args=[agreement.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert client.post(url, {"reason": "合作终止"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED


def test_the_renew_page_creates_the_successor_and_opens_it(client_for, world):
    agreement = make(world, activate=True)
    client = client_for(world.secretary1)
    url = reverse("partnerships:agreement_renew", args=[agreement.pk])
    initial = client.get(url).context["form"].initial
    assert initial["term_start"] == agreement.term_end + DAY
    response = client.post(
        url,
        {
            "number": "GJ-R",
            "title": agreement.title,
            "term_start": initial["term_start"].isoformat(),
            "term_end": initial["term_end"].isoformat(),
        },
    )
    successor = Agreement.objects.get(number="GJ-R")
    assert response.status_code == 302 and response["Location"] == successor.get_absolute_url()
    detail = client.get(agreement.get_absolute_url())
    assert detail.context["successor"] == successor and not detail.context["can_renew"]
    duplicate = client.post(
        url, {"number": agreement.number, "title": "x", "term_start": "2030-01-01", "term_end": "2030-12-31"}
    )
    assert duplicate.status_code == 200 and duplicate.context["form"].non_field_errors()


def test_the_detail_lists_meetings_and_items_of_the_agreement(client_for, world):
    agreement = make(world, activate=True)
    other = make(world, number="OTHER", activate=True)
    meeting(agreement, world.branch_a, title="第一次联席会议")
    meeting(other, world.branch_a, title="别的会议")
    overdue = item(agreement, world.partner, due=TODAY - 3 * DAY, title="修缮活动阵地")
    response = client_for(world.liaison1).get(agreement.get_absolute_url())
    assert [m.title for m in response.context["meetings"]] == ["第一次联席会议"]
    assert response.context["items"] == [overdue]
    body = response.content.decode()
    assert reverse("partnerships:action_item_detail", args=[overdue.pk]) in body
    assert 'data-overdue="3"' in body
    assert reverse("partnerships:meeting_create", args=[agreement.pk]) in body
    assert reverse("partnerships:action_item_create", args=[agreement.pk]) in body
    reviewer_body = client_for(world.committee).get(agreement.get_absolute_url()).content.decode()
    assert reverse("partnerships:meeting_create", args=[agreement.pk]) not in reviewer_body


# --- the signed scan -------------------------------------------------------------------------------------------


def test_the_scan_is_served_inline_under_its_original_name_to_those_in_scope(client_for, world):
    agreement = make(world, document=pdf("甲乙共建协议.pdf"))
    for username in ("secretary1", "liaison1", "committee"):
        response = client_for(world.user(username)).get(reverse("partnerships:agreement_document", args=[agreement.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert "%E7%94%B2%E4%B9%99%E5%85%B1%E5%BB%BA%E5%8D%8F%E8%AE%AE.pdf" in response["Content-Disposition"]
    for username in ("secretary2", "outsider"):
        response = client_for(world.user(username)).get(reverse("partnerships:agreement_document", args=[agreement.pk]))
        assert response.status_code == 404


def test_an_agreement_without_a_scan_answers_404(client_for, world):
    agreement = make(world)
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_document", args=[agreement.pk]))
    assert response.status_code == 404


# --- the list, its filters, its query budget, the ledger ---------------------------------------------------------


@pytest.fixture
def three(world):
    dims = list(Dimension.objects.all()[:2])
    active = make(world, number="ACTIVE-1", title="党建联建", dimensions=[dims[0]], brand="红色引擎", activate=True)
    expiring = make(world, number="SOON-1", term_end=TODAY + 10 * DAY, dimensions=[dims[1]], activate=True)
    third = OrganizationFactory(name="开发区管委会党工委")
    MembershipFactory(user=world.secretary1, organization=third, role="secretary")
    draft = make(
        world,
        number="DRAFT-1",
        parties=[{"organization": world.branch_a}, {"organization": third}],
    )
    return {"active": active, "expiring": expiring, "draft": draft, "third": third, "dims": dims}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"ACTIVE-1", "SOON-1", "DRAFT-1"}),
        ({"status": "active"}, {"ACTIVE-1", "SOON-1"}),
        ({"expiring": "on"}, {"SOON-1"}),
        ({"q": "红色引擎"}, {"ACTIVE-1"}),
        ({"q": "soon"}, {"SOON-1"}),
    ],
)
def test_the_list_filters(client_for, world, three, params, expected):
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_list"), params)
    assert {a.number for a in response.context["object_list"]} == expected


def test_the_list_filters_by_party_and_dimension(client_for, world, three):
    client = client_for(world.secretary1)
    url = reverse("partnerships:agreement_list")
    by_party = client.get(url, {"party": three["third"].pk}).context["object_list"]
    assert [a.number for a in by_party] == ["DRAFT-1"]
    by_dim = client.get(url, {"dimension": three["dims"][1].pk}).context["object_list"]
    assert [a.number for a in by_dim] == ["SOON-1"]


def test_the_list_shows_meeting_and_item_figures(client_for, world, three):
    agreement = three["active"]
    meeting(agreement, world.branch_a)
    meeting(agreement, world.branch_a, when=timezone.now() + 5 * DAY)  # not held yet
    item(agreement, world.partner)
    item(agreement, world.partner, due=TODAY - DAY)
    item(agreement, world.partner, status=ActionItem.Status.DONE, due=TODAY - DAY)
    rows = client_for(world.secretary1).get(reverse("partnerships:agreement_list")).context["object_list"]
    row = next(a for a in rows if a.pk == agreement.pk)
    assert (row.meetings_held, row.open_items, row.overdue_items) == (1, 2, 1)


def _grow(world, start: int, count: int):
    for n in range(start, start + count):
        agreement = make(world, number=f"Q-{n:03d}", dimensions=Dimension.objects.all()[:2], activate=True)
        meeting(agreement, world.branch_a)
        item(agreement, world.partner, due=TODAY - DAY)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["secretary1", "committee"])
def test_the_list_costs_the_same_at_5_and_50_agreements(client_for, world, username):
    client = client_for(world.user(username))
    url = reverse("partnerships:agreement_list")
    _grow(world, 0, 5)
    few = _queries(client, url)
    _grow(world, 5, 45)
    many = _queries(client, url)
    assert few == many, (few, many)
    assert few <= 12


def test_the_detail_costs_the_same_at_5_and_50_meetings_and_items(client_for, world):
    agreement = make(world, activate=True, dimensions=Dimension.objects.all()[:3])
    client = client_for(world.secretary1)
    for n in range(5):
        meeting(agreement, world.branch_a, title=f"会议{n}")
        item(agreement, world.partner, due=TODAY - DAY, title=f"事项{n}")
    few = _queries(client, agreement.get_absolute_url())
    for n in range(45):
        meeting(agreement, world.partner, title=f"会议{n + 5}")
        item(agreement, world.branch_a, title=f"事项{n + 5}")
    many = _queries(client, agreement.get_absolute_url())
    assert few == many, (few, many)


def test_the_ledger_reads_back_with_the_filters_applied(client_for, world, three):
    meeting(three["active"], world.branch_a)
    item(three["active"], world.partner, due=TODAY - DAY)
    client = client_for(world.secretary1)
    response = client.get(reverse("partnerships:agreement_export"), {"status": "active"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    (sheet,) = assert_print_ready(response.content, world.branch_a.name)
    rows = table(sheet)
    assert len(rows[0]) == 12
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == {"ACTIVE-1", "SOON-1"}
    active = body["ACTIVE-1"]
    assert active[2] == "红色引擎"
    assert world.branch_a.name in active[3] and world.partner.name in active[3]
    assert active[4] == three["dims"][0].name
    assert active[6].date() == three["active"].term_start  # a real date cell, not text
    assert active[9:] == (1, 1, 1)
    everything = client.get(reverse("partnerships:agreement_export"))
    assert len(list(load_workbook(io.BytesIO(everything.content)).active.iter_rows(min_row=2))) == 4


def test_the_ledger_holds_only_what_the_user_may_see(client_for, world, three):
    response = client_for(world.secretary2).get(reverse("partnerships:agreement_export"))
    rows = table(load_workbook(io.BytesIO(response.content)).active)
    assert len(rows) == 1  # the header only


def test_a_formula_title_reads_back_from_the_agreement_ledger_as_text(client_for, world):
    make(world, title=FORMULA_TITLE)
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_export"))
    text_cells(response.content, FORMULA_TITLE)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("扫描件.png", "bomb", "“%(name)s” is too large an image: at most %(limit)s megapixels."),
        ("扫描件.pdf", "forged", "“%(name)s” could not be read as a PDF."),
    ],
)
def test_a_pixel_bomb_or_a_forged_pdf_is_refused_as_the_signed_scan(world, name, content, message):
    data = bomb_png() if content == "bomb" else FORGED_PDF
    with pytest.raises(ValidationError) as caught:
        make(world, document=SimpleUploadedFile(name, data))
    assert caught.value.message_dict["document"] == [gettext(message) % {"name": name, "limit": 40}]
    assert not Agreement.objects.exists()


def test_a_real_pdf_scan_is_accepted_and_a_legacy_bomb_scan_is_only_downloaded(client_for, world):
    agreement = make(world, document=pdf("协议.pdf", pdf_bytes(pages=3)))
    assert agreement.document.name.endswith(".pdf")
    # A scan stored before uploads were decoded: served as a download, never rendered in the browser.
    agreement.document.save("旧扫描件.png", ContentFile(bomb_png()))
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_document", args=[agreement.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
