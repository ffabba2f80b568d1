"""Every write to assessment schemes, quarter results and their computation runs goes through these functions.

The rollup (``rollup_compute``) is set-based: a fixed number of statements per quarter whatever the number of
organizations, agreements or records — one aggregate per metric and subject kind, then one upsert of the results
and one of the scores (``INSERT … ON CONFLICT DO UPDATE``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import AssessmentScheme, Indicator, IndicatorScore, QuarterRollup, RollupRun, subject_key
from partnerships.models import Agreement, Organization
from portal.scoping import ensure_editable, get_scope

SUBJECT_KINDS = (Organization.Kind.BRANCH, Organization.Kind.JOINT_BRANCH)
SCHEME_TOTAL = Decimal(100)
Cat = Indicator.Category
AUTO, MANUAL = Indicator.Source.AUTOMATIC, Indicator.Source.MANUAL

# The default scheme, from the practices (积分制管理): (category, name, points, target, metric, is_deduction).
# Rates are in per cent; for the deduction the target is the points taken per overdue item.
DEFAULT_INDICATORS = [
    (Cat.ORGANIZATION, "联席会议召开", 10, 1, "joint_meetings", False),
    (Cat.ACTIVITIES, "活动计划完成率", 15, 100, "plan_completion", False),
    (Cat.ACTIVITIES, "活动按时记录率", 10, 90, "logged_in_time", False),
    (Cat.AFFAIRS, "督办事项按期办结率", 15, 90, "items_on_time", False),
    (Cat.AFFAIRS, "督办事项逾期扣分", 10, 2, "overdue_items", True),
    (Cat.PARTICIPATION, "党员参与率", 15, 80, "participation", False),
    (Cat.ZONES, "责任区检查", 5, 3, "zone_checks", False),
    (Cat.ZONES, "问题按期整改率", 10, 90, "findings_fixed", False),
    (Cat.BRAND, "宣传报道", 5, 2, "publicity", False),
    (Cat.THOUGHT, "联学共学", 5, 1, "joint_study", False),
    (Cat.BRAND, "品牌特色", 5, None, "", False),
    (Cat.RESOURCES, "工作创新", 5, None, "", False),
]


# --- schemes -------------------------------------------------------------------------------------------------


def scheme_validate(scheme: AssessmentScheme) -> None:
    """Positive indicators total exactly 100 points; every automatic indicator names a known metric."""
    indicators = list(scheme.indicators.all())
    total = sum((i.points for i in indicators if not i.is_deduction), Decimal(0))
    errors = []
    if total != SCHEME_TOTAL:
        errors.append(
            ValidationError(
                _("The indicators' points total %(total)s; they must total 100.") % {"total": total}, code="total"
            )
        )
    unknown = sorted({i.metric for i in indicators if i.source == AUTO and i.metric not in metrics.REGISTRY})
    if unknown:
        errors.append(
            ValidationError(_("Unknown metric: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown_metric")
        )
    if errors:
        raise ValidationError({"indicators": errors})


@transaction.atomic
def scheme_activate(*, actor, scheme: AssessmentScheme) -> AssessmentScheme:
    """Put a scheme in force after checking its indicators (reviewers and admins)."""
    ensure_editable(actor, scheme)
    scheme_validate(scheme)
    scheme.is_active = True
    scheme._history_user = actor
    scheme.save(update_fields=["is_active", "updated_at"])
    return scheme


def scheme_create_default(year: int) -> AssessmentScheme:
    """The scheme for ``year``, created when missing: a copy of the latest earlier year's, else the default.

    Called by the rollup, so a new year never stops the computation; safe when two runs race for it."""
    existing = AssessmentScheme.objects.filter(year=year).first()
    if existing:
        return existing
    previous = AssessmentScheme.objects.filter(year__lt=year).order_by("-year").first()
    try:
        with transaction.atomic():
            scheme = AssessmentScheme.objects.create(
                year=year,
                name=_("%(year)s co-construction assessment scheme") % {"year": year},
                notes=previous.notes if previous else "",
                is_active=True,
            )
            if previous:
                rows = [
                    Indicator(
                        scheme=scheme,
                        **{f: getattr(i, f) for f in ("category", "name", "description", "points", "is_deduction")},
                        **{f: getattr(i, f) for f in ("target", "source", "metric", "order")},
                    )
                    for i in previous.indicators.all()
                ]
            else:
                rows = [
                    Indicator(
                        scheme=scheme,
                        category=category,
                        name=name,
                        points=Decimal(points),
                        target=None if target is None else Decimal(target),
                        source=AUTO if metric else MANUAL,
                        metric=metric,
                        is_deduction=deduction,
                        order=order,
                    )
                    for order, (category, name, points, target, metric, deduction) in enumerate(DEFAULT_INDICATORS)
                ]
            Indicator.objects.bulk_create(rows)
            Indicator.history.bulk_history_create(rows, default_change_reason="default scheme")
    except IntegrityError:
        return AssessmentScheme.objects.get(year=year)
    return scheme


# --- the quarterly rollup ----------------------------------------------------------------------------------------


def final_points_of(indicator: Indicator, *, points, self_points, review_points, adjustment) -> Decimal:
    """What a score counts for: automatic points, or the reviewer's (else the self-assessed) manual points,
    plus the reviewer's adjustment."""
    if indicator.source == MANUAL:
        base = review_points if review_points is not None else (self_points or Decimal(0))
    else:
        base = points
    return base + (adjustment or Decimal(0))


