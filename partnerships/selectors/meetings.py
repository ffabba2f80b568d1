"""Composed reads for joint meetings: one meeting with its agenda, carried-over items' latest progress, decisions
and their items, attendees and minutes versions — in a fixed number of queries however long the agenda is."""

from __future__ import annotations

import datetime
import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    AgendaItem,
    Agreement,
    AgreementParty,
    Decision,
    JointMeeting,
    MinutesVersion,
    Organization,
)
from portal.models import Membership
from portal.names import choice_labels
from portal.reminders import Attachment
from portal.webhooks.client import absolute_url


def _latest_update_prefetch() -> Prefetch:
    # A sliced prefetch: the database picks each item's newest update (window function), one query in all.
    latest = ActionItemUpdate.objects.select_related("author").order_by("-created_at", "-pk")[:1]
    return Prefetch("agenda__carried_item__updates", queryset=latest, to_attr="latest_updates")


def meeting_detail_queryset(user) -> QuerySet[JointMeeting]:
    """The visible meetings, each prefetched for the detail, minutes and print pages."""
    agenda = AgendaItem.objects.select_related("carried_item__responsible_party", "carried_item__responsible_person")
    items = ActionItem.objects.select_related("responsible_party", "responsible_person").order_by("due_on", "pk")
    decisions = Decision.objects.select_related(
        "carried_item", "responsible_party", "responsible_person"
    ).prefetch_related(Prefetch("items", queryset=items))
    return (
        JointMeeting.objects.visible_to(user)
        .select_related("agreement", "host", "published_by")
        .prefetch_related(
            Prefetch("agenda", queryset=agenda),
            _latest_update_prefetch(),
            Prefetch("decisions", queryset=decisions),
            Prefetch("attendees"),
            Prefetch("minutes_versions", queryset=MinutesVersion.objects.select_related("published_by")),
            "agreement__parties__organization",
        )
    )


def annotate_meeting(meeting: JointMeeting) -> JointMeeting:
    """Attach what templates read, computed from the prefetched rows (no further queries):

    * ``agenda_rows``: agenda items; a carried one has ``latest_update`` (or None);
    * ``decision_rows``: decisions with ``ruling`` (visible text and ruling parameters) and ``party`` (reassign);
    * ``party_orgs``: the agreement's parties' organizations, by id.
    """
    meeting.party_orgs = {party.organization_id: party.organization for party in meeting.agreement.parties.all()}
    meeting.agenda_rows = list(meeting.agenda.all())
    for row in meeting.agenda_rows:
        item = row.carried_item
        row.latest_update = (getattr(item, "latest_updates", None) or [None])[0] if item else None
    meeting.decision_rows = list(meeting.decisions.all())
    for decision in meeting.decision_rows:
        decision.ruling = decision_ruling(decision)
        decision.new_party = meeting.party_orgs.get(decision.ruling.party_id) if decision.ruling.party_id else None
        decision.item_rows = list(decision.items.all())
    return meeting


@dataclass(frozen=True)
class Ruling:
    """What a decision says and the parameters of its ruling (if any)."""

    text: str
    due_on: datetime.date | None = None
    party_id: int | None = None


def decision_ruling(decision: Decision) -> Ruling:
    """The decision's text and ruling parameters, as one value for pages and the publishing step."""
    return Ruling(text=decision.text or "", due_on=decision.new_due_on, party_id=decision.new_responsible_party_id)


@dataclass(frozen=True)
class DecisionChoices:
    """What every decision row of the minutes form offers, read once for the whole form (not once per row): the
    agreement's parties, the people of those parties (labelled by name) and which parties each person belongs to."""

    parties: list[tuple[int, str]]
    people: list[tuple[int, str]]
    person_orgs: dict[int, set[int]]
    meeting_date: datetime.date


def decision_choices(meeting: JointMeeting) -> DecisionChoices:
    """The choices of the decision rows (责任单位, 责任人) for ``meeting``, in three queries whatever the row count."""
    parties = list(
        Organization.objects.filter(agreement_parties__agreement_id=meeting.agreement_id)
        .order_by("path")
        .values_list("pk", "name")
    )
    party_ids = [pk for pk, _name in parties]
    person_orgs: dict[int, set[int]] = {}
    for user_id, org_id in Membership.objects.filter(organization_id__in=party_ids, user__is_active=True).values_list(
        "user_id", "organization_id"
    ):
        person_orgs.setdefault(user_id, set()).add(org_id)
    people = list(
        get_user_model().objects.filter(pk__in=sorted(person_orgs)).order_by("last_name", "first_name", "username")
    )
    labels = choice_labels(people)
    return DecisionChoices(
        parties=parties,
        people=[(person.pk, labels[person.pk]) for person in people],
        person_orgs=person_orgs,
        meeting_date=timezone.localtime(meeting.starts_at).date(),
    )


