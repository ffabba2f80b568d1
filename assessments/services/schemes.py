"""Writes to assessment schemes and their indicators: create, edit, activate, and the default scheme of a year."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assessments.models import AssessmentScheme, Indicator, IndicatorScore, QuarterRollup
from assessments.rules import AUTO, INDICATOR_FIELDS, MANUAL, indicator_rows_errors, may_edit_schemes, scheme_validate
from assessments.services.rollup_totals import rollup_subtotals_refresh, rollup_totals_refresh
from portal.scoping import ensure_editable

Cat = Indicator.Category

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
    existing = {i.pk: i for i in scheme.indicators.all()}
    scheme.name = (name or "").strip()
    scheme.notes = (notes or "").strip()
    removed = _update_checked(scheme, rows, existing)

    scheme._history_user = actor
    scheme.save(update_fields=["name", "notes", "updated_at"])
    _indicators_remove(actor, removed)
    regrouped = _indicators_save(actor, scheme, rows, existing)
    if regrouped:
        scored = IndicatorScore.objects.filter(indicator__in=regrouped).values("rollup_id")
        rollup_subtotals_refresh(QuarterRollup.objects.filter(pk__in=scored))
    scheme_validate(scheme)
    return scheme


def _update_checked(scheme: AssessmentScheme, rows: list[dict], existing: dict[int, Indicator]) -> list[Indicator]:
    """Every problem of the edit at once (``ValidationError``), before anything is written; else the indicators
    the edit removes."""
    general, by_row = indicator_rows_errors(rows)
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
    return removed


def _indicators_remove(actor, removed: list[Indicator]) -> None:
    """Remove indicators (none scored in a published result) with their scores; their results' totals follow."""
    if not removed:
        return
    unpublished = IndicatorScore.objects.filter(indicator__in=removed)
    affected = set(unpublished.values_list("rollup_id", flat=True))
    unpublished.delete()
    for indicator in removed:
        indicator._history_user = actor
        indicator.delete()
    if affected:
        rollup_totals_refresh(affected)


def _indicators_save(actor, scheme: AssessmentScheme, rows: list[dict], existing: dict[int, Indicator]) -> list[int]:
    """Update or add the rows' indicators in order (an unchanged one is not saved: no history row); return the
    scored indicators whose category or metric changed (their results' stored subtotals follow)."""
    regrouped = []
    try:
        with transaction.atomic():
            for order, row in enumerate(rows):
                indicator = existing.get(row.get("id")) or Indicator(scheme=scheme)
                before = {f: getattr(indicator, f) for f in (*INDICATOR_FIELDS, "order")}
                _indicator_assign(indicator, row, order)
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
    return regrouped


def _indicator_assign(indicator: Indicator, row: dict, order: int) -> None:
    for field in INDICATOR_FIELDS:
        value = row.get(field)
        if field in ("name", "description", "metric"):
            value = (value or "").strip()
        setattr(indicator, field, value if field != "is_deduction" else bool(value))
    indicator.order = order


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