def rollup_subjects(year: int, quarter: int) -> tuple[list[int], list[int]]:
    """Branch and joint-branch organizations, and agreements in force at some point of the quarter."""
    start, end = metrics.quarter_bounds(year, quarter)
    orgs = list(Organization.objects.filter(kind__in=SUBJECT_KINDS).order_by("pk").values_list("pk", flat=True))
    agreements = list(
        Agreement.objects.exclude(status=Agreement.Status.DRAFT)
        .filter(term_start__lt=end, term_end__gte=start)
        .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gte=start))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return orgs, agreements


def rollup_compute(*, year: int, quarter: int, final: bool = False, now: dt.datetime | None = None) -> dict:
    """Compute (or recompute) the quarter's results for every branch and agreement; return a summary.

    Idempotent: a second run leaves identical rows. Published results are never touched; manual scores
    (self, reviewer, adjustment) are kept. ``final`` marks the results final (at quarter close)."""
    now = now or timezone.now()
    with transaction.atomic():
        scheme = AssessmentScheme.objects.filter(year=year).first() or scheme_create_default(year)
        indicators = list(scheme.indicators.all())
        org_ids, agreement_ids = rollup_subjects(year, quarter)
        subjects = [(metrics.ORG, pk, subject_key(organization_id=pk)) for pk in org_ids] + [
            (metrics.AGR, pk, subject_key(agreement_id=pk)) for pk in agreement_ids
        ]
        existing = {
            row[0]: row[1:]
            for row in QuarterRollup.objects.filter(year=year, quarter=quarter).values_list(
                "subject", "pk", "status", "total", "scheme_id"
            )
        }
        published = {key for key, (_pk, status, *_rest) in existing.items() if status == QuarterRollup.Status.PUBLISHED}
        subjects = [s for s in subjects if s[2] not in published]
        old_scores = {
            (subject, indicator_id): tuple(rest)
            for subject, indicator_id, *rest in IndicatorScore.objects.filter(
                rollup__year=year, rollup__quarter=quarter
            )
            .exclude(rollup__status=QuarterRollup.Status.PUBLISHED)
            .values_list("rollup__subject", "indicator_id", "metric_value", "points", "final_points")
        }
        manual = {
            (subject, indicator_id): (self_points, review_points, adjustment)
            for subject, indicator_id, self_points, review_points, adjustment in IndicatorScore.objects.filter(
                rollup__year=year, rollup__quarter=quarter
            ).values_list("rollup__subject", "indicator_id", "self_points", "review_points", "adjustment")
        }

        # One aggregate per metric and subject kind, for all subjects at once.
        values: dict[tuple[str, str], dict[int, Decimal]] = {}
        for key in sorted({i.metric for i in indicators if i.source == AUTO}):
            metric = metrics.REGISTRY[key]
            for kind in (metrics.ORG, metrics.AGR):
                values[(key, kind)] = metric.values(kind, year, quarter, now=now)

        status = QuarterRollup.Status.FINAL if final else QuarterRollup.Status.PROVISIONAL
        rollups, score_rows = [], {}
        for kind, pk, key in subjects:
            total = Decimal(0)
            for indicator in indicators:
                self_points, review_points, adjustment = manual.get((key, indicator.pk), (None, None, Decimal(0)))
                metric_value, points = None, Decimal(0)
                if indicator.source == AUTO:
                    metric = metrics.REGISTRY[indicator.metric]
                    metric_value = values[(indicator.metric, kind)].get(pk, metric.empty_value())
                    points = metrics.points_for(
                        value=metric_value,
                        points=indicator.points,
                        target=indicator.target,
                        is_deduction=indicator.is_deduction,
                    )
                final_points = final_points_of(
                    indicator,
                    points=points,
                    self_points=self_points,
                    review_points=review_points,
                    adjustment=adjustment,
                )
                total += final_points
                score_rows[(key, indicator.pk)] = IndicatorScore(
                    indicator=indicator,
                    metric_value=metric_value,
                    points=points,
                    final_points=final_points,
                    computed_at=now,
                )
            row_status = status
            if key in existing and existing[key][1] == QuarterRollup.Status.FINAL:
                row_status = QuarterRollup.Status.FINAL  # a nightly provisional run never reopens a closed quarter
            rollups.append(
                QuarterRollup(
                    organization_id=pk if kind == metrics.ORG else None,
                    agreement_id=pk if kind == metrics.AGR else None,
                    subject=key,
                    year=year,
                    quarter=quarter,
                    scheme=scheme,
                    status=row_status,
                    total=total,
                    computed_at=now,
                )
            )

        QuarterRollup.objects.bulk_create(
            rollups,
            update_conflicts=True,
            unique_fields=["subject", "year", "quarter"],
            update_fields=["scheme", "status", "total", "computed_at"],
        )
        ids = {r.subject: r.pk for r in rollups}
        if any(pk is None for pk in ids.values()):  # backends that cannot return ids from an upsert
            ids = dict(
                QuarterRollup.objects.filter(year=year, quarter=quarter, subject__in=list(ids)).values_list(
                    "subject", "pk"
                )
            )
            for rollup in rollups:
                rollup.pk = rollup.id = ids[rollup.subject]
        for (key, _indicator_id), score in score_rows.items():
            score.rollup_id = ids[key]
        scores = list(score_rows.values())
        IndicatorScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["rollup", "indicator"],
            update_fields=["metric_value", "points", "final_points", "computed_at"],
        )
        # Scores of indicators that left the scheme (the scheme was edited) no longer count.
        stale = IndicatorScore.objects.filter(rollup_id__in=list(ids.values())).exclude(
            indicator__in=[i.pk for i in indicators]
        )
        removed = stale.delete()[0] if ids else 0

        # History only where something changed, so nightly runs over a quiet quarter add nothing.
        changed_rollups = [
            r
            for r in rollups
            if r.subject not in existing or existing[r.subject][1:] != (r.status, r.total, r.scheme_id)
        ]
        if changed_rollups:
            QuarterRollup.history.bulk_history_create(
                changed_rollups, update=True, default_change_reason="rollup", default_date=now
            )
        changed_scores = [
            s
            for (key, indicator_id), s in score_rows.items()
            if old_scores.get((key, indicator_id)) != (s.metric_value, s.points, s.final_points)
        ]
        if changed_scores:
            if any(s.pk is None for s in changed_scores):
                pks = {
                    (r, i): pk
                    for r, i, pk in IndicatorScore.objects.filter(rollup_id__in=list(ids.values())).values_list(
                        "rollup_id", "indicator_id", "pk"
                    )
                }
                for s in changed_scores:
                    s.pk = s.id = pks[(s.rollup_id, s.indicator_id)]
            IndicatorScore.history.bulk_history_create(
                changed_scores, update=True, default_change_reason="rollup", default_date=now
            )
    return {
        "year": year,
        "quarter": quarter,
        "scheme": scheme.pk,
        "final": final,
        "organizations": sum(1 for s in subjects if s[0] == metrics.ORG),
        "agreements": sum(1 for s in subjects if s[0] == metrics.AGR),
        "published_skipped": len(published),
        "scores": len(scores),
        "stale_scores_removed": removed,
    }


