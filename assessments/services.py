"""Every write to assessment schemes, quarter results and their computation runs goes through these functions.

The rollup (``rollup_compute``) is set-based: a fixed number of statements per quarter whatever the number of
organizations, agreements or records — one aggregate per metric and subject kind, then one upsert of the results
and one of the scores (``INSERT … ON CONFLICT DO UPDATE``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import (
    CATEGORY_FIELDS,
    OVERDUE_METRIC,
    AssessmentScheme,
    Indicator,
    IndicatorScore,
    QuarterRollup,
    Review,
    RollupRun,
    SelfAssessment,
    SelfAssessmentAttachment,
    self_assessor_q,
    subject_key,
)
from partnerships.models import Agreement, Organization
from portal.scoping import ensure_editable, get_scope
from portal.uploads import EVIDENCE, MB, CheckedUpload, check_upload

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

# The fields of an indicator that the scheme pages edit (``order`` follows the rows' order).
INDICATOR_FIELDS = ("category", "name", "description", "points", "is_deduction", "target", "source", "metric")


def may_edit_schemes(actor) -> bool:
    """Reviewers and admins create, edit and activate schemes; everyone signed in reads them."""
    scope = get_scope(actor)
    return scope.is_superuser or bool(scope.reviewer_paths)


def _total_error(total: Decimal) -> ValidationError:
    return ValidationError(
        _("The indicators' points total %(total)s; they must total 100.") % {"total": total}, code="total"
    )


def scheme_validate(scheme: AssessmentScheme) -> None:
    """Positive indicators total exactly 100 points; every automatic indicator names a known metric."""
    indicators = list(scheme.indicators.all())
    total = sum((i.points for i in indicators if not i.is_deduction), Decimal(0))
    errors = []
    if total != SCHEME_TOTAL:
        errors.append(_total_error(total))
    unknown = sorted({i.metric for i in indicators if i.source == AUTO and i.metric not in metrics.REGISTRY})
    if unknown:
        errors.append(
            ValidationError(_("Unknown metric: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown_metric")
        )
    if errors:
        raise ValidationError({"indicators": errors})


def indicator_rows_errors(rows) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """Check a scheme's indicator rows (dicts of ``INDICATOR_FIELDS``) before anything is written.

    Returns ``(general messages, {row index: {field: [messages]}})``. The service raises these; the indicators
    formset calls the same function so each message lands next to its field, the 100-point total above the rows.
    """
    by_row: dict[int, dict[str, list[str]]] = {}

    def add(index: int, field: str, message: str) -> None:
        by_row.setdefault(index, {}).setdefault(field, []).append(message)

    seen: set[str] = set()
    total = Decimal(0)
    for index, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        if not name:
            add(index, "name", _("Enter the name of the indicator."))
        elif name in seen:
            add(index, "name", _("Another indicator of the scheme already has this name."))
        seen.add(name)
        if row.get("category") not in Indicator.Category.values:
            add(index, "category", _("Choose the category of the indicator."))
        points = row.get("points")
        if points is None or points <= 0:
            add(index, "points", _("Points must be greater than zero."))
        elif not row.get("is_deduction"):
            total += points
        target = row.get("target")
        if target is not None and target <= 0:
            add(index, "target", _("The target must be greater than zero."))
        metric = row.get("metric") or ""
        if row.get("source") == AUTO:
            if not metric:
                add(index, "metric", _("An automatic indicator needs a metric."))
            elif metric not in metrics.REGISTRY:
                add(index, "metric", _("Unknown metric: %(keys)s.") % {"keys": metric})
        elif row.get("source") == MANUAL:
            if metric:
                add(index, "metric", _("A manual indicator is scored by the reviewer and has no metric."))
        else:
            add(index, "source", _("Choose where the indicator's value comes from."))
    general = [] if total == SCHEME_TOTAL else [_total_error(total).message]
    return general, by_row


def _flatten_row_errors(general: list[str], by_row: dict[int, dict[str, list[str]]]) -> list[str]:
    """Row errors as "Row n: …" lines after the general ones (a caller without the formset still gets all)."""
    messages = list(general)
    for index in sorted(by_row):
        for field_messages in by_row[index].values():
            messages.extend(
                _("Row %(n)s: %(message)s") % {"n": index + 1, "message": message} for message in field_messages
            )
    return messages


def _copied_indicators(scheme: AssessmentScheme, previous: AssessmentScheme | None) -> list[Indicator]:
    """Unsaved indicators for ``scheme``: a copy of ``previous``'s, else the default scheme's."""
    if previous is not None:
        return [
            Indicator(scheme=scheme, order=i.order, **{f: getattr(i, f) for f in INDICATOR_FIELDS})
            for i in previous.indicators.all()
        ]
    return [
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


def _default_scheme_name(year: int) -> str:
    return _("%(year)s co-construction assessment scheme") % {"year": year}


def scheme_suggested_year() -> int:
    """The year a new scheme is most likely for: the one after the latest scheme, at least the current year."""
    latest = AssessmentScheme.objects.order_by("-year").values_list("year", flat=True).first()
    this_year = timezone.localdate().year
    return max(latest + 1, this_year) if latest else this_year


@transaction.atomic(durable=True)
def scheme_create(*, actor, year: int, name: str = "", notes: str = "") -> AssessmentScheme:
    """Create the scheme of ``year`` (reviewers and admins), not yet in force: a copy of the latest earlier
    year's indicators, else the default ones. A blank name becomes "<year> co-construction assessment scheme"."""
    if not may_edit_schemes(actor):
        raise PermissionDenied
    if year is None or not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    year = int(year)
    if AssessmentScheme.objects.filter(year=year).exists():
        raise ValidationError({"year": _("There is already a scheme for %(year)s.") % {"year": year}})
    previous = AssessmentScheme.objects.filter(year__lt=year).order_by("-year").first()
    scheme = AssessmentScheme(
        year=year,
        name=(name or "").strip() or _default_scheme_name(year),
        notes=(notes or "").strip() or (previous.notes if previous else ""),
        is_active=False,
    )
    scheme.full_clean()
    scheme._history_user = actor
    try:
        with transaction.atomic():
            scheme.save()
    except IntegrityError:  # a second reviewer created the same year a moment ago
        raise ValidationError({"year": _("There is already a scheme for %(year)s.") % {"year": year}}) from None
    rows = _copied_indicators(scheme, previous)
    Indicator.objects.bulk_create(rows)
    Indicator.history.bulk_history_create(
        rows,
        default_user=actor,
        default_change_reason=f"copied from {previous.year}" if previous else "default scheme",
    )
    return scheme


