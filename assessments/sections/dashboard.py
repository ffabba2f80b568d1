"""Dashboard panels: the committee's home panel (the latest quarter's best and last three branches) and the last
four quarters' results on an organization's and an agreement's page. Each reads a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessments.selectors import quarters as quarter_selectors
from assessments.selectors import rollups as rollup_selectors
from portal.home import register_panel, register_section
from portal.scoping import get_scope


@register_panel(15)
def committee_results(user) -> dict | None:
    """Reviewers (and admins): the latest quarter's top and bottom three branches, with a link to the dashboard."""
    scope = get_scope(user)
    if not scope.reviewer_paths and not scope.is_superuser:
        return None
    podium = rollup_selectors.podium(user)
    return {
        "template": "assessments/dashboard/home_panel.html",
        "title": _("Quarterly assessment"),
        "podium": podium,
        "dashboard_url": reverse("assessments:dashboard"),
    }


def _results_section(user, **subject) -> dict | None:
    rollups = rollup_selectors.recent_rollups(user, **subject)
    if not rollups:
        return None
    for rollup in rollups:
        rollup.label = quarter_selectors.quarter_label(rollup.year, rollup.quarter)
    return {
        "template": "assessments/dashboard/section_results.html",
        "title": _("Quarterly assessment results"),
        "rollups": rollups,
        "action_url": reverse("assessments:dashboard"),
        "action_label": _("Assessment dashboard"),
    }


@register_section("organization_detail", 60)
def organization_results(user, organization) -> dict | None:
    """The organization's last four quarters, as far as the viewer may see them (nothing for others)."""
    if organization is None:
        return None
    return _results_section(user, organization=organization)


@register_section("agreement_detail", 60)
def agreement_results(user, agreement) -> dict | None:
    if agreement is None:
        return None
    return _results_section(user, agreement=agreement)