def rollup_totals_refresh(rollup_ids) -> int:
    """Recompute results' totals from their scores in one UPDATE (after a manual score changes)."""
    subtotal = (
        IndicatorScore.objects.filter(rollup=OuterRef("pk"))
        .order_by()
        .values("rollup")
        .annotate(t=Sum("final_points"))
        .values("t")
    )
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=6, decimal_places=1))
    return QuarterRollup.objects.filter(pk__in=rollup_ids).update(total=Coalesce(Subquery(subtotal), zero))


# --- runs: scheduled and on demand ---------------------------------------------------------------------------


def may_request_rollup(actor) -> bool:
    scope = get_scope(actor)
    return scope.is_superuser or bool(scope.reviewer_paths)


def _is_closed(year: int, quarter: int, today: dt.date) -> bool:
    return metrics.quarter_bounds(year, quarter)[1] <= today


@transaction.atomic
def rollup_request(*, actor, year: int, quarter: int) -> RollupRun:
    """Queue a computation of a quarter (reviewers and admins); a closed quarter is computed final."""
    if not may_request_rollup(actor):
        raise PermissionDenied
    today = timezone.localdate()
    if not 1 <= quarter <= 4:
        raise ValidationError({"quarter": _("The quarter is between 1 and 4.")})
    if not 2000 <= year <= 2100 or metrics.quarter_bounds(year, quarter)[0] > today:
        raise ValidationError({"year": _("This quarter has not started yet.")})
    run = RollupRun.objects.create(
        year=year, quarter=quarter, final=_is_closed(year, quarter, today), requested_by=actor
    )
    from assessments.tasks import rollup_quarter

    rollup_quarter.delay_on_commit(year, quarter, run_id=run.pk)
    return run