@transaction.atomic(durable=True)
def scheme_update(*, actor, scheme: AssessmentScheme, name: str, notes: str = "", indicators) -> AssessmentScheme:
    """Edit a scheme's name and notes and its indicators (the full new list, in order), recorded with the actor.

    Rows carrying the ``id`` of an existing indicator update it; others are added; indicators left out are
    removed — unless a published result already scores them (then nothing is saved). Their scores in results not
    yet published go with them and those results' totals are recomputed. The positive indicators must total 100.
    """
    ensure_editable(actor, scheme)
    scheme = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    rows = [dict(row) for row in indicators]
    general, by_row = indicator_rows_errors(rows)
    existing = {i.pk: i for i in scheme.indicators.all()}
    wanted = {row["id"] for row in rows if row.get("id")}
    if wanted - set(existing):
        general.append(_("An indicator of this scheme was not found; reload the page and try again."))
    removed = [i for pk, i in existing.items() if pk not in wanted]
    scored = sorted(
        set(
            IndicatorScore.objects.filter(
                indicator__in=removed, rollup__status=QuarterRollup.Status.PUBLISHED
            ).values_list("indicator__name", flat=True)
        )
    )
    if scored:
        general.append(
            _("%(names)s already have scores in a published result and cannot be removed.")
            % {"names": "、".join(f"“{n}”" for n in scored)}
        )
    scheme.name = (name or "").strip()
    scheme.notes = (notes or "").strip()
    errors: dict[str, list] = {}
    try:
        scheme.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    messages = _flatten_row_errors(general, by_row)
    if messages:
        errors["indicators"] = messages
    if errors:
        raise ValidationError(errors)

    scheme._history_user = actor
    scheme.save(update_fields=["name", "notes", "updated_at"])
    if removed:
        unpublished = IndicatorScore.objects.filter(indicator__in=removed)
        affected = set(unpublished.values_list("rollup_id", flat=True))
        unpublished.delete()
        for indicator in removed:
            indicator._history_user = actor
            indicator.delete()
        if affected:
            rollup_totals_refresh(affected)
    regrouped = []  # scored indicators whose category or metric changed: their results' stored subtotals follow
    try:
        with transaction.atomic():
            for order, row in enumerate(rows):
                indicator = existing.get(row.get("id")) or Indicator(scheme=scheme)
                before = {f: getattr(indicator, f) for f in (*INDICATOR_FIELDS, "order")}
                for field in INDICATOR_FIELDS:
                    value = row.get(field)
                    if field in ("name", "description", "metric"):
                        value = (value or "").strip()
                    setattr(indicator, field, value if field != "is_deduction" else bool(value))
                indicator.order = order
                if indicator.pk and before == {f: getattr(indicator, f) for f in (*INDICATOR_FIELDS, "order")}:
                    continue  # unchanged: no history row
                try:
                    indicator.full_clean(exclude=["scheme"], validate_constraints=False)
                except ValidationError as exc:
                    raise ValidationError({"indicators": _flatten_row_errors([], {order: exc.message_dict})}) from None
                indicator._history_user = actor
                indicator.save()
                if (before["category"], before["metric"]) != (indicator.category, indicator.metric):
                    regrouped.append(indicator.pk)
    except IntegrityError:
        # Two rows swapping names collide on the way (the names are unique within a scheme).
        raise ValidationError(
            {"indicators": [_("Two indicators cannot exchange names in one save; rename one of them first.")]}
        ) from None
    if regrouped:
        scored = IndicatorScore.objects.filter(indicator__in=regrouped).values("rollup_id")
        rollup_subtotals_refresh(QuarterRollup.objects.filter(pk__in=scored))
    scheme_validate(scheme)
    return scheme


@transaction.atomic(durable=True)
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
                name=_default_scheme_name(year),
                notes=previous.notes if previous else "",
                is_active=True,
            )
            rows = _copied_indicators(scheme, previous)
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
    (self, reviewer, adjustment) are kept. ``final`` marks the results final (at quarter close).

    Written set-based and as plain rows, not model instances (10,000 subjects make 240,000 scores; see ``_write``):

    * only the scores that are new or whose values changed are upserted (``INSERT … ON CONFLICT DO UPDATE``): a
      score keeps the ``computed_at`` of the run that last changed it, and a run over a quiet quarter writes no
      score at all;
    * each row written, and only those, gets a history row (type ``~``, reason ``rollup``) — in the same statement
      on PostgreSQL; the manual edits keep their own history (``_save_score``);
    * every result computed gets this run's ``computed_at`` (the unchanged ones by one ``UPDATE``, no history):
      the evidence pages list the records as measured at the result's ``computed_at``.

    The scores are computed in one of two equivalent ways (same rows, same history; ``tests/assessments``
    compares them): on PostgreSQL in the database (``_scores_in_sql``: the metric aggregates, points, manual
    scores and totals never travel to Python, and the score upsert reads them from a temporary table); elsewhere
    in Python (``_scores_in_python``, the portable path, from the metric values and the quarter's previous scores).
    """
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # JIT compiling an aggregate costs 50–130 ms here, more than it saves on statements of a fraction of a
            # second (measured at 1M activities: the 20 aggregates take 10% less time without).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
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
        period = metrics.Period(year, quarter, now)
        in_sql = _scores_in_database()
        if in_sql:
            totals = _scores_in_sql(subjects, existing, indicators, period)
        else:
            totals, score_rows = _scores_in_python(subjects, existing, indicators, period)

        status = QuarterRollup.Status.FINAL if final else QuarterRollup.Status.PROVISIONAL
        rollup_rows = []  # new or changed results: (subject, organization, agreement, status, total)
        zero = Decimal(0)
        for kind, pk, key in subjects:
            old = existing.get(key)
            total = totals.get(key, zero)
            row_status = status
            if old and old[1] == QuarterRollup.Status.FINAL:
                row_status = QuarterRollup.Status.FINAL  # a nightly provisional run never reopens a closed quarter
            if old is None or old[1:] != (row_status, total, scheme.pk):
                organization_id, agreement_id = (pk, None) if kind == metrics.ORG else (None, pk)
                rollup_rows.append((key, organization_id, agreement_id, row_status, total))

        rollup_fields = ["organization_id", "agreement_id", "subject", "year", "quarter"]
        rollup_fields += ["scheme_id", "status", "total", "computed_at"]
        _write(
            QuarterRollup,
            rollup_fields,
            [(o, a, key, year, quarter, scheme.pk, st, total, now) for key, o, a, st, total in rollup_rows],
            conflict=["subject", "year", "quarter"],
            update=["scheme_id", "status", "total", "computed_at"],
            now=now,
        )
        ids = {key: old[0] for key, old in existing.items()}
        if any(key not in ids for key, *_rest in rollup_rows):
            ids = dict(QuarterRollup.objects.filter(year=year, quarter=quarter).values_list("subject", "pk"))
        # Results that existed before this run (the new ones were just written with this run's time, and have
        # no score yet): on a first run, none.
        earlier_ids = [existing[key][0] for _kind, _pk, key in subjects if key in existing]
        removed = 0
        if earlier_ids:
            # The unchanged results were computed now too (the evidence pages measure at the result's computed_at).
            _among(QuarterRollup.objects, "id", earlier_ids).exclude(computed_at=now).update(computed_at=now)
            # Scores of indicators that left the scheme (the scheme was edited) no longer count.
            stale = _among(IndicatorScore.objects, "rollup_id", earlier_ids)
            removed = stale.exclude(indicator__in=[i.pk for i in indicators]).delete()[0]

        score_fields = ["rollup_id", "indicator_id", "metric_value", "points", "final_points"]
        score_fields += ["self_points", "review_points", "adjustment", "adjustment_reason", "computed_at"]
        score_write = {"conflict": ["rollup_id", "indicator_id"], "now": now}
        score_write["update"] = ["metric_value", "points", "final_points", "computed_at"]
        if in_sql:
            _write_select(IndicatorScore, score_fields, *_changed_scores_select(ids, now), **score_write)
            with connection.cursor() as cursor:  # now, not at commit: the caller's transaction may go on
                cursor.execute(f"DROP TABLE {_VALUES_TABLE}, {_SCORES_TABLE}")
        else:
            rows = [(ids[key], indicator_id, *rest, now) for key, indicator_id, *rest in score_rows]
            _write(IndicatorScore, score_fields, rows, **score_write)
        rollup_subtotals_refresh(year=year, quarter=quarter)
    return {
        "year": year,
        "quarter": quarter,
        "scheme": scheme.pk,
        "final": final,
        "organizations": sum(1 for s in subjects if s[0] == metrics.ORG),
        "agreements": sum(1 for s in subjects if s[0] == metrics.AGR),
        "published_skipped": len(published),
        "scores": len(subjects) * len(indicators),
        "stale_scores_removed": removed,
    }


def _among(queryset, column: str, ids: list[int]):
    """``queryset`` filtered to rows whose ``column`` is one of ``ids`` — on PostgreSQL as ``= ANY(<one array
    parameter>)`` (an index scan, like ``IN``), not ``IN`` with a parameter per id: 20,000 ids cost seconds to
    compile and parse."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{column}__in": ids})
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    column = connection.ops.quote_name(column)
    return queryset.extra(where=[f"{table}.{column} = ANY(%s::bigint[])"], params=[_pg_numbers(ids)])  # noqa: S610


