"""What the projects area adds to other pages: an organization's posts, teams and projects; an agreement's key
projects; and the secretaries' open zone findings on the home page (工作台). Each reads a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.rules import may_create_project
from activities.selectors import projects as selectors
from portal.home import register_panel, register_section
from portal.scoping import ROLE_SECRETARY, get_scope


@register_section("organization_detail", 30)
def organization_projects(user, organization) -> dict | None:
    """The organization's pioneer posts (current first), its teams and its key projects, as far as the viewer may
    see them; its secretary gets the "add" actions."""
    if organization is None:
        return None
    scope = get_scope(user)
    is_secretary = scope.is_superuser or organization.pk in scope.org_ids(ROLE_SECRETARY)
    work = selectors.organization_work(user, organization)
    if not (work["posts"] or work["teams"] or work["projects"] or is_secretary):
        return None
    section = {
        "template": "activities/projects/section_organization.html",
        "title": _("Pioneer posts, teams and key projects"),
        "organization": organization,
        "is_secretary": is_secretary,
        "can_create_project": is_secretary and may_create_project(user),
        "today": timezone.localdate(),
        **work,
    }
    if is_secretary:
        section["action_url"] = f"{reverse('activities:post_create')}?organization={organization.pk}"
        section["action_label"] = _("Add pioneer post")
    return section


@register_section("agreement_detail", 40)
def agreement_projects(user, agreement) -> dict | None:
    """The agreement's key projects with their zone counts; "new key project" for a party's secretary."""
    if agreement is None:
        return None
    projects = selectors.agreement_projects(user, agreement)
    can_create = may_create_project(user, agreement)
    if not projects and not can_create:
        return None
    section = {
        "template": "activities/projects/section_agreement.html",
        "title": _("Key projects"),
        "projects": projects,
    }
    if can_create:
        section["action_url"] = f"{reverse('activities:project_create')}?agreement={agreement.pk}"
        section["action_label"] = _("New key project")
    return section


@register_panel(4)
def zone_findings(user) -> dict | None:
    """Secretaries: open findings of the zones they keep (as zone lead or project owner), overdue ones marked."""
    if not get_scope(user).org_ids(ROLE_SECRETARY):
        return None
    return {
        "template": "activities/projects/panel_findings.html",
        "title": _("Open zone findings"),
        **selectors.kept_zone_findings(user),
    }
