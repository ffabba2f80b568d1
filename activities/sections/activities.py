"""Home panels and page sections contributed by the activities area: the secretary's panel on the home page
(工作台) and an agreement's latest activities on its page."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.rules import may_create_activities
from activities.selectors import activities as selectors
from partnerships.models import AgreementParty
from portal.home import register_panel, register_section
from portal.scoping import ROLE_SECRETARY, get_scope

LATEST = 10
AWAITING_SHOWN = 5


@register_section("agreement_detail", 40)
def agreement_activity_section(user, agreement) -> dict | None:
    """The agreement's latest activities, a link to the ledger filtered by it, and "new activity" for the parties'
    secretaries."""
    if agreement is None:
        return None
    section = {
        "template": "activities/activities/section.html",
        "title": _("Activities"),
        "activities": selectors.agreement_activities(agreement, LATEST),
        "ledger_url": f"{reverse('activities:activity_list')}?agreement={agreement.pk}",
    }
    scope = get_scope(user)
    may_lead = scope.is_superuser or (
        may_create_activities(user)
        and AgreementParty.objects.filter(agreement=agreement)
        .filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY))
        .exists()
    )
    if may_lead:
        section["action_url"] = f"{reverse('activities:activity_create')}?agreement={agreement.pk}"
        section["action_label"] = _("Schedule an activity")
    return section


@register_panel(3)
def secretary_activities(user) -> dict | None:
    """Secretaries: this week's activities of their organizations, the ones held but not logged yet, and a big
    "log an activity" button. Three queries whatever the numbers."""
    org_ids = selectors.secretary_org_ids(user)
    if not org_ids:
        return None
    today = timezone.localdate()
    start, end = selectors.week_bounds(today)
    awaiting = selectors.awaiting_log_for_orgs(org_ids)
    return {
        "template": "activities/home/activities.html",
        "title": _("Activities"),
        "week": list(selectors.week_activities(user, today)),
        "week_start": timezone.localdate(start),
        "week_end": timezone.localdate(end) - dt.timedelta(days=1),
        "awaiting": list(awaiting[:AWAITING_SHOWN]),
        "awaiting_count": awaiting.count(),
    }