def _scores_in_database() -> bool:
    """Whether the rollup computes its scores in SQL (PostgreSQL) rather than in Python (the portable path)."""
    return connection.vendor == "postgresql"


def _scores_in_python(subjects, existing, indicators, period) -> tuple[dict[str, Decimal], list[tuple]]:
    """The portable path: every subject's total, and the scores that are new or changed as rows ``(subject,
    indicator, metric_value, points, final_points, self_points, review_points, adjustment, adjustment_reason)``.

    The quarter's previous scores are read once; the metrics once per metric and subject kind."""
    # (rollup id, indicator id) -> (metric_value, points, final_points, self_points, review_points, adjustment,
    # adjustment_reason)
    old_scores = {
        (rollup_id, indicator_id): tuple(rest)
        for rollup_id, indicator_id, *rest in IndicatorScore.objects.filter(
            rollup__year=period.year, rollup__quarter=period.quarter
        )
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

    # One aggregate per metric and subject kind, for all subjects at once.
    values: dict[tuple[str, str], dict[int, Decimal]] = {}
    for key in sorted({i.metric for i in indicators if i.source == AUTO}):
        metric = metrics.REGISTRY[key]
        for kind in (metrics.ORG, metrics.AGR):
            values[(key, kind)] = metric.values(kind, period.year, period.quarter, now=period.now)

    # O(subjects × indicators) in Python: the points, and which rows are new or changed.
    no_manual = (None, None, Decimal(0), "")
    empties = {key: metrics.REGISTRY[key].empty_value() for key in metrics.REGISTRY}
    plan = [
        (
            indicator.pk,
            metrics.REGISTRY[indicator.metric] if indicator.source == AUTO else None,
            indicator,
        )
        for indicator in indicators
    ]
    totals: dict[str, Decimal] = {}
    score_rows = []  # new or changed scores: (subject, indicator, metric_value, points, final_points, manual…)
    # The points of a value, once per indicator and distinct value (counts and rates repeat across subjects).
    points_cache: dict[tuple[int, Decimal | None], Decimal] = {}
    zero = Decimal(0)
    for kind, pk, key in subjects:
        old = existing.get(key)
        rollup_id = old[0] if old else None
        total = zero
        for indicator_id, metric, indicator in plan:
            previous = old_scores.get((rollup_id, indicator_id)) if old else None
            manual = previous[3:] if previous else no_manual
            metric_value, points = None, zero
            if metric is not None:
                metric_value = values[(metric.key, kind)].get(pk, empties[metric.key])
                points = points_cache.get((indicator_id, metric_value))
                if points is None:
                    points = points_cache[(indicator_id, metric_value)] = metrics.points_for(
                        value=metric_value,
                        points=indicator.points,
                        target=indicator.target,
                        is_deduction=indicator.is_deduction,
                    )
            if manual is no_manual and metric is not None:
                final_points = points  # automatic, no adjustment
            else:
                final_points = final_points_of(
                    indicator, points=points, self_points=manual[0], review_points=manual[1], adjustment=manual[2]
                )
            total += final_points
            if previous is None or previous[:3] != (metric_value, points, final_points):
                score_rows.append((key, indicator_id, metric_value, points, final_points, *manual))
        totals[key] = total
    return totals, score_rows


# The temporary tables of the SQL path (dropped once the scores are written, or at commit, or with a rollback).
_VALUES_TABLE, _SCORES_TABLE = "rollup_metric_value", "rollup_score"


def _scores_in_sql(subjects, existing, indicators, period) -> dict[str, Decimal]:
    """The PostgreSQL path: every score of the quarter computed in the database into the temporary table
    ``rollup_score`` (subject, rollup id if the result exists, indicator, value, points, manual scores, final
    points, and whether it is new or changed); returns every subject's total.

    The same rules as ``_scores_in_python`` (``Metric._value``, ``Metric.empty_value``, ``metrics.points_for``,
    ``final_points_of``) written as SQL: PostgreSQL's ``round(numeric, n)`` rounds half away from zero, which is
    ``ROUND_HALF_UP`` on the non-negative values rounded here (a deduction is rounded before its sign is taken).
    Statements: one per metric and subject kind (its aggregate, read back as the floor reads it), then the values
    sent in as arrays, the scores, the totals — the same number whatever the number of subjects."""
    with connection.cursor() as cursor:
        # The aggregates as plain SELECTs, read back and sent in again as arrays: PostgreSQL plans no parallel
        # workers for an INSERT … SELECT, and the biggest aggregates take twice as long without them.
        kinds, keys, subject_ids, ns, ds = [], [], [], [], []
        for key in sorted({i.metric for i in indicators if i.source == AUTO}):
            for kind in (metrics.ORG, metrics.AGR):
                cursor.execute(*metrics.REGISTRY[key].statement(kind, period))
                rows = cursor.fetchall()
                kinds += [kind] * len(rows)
                keys += [key] * len(rows)
                for subject_id, n, d in rows:
                    subject_ids.append(subject_id)
                    ns.append(n)
                    ds.append(d)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_VALUES_TABLE} ON COMMIT DROP AS SELECT * FROM "  # noqa: S608
            "unnest(%s::text[], %s::text[], %s::bigint[], %s::numeric[], %s::numeric[]) AS v (kind, metric, subject, n, d)",
            [_pg_array(kinds), _pg_array(keys), _pg_numbers(subject_ids), _pg_numbers(ns), _pg_numbers(ds)],
        )
        cursor.execute(f"ANALYZE {_VALUES_TABLE}")  # its size and distinct values, for the join plan below
        auto = [i.source == AUTO for i in indicators]
        metric_of = [metrics.REGISTRY[i.metric] if a else None for i, a in zip(indicators, auto, strict=True)]
        subject_columns = [
            [kind for kind, _pk, _key in subjects],
            [pk for _kind, pk, _key in subjects],
            [key for _kind, _pk, key in subjects],
            [existing[key][0] if key in existing else None for _kind, _pk, key in subjects],
        ]
        indicator_columns = [
            [i.pk for i in indicators],
            [m.key if m else None for m in metric_of],
            [m.kind if m else None for m in metric_of],
            [m.empty_value() if m else None for m in metric_of],
            [i.points for i in indicators],
            [i.target for i in indicators],
            [i.is_deduction for i in indicators],
        ]
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {_SCORES_TABLE} ON COMMIT DROP AS
            WITH subject (kind, pk, key, rollup_id) AS (
                SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[])
            ), indicator (id, metric, metric_kind, empty_value, points, target, is_deduction) AS (
                SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::numeric[],
                                     %s::numeric[], %s::boolean[])
            ), previous AS (
                SELECT * FROM {IndicatorScore._meta.db_table} WHERE rollup_id = ANY(%s::bigint[])
            ), valued AS (
                SELECT s.key, s.rollup_id, i.id AS indicator_id, i.metric, i.points, i.target, i.is_deduction,
                    CASE WHEN i.metric IS NULL THEN NULL ELSE {_value_sql()} END AS metric_value
                FROM subject s CROSS JOIN indicator i
                LEFT JOIN {_VALUES_TABLE} v ON v.kind = s.kind AND v.metric = i.metric AND v.subject = s.pk
            ), pointed AS (
                SELECT valued.*,
                    {_points_sql()} AS auto_points
                FROM valued
            ), scored AS (
                SELECT p.key, p.rollup_id, p.indicator_id, p.metric_value, p.auto_points AS points,
                    o.id AS old_id, o.metric_value AS old_value, o.points AS old_points, o.final_points AS old_final,
                    o.self_points, o.review_points, COALESCE(o.adjustment, 0) AS adjustment,
                    COALESCE(o.adjustment_reason, '') AS adjustment_reason,
                    CASE WHEN p.metric IS NULL THEN COALESCE(o.review_points, o.self_points, 0) ELSE p.auto_points END
                        + COALESCE(o.adjustment, 0) AS final_points
                FROM pointed p LEFT JOIN previous o ON o.rollup_id = p.rollup_id AND o.indicator_id = p.indicator_id
            )
            SELECT key, rollup_id, indicator_id, metric_value, points, final_points, self_points, review_points,
                adjustment, adjustment_reason,
                old_id IS NULL OR old_value IS DISTINCT FROM metric_value OR old_points <> points
                    OR old_final <> final_points AS changed
            FROM scored""",  # noqa: S608 (table names from the models and this module)
            [
                *(_pg_array(column) for column in subject_columns + indicator_columns),
                # The previous scores of the quarter's results (not the whole table: an index scan, none at first)
                _pg_numbers(rollup_id for rollup_id in subject_columns[3] if rollup_id is not None),
            ],
        )
        cursor.execute(f"SELECT key, SUM(final_points) FROM {_SCORES_TABLE} GROUP BY key")  # noqa: S608
        return dict(cursor.fetchall())


def _value_sql(n: str = "v.n", d: str = "v.d", kind: str = "i.metric_kind", empty: str = "i.empty_value") -> str:
    """``Metric._value`` with ``Metric.empty_value`` as SQL: a count is ``n``, a rate ``100 × n / d`` to 0.01,
    half up, and a subject without any record (``n``, ``d`` NULL) or with nothing due takes the empty value."""
    return (
        f"CASE WHEN {kind} = 'count' THEN COALESCE({n}, 0) WHEN COALESCE({d}, 0) = 0 THEN {empty} "
        f"ELSE round(COALESCE({n}, 0) * 100 / {d}, 2) END"
    )


def _points_sql(value: str = "metric_value", points: str = "points", target: str = "target") -> str:
    """``metrics.points_for`` as SQL (numeric columns; ``is_deduction`` a boolean column)."""
    return (
        f"CASE WHEN {value} IS NULL THEN 0 "
        f"WHEN is_deduction THEN -round(least({value} * COALESCE(NULLIF({target}, 0), 1), {points}), 1) "
        f"WHEN COALESCE({target}, 0) = 0 THEN CASE WHEN {value} > 0 THEN {points} ELSE 0 END "
        f"ELSE round(least({points} * {value} / {target}, {points}), 1) END"
    )


def _changed_scores_select(ids: dict[str, int], now) -> tuple[str, list]:
    """The ``SELECT`` of the scores to write from ``rollup_score`` (the new or changed ones), in the order of
    ``rollup_compute``'s score fields, the results' ids joined by subject (the new results' ids are known only
    after their upsert)."""
    keys = list(ids)
    sql = (
        "SELECT r.id, s.indicator_id, s.metric_value, s.points, s.final_points, s.self_points, s.review_points, "
        f"s.adjustment, s.adjustment_reason, %s::timestamptz FROM {_SCORES_TABLE} s "  # noqa: S608
        "JOIN unnest(%s::text[], %s::bigint[]) AS r (key, id) ON r.key = s.key WHERE s.changed "
        # In key order, as the Python path writes them: inserted at the right edge of the (rollup, indicator)
        # indexes rather than all over them (the hash join's order made the first run at 10k 15-40% slower).
        "ORDER BY r.id, s.indicator_id"
    )
    return sql, [now, _pg_array(keys), _pg_numbers(ids[key] for key in keys)]


def _write(model, fields: list[str], rows: list[tuple], *, conflict: list[str], update: list[str], now) -> None:
    """Upsert plain rows (tuples in the order of ``fields``, attribute names) — ``INSERT … ON CONFLICT (conflict)
    DO UPDATE SET update`` — and add a history row for each row written, as ``bulk_history_create(update=True)``
    would (type ``~``, reason ``rollup``, dated ``now``), without a model instance per row.

    PostgreSQL: one statement per table whatever the number of rows, the columns sent as arrays —
    ``WITH w AS (INSERT … SELECT … FROM unnest(…) ON CONFLICT … RETURNING …) INSERT INTO <history> SELECT … FROM w``.
    Other backends (SQLite): multi-row ``VALUES`` in batches, then the history rows from the rows as written."""
    if not rows:
        return
    meta, qn = model._meta, connection.ops.quote_name
    columns = {name: qn(meta.get_field(name).column) for name in fields}
    target = f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns.values())})"
    on_conflict = " ON CONFLICT ({}) DO UPDATE SET {}".format(
        ", ".join(columns[name] for name in conflict),
        ", ".join(f"{columns[name]} = EXCLUDED.{columns[name]}" for name in update),
    )
    history = _history_columns(model, now)
    if connection.vendor == "postgresql":
        unnest = ", ".join(f"%s::{meta.get_field(name).db_type(connection)}[]" for name in fields)
        numeric = [meta.get_field(name).get_internal_type() in _NUMERIC for name in fields]
        params = [
            _pg_numbers(column) if is_number else _pg_array(column)
            for is_number, column in zip(numeric, zip(*rows, strict=True), strict=True)
        ]
        select = f"SELECT * FROM unnest({unnest})"
        _write_select(model, fields, select, params, conflict=conflict, update=update, now=now, history=history)
        return
    _insert_batches(f"{target} VALUES ", on_conflict, [meta.get_field(name) for name in fields], rows)
    if history:
        tracked, extra, values = history
        keys = {tuple(row[fields.index(name)] for name in conflict) for row in rows}
        tracked_names = [field.attname for field in model.history.model.tracked_fields]
        written = [
            (*row[len(conflict) :], *values)
            for row in model._default_manager.filter(**{f"{conflict[0]}__in": {key[0] for key in keys}}).values_list(
                *conflict, *tracked_names
            )
            if row[: len(conflict)] in keys
        ]
        history_meta = model.history.model._meta
        _insert_batches(
            f"INSERT INTO {qn(history_meta.db_table)} ({', '.join(map(qn, [*tracked, *extra]))}) VALUES ",
            "",
            [history_meta.get_field(name) for name in [*tracked_names, *extra]],
            written,
        )


def _write_select(model, fields, select: str, params: list, *, conflict, update, now, history=False) -> None:
    """PostgreSQL: upsert the rows of ``select`` (its columns in the order of ``fields``) and add their history
    rows in the same statement — ``WITH written AS (INSERT … SELECT … ON CONFLICT … RETURNING …) INSERT INTO
    <history> SELECT … FROM written``; see ``_write``. ``history`` is ``_history_columns``' answer if known."""
    meta, qn = model._meta, connection.ops.quote_name
    columns = {name: qn(meta.get_field(name).column) for name in fields}
    sql = "INSERT INTO {} ({}) {} ON CONFLICT ({}) DO UPDATE SET {}".format(
        qn(meta.db_table),
        ", ".join(columns.values()),
        select,
        ", ".join(columns[name] for name in conflict),
        ", ".join(f"{columns[name]} = EXCLUDED.{columns[name]}" for name in update),
    )
    if history is False:
        history = _history_columns(model, now)
    params = list(params)
    if history:
        tracked, extra, values = history
        written = ", ".join(qn(column) for column in tracked)
        sql = (
            f"WITH written AS ({sql} RETURNING {written}) "  # noqa: S608 (names from the models)
            f"INSERT INTO {qn(model.history.model._meta.db_table)} ({written}, {', '.join(map(qn, extra))}) "
            f"SELECT {written}, {', '.join(['%s'] * len(values))} FROM written"
        )
        params += values
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _history_columns(model, now) -> tuple[list[str], list[str], list] | None:
    """The history table's copied columns, its own columns and their values; None when history is off."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    history = model.history.model
    user = history.get_default_history_user(model())
    own = {
        "history_date": now,
        "history_change_reason": "rollup",
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    meta = history._meta
    tracked = [field.column for field in history.tracked_fields]
    extra = [f for f in meta.concrete_fields if f.column not in tracked and f is not meta.pk]
    unknown = [f.attname for f in extra if f.attname not in own]
    if unknown:  # a history column this function would leave empty
        raise ValueError(f"history fields not written: {unknown}")
    values = [own[f.attname] for f in extra]
    return tracked, [f.column for f in extra], values


def _insert_batches(sql: str, tail: str, fields: list, rows: list[tuple]) -> None:
    """Multi-row ``VALUES`` in batches the backend accepts (999 parameters on SQLite); values are adapted."""
    adapt = [_adapter(field) for field in fields]
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [f(v) if f else v for row in batch for f, v in zip(adapt, row, strict=True)]
            cursor.execute(sql + ", ".join([row_sql] * len(batch)) + tail, params)


def _adapter(field):
    if field.get_internal_type() == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    return None


_NUMERIC = {"AutoField", "BigAutoField", "IntegerField", "PositiveSmallIntegerField", "DecimalField", "ForeignKey"}


def _pg_numbers(values) -> str:
    """``_pg_array`` of a column of ints, Decimals and None: no quoting, one ``str`` per value."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _pg_array(values) -> str:
    """A PostgreSQL array literal (``{1,NULL,"a b"}``): one parameter per column instead of one per value."""
    items, seen = [], {}  # a column often repeats one value (the run's time, an empty reason): quoted once
    for value in values:
        item = seen.get((type(value), value))
        if item is None:
            if value is None:
                item = "NULL"
            elif isinstance(value, bool):
                item = "t" if value else "f"
            elif isinstance(value, int | Decimal):
                item = str(value)
            else:
                item = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            seen[(type(value), value)] = item
        items.append(item)
    return "{" + ",".join(items) + "}"


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
    updated = QuarterRollup.objects.filter(pk__in=rollup_ids).update(total=Coalesce(Subquery(subtotal), zero))
    rollup_subtotals_refresh(QuarterRollup.objects.filter(pk__in=rollup_ids))
    return updated


