"""Every write to yearly joint activity plans (党建共建活动计划): create a plan, edit it with its rows, rotate hosts.

A plan belongs to one agreement and one year; its rows (``PlannedActivity``) name a theme, a type, a planned month,
a lead unit and co-organizing units, all of them parties of the agreement. Any party's secretary or liaison keeps
the plan (``ActivityPlan.scope_editable_q``); reviewers only read it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activities.models import ActivityPlan, PlannedActivity
from activities.rules import may_plan, plan_row_errors
from activities.selectors.plans import agreement_parties, plan_rows_as_data, rotate_hosts
from partnerships.models import Agreement, Organization
from portal.scoping import ensure_editable

PLAN_FIELDS = ("year", "title", "notes")
ROW_FIELDS = ("month", "theme", "content", "type", "lead")


# --- rules shared with the forms ------------------------------------------------------------------------------


def _year_errors(agreement: Agreement, year, plan: ActivityPlan | None = None) -> dict[str, list[str]]:
    if year is None:
        return {"year": [_("Enter the year of the plan.")]}
    year = int(year)
    if not agreement.term_start.year <= year <= agreement.term_end.year:
        return {
            "year": [
                _("The agreement's term (%(start)s to %(end)s) does not cover %(year)s.")
                % {"start": agreement.term_start.isoformat(), "end": agreement.term_end.isoformat(), "year": year}
            ]
        }
    clash = ActivityPlan.objects.filter(agreement=agreement, year=year)
    if plan is not None:
        clash = clash.exclude(pk=plan.pk)
    if clash.exists():
        return {"year": [_("This agreement already has a plan for that year.")]}
    return {}


def _merge(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def _rows_errors(rows: Sequence[dict], parties: Sequence[Organization]) -> dict[str, list[str]]:
    """The row errors flattened under ``rows`` (a caller without the formset still gets every message)."""
    by_row = plan_row_errors(rows, parties)
    messages = []
    for index in sorted(by_row):
        for field_messages in by_row[index].values():
            messages.extend(
                _("Row %(n)s: %(message)s") % {"n": index + 1, "message": message} for message in field_messages
            )
    return {"rows": messages} if messages else {}


def _default_title(agreement: Agreement, year: int) -> str:
    return (_("%(year)s joint activity plan: %(agreement)s") % {"year": year, "agreement": agreement.title})[:120]


def _write_rows(plan: ActivityPlan, rows: Sequence[dict]) -> None:
    """Make the plan's rows exactly ``rows``: rows with an ``id`` are updated, others created, the rest removed."""
    existing = {row.pk: row for row in plan.rows.all()}
    wanted = {row["id"] for row in rows if row.get("id")}
    unknown = wanted - set(existing)
    if unknown:
        raise ValidationError({"rows": [_("A row of this plan was not found; reload the page and try again.")]})
    leaving = [row for pk, row in existing.items() if pk not in wanted]
    if leaving:
        # An activity held under a row is the row's record of completion: keep the row while it has one.
        busy = set(
            PlannedActivity.objects.filter(pk__in=[row.pk for row in leaving], activities__isnull=False).values_list(
                "theme", flat=True
            )
        )
        if busy:
            raise ValidationError(
                {
                    "rows": [
                        _("%(themes)s already have activities scheduled and cannot be removed.")
                        % {"themes": "、".join(f"“{theme}”" for theme in sorted(busy))}
                    ]
                }
            )
        PlannedActivity.objects.filter(pk__in=[row.pk for row in leaving]).delete()
    for order, data in enumerate(rows):
        row = existing.get(data.get("id")) or PlannedActivity(plan=plan)
        for field in ROW_FIELDS:
            setattr(row, field, data.get(field) if field != "content" else (data.get(field) or ""))
        row.theme = (row.theme or "").strip()
        row.order = order
        row.full_clean(exclude=["plan"])
        row.save()
        row.co_organizers.set(list(data.get("co_organizers") or ()))


def _lock(plan: ActivityPlan) -> ActivityPlan:
    return ActivityPlan.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=plan.pk)


# --- services ------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def activity_plan_create(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    year: int,
    title: str = "",
    notes: str = "",
    rows: Sequence[dict] = (),
    rotate: bool = False,
) -> ActivityPlan:
    """Create the yearly plan of an agreement (one per agreement and year), optionally with its rows.

    The actor is a secretary or liaison of one of the parties (or an admin). The year lies within the agreement's
    term. ``rows`` are dicts with ``month``, ``theme``, ``content``, ``type``, ``lead`` and ``co_organizers``;
    ``rotate`` fills the leads in turn from the parties (轮流举办). A blank title becomes "<year> joint activity plan".
    """
    if agreement is None or not may_plan(actor, agreement):
        raise PermissionDenied
    parties = agreement_parties(agreement)
    rows = rotate_hosts(rows, parties) if rotate else list(rows)
    errors = _merge(_year_errors(agreement, year), _rows_errors(rows, parties))
    title = (title or "").strip() or (_default_title(agreement, int(year)) if year else "")
    plan = ActivityPlan(agreement=agreement, year=year, title=title, notes=notes or "", created_by=actor)
    try:
        plan.full_clean(exclude=["created_by"], validate_constraints=not errors.get("year"))
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)
    plan._history_user = actor
    plan.save()
    _write_rows(plan, rows)
    ensure_editable(actor, plan)
    return plan


@transaction.atomic(durable=True)
def activity_plan_update(
    *,
    actor: AbstractBaseUser,
    plan: ActivityPlan,
    rows: Sequence[dict] | None = None,
    rotate: bool = False,
    **fields,
) -> ActivityPlan:
    """Edit a plan's ``year``, ``title`` and ``notes`` and, when given, its rows (the full new list).

    Row dicts carrying the ``id`` of an existing row update it; rows left out are removed, unless activities were
    already scheduled under them (then nothing is saved). ``rotate`` re-assigns every row's lead in turn from the
    parties in month order, the other parties becoming its co-organizers (轮流举办).
    """
    ensure_editable(actor, plan)
    plan = _lock(plan)
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    for key, value in fields.items():
        if key in ("title", "notes"):
            value = (value or "").strip()
        setattr(plan, key, value)
    parties = agreement_parties(plan.agreement)
    if rows is None and rotate:
        rows = plan_rows_as_data(plan)
    if rows is not None:
        rows = rotate_hosts(rows, parties) if rotate else list(rows)
    errors = _merge(
        _year_errors(plan.agreement, plan.year, plan), _rows_errors(rows, parties) if rows is not None else {}
    )
    if not plan.title and plan.year:
        plan.title = _default_title(plan.agreement, int(plan.year))
    try:
        plan.full_clean(exclude=["created_by"], validate_constraints=not errors.get("year"))
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)
    plan._history_user = actor
    plan.save()
    if rows is not None:
        _write_rows(plan, rows)
    ensure_editable(actor, plan)
    return plan
