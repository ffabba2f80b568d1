"""Pairings (资源对接 / 认领需求): a partner offers a resource against a need or claims it, the need's organization
accepts — a joint project (共建项目) starts — or declines; progress with evidence, closure confirmed by the other side,
and the need is met.

The cast: 甲项目党支部 (secretary1) and the street community (liaison1) under an agreement in force; secretary2's 乙机关党支部
is party to nothing of theirs.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from partnerships.models import ActionItem, Need, Pairing
from partnerships.services import action_items as item_services
from partnerships.services import resources as services
from portal.models import Notification
from tests.factories import cast_agreement
from tests.matrix.lists import days, make_lists_agreement, make_need, make_pairing, make_resource
from tests.upload_files import pdf_bytes


@pytest.fixture
def lists(world):
    agreement = make_lists_agreement(world)
    need = make_need(world.branch_a, "职工子女暑期托管")
    volunteers = make_resource(world.partner, "和平社区志愿服务队", kind="volunteers")
    return agreement, need, volunteers


def _offer(world, need, resource=None, **extra):
    return services.pairing_offer(
        actor=world.liaison1, need=need, offered_by=world.partner, resource=resource, note="每周三次看护", **extra
    )


def test_a_partner_offers_a_resource_and_the_need_organization_hears_of_it(world, lists):
    agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)

    assert pairing.status == Pairing.Status.PROPOSED
    assert pairing.agreement == agreement  # the only agreement they share is taken
    notice = Notification.objects.get(kind="pairing.proposed")
    assert notice.recipient == world.secretary1
    assert "和平社区志愿服务队" in notice.title


def test_a_claim_without_a_resource_is_a_pairing_too(world, lists):
    _agreement, need, _volunteers = lists
    pairing = _offer(world, need)
    assert pairing.is_claim and pairing.resource is None


def test_the_need_organization_cannot_offer_to_itself(world, lists):
    _agreement, need, _volunteers = lists
    with pytest.raises(PermissionDenied):
        services.pairing_offer(actor=world.secretary1, need=need, offered_by=world.branch_a)


def test_an_organization_without_a_shared_agreement_cannot_offer(world, lists):
    _agreement, need, _volunteers = lists
    with pytest.raises(PermissionDenied):
        services.pairing_offer(actor=world.secretary2, need=need, offered_by=world.branch_b)


def test_another_organizations_resource_cannot_be_offered(world, lists):
    _agreement, need, _volunteers = lists
    hall = make_resource(world.branch_b, "乙支部会议室")
    with pytest.raises(ValidationError) as exc:
        _offer(world, need, hall)
    assert "resource" in exc.value.message_dict


def test_a_second_open_proposal_from_the_same_organization_is_refused(world, lists):
    _agreement, need, volunteers = lists
    _offer(world, need, volunteers)
    with pytest.raises(ValidationError, match="已有一项待答复的对接申请"):
        _offer(world, need)


def test_the_database_refuses_two_live_proposals_even_past_the_service(world, lists):
    agreement, need, _volunteers = lists
    make_pairing(need, world.partner, agreement)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_pairing(need, world.partner, agreement)


def test_with_two_shared_agreements_the_offer_names_one(world, lists):
    _agreement, need, volunteers = lists
    second = cast_agreement(world, number="GJ-LIST-002", term_start=days(-10), term_end=days(300), status="active")
    with pytest.raises(ValidationError) as exc:
        _offer(world, need, volunteers)
    assert "agreement" in exc.value.message_dict
    assert _offer(world, need, volunteers, agreement=second).agreement == second


def test_accepting_starts_a_joint_project_and_matches_the_need(world, lists):
    agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)
    other = make_pairing(need, world.branch_b, agreement)  # another proposal (made directly)

    pairing = services.pairing_accept(actor=world.secretary1, pairing=pairing, due_on=days(40))

    item = pairing.action_item
    assert item.kind == ActionItem.Kind.PROJECT
    assert item.agreement == agreement
    assert item.responsible_party == world.partner  # the offering partner does the work by default
    assert item.partner == world.branch_a
    assert item.title == need.title and "和平社区志愿服务队" in item.description
    need.refresh_from_db()
    assert need.status == Need.Status.MATCHED
    other.refresh_from_db()
    assert other.status == Pairing.Status.DECLINED and other.decline_reason
    decided = Notification.objects.filter(kind="pairing.decided", recipient=world.liaison1)
    assert decided.count() == 1


def test_the_accepting_side_may_own_the_project(world, lists):
    _agreement, need, volunteers = lists
    pairing = services.pairing_accept(
        actor=world.secretary1, pairing=_offer(world, need, volunteers), due_on=days(40), owner=world.branch_a
    )
    assert pairing.action_item.responsible_party == world.branch_a
    assert pairing.action_item.partner == world.partner


def test_only_the_need_organization_decides(world, lists):
    _agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)
    for user in (world.liaison1, world.committee, world.member1):
        with pytest.raises(PermissionDenied):
            services.pairing_accept(actor=user, pairing=pairing, due_on=days(40))
    with pytest.raises(PermissionDenied):
        services.pairing_decline(actor=world.secretary2, pairing=pairing, reason="不需要")


def test_declining_needs_a_reason_and_keeps_the_need_open(world, lists):
    _agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)
    with pytest.raises(ValidationError) as exc:
        services.pairing_decline(actor=world.secretary1, pairing=pairing, reason="  ")
    assert "reason" in exc.value.message_dict
    pairing = services.pairing_decline(actor=world.secretary1, pairing=pairing, reason="时间不合适")
    assert pairing.status == Pairing.Status.DECLINED
    need.refresh_from_db()
    assert need.status == Need.Status.OPEN
    assert Notification.objects.get(kind="pairing.decided").body.endswith("时间不合适")


def test_a_decided_proposal_cannot_be_decided_again(world, lists):
    _agreement, need, volunteers = lists
    pairing = services.pairing_decline(actor=world.secretary1, pairing=_offer(world, need, volunteers), reason="否")
    with pytest.raises(ValidationError):
        services.pairing_accept(actor=world.secretary1, pairing=pairing, due_on=days(40))


def test_the_offering_side_withdraws_its_open_proposal(world, lists):
    _agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)
    with pytest.raises(PermissionDenied):
        services.pairing_withdraw(actor=world.secretary1, pairing=pairing)
    assert services.pairing_withdraw(actor=world.liaison1, pairing=pairing).status == Pairing.Status.WITHDRAWN
    assert _offer(world, need).status == Pairing.Status.PROPOSED  # a new proposal is possible again


def test_the_project_moves_with_evidence_and_the_other_side_confirms_it_meets_the_need(world, lists):
    _agreement, need, volunteers = lists
    pairing = services.pairing_accept(actor=world.secretary1, pairing=_offer(world, need, volunteers), due_on=days(40))
    item = pairing.action_item

    # The owner (the community) posts progress and submits the closure with evidence.
    evidence = SimpleUploadedFile("托管签到表.pdf", pdf_bytes(), content_type="application/pdf")
    item_services.action_item_update_progress(actor=world.liaison1, item=item, note="第一周完成看护", percent=40)
    item_services.action_item_close(actor=world.liaison1, item=item, note="暑期托管结束", evidence=[evidence])
    # The owner cannot confirm its own closure; the partner's secretary (not a liaison) may.
    with pytest.raises(PermissionDenied):
        item_services.action_item_confirm(actor=world.liaison1, item=item)
    assert ActionItem.objects.confirmable_by(world.secretary1).filter(pk=item.pk).exists()
    item_services.action_item_confirm(actor=world.secretary1, item=item, note="家长反映良好")

    item.refresh_from_db()
    need.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
    assert need.status == Need.Status.MET and need.met_at is not None


def test_a_cancelled_project_gives_the_need_back(world, lists):
    _agreement, need, volunteers = lists
    pairing = services.pairing_accept(actor=world.secretary1, pairing=_offer(world, need, volunteers), due_on=days(40))
    item_services.action_item_cancel(actor=world.liaison1, item=pairing.action_item, reason="志愿者临时调整")
    need.refresh_from_db()
    pairing.refresh_from_db()
    assert need.status == Need.Status.OPEN
    assert pairing.status == Pairing.Status.WITHDRAWN


# --- through the pages ---------------------------------------------------------------------------------------


def test_offer_accept_and_project_through_the_pages(client_for, world, lists):
    _agreement, need, volunteers = lists
    partner = client_for(world.liaison1)
    response = partner.post(
        reverse("partnerships:pairing_offer", args=[need.pk]),
        {"offered_by": world.partner.pk, "resource": volunteers.pk, "note": "每周三次看护"},
    )
    assert response.status_code == 302
    pairing = Pairing.objects.get()

    owner = client_for(world.secretary1)
    page = owner.get(need.get_absolute_url()).content.decode()
    assert 'data-testid="accept"' in page and "和平社区志愿服务队" in page
    response = owner.post(
        reverse("partnerships:pairing_accept", args=[pairing.pk]),
        {"owner": world.partner.pk, "title": "暑期托管共建项目", "due_on": days(40).isoformat(), "description": ""},
    )
    pairing.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == pairing.action_item.get_absolute_url()
    projects = owner.get(reverse("partnerships:project_list")).content.decode()
    assert "暑期托管共建项目" in projects
    # The ledger filters by kind too.
    ledger = owner.get(reverse("partnerships:action_item_list"), {"kind": "project"}).content.decode()
    assert "暑期托管共建项目" in ledger


def test_an_accept_form_error_sits_next_to_the_field(client_for, world, lists):
    _agreement, need, volunteers = lists
    pairing = _offer(world, need, volunteers)
    response = client_for(world.secretary1).post(
        reverse("partnerships:pairing_accept", args=[pairing.pk]), {"owner": world.partner.pk, "title": "项目"}
    )
    assert response.status_code == 200
    assert "due_on" in response.context["form"].errors
