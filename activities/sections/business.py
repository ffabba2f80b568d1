"""What 党建+业务 adds to the committee's home page (工作台): the key projects it oversees by schedule status
(超前 / 按计划 / 滞后) and the most lagging ones with their days behind. Two queries, whatever the number of
projects."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from activities.selectors import business as selectors
from portal.home import register_panel
from portal.scoping import reviews_some_subtree


@register_panel(7, deferred="schedules", title=_("Key projects by schedule"), shown_to=reviews_some_subtree)
def project_schedules(user) -> dict | None:
    """Reviewers (and admins): the projects they see, by schedule status; nothing when there are no projects.
    Fetched after the page (one pass over every project the committee sees)."""
    if not reviews_some_subtree(user):
        return None
    overview = selectors.schedule_overview(user)
    if not any(overview["counts"].values()):
        return None
    return {
        "template": "activities/projects/panel_schedules.html",
        "title": _("Key projects by schedule"),
        **overview,
    }
