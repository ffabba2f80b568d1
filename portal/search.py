"""Scoped JSON search endpoints for the search-as-you-type selects (portal/widgets.py, DESIGN.md §9).

``GET /search/<kind>/?purpose=<purpose>&q=<text>`` answers ``{"results": [{"id", "text"}, …], "more": bool}`` with
at most ``LIMIT`` rows, taken from the SAME scoped queryset the form field or filter validates against (each purpose
names the selector its field uses), with the same labels. Unknown kinds or purposes, and users with no scope at all,
get 404; a user sees only the rows their scope allows (another branch's secretary finds none of yours).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from portal.names import display_name
from portal.scoping import get_scope

LIMIT = 20
MAX_QUERY = 100


@dataclass(frozen=True)
class Purpose:
    queryset: Callable[[object], QuerySet]  # user → the scoped queryset the field validates against
    fields: tuple[str, ...]  # searched with icontains, OR-ed
    label: Callable[[object], str] = str


def _purposes() -> dict[tuple[str, str], Purpose]:
    # Imported here: the selectors live in apps that import portal.
    from activities.selectors import activities as activity_selectors
    from activities.selectors import calendar as calendar_selectors
    from activities.selectors import plans as plan_selectors
    from activities.selectors import projects as project_selectors
    from partnerships.models import Organization
    from partnerships.selectors import action_items as item_selectors
    from partnerships.selectors import agreements as agreement_selectors
    from partnerships.selectors import directory as directory_selectors
    from portal.webhooks import manageable_organizations

    org_fields = ("name", "short_name")
    agreement_fields = ("number", "title")
    user_fields = ("username", "first_name", "last_name")
    return {
        # list filters
        ("organizations", "items"): Purpose(item_selectors.party_organizations, org_fields),
        ("organizations", "agreements"): Purpose(agreement_selectors.agreement_party_organizations, org_fields),
        ("organizations", "roster"): Purpose(directory_selectors.roster_organizations, org_fields),
        ("organizations", "activities"): Purpose(activity_selectors.ledger_organizations, org_fields),
        ("agreements", "items"): Purpose(item_selectors.raisable_agreements, agreement_fields),
        ("agreements", "plans"): Purpose(plan_selectors.plan_agreements, agreement_fields),
        ("agreements", "activities"): Purpose(activity_selectors.ledger_agreements, agreement_fields),
        ("organizations", "calendar"): Purpose(calendar_selectors.calendar_organizations, org_fields),
        ("agreements", "calendar"): Purpose(calendar_selectors.calendar_agreements, agreement_fields),
        # forms
        ("organizations", "all"): Purpose(lambda user: Organization.objects.order_by("path"), org_fields),
        ("organizations", "parents"): Purpose(directory_selectors.organization_creatable_parents, org_fields),
        ("organizations", "roster-write"): Purpose(directory_selectors.roster_writable_organizations, org_fields),
        ("organizations", "webhooks"): Purpose(
            lambda user: manageable_organizations(user).order_by("path"), org_fields
        ),
        ("agreements", "plannable"): Purpose(plan_selectors.plannable_agreements, agreement_fields),
        ("agreements", "projects"): Purpose(project_selectors.creatable_agreements, agreement_fields),
        ("users", "liaisons"): Purpose(
            lambda user: agreement_selectors.liaison_candidates(),
            user_fields,
            display_name,
        ),
    }


def purpose_for(kind: str, purpose: str) -> Purpose:
    try:
        return _purposes()[(kind, purpose)]
    except KeyError:
        raise Http404 from None


def search(user, kind: str, purpose: str, query: str) -> tuple[list[dict], bool]:
    entry = purpose_for(kind, purpose)
    queryset = entry.queryset(user)
    words = query.split()[:5]
    for word in words:
        condition = Q()
        for name in entry.fields:
            condition |= Q(**{f"{name}__icontains": word})
        queryset = queryset.filter(condition)
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    rows = list(queryset[: LIMIT + 1])
    return [{"id": row.pk, "text": entry.label(row)} for row in rows[:LIMIT]], len(rows) > LIMIT


@require_GET
def search_view(request, kind: str):
    scope = get_scope(request.user)
    if not scope.is_superuser and not scope.roles and not scope.reviewer_paths:
        raise Http404
    query = request.GET.get("q", "")[:MAX_QUERY]
    results, more = search(request.user, kind, request.GET.get("purpose", ""), query)
    return JsonResponse({"results": results, "more": more}, json_dumps_params={"ensure_ascii": False})
