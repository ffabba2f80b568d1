"""Reads of results: one result's page and breakdown, its rank, recent results and the podium, the subjects a
quarter's rollup covers, the latest runs."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Avg, Count, Q, Window

from assessments import metrics
from assessments.models import Indicator, IndicatorScore, QuarterRollup, RollupRun
from assessments.rules import AUTO, SUBJECT_KINDS
from assessments.selectors.quarters import quarter_label
from assessments.selectors.ranking import ZERO, one_place
from assessments.selectors.subjects import ORGANIZATIONS, scoped_results
from partnerships.models import Agreement, Organization


def related_or_none(obj, name: str):
    """A reverse one-to-one (``rollup.self_assessment``, ``rollup.review``), or None when there is none yet."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def rollups_with_review(user):
    """The results the user may see, with their subject, scheme, self-assessment and review (for one result's
    pages: no further query to reach any of them)."""
    return QuarterRollup.objects.visible_to(user).select_related(
        "organization", "agreement", "scheme", "self_assessment", "review"
    )


def scores_for(user, rollup: QuarterRollup):
    return IndicatorScore.objects.visible_to(user).filter(rollup=rollup).select_related("indicator")


def latest_runs(user, limit: int = 10):
    return RollupRun.objects.visible_to(user).select_related("requested_by")[:limit]


# --- one result: its page, its print view, the sections on an organization's page -----------------------------


def rollup_breakdown(user, rollup: QuarterRollup) -> tuple[list[IndicatorScore], list[dict]]:
    """A result's indicator scores (one query) and its subtotals by category (with each category's full marks)."""
    scores = list(scores_for(user, rollup).order_by("indicator__order", "indicator_id"))
    subtotals: dict[str, dict] = {}
    for score in scores:
        indicator = score.indicator
        entry = subtotals.setdefault(indicator.category, {"points": ZERO, "full": ZERO})
        entry["points"] += score.final_points
        if not indicator.is_deduction:
            entry["full"] += indicator.points
    categories = [
        {"key": key, "label": label, **subtotals[key]} for key, label in Indicator.Category.choices if key in subtotals
    ]
    return scores, categories


def rollup_rank(rollup: QuarterRollup) -> tuple[int, int]:
    """The result's rank and the number of results it is ranked among, in one query: branches within their whole
    organization tree, agreements among the quarter's agreements. Only the two numbers leave this function."""
    peers = QuarterRollup.objects.filter(year=rollup.year, quarter=rollup.quarter)
    if rollup.organization_id:
        root = rollup.organization.path[: Organization.steplen]
        peers = peers.filter(organization__path__startswith=root)
    else:
        peers = peers.filter(agreement__isnull=False)
    counts = peers.aggregate(count=Count("pk"), above=Count("pk", filter=Q(total__gt=rollup.total)))
    return counts["above"] + 1, counts["count"]


def recent_rollups(user, *, organization=None, agreement=None, count: int = 4) -> list[QuarterRollup]:
    """A subject's last ``count`` results the user may see, latest first (one query)."""
    subject = {"organization": organization} if organization is not None else {"agreement": agreement}
    return list(QuarterRollup.objects.visible_to(user).filter(**subject).order_by("-year", "-quarter")[:count])


def podium(user, count: int = 3) -> dict | None:
    """The latest closed quarter's best and last ``count`` branches the user may see, with how many and their
    average. Three queries, each at most ``count`` rows: the quarter; the best, carrying the count and the average
    (window aggregates over the quarter's results, no sort of them all: a top-N); the last, the best left out."""
    scoped = scoped_results(user, ORGANIZATIONS)  # branches only: the agreements' scope condition is not evaluated
    year, quarter = metrics.current_quarter()
    closed = Q(year__lt=year) | Q(year=year, quarter__lt=quarter)
    # The latest closed quarter: the open one is provisional and half-way, so its ranking says little yet.
    latest = scoped.filter(closed).order_by("-year", "-quarter").values_list("year", "quarter").first()
    if latest is None:
        return None
    year, quarter = latest
    rows = (
        scoped.filter(year=year, quarter=quarter)
        .select_related("organization")
        .only("total", "status", "subject", "organization__name", "organization__short_name")
    )
    top = list(
        rows.annotate(how_many=Window(Count("pk")), mean=Window(Avg("total"))).order_by("-total", "subject")[:count]
    )
    bottom = list(rows.exclude(pk__in=[r.pk for r in top]).order_by("total", "-subject")[:count]) if top else []
    return {
        "year": year,
        "quarter": quarter,
        "label": quarter_label(year, quarter),
        "top": top,
        "bottom": bottom,
        "count": top[0].how_many if top else 0,
        "average": one_place(Decimal(top[0].mean)) if top else None,
    }


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


def rollup_existing(year: int, quarter: int) -> dict[str, tuple]:
    """The quarter's results by subject key: ``(id, status, total, scheme id)``."""
    return {
        row[0]: row[1:]
        for row in QuarterRollup.objects.filter(year=year, quarter=quarter).values_list(
            "subject", "pk", "status", "total", "scheme_id"
        )
    }


def rollup_previous_scores(year: int, quarter: int) -> dict[tuple[int, int], tuple]:
    """The quarter's scores of unpublished results, read once: (rollup id, indicator id) -> (metric_value, points,
    final_points, self_points, review_points, adjustment, adjustment_reason)."""
    return {
        (rollup_id, indicator_id): tuple(rest)
        for rollup_id, indicator_id, *rest in IndicatorScore.objects.filter(rollup__year=year, rollup__quarter=quarter)
        .exclude(rollup__status=QuarterRollup.Status.PUBLISHED)
        .values_list(
            "rollup_id",
            "indicator_id",
            "metric_value",
            "points",
            "final_points",
            "self_points",
            "review_points",
            "adjustment",
            "adjustment_reason",
        )
    }


def rollup_metric_values(indicators, period: metrics.Period) -> dict[tuple[str, str], dict[int, Decimal]]:
    """One aggregate per metric of the automatic indicators and subject kind, for all subjects at once:
    (metric key, kind) -> {subject pk: value}."""
    values: dict[tuple[str, str], dict[int, Decimal]] = {}
    for key in sorted({i.metric for i in indicators if i.source == AUTO}):
        metric = metrics.REGISTRY[key]
        for kind in (metrics.ORG, metrics.AGR):
            values[(key, kind)] = metric.values(kind, period.year, period.quarter, now=period.now)
    return values
