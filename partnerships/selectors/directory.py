"""Composed reads for organizations and the roster."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from partnerships.models import Member, Organization
from portal.scoping import ROLE_SECRETARY, get_scope


def roster_organizations(user) -> QuerySet[Organization]:
    """Organizations whose roster the user may read: their own, and their committees' subtrees."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    if scope.is_anonymous:
        return Organization.objects.none()
    return Organization.objects.filter(scope.in_orgs_q("pk") | scope.subtree_q("path"))


def roster_writable_organizations(user) -> QuerySet[Organization]:
    """Organizations whose roster the user may change: where they are secretary (admins: all)."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(scope.in_orgs_q("pk", ROLE_SECRETARY))


def organization_creatable_parents(user) -> QuerySet[Organization]:
    """Organizations under which the user may add a child organization."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(scope.subtree_q("path"))


def member_list(user) -> QuerySet[Member]:
    """The roster rows the user may read, with organization joined and phone visibility annotated."""
    return (
        Member.objects.visible_to(user)
        .with_phone_visibility(user)
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )


def roster_summary(organizations: QuerySet[Organization]) -> dict:
    """Head counts by party status across the given organizations, in one query."""
    statuses = Member.Status
    counts = Member.objects.filter(organization__in=organizations).aggregate(
        total=Count("pk", filter=~Q(status=statuses.TRANSFERRED_OUT)),
        full=Count("pk", filter=Q(status=statuses.FULL)),
        probationary=Count("pk", filter=Q(status=statuses.PROBATIONARY)),
        activist=Count("pk", filter=Q(status=statuses.ACTIVIST)),
    )
    return counts


def organizations_with_member_counts(organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate each organization with its active member count (one query, no per-row count)."""
    return organizations.annotate(
        member_count=Count("members", filter=~Q(members__status=Member.Status.TRANSFERRED_OUT))
    )


def directory_summary(organizations: QuerySet[Organization]) -> dict:
    """Organization counts by kind, for the home page."""
    rows = organizations.order_by().values("kind").annotate(n=Count("pk"))
    by_kind = {row["kind"]: row["n"] for row in rows}
    return {
        "total": sum(by_kind.values()),
        "by_kind": [(label, by_kind.get(value, 0)) for value, label in Organization.Kind.choices if by_kind.get(value)],
    }
