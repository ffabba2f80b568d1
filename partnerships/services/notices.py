"""Event notices of the partnerships app: who hears of what happens to action items and joint meetings.

The services call these functions inside their transactions; each records one notice through
``portal.sweep.notify_event`` (rows unique per kind, object, recipient and occurrence, delivered by the sweep on
every channel, never to the actor). The kinds are registered in ``partnerships/reminders.py`` with the reminders,
so they appear on the preference and robot pages.

Action items: a new item reaches the responsible party (its liaisons — the people holding the liaison role and the
liaison the agreement names for it, or its secretaries when it has none — and the responsible person); a closure
awaiting confirmation reaches those who may confirm it (``ActionItem.objects.confirmer_rights``: the other parties'
liaisons and the deciding meeting's host); a confirmation or a send-back reaches the responsible party again, and so
does a joint meeting's ruling on an open item (closed, extended or reassigned — a reassignment reaches the former
party too).

Joint meetings: scheduled, changed, cancelled and minutes published reach the attendees and the parties'
secretaries and liaisons. Meeting notices (and the day-before reminder) carry the meeting's calendar entry as an
``.ics`` file: one UID per meeting, SEQUENCE its revision, so a changed meeting updates the entry and a cancelled one
removes it (METHOD:CANCEL); the entry itself is built by ``selectors.meetings.meeting_ics``.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerships.models import ActionItem, ActionItemUpdate, AgreementParty, JointMeeting, Pairing
from portal.reminders import unique_users, users_by_organization
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY
from portal.sweep import notify_event

ITEM_ASSIGNED = "action_item.assigned"
ITEM_AWAITING_CONFIRMATION = "action_item.awaiting_confirmation"
ITEM_CONFIRMED = "action_item.confirmed"
ITEM_SENT_BACK = "action_item.sent_back"
ITEM_RULED = "action_item.ruled"
MEETING_SCHEDULED = "meeting.scheduled"
MEETING_CHANGED = "meeting.changed"
MEETING_CANCELLED = "meeting.cancelled"
MINUTES_PUBLISHED = "meeting.minutes_published"
PAIRING_PROPOSED = "pairing.proposed"
PAIRING_DECIDED = "pairing.decided"


def _name(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- recipients ----------------------------------------------------------------------------------------------


def responsible_people(item: ActionItem) -> list:
    """The responsible party's liaisons (its secretaries when it has none) and the responsible person."""
    org = item.responsible_party_id
    liaisons = users_by_organization([org], (ROLE_LIAISON,)).get(org, [])
    named = AgreementParty.objects.filter(agreement_id=item.agreement_id, organization_id=org, liaison__isnull=False)
    people = unique_users(liaisons, [party.liaison for party in named.select_related("liaison")])
    if not people:
        people = users_by_organization([org], (ROLE_SECRETARY,)).get(org, [])
    return unique_users(people, [item.responsible_person])


def confirmers(item: ActionItem) -> list:
    """Who rules on the item's closure: the other parties' liaisons and, for an item a meeting decided, the host's
    secretaries and liaisons (unless the host is the responsible party) — the same rule as ``confirmer_rights``."""
    others = set(
        AgreementParty.objects.filter(agreement_id=item.agreement_id)
        .exclude(organization_id=item.responsible_party_id)
        .values_list("organization_id", flat=True)
    )
    groups = list(users_by_organization(others, (ROLE_LIAISON,)).values())
    host_id = item.decision.meeting.host_id if item.decision_id else None
    if host_id and host_id != item.responsible_party_id:
        groups += list(users_by_organization([host_id], (ROLE_SECRETARY, ROLE_LIAISON)).values())
    if item.partner_id and item.partner_id != item.responsible_party_id:
        groups += list(users_by_organization([item.partner_id], (ROLE_SECRETARY, ROLE_LIAISON)).values())
    return unique_users(*groups)


def meeting_people(meeting: JointMeeting, *also) -> list:
    """The attendees and every party's secretaries and liaisons (the agreement's named liaisons included)."""
    parties = list(AgreementParty.objects.filter(agreement_id=meeting.agreement_id).select_related("liaison"))
    officers = users_by_organization({party.organization_id for party in parties}, (ROLE_SECRETARY, ROLE_LIAISON))
    return unique_users(
        meeting.attendees.filter(is_active=True),
        *officers.values(),
        [party.liaison for party in parties],
        *also,
    )


