"""The organizations' sections: a secretary's and liaison's own organizations, the committee's overview."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from partnerships.models import Organization
from partnerships.selectors import directory as selectors
from portal.home import register_panel
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope


@register_panel(10)
def my_branches(user) -> dict | None:
    """Secretaries and liaisons: the organizations they work for, with roster head counts."""
    scope = get_scope(user)
    org_ids = scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON)
    if not org_ids:
        return None
    organizations = list(
        selectors.organizations_with_member_counts(Organization.objects.filter(pk__in=org_ids)).order_by("path")
    )
    for org in organizations:
        org.my_roles = sorted(scope.roles.get(org.pk, ()))
        org.is_secretary = ROLE_SECRETARY in org.my_roles
    return {
        "template": "partnerships/home/my_organizations.html",
        "title": _("My organizations"),
        "organizations": organizations,
        "summary": selectors.roster_summary(Organization.objects.filter(pk__in=org_ids)),
    }


@register_panel(20)
def committee_overview(user) -> dict | None:
    """Reviewers (and admins): the subtree's organizations and roster, branch by branch."""
    scope = get_scope(user)
    if not scope.reviewer_paths and not scope.is_superuser:
        return None
    subtree = selectors.organization_creatable_parents(user)
    branches = (
        selectors.organizations_with_member_counts(
            subtree.filter(kind__in=[Organization.Kind.BRANCH, Organization.Kind.JOINT_BRANCH])
        )
        .order_by("path")
        .only("id", "name", "short_name", "kind", "path", "depth")
    )
    return {
        "template": "partnerships/home/committee_overview.html",
        "title": _("Organizations under review"),
        "directory": selectors.directory_summary(subtree),
        "roster": selectors.subtree_roster_summary(user),
        "branches": list(branches[:60]),
    }
