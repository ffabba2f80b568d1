"""What the partnerships app asks to be reminded of (registered with portal.reminders, discovered at start-up).

Action items (督办事项): due soon, due today, overdue (daily while open) and escalated to the committee reviewers
after a week overdue (督办升级); agreements expiring; joint meetings coming up (the day before, to the attendees, the
e-mail carrying the calendar entry); joint-meeting minutes not published a week after the meeting.
Each candidate function reads its objects and their recipients in a fixed number of queries.

The event notices (an item assigned, a closure to confirm, a meeting moved…) are written by
partnerships/services/notices.py; their kinds are registered here with the rest.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerships.models import ActionItem, Agreement, AgreementParty, JointMeeting, Need, Organization
from partnerships.rules import NEED_REMINDER_DAYS, WORKING
from partnerships.selectors.meetings import meeting_ics_attachment
from partnerships.services import notices
from portal.models import Membership
from portal.reminders import (
    LOOKBACK_DAYS,
    Candidate,
    at_local,
    register,
    register_event,
    unique_users,
    users_by_organization,
)
from portal.scoping import ROLE_LIAISON, ROLE_REVIEWER, ROLE_SECRETARY


def _items(**filters):
    return ActionItem.objects.filter(status__in=WORKING, **filters).select_related("responsible_person", "agreement")


def _item_recipients(items) -> dict[int, list]:
    """The responsible party's secretaries and liaisons, plus the responsible person, for each item."""
    people = users_by_organization({item.responsible_party_id for item in items}, (ROLE_SECRETARY, ROLE_LIAISON))
    return {
        item.pk: unique_users(people.get(item.responsible_party_id, []), [item.responsible_person]) for item in items
    }


def _item_candidates(items, occurrence, due_at, title) -> list[Candidate]:
    items = list(items)
    recipients = _item_recipients(items)
    return [
        Candidate(
            target=item,
            occurrence=occurrence(item),
            recipients=recipients[item.pk],
            due_at=due_at(item),
            title=title(item),
            body=_("Agreement: %(agreement)s. Due on %(due)s.")
            % {"agreement": item.agreement.title, "due": item.due_on.isoformat()},
            url=item.get_absolute_url(),
        )
        for item in items
    ]


