"""Home panels and page sections contributed by the plans area: an agreement's yearly plans on its page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from activities.rules import may_plan
from activities.selectors.plans import agreement_plans
from portal.home import register_section


@register_section("agreement_detail", 30)
def agreement_plan_section(user, agreement) -> dict | None:
    """The agreement's yearly plans (year, rows, completion), with "new plan" for those who keep its plans."""
    if agreement is None:
        return None
    section = {
        "template": "activities/plans/section.html",
        "title": _("Yearly activity plans"),
        "plans": agreement_plans(agreement),
    }
    if may_plan(user, agreement):
        section["action_url"] = f"{reverse('activities:plan_create')}?agreement={agreement.pk}"
        section["action_label"] = _("New plan")
    return section
