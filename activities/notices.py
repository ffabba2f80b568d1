"""Event notices about publicity items: a submitted item reaches its reviewers, a ruling reaches its author.

Called by ``activities.services.publicity`` inside its transactions; each records one notice through
``portal.sweep.notify_event`` (never to the actor, never twice for the same event). The kinds are registered in
``activities/reminders.py`` so they appear on the preference and robot pages.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from activities.models import COMMITTEE_KINDS, PublicityItem
from portal.reminders import users_by_organization
from portal.scoping import ROLE_REVIEWER, ROLE_SECRETARY
from portal.sweep import notify_event

PUBLICITY_SUBMITTED = "publicity.submitted"
PUBLICITY_RULED = "publicity.ruled"


def reviewers(item: PublicityItem) -> list:
    """The reviewing organization's secretaries, and its reviewers when it is at the committee level."""
    org = item.reviewer_org
    roles = (ROLE_SECRETARY, ROLE_REVIEWER) if org.kind in COMMITTEE_KINDS else (ROLE_SECRETARY,)
    return users_by_organization([org.pk], roles).get(org.pk, [])


def publicity_submitted(*, actor, item: PublicityItem) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        return notify_event(
            PUBLICITY_SUBMITTED,
            actor=actor,
            target=item,
            occurrence=f"submitted:{item.submitted_at.isoformat()}",
            recipients=reviewers(item),
            title=_("Publicity item to review: %(title)s") % {"title": item.title},
            body=_("Submitted by %(actor)s.") % {"actor": actor.get_full_name() or actor.get_username()},
            url=item.get_absolute_url(),
        )


def publicity_ruled(*, actor, item: PublicityItem) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        if item.status == PublicityItem.Status.APPROVED:
            title = _("Publicity item approved: %(title)s") % {"title": item.title}
            body = ""
        else:
            title = _("Publicity item returned: %(title)s") % {"title": item.title}
            body = _("Reason: %(reason)s") % {"reason": item.return_reason}
        return notify_event(
            PUBLICITY_RULED,
            actor=actor,
            target=item,
            occurrence=f"{item.status}:{item.reviewed_at.isoformat()}",
            recipients=[item.created_by] if item.created_by_id else [],
            title=title,
            body=body,
            url=item.get_absolute_url(),
        )