def rollup_run(*, year: int, quarter: int, final: bool | None = None, run_id: int | None = None) -> RollupRun:
    """Run a computation and record it (a requested run by id, or a scheduled one, recorded here)."""
    today = timezone.localdate()
    if run_id is None:
        run = RollupRun.objects.create(
            year=year, quarter=quarter, final=_is_closed(year, quarter, today) if final is None else final
        )
    else:
        run = RollupRun.objects.get(pk=run_id)
    # Claimed with a conditional update: a redelivered task does not run the same request twice at once.
    if not RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.QUEUED).update(
        status=RollupRun.Status.RUNNING, started_at=timezone.now()
    ):
        return run
    try:
        summary = rollup_compute(year=run.year, quarter=run.quarter, final=run.final)
    except Exception as exc:
        RollupRun.objects.filter(pk=run.pk).update(
            status=RollupRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    RollupRun.objects.filter(pk=run.pk).update(
        status=RollupRun.Status.DONE, finished_at=timezone.now(), summary=summary
    )
    run.refresh_from_db()
    return run


# Days after a quarter closes during which it is recomputed final: the last activities get their 7 days to be logged.
CLOSE_WINDOW_DAYS = 8


def rollup_close_due(today: dt.date | None = None) -> tuple[int, int] | None:
    """The quarter to compute final today, if today is in the first days of the next quarter."""
    today = today or timezone.localdate()
    year, quarter = metrics.current_quarter(today)
    start, _end = metrics.quarter_bounds(year, quarter)
    if (today - start).days < CLOSE_WINDOW_DAYS:
        return metrics.previous_quarter(year, quarter)
    return None
