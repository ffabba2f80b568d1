"""The action items' section: a secretary's and liaison's 我的督办 counts on the home page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from partnerships.selectors.action_items import workspace_counts
from portal.home import register_panel
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope


@register_panel(5)
def my_action_items(user) -> dict | None:
    """Secretaries and liaisons: the 我的督办 counts, each linking to its tab of the workspace."""
    if not get_scope(user).org_ids(ROLE_SECRETARY, ROLE_LIAISON):
        return None
    return {
        "template": "partnerships/home/action_items.html",
        "title": _("My action items"),
        "counts": workspace_counts(user),
    }
