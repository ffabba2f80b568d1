"""Access-matrix rows for self-assessment (自评), review (评审) and publishing.

Two final results of 甲项目党支部 (secretary1 secretary, member1 member) in 2024, a quarter no other area computes:
Q2 with a draft self-assessment and one attachment, Q3 with a submitted self-assessment fully scored by the
committee. secretary1 writes the self-assessment; the committee (reviewer) reviews, returns and publishes;
member1 and the committee only read the self-assessment, member1 and secretary1 only read the review. liaison1
(the street community) does not see a branch's own result; the outsider gets 404 on every object.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assessments.models import Indicator, IndicatorScore, QuarterRollup
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from tests.matrix import Case

YEAR = 2024
NARRATIVE = "矩阵自评：本季度联合开展主题党日两次。"


def png(name: str = "佐证.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 22, 29)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _manual_ids(rollup) -> list[int]:
    return list(
        IndicatorScore.objects.filter(rollup=rollup, indicator__source=Indicator.Source.MANUAL)
        .order_by("indicator__order")
        .values_list("indicator_id", flat=True)
    )


def objects(world) -> dict:
    for quarter in (2, 3):
        rollup_services.rollup_compute(year=YEAR, quarter=quarter, final=True)
    draft = QuarterRollup.objects.get(organization=world.branch_a, year=YEAR, quarter=2)
    submitted = QuarterRollup.objects.get(organization=world.branch_a, year=YEAR, quarter=3)
    sa = review_services.self_assessment_save(
        actor=world.secretary1, rollup=draft, narrative=NARRATIVE, self_points={}, attachments=[png()]
    )
    manual = _manual_ids(submitted)
    review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=submitted,
        narrative=NARRATIVE,
        self_points={pk: 4 for pk in manual},
        submit=True,
    )
    review_services.review_save(
        actor=world.committee,
        rollup=submitted,
        review_points={pk: 3 for pk in manual},
        adjustments={},
        highlights="联学共建有特色",
        weaknesses="台账不够规范",
    )
    return {"rv_draft": draft, "rv_submitted": submitted, "rv_attachment": sa.attachments.get()}


def _url(name, key):
    return lambda w, o: reverse(f"assessments:{name}", args=[o[key].pk])


def _review_post(w, o):
    data = {"highlights": "亮点突出", "weaknesses": "整改偏慢"}
    for pk in _manual_ids(o["rv_submitted"]):
        data[f"review_{pk}"] = "4"
    return data


CASES: dict[str, Case] = {
    "assessments:self_assessment_list": Case(
        lambda w, o: reverse("assessments:self_assessment_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "assessments:self_assessment": Case(
        _url("self_assessment", "rv_draft"),
        owner="secretary1",
        owner_post=lambda w, o: {"narrative": NARRATIVE + "（修改）", "action": "save"},
        read_only=("committee", "member1"),
    ),
    "assessments:self_assessment_attachment": Case(_url("self_assessment_attachment", "rv_attachment"), "secretary1"),
    "assessments:self_assessment_attachment_delete": Case(
        _url("self_assessment_attachment_delete", "rv_attachment"),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=("committee", "member1"),
        get_ok=False,
        outsider_status=405,
    ),
    "assessments:review": Case(
        _url("review", "rv_submitted"),
        owner="committee",
        owner_post=_review_post,
        read_only=("secretary1", "member1"),
    ),
    "assessments:self_assessment_return": Case(
        _url("self_assessment_return", "rv_submitted"),
        owner="committee",
        owner_post=lambda w, o: {"reason": "请补充佐证材料"},
        read_only=("secretary1", "member1"),
        get_ok=False,
        outsider_status=405,
    ),
    "assessments:rollup_publish": Case(
        _url("rollup_publish", "rv_submitted"),
        owner="committee",
        owner_post=lambda w, o: {},
        read_only=("secretary1", "member1"),
        get_ok=False,
        outsider_status=405,
    ),
    "assessments:rollup_publish_quarter": Case(
        lambda w, o: reverse("assessments:rollup_publish_quarter", args=[YEAR, 3]),
        owner="committee",
        owner_post=lambda w, o: {},
        read_only=("secretary1", "member1", "liaison1"),
        get_ok=False,
        outsider_status=405,
    ),
    # The committee's review queue and "publish all reviewed": the reviewers' work, 403 for everyone else.
    "assessments:review_queue": Case(
        lambda w, o: reverse("assessments:review_queue"),
        owner="committee",
        outsider_status=403,
    ),
    "assessments:publish_all": Case(
        lambda w, o: reverse("assessments:publish_all"),
        owner="committee",
        owner_post=lambda w, o: {"rollup": [o["rv_submitted"].pk]},
        read_only=("secretary1", "member1", "liaison1"),
        outsider_status=403,
    ),
}
