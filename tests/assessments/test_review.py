"""Self-assessment (自评), review (评审) and publishing: who may write what, validation (in Chinese, next to the
field), totals kept in step with every manual score, the lock after publication, notifications, and the pages.

Results are computed for 2024 Q2 (long closed, so its self-assessment is open until published) unless a test needs
a quarter that has not reached its last 15 days yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from assessments import rules
from assessments.models import (
    Indicator,
    IndicatorScore,
    QuarterRollup,
    Review,
    SelfAssessment,
    SelfAssessmentAttachment,
)
from assessments.sections.review import rollup_review_context
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from portal.models import Notification
from tests.factories import cast_agreement
from tests.matrix.assessment_review import png
from tests.upload_files import FORGED_PDF, bomb_png, pdf_bytes

Y, Q = 2024, 2
D = Decimal
MANUAL, AUTO = Indicator.Source.MANUAL, Indicator.Source.AUTOMATIC


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def result(world):
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    return QuarterRollup.objects.get(organization=world.branch_a, year=Y, quarter=Q)


def manual_scores(rollup) -> list[IndicatorScore]:
    return list(
        IndicatorScore.objects.filter(rollup=rollup, indicator__source=MANUAL)
        .select_related("indicator")
        .order_by("indicator__order")
    )


def auto_score(rollup) -> IndicatorScore:
    return (
        IndicatorScore.objects.filter(rollup=rollup, indicator__source=AUTO, indicator__is_deduction=False)
        .select_related("indicator")
        .order_by("indicator__order")
        .first()
    )


def total_of(rollup) -> Decimal:
    return QuarterRollup.objects.get(pk=rollup.pk).total


def submit(world, rollup, points=4):
    return review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=rollup,
        narrative="本季度与社区党委联合开展主题党日两次。",
        self_points={s.indicator_id: points for s in manual_scores(rollup)},
        submit=True,
    )


def review_all(world, rollup, points=3, **kwargs):
    return review_services.review_save(
        actor=world.committee,
        rollup=rollup,
        review_points={s.indicator_id: points for s in manual_scores(rollup)},
        adjustments=kwargs.get("adjustments", {}),
        highlights=kwargs.get("highlights", "联学共建形成特色"),
        weaknesses=kwargs.get("weaknesses", "台账记录不够及时"),
    )


# --- self-assessment: services ---------------------------------------------------------------------------------


def test_secretary_saves_a_draft_and_the_total_follows_the_self_scores(world, result):
    before = total_of(result)
    first, second = manual_scores(result)
    sa = review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=result,
        narrative="  草稿  ",
        self_points={first.indicator_id: "4.5", second.indicator_id: None},
    )
    assert sa.status == SelfAssessment.Status.DRAFT and sa.narrative == "草稿"
    first.refresh_from_db()
    assert first.self_points == D("4.5") and first.final_points == D("4.5")
    assert total_of(result) == before + D("4.5")
    # Saved again with the score cleared: back to the automatic total; the history keeps who did it.
    review_services.self_assessment_save(
        actor=world.secretary1, rollup=result, narrative="草稿", self_points={first.indicator_id: ""}
    )
    assert total_of(result) == before
    assert first.history.latest().history_user == world.secretary1


def test_self_scores_only_on_manual_indicators_and_within_their_points(world, result):
    manual, automatic = manual_scores(result)[0], auto_score(result)
    with pytest.raises(ValidationError) as exc:
        review_services.self_assessment_save(
            actor=world.secretary1,
            rollup=result,
            narrative="",
            self_points={manual.indicator_id: manual.indicator.points + 1, automatic.indicator_id: 1},
        )
    errors = exc.value.message_dict
    assert set(errors) == {f"self_{manual.indicator_id}", f"self_{automatic.indicator_id}"}
    assert IndicatorScore.objects.get(pk=manual.pk).self_points is None
    with pytest.raises(ValidationError) as exc:
        review_services.self_assessment_save(
            actor=world.secretary1, rollup=result, narrative="", self_points={manual.indicator_id: "1.25"}
        )
    assert f"self_{manual.indicator_id}" in exc.value.message_dict


def test_submitting_needs_a_narrative_and_every_self_score(world, result):
    first, second = manual_scores(result)
    with pytest.raises(ValidationError) as exc:
        review_services.self_assessment_save(
            actor=world.secretary1, rollup=result, narrative=" ", self_points={first.indicator_id: 3}, submit=True
        )
    assert set(exc.value.message_dict) == {"narrative", f"self_{second.indicator_id}"}
    assert not SelfAssessment.objects.filter(rollup=result, status=SelfAssessment.Status.SUBMITTED).exists()
    sa = submit(world, result)
    assert sa.status == SelfAssessment.Status.SUBMITTED
    assert sa.submitted_by == world.secretary1 and sa.submitted_at is not None


def test_a_submitted_self_assessment_is_read_only_until_the_reviewer_returns_it(world, result):
    submit(world, result)
    with pytest.raises(ValidationError):
        review_services.self_assessment_save(actor=world.secretary1, rollup=result, narrative="改", self_points={})
    with pytest.raises(ValidationError) as exc:
        review_services.self_assessment_return(actor=world.committee, rollup=result, reason=" ")
    assert "reason" in exc.value.message_dict
    sa = review_services.self_assessment_return(actor=world.committee, rollup=result, reason="请补充佐证材料")
    assert sa.status == SelfAssessment.Status.RETURNED and sa.return_reason == "请补充佐证材料"
    review_services.self_assessment_save(
        actor=world.secretary1, rollup=result, narrative="补充后的自评", self_points={}
    )
    assert SelfAssessment.objects.get(pk=sa.pk).status == SelfAssessment.Status.RETURNED  # until submitted again
    review_services.self_assessment_submit(actor=world.secretary1, rollup=result)
    assert SelfAssessment.objects.get(pk=sa.pk).status == SelfAssessment.Status.SUBMITTED


def test_the_self_assessment_opens_only_in_the_last_15_days_of_the_quarter(world):
    year = timezone.localdate().year + 2
    rollup_services.rollup_compute(year=year, quarter=1)
    rollup = QuarterRollup.objects.get(organization=world.branch_a, year=year, quarter=1)
    opens_on, due_on = rules.self_assessment_window(year, 1)
    assert (opens_on, due_on) == (dt.date(year, 3, 17), dt.date(year, 4, 10))
    with pytest.raises(ValidationError) as exc:
        review_services.self_assessment_save(actor=world.secretary1, rollup=rollup, narrative="太早", self_points={})
    assert opens_on.isoformat() in exc.value.messages[0]


def test_only_the_branch_secretaries_write_its_self_assessment(world, result):
    for user in (world.secretary2, world.committee, world.member1, world.liaison1, world.outsider):
        with pytest.raises(PermissionDenied):
            review_services.self_assessment_save(actor=user, rollup=result, narrative="越权", self_points={})
    assert not SelfAssessment.objects.exists()


def test_an_agreement_result_is_self_assessed_by_its_parties_secretaries_and_liaisons(world):
    agreement = cast_agreement(
        world,
        number="GJ-REVIEW-01",
        title="自评测试共建协议",
        term_start=dt.date(2024, 1, 1),
        term_end=dt.date(2025, 12, 31),
    )
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    rollup = QuarterRollup.objects.get(agreement=agreement, year=Y, quarter=Q)
    assert rules.may_self_assess(world.liaison1, rollup) and rules.may_self_assess(world.secretary1, rollup)
    assert not rules.may_self_assess(world.secretary2, rollup)
    assert not rules.may_self_assess(world.member1, rollup)
    review_services.self_assessment_save(actor=world.liaison1, rollup=rollup, narrative="双方共同自评", self_points={})
    with pytest.raises(PermissionDenied):
        review_services.self_assessment_save(actor=world.secretary2, rollup=rollup, narrative="越权", self_points={})


# --- review: services ------------------------------------------------------------------------------------------


def test_review_points_override_self_points_and_an_adjustment_needs_a_reason(world, result):
    submit(world, result, points=4)
    first = manual_scores(result)[0]
    automatic = auto_score(result)
    base = total_of(result)
    with pytest.raises(ValidationError) as exc:
        review_services.review_save(
            actor=world.committee,
            rollup=result,
            review_points={},
            adjustments={automatic.indicator_id: (D(-1), " ")},
            highlights="",
            weaknesses="",
        )
    assert exc.value.message_dict == {f"reason_{automatic.indicator_id}": [zh("An adjustment needs a reason.")]}
    review = review_all(world, result, points=3, adjustments={automatic.indicator_id: (D(-1), "台账缺页")})
    assert review.reviewer == world.committee and review.highlights == "联学共建形成特色"
    first.refresh_from_db()
    automatic.refresh_from_db()
    assert first.review_points == D(3) and first.final_points == D(3)
    assert automatic.final_points == automatic.points - 1 and automatic.adjustment_reason == "台账缺页"
    # Two manual indicators each went from 4 (self) to 3 (review), one automatic lost a point.
    assert total_of(result) == base - 2 - 1
    # Taking the adjustment back clears its reason too.
    review_all(world, result, points=3, adjustments={automatic.indicator_id: (None, "")})
    automatic.refresh_from_db()
    assert (
        automatic.adjustment == 0 and automatic.adjustment_reason == "" and automatic.final_points == automatic.points
    )


def test_an_adjustment_keeps_the_points_within_plus_or_minus_the_full_points(world, result):
    manual = manual_scores(result)[0]
    full = manual.indicator.points
    with pytest.raises(ValidationError) as exc:
        review_services.review_save(
            actor=world.committee,
            rollup=result,
            review_points={manual.indicator_id: full},
            adjustments={manual.indicator_id: (D(1), "额外加分")},
            highlights="",
            weaknesses="",
        )
    assert f"adjust_{manual.indicator_id}" in exc.value.message_dict
    review_services.review_save(
        actor=world.committee,
        rollup=result,
        review_points={manual.indicator_id: 0},
        adjustments={manual.indicator_id: (-full, "弄虚作假")},
        highlights="",
        weaknesses="",
    )
    assert IndicatorScore.objects.get(pk=manual.pk).final_points == -full


def test_secretaries_and_reviewers_of_another_tree_may_not_review(world, result):
    for user in (world.secretary1, world.member1, world.outsider, world.liaison1):
        with pytest.raises(PermissionDenied):
            review_services.review_save(
                actor=user, rollup=result, review_points={}, adjustments={}, highlights="越权", weaknesses=""
            )
    assert not Review.objects.exists()


# --- publishing ------------------------------------------------------------------------------------------------


def test_publishing_needs_a_final_result_with_every_manual_indicator_reviewed(world, result):
    first, second = manual_scores(result)
    review_services.review_save(
        actor=world.committee,
        rollup=result,
        review_points={first.indicator_id: 4},
        adjustments={},
        highlights="",
        weaknesses="",
    )
    with pytest.raises(ValidationError) as exc:
        review_services.rollup_publish(actor=world.committee, rollup=result)
    assert second.indicator.name in exc.value.messages[0]
    year = timezone.localdate().year + 2
    rollup_services.rollup_compute(year=year, quarter=1)
    provisional = QuarterRollup.objects.get(organization=world.branch_a, year=year, quarter=1)
    with pytest.raises(ValidationError):
        review_services.rollup_publish(actor=world.committee, rollup=provisional)
    with pytest.raises(PermissionDenied):
        review_services.rollup_publish(actor=world.secretary1, rollup=result)


def test_a_published_result_is_locked(world, result):
    submit(world, result)
    review_all(world, result)
    review_services.rollup_publish(actor=world.committee, rollup=result)
    result.refresh_from_db()
    assert result.status == QuarterRollup.Status.PUBLISHED
    review = Review.objects.get(rollup=result)
    assert review.published_by == world.committee and review.published_at is not None
    total = result.total
    locked = zh("This result has been published and is locked; it can no longer be changed.")
    attempts = [
        lambda: review_services.self_assessment_return(actor=world.committee, rollup=result, reason="再改改"),
        lambda: review_all(world, result, points=5),
        lambda: review_services.rollup_publish(actor=world.committee, rollup=result),
        lambda: review_services.self_assessment_save(
            actor=world.secretary1, rollup=result, narrative="改", self_points={}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert exc.value.messages == [locked]
    summary = rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    assert summary["published_skipped"] >= 1
    result.refresh_from_db()
    assert result.status == QuarterRollup.Status.PUBLISHED and result.total == total


def test_publishing_notifies_the_branch_secretaries_after_commit(world, result, django_capture_on_commit_callbacks):
    review_all(world, result)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review_services.rollup_publish(actor=world.committee, rollup=result)
    assert callbacks
    rows = Notification.objects.filter(kind="assessment.published")
    assert [row.recipient for row in rows] == [world.secretary1]
    # The sweep asked for after commit has already delivered it, and a later sweep plans nothing new.
    assert rows.get().status == Notification.Status.SENT
    from portal.sweep import plan

    assert plan()["created"] == 0


def test_publishing_a_quarter_publishes_only_its_ready_results(world, result):
    review_all(world, result)
    other = QuarterRollup.objects.get(organization=world.branch_b, year=Y, quarter=Q)
    summary = review_services.rollup_publish_quarter(actor=world.committee, year=Y, quarter=Q)
    assert summary["published"] == 1 and summary["skipped"] >= 1
    assert QuarterRollup.objects.get(pk=result.pk).status == QuarterRollup.Status.PUBLISHED
    assert QuarterRollup.objects.get(pk=other.pk).status == QuarterRollup.Status.FINAL
    with pytest.raises(PermissionDenied):
        review_services.rollup_publish_quarter(actor=world.secretary1, year=Y, quarter=Q)


def test_only_admins_unpublish(world, result):
    review_all(world, result)
    review_services.rollup_publish(actor=world.committee, rollup=result)
    with pytest.raises(PermissionDenied):
        review_services.rollup_unpublish(actor=world.committee, rollup=result)
    review_services.rollup_unpublish(actor=world.admin, rollup=result)
    result.refresh_from_db()
    assert result.status == QuarterRollup.Status.FINAL
    assert Review.objects.get(rollup=result).published_at is None


# --- pages -----------------------------------------------------------------------------------------------------


def self_assessment_url(rollup):
    return reverse("assessments:self_assessment", args=[rollup.pk])


def test_a_submitted_self_assessment_without_a_submitter_shows_to_the_committee_and_admin(world, result, client_for):
    """As in the demo (and after the submitter's account is deleted): submitted, ``submitted_by`` empty."""
    submit(world, result)
    SelfAssessment.objects.filter(rollup=result).update(submitted_by=None)
    for user in (world.committee, world.admin):
        response = client_for(user).get(self_assessment_url(result))
        assert response.status_code == 200, user
        page = response.content.decode()
        assert 'data-testid="narrative-read"' in page and "本季度与社区党委联合开展主题党日两次。" in page
        assert "于" in page and "提交" in page


def test_secretary_submits_a_self_assessment_with_an_attachment_through_the_page(world, result, client_for):
    client = client_for(world.secretary1)
    page = client.get(self_assessment_url(result))
    assert page.status_code == 200 and 'data-testid="self-assessment-form"' in page.content.decode()
    data = {
        "narrative": "联合开展志愿服务三次，党员参与率明显提高。",
        "action": "submit",
        "attachments": [png("照片.png")],
    }
    for score in manual_scores(result):
        data[f"self_{score.indicator_id}"] = "4"
    response = client.post(self_assessment_url(result), data)
    assert response.status_code == 302
    sa = SelfAssessment.objects.get(rollup=result)
    assert sa.status == SelfAssessment.Status.SUBMITTED
    attachment = sa.attachments.get()
    assert attachment.original_name == "照片.png" and attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png") and "照片" not in attachment.file.name
    page = client.get(self_assessment_url(result)).content.decode()
    assert 'data-testid="self-assessment-form"' not in page
    assert 'data-status="submitted"' in page and "党员参与率明显提高" in page


def test_validation_messages_are_chinese_and_next_to_their_fields(world, result, client_for):
    client = client_for(world.secretary1)
    first, second = manual_scores(result)
    too_many = {f"self_{first.indicator_id}": str(first.indicator.points + 2), "narrative": "", "action": "save"}
    page = client.post(self_assessment_url(result), too_many).content.decode()
    assert f'id="error_self_{first.indicator_id}">确保该值小于或等于{first.indicator.points}' in page
    page = client.post(self_assessment_url(result), {"narrative": "", "action": "submit"}).content.decode()
    assert f'id="error_narrative">{zh("Write the self-assessment before submitting it.")}' in page
    assert f'id="error_self_{second.indicator_id}">{zh("Give a self score before submitting.")}' in page
    fake = SimpleUploadedFile("scan.png", b"MZ\x90\x00 not an image at all" * 10, content_type="image/png")
    page = client.post(self_assessment_url(result), {"narrative": "x", "action": "save", "attachments": [fake]})
    assert 'id="error_attachments"' in page.content.decode()
    assert not SelfAssessmentAttachment.objects.exists()


def test_review_page_shows_the_missing_reason_next_to_the_adjustment(world, result, client_for):
    automatic = auto_score(result)
    client = client_for(world.committee)
    url = reverse("assessments:review", args=[result.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {f"adjust_{automatic.indicator_id}": "-1", "highlights": "", "weaknesses": ""})
    assert response.status_code == 200
    assert f'id="error_reason_{automatic.indicator_id}">调整分须填写理由。' in response.content.decode()
    assert IndicatorScore.objects.get(pk=automatic.pk).adjustment == 0
    data = {f"adjust_{automatic.indicator_id}": "-1", f"reason_{automatic.indicator_id}": "台账缺页"}
    data.update({f"review_{s.indicator_id}": "2.5" for s in manual_scores(result)})
    assert client.post(url, {**data, "highlights": "亮点", "weaknesses": "短板"}).status_code == 302
    assert IndicatorScore.objects.get(pk=automatic.pk).adjustment == -1
    assert client_for(world.secretary1).get(url).status_code == 403


def test_a_draft_is_shown_to_its_authors_only_and_comments_to_the_branch_once_published(world, result, client_for):
    review_services.self_assessment_save(
        actor=world.secretary1, rollup=result, narrative="尚未提交的草稿", self_points={}
    )
    assert "尚未提交的草稿" not in client_for(world.committee).get(self_assessment_url(result)).content.decode()
    assert "尚未提交的草稿" in client_for(world.secretary1).get(self_assessment_url(result)).content.decode()
    submit(world, result)
    review_all(world, result, highlights="亮点：联学共建")
    result.refresh_from_db()
    card = rollup_review_context(world.secretary1, result)["review_card"]
    assert card["show_self_assessment"] and not card["show_review"] and not card["can_review"]
    reviewer_card = rollup_review_context(world.committee, result)["review_card"]
    assert reviewer_card["show_review"] and reviewer_card["can_publish"]
    html = render_to_string(
        "assessments/includes/rollup_review_card.html", rollup_review_context(world.committee, result)
    )
    assert "亮点：联学共建" in html and 'data-testid="card-publish"' in html
    review_services.rollup_publish(actor=world.committee, rollup=result)
    result = QuarterRollup.objects.select_related("self_assessment", "review").get(pk=result.pk)
    context = rollup_review_context(world.secretary1, result)
    assert context["review_card"]["show_review"]
    html = render_to_string("assessments/includes/rollup_review_print.html", context)
    assert "亮点：联学共建" in html and "本季度与社区党委" in html


def test_attachments_are_served_only_to_those_who_see_the_result(world, result, client_for):
    sa = review_services.self_assessment_save(
        actor=world.secretary1, rollup=result, narrative="", self_points={}, attachments=[png()]
    )
    url = reverse("assessments:self_assessment_attachment", args=[sa.attachments.get().pk])
    response = client_for(world.committee).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client_for(world.secretary2).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404


def test_the_list_of_my_self_assessments_costs_the_same_queries_at_few_and_many_results(world, client_for):
    client = client_for(world.secretary1)
    url = reverse("assessments:self_assessment_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    rollup_services.rollup_compute(year=2023, quarter=4, final=True)
    few = count()
    for quarter in (1, 2, 3, 4):
        rollup_services.rollup_compute(year=2022, quarter=quarter, final=True)
        rollup = QuarterRollup.objects.get(organization=world.branch_a, year=2022, quarter=quarter)
        review_services.self_assessment_save(actor=world.secretary1, rollup=rollup, narrative="自评", self_points={})
    many = count()
    assert few == many
    page = client.get(url).content.decode()
    assert page.count("data-rollup=") == 5 and world.branch_b.name not in page


def test_home_panel_shows_the_current_and_last_quarter(world, client_for):
    from assessments import metrics

    current = metrics.current_quarter()
    previous_year, previous_quarter = metrics.previous_quarter(*current)
    for year, quarter in (current, (previous_year, previous_quarter)):
        rollup_services.rollup_compute(year=year, quarter=quarter)
    page = client_for(world.secretary1).get(reverse("home")).content.decode()
    assert 'data-testid="self-assessment-panel"' in page
    previous = QuarterRollup.objects.get(organization=world.branch_a, year=previous_year, quarter=previous_quarter)
    assert f'data-rollup="{previous.pk}"' in page
    # The open quarter is a row once its self-assessment window opens, else one "opens on" line.
    now = QuarterRollup.objects.get(organization=world.branch_a, year=current[0], quarter=current[1])
    if rules.self_assessment_is_open(now):
        assert f'data-rollup="{now.pk}"' in page
    else:
        assert f'data-rollup="{now.pk}"' not in page and 'data-testid="self-assessment-upcoming"' in page
    assert 'data-testid="self-assessment-panel"' not in client_for(world.member1).get(reverse("home")).content.decode()


@pytest.mark.parametrize("name,content", [("扫描件.png", "bomb"), ("总结.pdf", "forged")])
def test_a_pixel_bomb_or_a_forged_pdf_is_refused_as_an_attachment_in_chinese(world, result, client_for, name, content):
    data = bomb_png() if content == "bomb" else FORGED_PDF
    upload = SimpleUploadedFile(name, data)
    page = client_for(world.secretary1).post(
        self_assessment_url(result), {"narrative": "x", "action": "save", "attachments": [upload]}
    )
    html = page.content.decode()
    assert 'id="error_attachments"' in html
    assert ("尺寸过大" if content == "bomb" else "PDF") in html and name in html
    assert not SelfAssessmentAttachment.objects.exists()


def test_a_real_pdf_is_accepted_as_an_attachment(world, result):
    review_services.self_assessment_save(
        actor=world.secretary1,
        rollup=result,
        narrative="x",
        self_points={},
        attachments=[SimpleUploadedFile("总结.pdf", pdf_bytes())],
    )
    assert SelfAssessmentAttachment.objects.get().content_type == "application/pdf"