def rollup_subtotals_refresh(rollups=None, *, year: int | None = None, quarter: int | None = None) -> int:
    """Store on results what the dashboard aggregates (the ``CATEGORY_FIELDS`` columns and ``overdue_items``),
    from their indicator scores: ONE set-based ``UPDATE … FROM (aggregate)``, writing only the results whose stored
    values differ (a rerun over an unchanged quarter writes nothing). Either ``rollups`` (a queryset of results) or a
    quarter; returns how many results changed.

    Called after every write of final points — the quarter's rollup, ``rollup_totals_refresh`` (manual scores,
    reviews, removed indicators) — and after a scheme edit that changes an indicator's category or metric."""
    if rollups is None:
        if year is None or quarter is None:
            raise ValueError("rollup_subtotals_refresh needs rollups or a quarter")
        rollups = QuarterRollup.objects.filter(year=year, quarter=quarter)
    qn = connection.ops.quote_name
    rollup_table, score_table = qn(QuarterRollup._meta.db_table), qn(IndicatorScore._meta.db_table)
    # Each category's indicators (of every scheme: a handful a year) as id lists, so that the aggregate reads the
    # scores by the result's index alone, with no join to the indicators per result.
    by_category: dict[str, list[int]] = {key: [] for key in CATEGORY_FIELDS}
    overdue: list[int] = []
    for pk, category, metric in Indicator.objects.order_by("pk").values_list("pk", "category", "metric"):
        if category in by_category:
            by_category[category].append(pk)
        if metric == OVERDUE_METRIC:
            overdue.append(pk)

    def when(ids: list[int], value: str, function: str, column: str) -> tuple[str, list[int]]:
        if not ids:  # typed: an untyped NULL in a subquery is text to PostgreSQL, not comparable with the column
            return f"CAST(NULL AS NUMERIC) AS {qn(column)}", []
        marks = ", ".join(["%s"] * len(ids))
        return f"{function}(CASE WHEN s.indicator_id IN ({marks}) THEN s.{value} END) AS {qn(column)}", ids

    parts = [when(by_category[key], "final_points", "SUM", column) for key, column in CATEGORY_FIELDS.items()]
    parts.append(when(overdue, "metric_value", "MAX", "overdue_items"))
    columns = [*CATEGORY_FIELDS.values(), "overdue_items"]
    chosen, chosen_params = rollups.order_by().values("pk").query.sql_with_params()
    # A result without scores gets empty values (LEFT JOIN): nothing stale is left behind by removed indicators.
    sql = (
        f"UPDATE {rollup_table} SET {', '.join(f'{qn(c)} = n.{qn(c)}' for c in columns)} "  # noqa: S608 (model names)
        f"FROM (SELECT r.id AS rollup_id, {', '.join(sql for sql, _ids in parts)} FROM {rollup_table} r "
        f"LEFT JOIN {score_table} s ON s.rollup_id = r.id "
        f"WHERE r.id IN ({chosen}) GROUP BY r.id) n "
        f"WHERE {rollup_table}.id = n.rollup_id AND ("
        + " OR ".join(f"{rollup_table}.{qn(c)} IS DISTINCT FROM n.{qn(c)}" for c in columns)
        + ")"
    )
    params = [pk for _sql, ids in parts for pk in ids] + list(chosen_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- runs: scheduled and on demand ---------------------------------------------------------------------------


def may_request_rollup(actor) -> bool:
    """The same people who keep the schemes (reviewers and admins) start a computation."""
    return may_edit_schemes(actor)


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


# A requested run whose task has not started after this long lost its message (the broker was down when it was
# requested, or the message was lost): the beat's ``rollup_recover`` runs it. Long enough for a worker that is
# merely busy to start it first; a duplicate start is harmless anyway (``rollup_run`` claims the run).
ROLLUP_RECOVER_AFTER = dt.timedelta(minutes=2)
# Longer than the rollup tasks' hard time limit (900 s): a run still ``running`` after this lost its worker.
ROLLUP_DEAD_AFTER = dt.timedelta(minutes=20)


def rollup_recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat, every 5 minutes: run the requested runs left ``queued`` (oldest first), and record the runs whose
    worker died as failed, so a run never stays queued or running for ever. Returns the counts."""
    now = now or timezone.now()
    dead = RollupRun.objects.filter(status=RollupRun.Status.RUNNING, started_at__lt=now - ROLLUP_DEAD_AFTER).update(
        status=RollupRun.Status.FAILED, finished_at=now, error="The worker stopped before the run finished."
    )
    stale = RollupRun.objects.filter(status=RollupRun.Status.QUEUED, queued_at__lt=now - ROLLUP_RECOVER_AFTER)
    done = failed = 0
    for run_id, year, quarter in list(stale.order_by("queued_at", "pk").values_list("pk", "year", "quarter")):
        try:
            run = rollup_run(year=year, quarter=quarter, run_id=run_id)
        except Exception:  # recorded on the run by rollup_run; the next stale run still gets its turn
            failed += 1
            continue
        done += run.status == RollupRun.Status.DONE
    return {"done": done, "failed": failed, "dead": dead}


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


# --- self-assessment (自评), review (评审) and publishing ---------------------------------------------------------
#
# Rules (decided here, documented for the pages and the reminders):
# * the self-assessment of a quarter opens ``SELF_ASSESSMENT_OPENS_DAYS`` days before the quarter ends (its last 15
#   days) and stays open until the result is published; it is due on the ``SELF_ASSESSMENT_DUE_DAY``-th day after the
#   quarter ends (reminders only: a late submission is still accepted until publication);
# * who writes it: ``assessments.models.self_assessor_q`` (a branch's secretaries; an agreement's parties'
#   secretaries and liaisons); reviewers over the subject (``QuarterRollup.scope_editable_q``) review and publish;
# * a published result is locked: every write below refuses it, and ``rollup_compute`` skips it;
# * every score write recomputes ``final_points`` with ``final_points_of`` and the total with
#   ``rollup_totals_refresh``, in the same transaction.

SELF_ASSESSMENT_OPENS_DAYS = 15
SELF_ASSESSMENT_DUE_DAY = 10
ATTACHMENT_MAX_BYTES = 10 * MB
ATTACHMENT_MAX_FILES = 10  # per save
ATTACHMENT_MAX_TOTAL = 20  # per self-assessment
TENTH = Decimal("0.1")


def locked_message() -> str:
    return _("This result has been published and is locked; it can no longer be changed.")


def self_assessment_window(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """(the day the quarter's self-assessment opens, the day it is due)."""
    _start, end = metrics.quarter_bounds(year, quarter)
    return end - dt.timedelta(days=SELF_ASSESSMENT_OPENS_DAYS), end + dt.timedelta(days=SELF_ASSESSMENT_DUE_DAY - 1)


def self_assessment_is_open(rollup: QuarterRollup, today: dt.date | None = None) -> bool:
    opens_on, _due = self_assessment_window(rollup.year, rollup.quarter)
    return rollup.status != QuarterRollup.Status.PUBLISHED and (today or timezone.localdate()) >= opens_on


def may_self_assess(actor, rollup: QuarterRollup) -> bool:
    """Whether ``actor`` writes this result's self-assessment (whatever its state)."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    return QuarterRollup.objects.filter(pk=rollup.pk).filter(self_assessor_q(scope)).exists()


def may_review(actor, rollup: QuarterRollup) -> bool:
    return QuarterRollup.objects.editable_by(actor).filter(pk=rollup.pk).exists()


def self_assessment_shown(sa: SelfAssessment | None, rollup: QuarterRollup, *, author: bool) -> bool:
    """Whether a self-assessment's content is shown: to its authors always (their draft), to everyone else who
    sees the result once it is submitted or the result is published."""
    if sa is None:
        return False
    return author or sa.status == SelfAssessment.Status.SUBMITTED or rollup.status == QuarterRollup.Status.PUBLISHED


def check_attachments(files: Sequence) -> list[CheckedUpload]:
    """Check every file by content and size; all problems at once, under the ``attachments`` key."""
    files = [f for f in files or () if f]
    if len(files) > ATTACHMENT_MAX_FILES:
        raise ValidationError(
            {"attachments": _("Attach at most %(n)s files at a time.") % {"n": ATTACHMENT_MAX_FILES}}, code="too_many"
        )
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload, allowed=EVIDENCE, max_bytes=ATTACHMENT_MAX_BYTES))
        except ValidationError as exc:
            problems.extend(exc.error_list)
    if problems:
        raise ValidationError({"attachments": problems})
    return checked


def _lock_rollup(rollup: QuarterRollup) -> QuarterRollup:
    locked = QuarterRollup.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=rollup.pk)
    if locked.status == QuarterRollup.Status.PUBLISHED:
        raise ValidationError(locked_message(), code="locked")
    return locked


def _points_value(raw, *, key: str, maximum: Decimal, errors: dict) -> Decimal | None:
    """A manual score: empty → None; otherwise a number with at most one decimal between 0 and ``maximum``."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        errors[key] = _("Enter a number.")
        return None
    if not value.is_finite():
        errors[key] = _("Enter a number.")
        return None
    if value != value.quantize(TENTH):
        errors[key] = _("Use at most one decimal place.")
    elif not Decimal(0) <= value <= maximum:
        errors[key] = _("Enter a score between 0 and %(max)s.") % {"max": maximum}
    return value


def _scores(rollup: QuarterRollup) -> dict[int, IndicatorScore]:
    return {
        s.indicator_id: s
        for s in IndicatorScore.objects.select_for_update().filter(rollup=rollup).select_related("indicator")
    }


def _save_score(score: IndicatorScore, actor, fields: list[str]) -> None:
    score.final_points = final_points_of(
        score.indicator,
        points=score.points,
        self_points=score.self_points,
        review_points=score.review_points,
        adjustment=score.adjustment,
    )
    score.full_clean(exclude=["rollup", "indicator"], validate_unique=False)
    score._history_user = actor
    score.save(update_fields=[*fields, "final_points"])


def _store_attachments(sa: SelfAssessment, checked: list[CheckedUpload], actor) -> list[SelfAssessmentAttachment]:
    stored = []
    for upload in checked:
        attachment = SelfAssessmentAttachment(
            self_assessment=sa,
            original_name=(upload.original_name or "file")[-200:],
            content_type=upload.content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        upload.file.seek(0)
        # The stored name is ours (random, with the extension the content proved); the user's name is kept as data.
        attachment.file.save(f"{uuid.uuid4().hex}{upload.extension}", upload.file, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _self_assessment_for(rollup: QuarterRollup, actor) -> SelfAssessment:
    sa = SelfAssessment.objects.select_for_update().filter(rollup=rollup).first()
    if sa is None:
        sa = SelfAssessment(rollup=rollup)
        sa._history_user = actor
        sa.save()
    return sa


@transaction.atomic(durable=True)
def self_assessment_save(
    *,
    actor,
    rollup: QuarterRollup,
    narrative: str,
    self_points: dict,
    attachments: Sequence = (),
    submit: bool = False,
) -> SelfAssessment:
    """Save the self-assessment's draft — narrative, self scores ``{indicator_id: value or None}`` on the manual
    indicators, new attachments — and, with ``submit``, hand it in (one transaction either way)."""
    return _self_assessment_write(
        actor=actor, rollup=rollup, narrative=narrative, self_points=self_points, attachments=attachments, submit=submit
    )


def _self_assessment_write(*, actor, rollup, narrative, self_points, attachments, submit) -> SelfAssessment:
    if not may_self_assess(actor, rollup):
        raise PermissionDenied
    rollup = _lock_rollup(rollup)
    opens_on, _due = self_assessment_window(rollup.year, rollup.quarter)
    if timezone.localdate() < opens_on:
        raise ValidationError(
            _("The self-assessment of this quarter opens on %(date)s.") % {"date": opens_on.isoformat()},
            code="not_open",
        )
    sa = _self_assessment_for(rollup, actor)
    if sa.status == SelfAssessment.Status.SUBMITTED:
        raise ValidationError(
            _("The self-assessment has been submitted; the reviewer may return it for changes."), code="submitted"
        )
    scores = _scores(rollup)
    errors: dict[str, str] = {}
    values: dict[int, Decimal | None] = {}
    for indicator_id, raw in (self_points or {}).items():
        score = scores.get(int(indicator_id))
        key = f"self_{indicator_id}"
        if score is None:
            errors[key] = _("This indicator is not part of the result.")
        elif score.indicator.source != MANUAL:
            errors[key] = _("Self scores are given only on manual indicators.")
        else:
            values[score.indicator_id] = _points_value(raw, key=key, maximum=score.indicator.points, errors=errors)
    narrative = (narrative or "").strip()
    if submit:
        if not narrative:
            errors["narrative"] = _("Write the self-assessment before submitting it.")
        for indicator_id, score in scores.items():
            if score.indicator.source == MANUAL and values.get(indicator_id, score.self_points) is None:
                errors.setdefault(f"self_{indicator_id}", _("Give a self score before submitting."))
    checked = []
    try:
        checked = check_attachments(attachments)
    except ValidationError as exc:
        errors["attachments"] = exc.message_dict["attachments"]
    if checked and sa.attachments.count() + len(checked) > ATTACHMENT_MAX_TOTAL:
        errors["attachments"] = _("A self-assessment has at most %(n)s attachments.") % {"n": ATTACHMENT_MAX_TOTAL}
    if errors:
        raise ValidationError(errors)

    for indicator_id, value in values.items():
        score = scores[indicator_id]
        if score.self_points != value:
            score.self_points = value
            _save_score(score, actor, ["self_points"])
    sa.narrative = narrative
    fields = ["narrative", "updated_at"]
    if submit:
        sa.status = SelfAssessment.Status.SUBMITTED
        sa.submitted_at = timezone.now()
        sa.submitted_by = actor
        fields += ["status", "submitted_at", "submitted_by"]
    elif sa.status == SelfAssessment.Status.RETURNED:
        pass  # a returned one stays "returned" (with its reason shown) until it is submitted again
    sa._history_user = actor
    sa.full_clean(exclude=["rollup"], validate_unique=False)
    sa.save(update_fields=fields)
    _store_attachments(sa, checked, actor)
    rollup_totals_refresh([rollup.pk])
    if not may_self_assess(actor, rollup):
        raise PermissionDenied
    return sa


@transaction.atomic(durable=True)
def self_assessment_submit(*, actor, rollup: QuarterRollup) -> SelfAssessment:
    """Hand in the self-assessment as it stands (a narrative and every manual indicator's self score are needed)."""
    sa = SelfAssessment.objects.filter(rollup=rollup).first()
    return _self_assessment_write(
        actor=actor, rollup=rollup, narrative=sa.narrative if sa else "", self_points={}, attachments=(), submit=True
    )


@transaction.atomic(durable=True)
def self_assessment_attachment_delete(*, actor, attachment: SelfAssessmentAttachment) -> None:
    """Remove an attachment from a self-assessment still being drafted; the file goes after commit."""
    sa = attachment.self_assessment
    if not may_self_assess(actor, sa.rollup):
        raise PermissionDenied
    _lock_rollup(sa.rollup)
    if SelfAssessment.objects.get(pk=sa.pk).status == SelfAssessment.Status.SUBMITTED:
        raise ValidationError(_("The self-assessment has been submitted; its attachments can no longer change."))
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic(durable=True)
def self_assessment_return(*, actor, rollup: QuarterRollup, reason: str) -> SelfAssessment:
    """The reviewer sends a submitted self-assessment back with a reason; the authors may change and resubmit it."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    sa = SelfAssessment.objects.select_for_update().filter(rollup=rollup).first()
    if sa is None or sa.status != SelfAssessment.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted self-assessment can be returned."), code="state")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what should be changed.")}, code="required")
    sa.status = SelfAssessment.Status.RETURNED
    sa.return_reason = reason
    sa.returned_at = timezone.now()
    sa._history_user = actor
    sa.save(update_fields=["status", "return_reason", "returned_at", "updated_at"])
    ensure_editable(actor, rollup)
    return sa


@transaction.atomic(durable=True)
def review_save(
    *,
    actor,
    rollup: QuarterRollup,
    review_points: dict,
    adjustments: dict,
    highlights: str,
    weaknesses: str,
) -> Review:
    """The reviewer's scores and comments: ``review_points`` ``{indicator_id: value or None}`` on manual indicators,
    ``adjustments`` ``{indicator_id: (value, reason)}`` on any indicator (a non-zero one needs a reason and keeps
    the indicator's points within ±its full points), 闪光点 and 薄弱点."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    scores = _scores(rollup)
    errors: dict[str, str] = {}
    changes: dict[int, dict] = {}
    for indicator_id, raw in (review_points or {}).items():
        score = scores.get(int(indicator_id))
        key = f"review_{indicator_id}"
        if score is None:
            errors[key] = _("This indicator is not part of the result.")
        elif score.indicator.source != MANUAL:
            errors[key] = _("Reviewer's points are given only on manual indicators.")
        else:
            value = _points_value(raw, key=key, maximum=score.indicator.points, errors=errors)
            changes.setdefault(score.indicator_id, {})["review_points"] = value
    for indicator_id, (raw, reason) in (adjustments or {}).items():
        score = scores.get(int(indicator_id))
        key = f"adjust_{indicator_id}"
        if score is None:
            errors[key] = _("This indicator is not part of the result.")
            continue
        reason = (reason or "").strip()
        try:
            value = Decimal(str(raw)) if raw not in (None, "") else Decimal(0)
            if not value.is_finite():
                raise ArithmeticError
        except ArithmeticError:
            errors[key] = _("Enter a number.")
            continue
        if value != value.quantize(TENTH):
            errors[key] = _("Use at most one decimal place.")
            continue
        if value and not reason:
            errors[f"reason_{indicator_id}"] = _("An adjustment needs a reason.")
        changes.setdefault(score.indicator_id, {}).update(adjustment=value, adjustment_reason=reason if value else "")
    # The resulting points of every changed indicator stay within ±its full points.
    for indicator_id, fields in changes.items():
        score = scores[indicator_id]
        if f"adjust_{indicator_id}" in errors or f"review_{indicator_id}" in errors:
            continue
        result = final_points_of(
            score.indicator,
            points=score.points,
            self_points=score.self_points,
            review_points=fields.get("review_points", score.review_points),
            adjustment=fields.get("adjustment", score.adjustment),
        )
        limit = score.indicator.points
        if not -limit <= result <= limit:
            errors[f"adjust_{indicator_id}"] = _(
                "With this adjustment the indicator would count %(result)s; keep it between -%(max)s and %(max)s."
            ) % {"result": result, "max": limit}
    if errors:
        raise ValidationError(errors)

    for indicator_id, fields in changes.items():
        score = scores[indicator_id]
        changed = [name for name, value in fields.items() if getattr(score, name) != value]
        if changed:
            for name in changed:
                setattr(score, name, fields[name])
            _save_score(score, actor, changed)
    review = Review.objects.select_for_update().filter(rollup=rollup).first() or Review(rollup=rollup)
    review.highlights = (highlights or "").strip()
    review.weaknesses = (weaknesses or "").strip()
    review.reviewer = actor
    review.reviewed_at = timezone.now()
    review._history_user = actor
    review.save()
    rollup_totals_refresh([rollup.pk])
    ensure_editable(actor, rollup)
    return review


def missing_review_points(rollup: QuarterRollup) -> list[Indicator]:
    """The manual indicators of the result that still lack the reviewer's points."""
    return [
        s.indicator
        for s in IndicatorScore.objects.filter(rollup=rollup, indicator__source=MANUAL, review_points__isnull=True)
        .select_related("indicator")
        .order_by("indicator__order", "pk")
    ]


def _publish(actor, rollup: QuarterRollup, now: dt.datetime) -> None:
    if rollup.status != QuarterRollup.Status.FINAL:
        raise ValidationError(
            _("Only a closed quarter's final result can be published; compute the quarter final first."),
            code="not_final",
        )
    missing = missing_review_points(rollup)
    if missing:
        raise ValidationError(
            _("Score every manual indicator before publishing; missing: %(names)s.")
            % {"names": "、".join(i.name for i in missing)},
            code="unscored",
        )
    rollup.status = QuarterRollup.Status.PUBLISHED
    rollup._history_user = actor
    rollup.save(update_fields=["status"])
    review = Review.objects.select_for_update().filter(rollup=rollup).first() or Review(rollup=rollup, reviewer=actor)
    review.published_at = now
    review.published_by = actor
    review._history_user = actor
    review.save()


def _after_publish(rollup_ids: list[int]) -> None:
    """The notices, as rows in the publication's own transaction: a down broker cannot lose or fail them."""
    from assessments import reminders

    reminders.notify_published(rollup_ids)


@transaction.atomic(durable=True)
def rollup_publish(*, actor, rollup: QuarterRollup) -> QuarterRollup:
    """Publish a reviewed final result: it is locked from now on and its subject's people are notified."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    _publish(actor, rollup, timezone.now())
    ensure_editable(actor, rollup)
    _after_publish([rollup.pk])
    return rollup


@transaction.atomic(durable=True)
def rollup_publish_quarter(*, actor, year: int, quarter: int) -> dict:
    """Publish every result of a quarter in the reviewer's subtree that is final and fully scored; the others are
    left as they are and counted."""
    if not may_request_rollup(actor):
        raise PermissionDenied
    now = timezone.now()
    candidates = list(
        QuarterRollup.objects.editable_by(actor)
        .filter(year=year, quarter=quarter, status=QuarterRollup.Status.FINAL)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    published, skipped = [], 0
    for rollup in candidates:
        try:
            _publish(actor, rollup, now)
        except ValidationError:
            skipped += 1
            continue
        published.append(rollup.pk)
    if published:
        _after_publish(published)
    return {"published": len(published), "skipped": skipped}


@transaction.atomic(durable=True)
def rollup_unpublish(*, actor, rollup: QuarterRollup) -> QuarterRollup:
    """Admins only: reopen a published result (back to final) to correct it; it must be published again."""
    if not get_scope(actor).is_superuser:
        raise PermissionDenied
    rollup = QuarterRollup.objects.select_for_update().get(pk=rollup.pk)
    if rollup.status != QuarterRollup.Status.PUBLISHED:
        raise ValidationError(_("This result is not published."), code="state")
    rollup.status = QuarterRollup.Status.FINAL
    rollup._history_user = actor
    rollup.save(update_fields=["status"])
    review = Review.objects.filter(rollup=rollup).first()
    if review:
        review.published_at = None
        review.published_by = None
        review._history_user = actor
        review.save(update_fields=["published_at", "published_by"])
    return rollup
