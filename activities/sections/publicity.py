"""The publicity to-do (待办) on the home page, and the brand links on agreement and organization pages.

The to-do shows, for those who review publicity items (the reviewing organizations' secretaries, the committees),
how many wait for their review, and for secretaries how many of their items came back returned — each a count
linking to the list. Two capped counts, whatever the numbers.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from activities.models import PublicityItem
from activities.rules import may_edit_branch_brand, may_see_branch_brand
from activities.selectors import publicity as selectors
from portal.home import register_panel, register_section
from portal.pagination import CheapCountPaginator
from portal.scoping import ROLE_REVIEWER, ROLE_SECRETARY, get_scope


def _list(tab: str) -> str:
    return f"{reverse('activities:publicity_list')}?{urlencode({'tab': tab})}"


@register_panel(2)
def publicity_todo(user) -> dict | None:
    scope = get_scope(user)
    if not (scope.is_superuser or scope.has_role(ROLE_SECRETARY, ROLE_REVIEWER)):
        return None
    awaiting = CheapCountPaginator(selectors.awaiting_review(user), 1)
    returned = CheapCountPaginator(
        PublicityItem.objects.editable_by(user).filter(status=PublicityItem.Status.RETURNED), 1
    )
    if not awaiting.count and not returned.count:
        return None
    return {
        "template": "activities/publicity/home_todo.html",
        "title": _("Publicity to do"),
        "cards": [
            {
                "key": "publicity_review",
                "label": _("Publicity items to review"),
                "count": awaiting.count,
                "capped": awaiting.capped,
                "url": _list("submitted"),
            },
            {
                "key": "publicity_returned",
                "label": _("Publicity items returned to you"),
                "count": returned.count,
                "capped": returned.capped,
                "url": _list("returned"),
            },
        ],
    }


@register_section("agreement_detail", 45)
def agreement_brand_section(user, agreement) -> dict | None:
    if agreement is None or not agreement.brand:
        return None
    return {
        "template": "activities/publicity/brand_link.html",
        "title": _("Brand"),
        "brand": agreement.brand,
        "url": reverse("activities:agreement_brand", args=[agreement.pk]),
    }


@register_section("organization_detail", 45)
def branch_brand_section(user, organization) -> dict | None:
    if organization is None or not may_see_branch_brand(user, organization):
        return None
    can_edit = may_edit_branch_brand(user, organization)
    if not organization.brand and not can_edit:
        return None
    return {
        "template": "activities/publicity/brand_link.html",
        "title": _("Distinctive brand"),
        "brand": organization.brand,
        "description": organization.brand_description,
        "url": reverse("activities:branch_brand", args=[organization.pk]) if organization.brand else "",
        "edit_url": reverse("activities:branch_brand_edit", args=[organization.pk]) if can_edit else "",
    }
