"""What a score counts for, as pure functions (no database): ``final_points_of`` and the rollup's scoring step.

``rollup_compute`` (``assessments.services.rollups``) reads the quarter (subjects, existing results, previous scores,
metric values), scores it here, then persists what changed. ``tests/assessments/test_rollup_score.py`` tests this
module without a database."""

from __future__ import annotations

from decimal import Decimal

from assessments import metrics
from assessments.models import Indicator, QuarterRollup
from assessments.rules import AUTO, MANUAL

ZERO = Decimal(0)
# The manual part of a score that has none yet: (self_points, review_points, adjustment, adjustment_reason).
NO_MANUAL = (None, None, ZERO, "")


def final_points_of(indicator: Indicator, *, points, self_points, review_points, adjustment) -> Decimal:
    """What a score counts for: automatic points, or the reviewer's (else the self-assessed) manual points,
    plus the reviewer's adjustment."""
    if indicator.source == MANUAL:
        base = review_points if review_points is not None else (self_points or Decimal(0))
    else:
        base = points
    return base + (adjustment or Decimal(0))


class _Points:
    """The points of a metric value, once per indicator and distinct value (counts and rates repeat across
    subjects)."""

    def __init__(self):
        self._cache: dict[tuple[int, Decimal | None], Decimal] = {}

    def __call__(self, indicator: Indicator, value: Decimal | None) -> Decimal:
        points = self._cache.get((indicator.pk, value))
        if points is None:
            points = self._cache[(indicator.pk, value)] = metrics.points_for(
                value=value, points=indicator.points, target=indicator.target, is_deduction=indicator.is_deduction
            )
        return points


def score_subjects(
    subjects: list[tuple[str, int, str]],
    existing: dict[str, tuple],
    indicators: list[Indicator],
    old_scores: dict[tuple[int, int], tuple],
    values: dict[tuple[str, str], dict[int, Decimal]],
) -> tuple[dict[str, Decimal], list[tuple]]:
    """Score every subject on every indicator: O(subjects × indicators), no database.

    ``subjects`` are ``(kind, pk, subject key)``; ``existing`` maps a subject key to its result's ``(id, status,
    total, scheme id)``; ``old_scores`` maps ``(rollup id, indicator id)`` to ``(metric_value, points, final_points,
    self_points, review_points, adjustment, adjustment_reason)``; ``values`` maps ``(metric key, kind)`` to
    ``{subject pk: value}`` (a subject missing takes the metric's empty value).

    Returns every subject's total and the scores that are new or changed, as rows ``(subject, indicator,
    metric_value, points, final_points, self_points, review_points, adjustment, adjustment_reason)``."""
    empties = {key: metric.empty_value() for key, metric in metrics.REGISTRY.items()}
    plan = [(i, metrics.REGISTRY[i.metric] if i.source == AUTO else None) for i in indicators]
    points_of = _Points()
    totals: dict[str, Decimal] = {}
    score_rows = []
    for kind, pk, key in subjects:
        old = existing.get(key)
        rollup_id = old[0] if old else None
        total = ZERO
        for indicator, metric in plan:
            previous = old_scores.get((rollup_id, indicator.pk)) if old else None
            manual = previous[3:] if previous else NO_MANUAL
            metric_value, points = None, ZERO
            if metric is not None:
                metric_value = values[(metric.key, kind)].get(pk, empties[metric.key])
                points = points_of(indicator, metric_value)
            if manual is NO_MANUAL and metric is not None:
                final_points = points  # automatic, no adjustment
            else:
                final_points = final_points_of(
                    indicator, points=points, self_points=manual[0], review_points=manual[1], adjustment=manual[2]
                )
            total += final_points
            if previous is None or previous[:3] != (metric_value, points, final_points):
                score_rows.append((key, indicator.pk, metric_value, points, final_points, *manual))
        totals[key] = total
    return totals, score_rows


def result_rows(
    subjects: list[tuple[str, int, str]],
    existing: dict[str, tuple],
    totals: dict[str, Decimal],
    *,
    final: bool,
    scheme_id: int,
) -> list[tuple]:
    """The results that are new or changed, as rows ``(subject, organization, agreement, status, total)``: a run
    computes them final or provisional, but a nightly provisional run never reopens a closed quarter."""
    status = QuarterRollup.Status.FINAL if final else QuarterRollup.Status.PROVISIONAL
    rows = []
    for kind, pk, key in subjects:
        old = existing.get(key)
        total = totals.get(key, ZERO)
        row_status = QuarterRollup.Status.FINAL if old and old[1] == QuarterRollup.Status.FINAL else status
        if old is None or old[1:] != (row_status, total, scheme_id):
            organization_id, agreement_id = (pk, None) if kind == metrics.ORG else (None, pk)
            rows.append((key, organization_id, agreement_id, row_status, total))
    return rows
