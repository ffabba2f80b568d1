"""Composed reads of yearly plans: the list with completion figures, a plan's rows with planned vs held."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from activities.models import Activity, ActivityPlan, PlannedActivity
from partnerships.models import Agreement, Organization
from portal.queries import correlated_count

# An activity counts towards its plan row once it has taken place.
DONE = (Activity.Status.HELD, Activity.Status.LOGGED)


@dataclass(frozen=True)
class Completion:
    """How many of a plan's rows have at least one held or logged activity."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def with_completion(queryset: QuerySet[ActivityPlan]) -> QuerySet[ActivityPlan]:
    """Annotate ``row_count`` and ``rows_done`` (rows with a held or logged activity): no query per plan.

    Correlated subqueries rather than a ``GROUP BY`` over the joined rows and activities: PostgreSQL evaluates them
    only for the plans a page shows (after the sort and the limit), so a page costs the same at 10 or 10,000 plans,
    and the list's count reads the plans alone.
    """
    rows = PlannedActivity.objects.filter(plan=OuterRef("pk"))
    held = Activity.objects.filter(plan_row=OuterRef("pk"), status__in=DONE)
    return queryset.annotate(
        row_count=correlated_count(rows, "plan"), rows_done=correlated_count(rows.filter(Exists(held)), "plan")
    )


def plan_list(user) -> QuerySet[ActivityPlan]:
    """The plans the user may see, newest year first, with their agreement and completion figures."""
    return with_completion(ActivityPlan.objects.visible_to(user).select_related("agreement")).order_by(
        "-year", "agreement__number", "pk"
    )


def agreement_plans(agreement: Agreement) -> list[ActivityPlan]:
    """An agreement's plans with completion figures (the agreement page's section): one query."""
    return list(with_completion(agreement.activity_plans.all()).order_by("-year", "pk"))


def plan_agreements(user) -> QuerySet[Agreement]:
    """Agreements visible to the user (the plan list's agreement filter)."""
    return Agreement.objects.visible_to(user).order_by("-term_start", "-pk")


def plan_rows(plan: ActivityPlan) -> list[PlannedActivity]:
    """The plan's rows in month order, each with ``scheduled`` (its activities) and ``held`` (how many took place).

    Three queries whatever the number of rows and activities: rows, co-organizers, activities.
    """
    activities = Activity.objects.select_related("type").order_by("starts_at", "pk")
    rows = list(
        plan.rows.select_related("type", "lead")
        .prefetch_related("co_organizers", Prefetch("activities", queryset=activities, to_attr="scheduled"))
        .order_by("month", "order", "pk")
    )
    for row in rows:
        row.held = sum(1 for activity in row.scheduled if activity.status in DONE)
    return rows


def completion(rows: list[PlannedActivity]) -> Completion:
    return Completion(done=sum(1 for row in rows if row.held), total=len(rows))


def plan_history(plan: ActivityPlan, limit: int = 30):
    return plan.history.select_related("history_user").order_by("-history_date")[:limit]


def plannable_agreements(actor):
    """Agreements the actor may plan for (the plan form's agreement choices)."""
    return Agreement.objects.editable_by(actor).order_by("-term_start", "-pk")


def agreement_parties(agreement: Agreement) -> list[Organization]:
    """The parties in the order hosts rotate: the initiating party first, then the others as they were added."""
    return list(
        Organization.objects.filter(agreement_parties__agreement=agreement).order_by(
            "agreement_parties__role", "agreement_parties__pk"
        )
    )


def rotate_hosts(rows: Sequence[dict], parties: Sequence[Organization]) -> list[dict]:
    """轮流举办: rows in month order get each party as lead in turn; the other parties co-organize.

    Returns new dicts in month order (the input order breaks ties), so the rows' ``order`` follows the rotation.
    """
    if not parties:
        return [dict(row) for row in rows]
    ordered = sorted(enumerate(rows), key=lambda pair: (pair[1].get("month") or 13, pair[0]))
    rotated = []
    for turn, (_index, row) in enumerate(ordered):
        lead = parties[turn % len(parties)]
        rotated.append({**row, "lead": lead, "co_organizers": [org for org in parties if org.pk != lead.pk]})
    return rotated


def plan_rows_as_data(plan: ActivityPlan) -> list[dict]:
    """The plan's current rows as the ``rows`` argument of ``activity_plan_update`` (in plan order)."""
    return [
        {
            "id": row.pk,
            "month": row.month,
            "theme": row.theme,
            "content": row.content,
            "type": row.type,
            "lead": row.lead,
            "co_organizers": list(row.co_organizers.all()),
        }
        for row in plan.rows.select_related("type", "lead")
        .prefetch_related("co_organizers")
        .order_by("month", "order", "pk")
    ]
