"""Reads for the assessment pages (all scoped)."""

from __future__ import annotations

from assessments import metrics
from assessments.models import IndicatorScore, QuarterRollup, RollupRun


def rollups_for_quarter(user, year: int, quarter: int):
    """The quarter's results the user may see, best first, with their subjects (one query)."""
    return (
        QuarterRollup.objects.visible_to(user)
        .filter(year=year, quarter=quarter)
        .select_related("organization", "agreement")
        .order_by("-total", "subject")
    )


def scores_for(user, rollup: QuarterRollup):
    return IndicatorScore.objects.visible_to(user).filter(rollup=rollup).select_related("indicator")


def evidence_for(score: IndicatorScore):
    """The records behind an automatic score (the evidence drill-down), or None for a manual indicator."""
    indicator = score.indicator
    if not indicator.metric:
        return None
    rollup = score.rollup
    metric = metrics.REGISTRY[indicator.metric]
    return metric.records(rollup.subject_object, rollup.year, rollup.quarter, now=rollup.computed_at)


def latest_runs(user, limit: int = 10):
    return RollupRun.objects.visible_to(user).select_related("requested_by")[:limit]
