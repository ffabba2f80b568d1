"""The dashboard's two views (branches, agreements): the results each scopes, a subject's name and link, name search."""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Coalesce, Collate, NullIf
from django.urls import reverse

from assessments.models import QuarterRollup
from portal.scoping import get_scope

ORGANIZATIONS, AGREEMENTS = "organizations", "agreements"
VIEWS = (ORGANIZATIONS, AGREEMENTS)


def _kind_q(view: str) -> Q:
    return Q(organization__isnull=False) if view == ORGANIZATIONS else Q(agreement__isnull=False)


def scoped_results(user, view: str):
    """The results of the view's kind the user sees: ``visible_to(user)`` on that kind, filtered on that kind's scope
    condition only (``QuarterRollup.scope_visible_kind_q``)."""
    scope = get_scope(user)
    if scope.is_anonymous:
        return QuarterRollup.objects.none()
    if scope.is_superuser:
        return QuarterRollup.objects.filter(_kind_q(view))
    kind = "organization" if view == ORGANIZATIONS else "agreement"
    return QuarterRollup.objects.filter(QuarterRollup.scope_visible_kind_q(scope, kind))


def subject_name(rollup: QuarterRollup) -> str:
    """The name of the result's subject: the branch's display name or the agreement's title."""
    return rollup.organization.display_name if rollup.organization_id else rollup.agreement.title


def subject_of(rollup: QuarterRollup) -> tuple[str, int, str]:
    if rollup.organization_id:
        org = rollup.organization
        return org.display_name, org.pk, reverse("partnerships:organization_detail", args=[org.pk])
    agreement = rollup.agreement
    return agreement.title, agreement.pk, reverse("partnerships:agreement_detail", args=[agreement.pk])


def name_expr(prefix: str = "", view: str | None = None):
    """The subject's name in SQL, as ``subject_name`` reads it: the branch's short name or name, or the title. With
    a ``view``, only that kind's columns (the other kind's table is not joined)."""
    if view == AGREEMENTS:
        return F(f"{prefix}agreement__title")
    names = [NullIf(f"{prefix}organization__short_name", Value("")), f"{prefix}organization__name"]
    if view != ORGANIZATIONS:
        names.append(f"{prefix}agreement__title")
    return Coalesce(*names, output_field=CharField())


# The chart label and code are read beside ``name`` in the ranking's statement, which Django wraps in an outer query
# to filter on its window functions; it keeps one column per distinct expression, so neither may repeat ``name`` or
# another column read with it (the columns would shift). ``subject_row`` falls back to the name for an empty label.


def short_expr(prefix: str = "", view: str | None = None):
    """The subject's short label for charts, where long names get cut: a branch's short name (empty without one:
    its name then), an agreement's brand (or, without one, its number). ``chart_labels`` adds the number where two
    brands coincide."""
    agreement = Coalesce(NullIf(f"{prefix}agreement__brand", Value("")), f"{prefix}agreement__number")
    if view == AGREEMENTS:
        return agreement
    if view == ORGANIZATIONS:
        return F(f"{prefix}organization__short_name")
    return Coalesce(NullIf(f"{prefix}organization__short_name", Value("")), agreement, output_field=CharField())


def code_expr(prefix: str = "", view: str | None = None):
    """The subject's code: an agreement's number; none for a branch (NULL, without joining the agreements)."""
    if view == ORGANIZATIONS:
        return NullIf(F(f"{prefix}subject"), F(f"{prefix}subject"))
    return F(f"{prefix}agreement__number")


def search_q(search: str, prefix: str = "", view: str | None = None) -> Q:
    if not search:
        return Q()
    found = Q()
    if view != AGREEMENTS:
        found |= Q(**{f"{prefix}organization__name__icontains": search})
        found |= Q(**{f"{prefix}organization__short_name__icontains": search})
    if view != ORGANIZATIONS:
        found |= Q(**{f"{prefix}agreement__title__icontains": search})
    return found


def bytewise(field: str):
    """``field`` compared byte by byte. The subject keys are ASCII (``org:12``), so this is the order Python sorts them
    in; PostgreSQL then compares them with ``memcmp`` rather than through the database's locale (ties on a total are
    the rule among thousands of results, so the tie-break runs for most comparisons of a ranking)."""
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")
