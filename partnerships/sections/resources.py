"""The partners' lists on an agreement's page: the parties' open needs and available resources (三张清单)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from partnerships.rules import list_keepers
from partnerships.selectors.resources import agreement_lists
from portal.home import register_section


@register_section("agreement_detail", 35)
def agreement_lists_section(user, agreement) -> dict | None:
    """The parties' open needs and resources, a few of each, with "publish a need" for those who keep a list."""
    if agreement is None:
        return None
    section = {
        "template": "partnerships/resources/section.html",
        "title": _("Needs and resources"),
        **agreement_lists(agreement),
    }
    if list_keepers(user).filter(agreement_parties__agreement=agreement).exists():
        section["action_url"] = reverse("partnerships:need_create")
        section["action_label"] = _("Publish a need")
    return section