def eligible_attendees(agreement: Agreement):
    """Users who may be listed as attendees: those holding any role in one of the agreement's parties."""
    return (
        get_user_model()
        .objects.filter(memberships__organization__agreement_parties__agreement=agreement, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# A joint meeting has a start but no end; calendars get a two-hour slot.
MEETING_LENGTH = dt.timedelta(hours=2)


# What the activity calendar and its iCal feed show of a meeting (named tuples, no model instances).
CALENDAR_MEETING_VALUES = (
    "pk",
    "title",
    "starts_at",
    "place",
    "cancelled_at",
    "cancel_reason",
    "revision",
    "created_at",
    "updated_at",
    "host__name",
    "agreement__title",
)


def calendar_meetings(
    user,
    *,
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
    agreement: Agreement | None = None,
    organization: Organization | None = None,
) -> tuple[list, bool]:
    """Joint meetings the user may see that overlap ``[start, end)`` (a meeting lasts ``MEETING_LENGTH``), optionally
    of one agreement or with one organization as host or party, in start order: the first ``limit`` as rows of
    ``CALENDAR_MEETING_VALUES``, and whether there are more. One query, whatever the number of meetings."""
    queryset = JointMeeting.objects.visible_to(user).filter(starts_at__gt=start - MEETING_LENGTH, starts_at__lt=end)
    if agreement is not None:
        queryset = queryset.filter(agreement=agreement)
    if organization is not None:
        parties = AgreementParty.objects.filter(organization=organization).values("agreement_id")
        queryset = queryset.filter(Q(host=organization) | Q(agreement_id__in=parties))
    rows = list(queryset.order_by("starts_at", "pk").values_list(*CALENDAR_MEETING_VALUES, named=True)[: limit + 1])
    return rows[:limit], len(rows) > limit


def feed_meetings(user, *, now: dt.datetime, past_days: int, future_days: int, limit: int) -> tuple[list, bool]:
    """The joint meetings of a user's iCal feed: visible, starting from ``past_days`` back to ``future_days`` ahead,
    in start order, at most ``limit`` (rows of ``CALENDAR_MEETING_VALUES``), and whether some were left out."""
    return calendar_meetings(
        user, start=now - dt.timedelta(days=past_days), end=now + dt.timedelta(days=future_days), limit=limit
    )


def meeting_uid(meeting: JointMeeting | int) -> str:
    """Stable for the meeting's life, so a calendar app updates (or removes) the entry it already has; the same in
    the invitations e-mailed and in the personal iCal feed, so an app holding both keeps one entry."""
    return f"joint-meeting-{getattr(meeting, 'pk', meeting)}@gongjian"


def meeting_ics(meeting: JointMeeting, *, recipient=None, now: dt.datetime | None = None) -> bytes:
    """The meeting as an iCalendar invitation (METHOD:REQUEST), or its cancellation (METHOD:CANCEL) once cancelled;
    times in the project's time zone (Asia/Shanghai) with its VTIMEZONE."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = meeting.starts_at.astimezone(zone)
    with translation.override(settings.LANGUAGE_CODE):
        calendar = Calendar()
        calendar.add("prodid", "-//Gongjian//Joint meetings//ZH")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "CANCEL" if meeting.is_cancelled else "REQUEST")
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("sequence", meeting.revision)
        event.add("dtstamp", (now or timezone.now()).astimezone(dt.UTC))
        event.add("dtstart", start)
        event.add("dtend", start + MEETING_LENGTH)
        event.add("summary", meeting.title)
        event.add("location", meeting.place)
        lines = [_("Host: %(host)s") % {"host": meeting.host.name}, str(meeting.agreement.title)]
        if meeting.is_cancelled and meeting.cancel_reason:
            lines.append(_("Reason for cancellation: %(reason)s") % {"reason": meeting.cancel_reason})
        event.add("description", "\n".join(lines))
        link = absolute_url(meeting.get_absolute_url())
        if link.startswith("http"):
            event.add("url", link)
        event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
        organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
        organizer.params["cn"] = vText(meeting.host.name)
        event.add("organizer", organizer)
        if recipient is not None and recipient.email:
            attendee = vCalAddress(f"mailto:{recipient.email}")
            attendee.params["cn"] = vText(recipient.get_full_name() or recipient.get_username())
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee)
        calendar.add_component(event)
        calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_ics_attachment(notification) -> list[Attachment]:
    """The e-mail attachment of a meeting notice: the meeting's entry as it stands when the e-mail goes out."""
    meeting = JointMeeting.objects.select_related("host", "agreement").filter(pk=notification.target_id).first()
    if meeting is None:
        return []
    return [("meeting.ics", meeting_ics(meeting, recipient=notification.recipient), "text/calendar")]


def meeting_history(meeting: JointMeeting):
    """The meeting's 变更记录 (scheduling, revisions, cancellation, minutes publication), newest first."""
    return meeting.history.order_by("-history_date", "-history_id")
