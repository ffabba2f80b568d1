"""Access-matrix rows for agreements: an active agreement (with its signed scan) and a draft one, both between
branch_a (secretary1) and partner (liaison1 as its liaison). The committee reviews branch_a's tree: read only."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from partnerships.models import AgreementParty, Dimension
from partnerships.services import agreements as services
from tests.matrix import Case
from tests.upload_files import pdf_bytes

PDF_BYTES = pdf_bytes()
NUMBER = "GJ-MATRIX-001"


def _parties(world) -> list[dict]:
    return [
        {"organization": world.branch_a, "role": AgreementParty.Role.INITIATOR, "signatory": "张书记"},
        {"organization": world.partner, "role": AgreementParty.Role.PARTNER, "liaison": world.liaison1},
    ]


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = services.agreement_create(
        actor=world.secretary1,
        number=NUMBER,
        title="甲项目党支部与和平街道社区党委结对共建协议",
        parties=_parties(world),
        dimensions=Dimension.objects.all()[:2],
        term_start=today - datetime.timedelta(days=30),
        term_end=today + datetime.timedelta(days=335),
        document=SimpleUploadedFile("共建协议.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    agreement = services.agreement_activate(actor=world.secretary1, agreement=agreement)
    draft = services.agreement_create(
        actor=world.secretary1,
        number="GJ-MATRIX-002",
        title="甲项目党支部与和平街道社区党委党建联建协议",
        parties=_parties(world),
        term_start=today,
        term_end=today + datetime.timedelta(days=365),
    )
    return {"agreement": agreement, "agreement_draft": draft}


def _form_post(world, number: str) -> dict:
    today = timezone.localdate()
    return {
        "number": number,
        "title": "结对共建协议",
        "term_start": today.isoformat(),
        "term_end": (today + datetime.timedelta(days=365)).isoformat(),
        "dimensions": [Dimension.objects.first().pk],
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "2",
        "parties-MIN_NUM_FORMS": "2",
        "parties-MAX_NUM_FORMS": "1000",
        "parties-0-organization": world.branch_a.pk,
        "parties-0-role": "initiator",
        "parties-1-organization": world.partner.pk,
        "parties-1-role": "partner",
        "parties-1-liaison": world.liaison1.pk,
    }


def _renew_post(world, objs) -> dict:
    end = objs["agreement"].term_end
    return {
        "number": f"{NUMBER}-R",
        "title": "续签协议",
        "term_start": (end + datetime.timedelta(days=1)).isoformat(),
        "term_end": (end + datetime.timedelta(days=366)).isoformat(),
    }


def _url(name: str, key: str = "agreement"):
    return lambda w, o: reverse(f"partnerships:{name}", args=[o[key].pk])


CASES: dict[str, Case] = {
    "partnerships:agreement_list": Case(
        lambda w, o: reverse("partnerships:agreement_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: NUMBER,
    ),
    "partnerships:agreement_export": Case(
        lambda w, o: reverse("partnerships:agreement_export"), owner="secretary1", outsider_status=200
    ),
    # Any secretary or liaison may open the form (the outsider is a secretary elsewhere); reviewers and members not.
    "partnerships:agreement_create": Case(
        lambda w, o: reverse("partnerships:agreement_create"),
        owner="secretary1",
        owner_post=lambda w, o: _form_post(w, "GJ-MATRIX-NEW"),
        read_only=("committee", "member1"),
        outsider_status=200,
        outsider_must_not_see=lambda w, o: NUMBER,
    ),
    "partnerships:agreement_detail": Case(_url("agreement_detail"), owner="secretary1"),
    "partnerships:agreement_update": Case(
        _url("agreement_update"),
        owner="secretary1",
        owner_post=lambda w, o: _form_post(w, NUMBER),
        read_only=("committee", "member1"),
    ),
    # POST only: a GET is 405 for everybody signed in; the outsider's POST is a 404 (tests/partnerships).
    "partnerships:agreement_activate": Case(
        _url("agreement_activate", "agreement_draft"),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=("committee", "member1"),
        get_ok=False,
        outsider_status=405,
    ),
    "partnerships:agreement_renew": Case(
        _url("agreement_renew"), owner="secretary1", owner_post=_renew_post, read_only=("committee", "member1")
    ),
    "partnerships:agreement_terminate": Case(
        _url("agreement_terminate"),
        owner="secretary1",
        owner_post=lambda w, o: {"reason": "共建项目已完工"},
        read_only=("committee", "member1"),
    ),
    "partnerships:agreement_document": Case(_url("agreement_document"), owner="secretary1"),
}