def due_soon(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    days = max(rule.offset_days, 1)
    return _item_candidates(
        _items(due_on__gt=today, due_on__lte=today + dt.timedelta(days=days)),
        occurrence=lambda item: f"d-{days}:{item.due_on.isoformat()}",
        due_at=lambda item: at_local(item.due_on - dt.timedelta(days=days)),
        title=lambda item: _("Action item due on %(due)s: %(title)s") % {"due": item.due_on, "title": item.title},
    )


def due_today(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    return _item_candidates(
        _items(due_on=today),
        occurrence=lambda item: item.due_on.isoformat(),
        due_at=lambda item: at_local(item.due_on),
        title=lambda item: _("Action item due today: %(title)s") % {"title": item.title},
    )


def overdue(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    after = max(rule.offset_days, 1)

    def occurrence(item):
        # Daily: one reminder per day while it stays open; otherwise one per due date.
        return f"overdue:{today.isoformat()}" if rule.repeat_daily else f"overdue:{item.due_on.isoformat()}"

    def due_at(item):
        first = item.due_on + dt.timedelta(days=after)
        return at_local(today if rule.repeat_daily else first)

    return _item_candidates(
        _items(due_on__lte=today - dt.timedelta(days=after)),
        occurrence=occurrence,
        due_at=due_at,
        title=lambda item: (
            _("Action item overdue by %(days)s days: %(title)s")
            % {"days": (today - item.due_on).days, "title": item.title}
        ),
    )


def _ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:end] for end in range(step, len(path), step)]


def escalated(now: dt.datetime, rule) -> list[Candidate]:
    """督办升级: items overdue for ``offset_days`` reach the reviewers of the responsible party's committees."""
    today = timezone.localdate(now)
    after = max(rule.offset_days, 1)
    items = list(_items(due_on__lte=today - dt.timedelta(days=after)).select_related("responsible_party"))
    paths = {path for item in items for path in _ancestor_paths(item.responsible_party.path)}
    reviewers: dict[str, list] = {}
    memberships = Membership.objects.filter(
        role=ROLE_REVIEWER, organization__path__in=paths, user__is_active=True
    ).select_related("user", "organization")
    for membership in memberships.order_by("user_id"):
        reviewers.setdefault(membership.organization.path, []).append(membership.user)
    candidates = []
    for item in items:
        recipients = unique_users(*(reviewers.get(path, []) for path in _ancestor_paths(item.responsible_party.path)))
        if not recipients:
            continue
        candidates.append(
            Candidate(
                target=item,
                occurrence=f"escalated:{item.due_on.isoformat()}",
                recipients=recipients,
                due_at=at_local(item.due_on + dt.timedelta(days=after)),
                title=_("Escalated: %(party)s's action item is %(days)s days overdue: %(title)s")
                % {"party": item.responsible_party.name, "days": (today - item.due_on).days, "title": item.title},
                body=_("Agreement: %(agreement)s. Due on %(due)s.")
                % {"agreement": item.agreement.title, "due": item.due_on.isoformat()},
                url=item.get_absolute_url(),
            )
        )
    return candidates


def agreement_expiring(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    days = max(rule.offset_days, 1)
    agreements = list(
        Agreement.objects.filter(
            status=Agreement.Status.ACTIVE, term_end__gte=today, term_end__lte=today + dt.timedelta(days=days)
        )
    )
    parties = list(AgreementParty.objects.filter(agreement__in=agreements).select_related("liaison").order_by("pk"))
    people = users_by_organization({party.organization_id for party in parties}, (ROLE_SECRETARY, ROLE_LIAISON))
    by_agreement: dict[int, list] = {}
    for party in parties:
        by_agreement.setdefault(party.agreement_id, []).extend([*people.get(party.organization_id, []), party.liaison])
    return [
        Candidate(
            target=agreement,
            occurrence=f"d-{days}:{agreement.term_end.isoformat()}",
            recipients=unique_users(by_agreement.get(agreement.pk, [])),
            due_at=at_local(agreement.term_end - dt.timedelta(days=days)),
            title=_("Agreement expires on %(end)s: %(title)s") % {"end": agreement.term_end, "title": agreement.title},
            body=_("Agreement number %(number)s. Renew it or let it end.") % {"number": agreement.number},
            url=agreement.get_absolute_url(),
        )
        for agreement in agreements
    ]


def meeting_upcoming(now: dt.datetime, rule) -> list[Candidate]:
    """A meeting ``offset_days`` (1) ahead: its attendees are reminded from 08:00 that day, with the .ics attached.

    The occurrence names the start, so a meeting moved after its reminder was planned gets a new one (and the old
    one, if still pending, is cancelled); a cancelled meeting is no candidate, so its pending reminder is cancelled.
    """
    today = timezone.localdate(now)
    days = max(rule.offset_days, 0)
    horizon = at_local(today + dt.timedelta(days=days + 1), hour=0)
    meetings = list(
        JointMeeting.objects.filter(cancelled_at__isnull=True, starts_at__gt=now, starts_at__lt=horizon)
        .select_related("host")
        .prefetch_related("attendees")
    )
    candidates = []
    for meeting in meetings:
        start = timezone.localtime(meeting.starts_at)
        candidates.append(
            Candidate(
                target=meeting,
                occurrence=f"d-{days}:{start.isoformat(timespec='minutes')}",
                recipients=unique_users(meeting.attendees.all()),
                due_at=at_local(start.date() - dt.timedelta(days=days)),
                title=_("Joint meeting on %(when)s: %(title)s")
                % {"when": start.strftime("%Y-%m-%d %H:%M"), "title": meeting.title},
                body=_("Place: %(place)s. Host: %(host)s. The e-mail carries the calendar entry.")
                % {"place": meeting.place, "host": meeting.host.name},
                url=meeting.get_absolute_url(),
            )
        )
    return candidates


def minutes_unpublished(now: dt.datetime, rule) -> list[Candidate]:
    days = max(rule.offset_days, 1)
    meetings = list(
        JointMeeting.objects.exclude(minutes_status=JointMeeting.MinutesStatus.PUBLISHED).filter(
            cancelled_at__isnull=True,
            starts_at__lte=now - dt.timedelta(days=days),
            starts_at__gte=now - dt.timedelta(days=days + LOOKBACK_DAYS),
            agreement__status=Agreement.Status.ACTIVE,
        )
    )
    people = users_by_organization({meeting.host_id for meeting in meetings}, (ROLE_SECRETARY, ROLE_LIAISON))
    return [
        Candidate(
            target=meeting,
            occurrence=timezone.localdate(meeting.starts_at).isoformat(),
            recipients=people.get(meeting.host_id, []),
            due_at=meeting.starts_at + dt.timedelta(days=days),
            title=_("Minutes not yet published for the meeting of %(date)s: %(title)s")
            % {"date": timezone.localdate(meeting.starts_at), "title": meeting.title},
            url=meeting.get_absolute_url(),
        )
        for meeting in meetings
    ]


def need_unmatched(now: dt.datetime, rule) -> list[Candidate]:
    """需求清单: an open need (no accepted offer) whose wanted-by date is ``offset_days`` away or nearer reaches its
    organization's secretaries and liaisons — once per need and date (a moved date is a new occurrence)."""
    today = timezone.localdate(now)
    days = max(rule.offset_days, 1)
    needs = list(
        Need.objects.filter(
            status=Need.Status.OPEN, wanted_by__gte=today, wanted_by__lte=today + dt.timedelta(days=days)
        ).select_related("organization")
    )
    people = users_by_organization({need.organization_id for need in needs}, (ROLE_SECRETARY, ROLE_LIAISON))
    return [
        Candidate(
            target=need,
            occurrence=f"unmatched:{need.wanted_by.isoformat()}",
            recipients=people.get(need.organization_id, []),
            due_at=at_local(need.wanted_by - dt.timedelta(days=days)),
            title=_("Need still unmatched, wanted by %(date)s: %(title)s")
            % {"date": need.wanted_by.isoformat(), "title": need.title},
            body=_("No partner's offer has been accepted yet. Look at the offers or ask your partners directly."),
            url=need.get_absolute_url(),
        )
        for need in needs
    ]


register(
    "action_item.due_soon",
    label=gettext_lazy("Action item due soon"),
    default_offset_days=3,
    candidates=due_soon,
)
register(
    "action_item.due_today",
    label=gettext_lazy("Action item due today"),
    default_offset_days=0,
    candidates=due_today,
)
register(
    "action_item.overdue",
    label=gettext_lazy("Action item overdue"),
    default_offset_days=1,
    repeat_daily=True,
    candidates=overdue,
)
register(
    "action_item.escalated",
    label=gettext_lazy("Action item escalated to the committee"),
    default_offset_days=7,
    candidates=escalated,
)
register(
    "agreement.expiring",
    label=gettext_lazy("Agreement expiring"),
    default_offset_days=30,
    candidates=agreement_expiring,
)
register(
    "meeting.upcoming",
    label=gettext_lazy("Joint meeting coming up"),
    default_offset_days=1,
    candidates=meeting_upcoming,
    attachments=meeting_ics_attachment,
)
register(
    "meeting.minutes_unpublished",
    label=gettext_lazy("Meeting minutes not published"),
    default_offset_days=7,
    candidates=minutes_unpublished,
)

register(
    "need.unmatched",
    label=gettext_lazy("Need nearing its date without a match"),
    default_offset_days=NEED_REMINDER_DAYS,
    candidates=need_unmatched,
)


# The event notices' kinds (partnerships/services/notices.py writes them).
register_event(notices.ITEM_ASSIGNED, label=gettext_lazy("Action item assigned to you"))
register_event(notices.ITEM_AWAITING_CONFIRMATION, label=gettext_lazy("Action item closure awaiting confirmation"))
register_event(notices.ITEM_CONFIRMED, label=gettext_lazy("Action item closure confirmed"))
register_event(notices.ITEM_RULED, label=gettext_lazy("Joint meeting ruling on an action item"))
register_event(notices.ITEM_SENT_BACK, label=gettext_lazy("Action item closure sent back"))
register_event(
    notices.MEETING_SCHEDULED, label=gettext_lazy("Joint meeting scheduled"), attachments=meeting_ics_attachment
)
register_event(notices.MEETING_CHANGED, label=gettext_lazy("Joint meeting changed"), attachments=meeting_ics_attachment)
register_event(
    notices.MEETING_CANCELLED, label=gettext_lazy("Joint meeting cancelled"), attachments=meeting_ics_attachment
)
register_event(notices.MINUTES_PUBLISHED, label=gettext_lazy("Joint meeting minutes published"))
register_event(notices.PAIRING_PROPOSED, label=gettext_lazy("A partner offers help with a need"))
register_event(notices.PAIRING_DECIDED, label=gettext_lazy("An offer accepted or declined"))
