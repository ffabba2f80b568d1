"""What 党建+业务 adds to the committee's home page (工作台): the key projects it oversees by schedule status
(超前 / 按计划 / 滞后) and the most lagging ones with their days behind. Two queries, whatever the number of
projects."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from activities.selectors import business as selectors
from portal.home import register_panel
from portal.scoping import get_scope


@register_panel(7)
def project_schedules(user) -> dict | None:
    """Reviewers (and admins): the projects they see, by schedule status; nothing when there are no projects."""
    scope = get_scope(user)
    if not scope.reviewer_paths and not scope.is_superuser:
        return None
    overview = selectors.schedule_overview(user)
    if not any(overview["counts"].values()):
        return None
    return {
        "template": "activities/projects/panel_schedules.html",
        "title": _("Key projects by schedule"),
        **overview,
    }
