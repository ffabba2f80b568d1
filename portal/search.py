"""Scoped JSON search endpoints for the search-as-you-type selects (portal/widgets.py, DESIGN.md §9).

``GET /search/<kind>/?purpose=<purpose>&q=<text>`` answers ``{"results": [{"id", "text"}, …], "more": bool}`` with
at most ``LIMIT`` rows, taken from the SAME scoped queryset the form field or filter validates against (each purpose
names the selector its field uses), with the same labels. Unknown kinds or purposes, and users with no scope at all,
get 404; a user sees only the rows their scope allows (another branch's secretary finds none of yours).

A registry: each app registers the purposes of its own data in its ``search.py`` (imported by ``autodiscover``, so
portal never imports a domain app)::

    register("organizations", "items", action_items.party_organizations, ORGANIZATION_FIELDS)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404, JsonResponse
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.http import require_GET

from portal.scoping import get_scope
from portal.webhooks.selectors import manageable_organizations

LIMIT = 20
MAX_QUERY = 100

# The fields a kind is searched on (icontains, OR-ed).
ORGANIZATION_FIELDS = ("name", "short_name")
AGREEMENT_FIELDS = ("number", "title")
USER_FIELDS = ("username", "first_name", "last_name")

# Words users say for one thing (GLOSSARY.md): the UI says the first; a search for any of them finds them all.
SYNONYMS = (("红旗责任区", "红色责任区", "党员责任区"),)


def spellings(text: str) -> list[str]:
    """``text`` and the same words as users also write them: "红色责任区" also looks for "红旗责任区"."""
    found = [text]
    for group in SYNONYMS:
        for word in group:
            if word in text:
                found += [text.replace(word, other) for other in group if other != word]
    return list(dict.fromkeys(found))


def icontains_any(fields: Iterable[str], text: str) -> Q:
    """Rows where any of ``fields`` contains ``text`` or one of its ``spellings`` (case-insensitive)."""
    return reduce(or_, (Q(**{f"{name}__icontains": variant}) for name in fields for variant in spellings(text)))


@dataclass(frozen=True)
class Purpose:
    queryset: Callable[[object], QuerySet]  # user → the scoped queryset the field validates against
    fields: tuple[str, ...]  # searched with icontains, OR-ed
    label: Callable[[object], str] = str


_PURPOSES: dict[tuple[str, str], Purpose] = {}


def register(kind: str, purpose: str, queryset: Callable[[object], QuerySet], fields, label=str) -> None:
    """Offer ``/search/<kind>/?purpose=<purpose>``: rows of ``queryset(user)`` whose ``fields`` hold the words."""
    _PURPOSES[(kind, purpose)] = Purpose(queryset, tuple(fields), label)


def autodiscover() -> None:
    autodiscover_modules("search")


def purpose_for(kind: str, purpose: str) -> Purpose:
    try:
        return _PURPOSES[(kind, purpose)]
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


# The portal's own: the organizations whose group robots the user may set up (the robot form).
register("organizations", "webhooks", lambda user: manageable_organizations(user).order_by("path"), ORGANIZATION_FIELDS)