# --- action items --------------------------------------------------------------------------------------------


def _in_site_language(builder):
    """A notice is written in the site's language, whoever's request sends it."""

    @functools.wraps(builder)
    def build(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return builder(*args, **kwargs)

    return build


def _notice(kind: str, *, actor, target, occurrence: str, recipients, title, body) -> int:
    """One notice about ``target`` (an action item or a meeting), linking to its page."""
    return notify_event(
        kind,
        actor=actor,
        target=target,
        occurrence=occurrence,
        recipients=recipients,
        title=title,
        body=body,
        url=target.get_absolute_url(),
    )


@_in_site_language
def item_assigned(*, actor, item: ActionItem) -> int:
    return _notice(
        ITEM_ASSIGNED,
        actor=actor,
        target=item,
        occurrence="created",
        recipients=responsible_people(item),
        title=_("New action item for %(party)s: %(title)s")
        % {"party": item.responsible_party.name, "title": item.title},
        body=_("Agreement: %(agreement)s. Due on %(due)s. Raised by %(actor)s.")
        % {"agreement": item.agreement.title, "due": item.due_on.isoformat(), "actor": _name(actor)},
    )


@_in_site_language
def item_awaiting_confirmation(*, actor, item: ActionItem, update: ActionItemUpdate) -> int:
    return _notice(
        ITEM_AWAITING_CONFIRMATION,
        actor=actor,
        target=item,
        occurrence=f"update:{update.pk}",
        recipients=confirmers(item),
        title=_("Closure awaits your confirmation: %(title)s") % {"title": item.title},
        body=_("%(party)s submitted the item for closure: %(note)s")
        % {"party": item.responsible_party.name, "note": update.note},
    )


@_in_site_language
def item_confirmed(*, actor, item: ActionItem, update: ActionItemUpdate) -> int:
    body = _("%(actor)s confirmed that the item is done.") % {"actor": _name(actor)}
    if update.note:
        body = f"{body} {update.note}"
    return _notice(
        ITEM_CONFIRMED,
        actor=actor,
        target=item,
        occurrence=f"update:{update.pk}",
        recipients=responsible_people(item),
        title=_("Closure confirmed: %(title)s") % {"title": item.title},
        body=body,
    )


@_in_site_language
def item_ruled(*, actor, item: ActionItem, update: ActionItemUpdate, former=None) -> int:
    """A joint meeting ruled on the item (``update`` holds what it decided); ``former``: the item before a
    reassignment, whose party hears of it too."""
    recipients = unique_users(responsible_people(item), responsible_people(former) if former is not None else [])
    return _notice(
        ITEM_RULED,
        actor=actor,
        target=item,
        occurrence=f"update:{update.pk}",
        recipients=recipients,
        title=_("Joint meeting ruling: %(title)s") % {"title": item.title},
        body=update.note,
    )


@_in_site_language
def item_sent_back(*, actor, item: ActionItem, update: ActionItemUpdate) -> int:
    return _notice(
        ITEM_SENT_BACK,
        actor=actor,
        target=item,
        occurrence=f"update:{update.pk}",
        recipients=responsible_people(item),
        title=_("Closure sent back: %(title)s") % {"title": item.title},
        body=_("%(actor)s sent the item back: %(reason)s") % {"actor": _name(actor), "reason": update.note},
    )


# --- pairings (资源对接 / 认领需求) -------------------------------------------------------------------------------


def _officers(org_id: int) -> list:
    return unique_users(*users_by_organization([org_id], (ROLE_SECRETARY, ROLE_LIAISON)).values())


@_in_site_language
def pairing_proposed(*, actor, pairing: Pairing) -> int:
    """An offer or a claim reaches the need's organization (its secretaries and liaisons)."""
    need = pairing.need
    if pairing.resource_id:
        title = _("%(org)s offers “%(resource)s” for your need: %(need)s") % {
            "org": pairing.offered_by.name,
            "resource": pairing.resource.title,
            "need": need.title,
        }
    else:
        title = _("%(org)s claims your need: %(need)s") % {"org": pairing.offered_by.name, "need": need.title}
    return _notice(
        PAIRING_PROPOSED,
        actor=actor,
        target=need,
        occurrence=f"pairing:{pairing.pk}",
        recipients=_officers(need.organization_id),
        title=title,
        body=pairing.note or _("Accept or decline it on the need's page."),
    )


@_in_site_language
def pairing_decided(*, actor, pairing: Pairing) -> int:
    """An acceptance or a refusal reaches the offering organization (its secretaries and liaisons)."""
    need = pairing.need
    if pairing.status == Pairing.Status.ACCEPTED:
        title = _("Your offer was accepted; a joint project starts: %(need)s") % {"need": need.title}
        body = _("Joint project: %(project)s.") % {"project": pairing.action_item.title}
    else:
        title = _("Your offer was declined: %(need)s") % {"need": need.title}
        body = _("Reason: %(reason)s") % {"reason": pairing.decline_reason}
    return _notice(
        PAIRING_DECIDED,
        actor=actor,
        target=need,
        occurrence=f"pairing:{pairing.pk}:{pairing.status}",
        recipients=_officers(pairing.offered_by_id),
        title=title,
        body=body,
    )


# --- joint meetings ------------------------------------------------------------------------------------------


def _meeting_facts(meeting: JointMeeting) -> str:
    return _("Time: %(when)s. Place: %(place)s. Host: %(host)s.") % {
        "when": _when(meeting.starts_at),
        "place": meeting.place,
        "host": meeting.host.name,
    }


def describe_meeting(meeting: JointMeeting) -> str:
    """The meeting's title and facts as they stand (for the "before" part of a change notice)."""
    return f"{meeting.title}. {_meeting_facts(meeting)}"


@_in_site_language
def meeting_scheduled(*, actor, meeting: JointMeeting) -> int:
    return _notice(
        MEETING_SCHEDULED,
        actor=actor,
        target=meeting,
        occurrence="scheduled",
        recipients=meeting_people(meeting),
        title=_("Joint meeting scheduled for %(when)s: %(title)s")
        % {"when": _when(meeting.starts_at), "title": meeting.title},
        body=_meeting_facts(meeting),
    )


@_in_site_language
def meeting_changed(*, actor, meeting: JointMeeting, before: str, former_attendees=()) -> int:
    """``before`` describes the meeting as it was; attendees taken off the list hear of the change too."""
    body = _("Now: %(facts)s Before: %(before)s") % {"facts": _meeting_facts(meeting), "before": before}
    return _notice(
        MEETING_CHANGED,
        actor=actor,
        target=meeting,
        occurrence=f"revision:{meeting.revision}",
        recipients=meeting_people(meeting, former_attendees),
        title=_("Joint meeting changed: %(title)s") % {"title": meeting.title},
        body=body,
    )


@_in_site_language
def meeting_cancelled(*, actor, meeting: JointMeeting) -> int:
    return _notice(
        MEETING_CANCELLED,
        actor=actor,
        target=meeting,
        occurrence="cancelled",
        recipients=meeting_people(meeting),
        title=_("Joint meeting cancelled: %(title)s") % {"title": meeting.title},
        body=_("The meeting of %(when)s at %(place)s will not take place. Reason: %(reason)s")
        % {"when": _when(meeting.starts_at), "place": meeting.place, "reason": meeting.cancel_reason},
    )


@_in_site_language
def minutes_published(*, actor, meeting: JointMeeting) -> int:
    return _notice(
        MINUTES_PUBLISHED,
        actor=actor,
        target=meeting,
        occurrence=f"minutes:{meeting.minutes_version}",
        recipients=meeting_people(meeting),
        title=_("Minutes published for the meeting of %(date)s: %(title)s")
        % {"date": timezone.localdate(meeting.starts_at).isoformat(), "title": meeting.title},
        body=_("Published by %(actor)s. Read the minutes and the decisions in the portal.") % {"actor": _name(actor)},
    )


# --- the calendar entry ----------------------------------------------------------------------------------------
