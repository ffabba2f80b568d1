"""Reads for the self-assessment and review pages: the results one writes or reviews, what a review still lacks."""

from __future__ import annotations

from django.db.models import Count, Q

from assessments.models import Indicator, IndicatorScore, QuarterRollup, Review, SelfAssessment, self_assessor_q
from assessments.rules import MANUAL
from portal.scoping import get_scope


def self_assessment_rollups(user):
    """The results whose self-assessment the user writes, latest quarter first, with their states (one query)."""
    scope = get_scope(user)
    if scope.is_anonymous:
        return QuarterRollup.objects.none()
    condition = Q() if scope.is_superuser else self_assessor_q(scope)
    return (
        QuarterRollup.objects.filter(condition)
        .select_related("organization", "agreement", "self_assessment", "review")
        .order_by("-year", "-quarter", "subject")
    )


def reviewable_quarters(user) -> list[dict]:
    """Quarters with final (closed, unpublished) results the user reviews: year, quarter, how many (one query)."""
    return list(
        QuarterRollup.objects.editable_by(user)
        .filter(status=QuarterRollup.Status.FINAL)
        .values("year", "quarter")
        .annotate(count=Count("pk"))
        .order_by("-year", "-quarter")[:4]
    )


def missing_review_points(rollup: QuarterRollup) -> list[Indicator]:
    """The manual indicators of the result that still lack the reviewer's points."""
    return [
        s.indicator
        for s in IndicatorScore.objects.filter(rollup=rollup, indicator__source=MANUAL, review_points__isnull=True)
        .select_related("indicator")
        .order_by("indicator__order", "pk")
    ]


HISTORY_LIMIT = 60


def rollup_history(rollup: QuarterRollup) -> list:
    """One subject's quarter as its 变更记录 shows it: the result's own changes (status, manual totals, publication)
    with its self-assessment's and its review's, newest first (each history read in one query, bounded)."""
    records = []
    for history in (
        rollup.history.all(),
        SelfAssessment.history.filter(rollup_id=rollup.pk),
        Review.history.filter(rollup_id=rollup.pk),
    ):
        records += history.select_related("history_user").order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    records.sort(key=lambda record: record.history_date, reverse=True)
    return records[:HISTORY_LIMIT]
