"""The reminder registry: what the domain apps want reminded, and when (DESIGN.md §5).

Domain apps say what they want reminded in their own ``reminders.py`` (imported by ``autodiscover``, so portal never
imports them)::

    register("action_item.due_soon", label=_("Action item due soon"), default_offset_days=3, candidates=due_soon)

``candidates(now, rule)`` returns ``Candidate`` objects built from one or a few queries (never a query per object).
A kind registered with ``register_event`` (or ``candidates=None``) is an event notice, sent only by
``portal.sweep.notify_event`` / ``notify`` from the write that causes it. A kind may name ``attachments`` (the files
its e-mails carry, e.g. a meeting's ``.ics``), computed when the e-mail is rendered. Each kind has a ``ReminderRule``
(``ensure_rules``) that admins edit.

Reminders are rows, not delayed tasks: portal/sweep.py turns the candidates into notifications and group-robot
deliveries and sends them (portal/notifications.py, portal/webhooks/).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy

from portal.models import Membership, ReminderRule

REMINDER_HOUR = 8  # reminders for a day go out from 08:00 local time, not at midnight
# One-shot "after" reminders (minutes, logs) look back this far, so switching reminders on does not flood users
# with reminders about last year's meetings.
LOOKBACK_DAYS = 60


@dataclass
class Candidate:
    """Something a kind wants reminded now (or later today): the object, its occurrence and who hears about it."""

    target: object
    occurrence: str
    recipients: list
    due_at: dt.datetime
    title: str
    body: str = ""
    url: str = ""
    # The organizations whose group robots post this reminder (ids or objects). None: derived from the recipients'
    # organizations (portal/webhooks/ explains the rule); an empty list: no group.
    organizations: list | None = None


# (file name, content, MIME type): what ``EmailMessage.attach`` takes.
Attachment = tuple[str, bytes, str]


@dataclass(frozen=True)
class Kind:
    kind: str
    label: object
    default_offset_days: int
    repeat_daily: bool
    escalate_after_days: int | None
    # None for an event kind: its rows come from ``notify_event``, never from the sweep's planning.
    candidates: Callable[[dt.datetime, object], Iterable[Candidate]] | None = field(compare=False)
    # The files an e-mail of this kind carries, from the notification row (its target may have changed since).
    attachments: Callable[[object], list[Attachment]] | None = field(default=None, compare=False)

    @property
    def is_event(self) -> bool:
        return self.candidates is None


# The registry itself is the rules' (``ReminderRule.registry``), so a rule names its kind without importing this.
_KINDS: dict[str, Kind] = ReminderRule.registry


def register(
    kind: str,
    *,
    label,
    default_offset_days: int,
    repeat_daily: bool = False,
    escalate_after_days: int | None = None,
    candidates: Callable | None,
    attachments: Callable | None = None,
) -> Kind:
    """Declare a reminder kind and its default timing (admins may change it in ``ReminderRule``).

    ``candidates=None`` declares a notice kind sent only by ``notify`` (an event, not a date): the sweep delivers
    its rows but neither plans nor cancels them. It still has a label, a rule (on/off) and user preferences.
    """
    entry = Kind(kind, label, default_offset_days, repeat_daily, escalate_after_days, candidates, attachments)
    _KINDS[kind] = entry
    return entry


def register_event(kind: str, *, label, attachments: Callable | None = None) -> Kind:
    """Declare an event notice: sent when something happens (``notify_event``), not at a time the sweep works out.

    Its ``ReminderRule`` only switches it on or off; users choose its channels like any reminder's.
    """
    entry = Kind(kind, label, 0, False, None, None, attachments)
    _KINDS[kind] = entry
    return entry


def kinds() -> dict[str, Kind]:
    return dict(sorted(_KINDS.items()))


def timed_kinds() -> dict[str, Kind]:
    """The kinds the sweep plans (everything but event notices)."""
    return {kind: entry for kind, entry in kinds().items() if not entry.is_event}


def attachments_for(notification) -> list[Attachment]:
    """The files the notification's e-mail carries (none when its kind names none or its object is gone)."""
    entry = _KINDS.get(notification.kind)
    if entry is None or entry.attachments is None:
        return []
    return list(entry.attachments(notification) or [])


def entry_for(kind: str) -> Kind | None:
    """The registered kind, or None."""
    return _KINDS.get(kind)


def label_for(kind: str):
    entry = _KINDS.get(kind)
    return entry.label if entry else kind


def autodiscover() -> None:
    autodiscover_modules("reminders")


# --- helpers for the domain apps' candidate functions ------------------------------------------------------------


def at_local(day: dt.date, hour: int = REMINDER_HOUR) -> dt.datetime:
    """An aware datetime at ``hour`` o'clock of ``day`` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def users_by_organization(org_ids: Iterable[int], roles: Iterable[str]) -> dict[int, list]:
    """Active users holding one of ``roles`` in each organization, in one query."""
    found: dict[int, list] = {}
    memberships = Membership.objects.filter(
        organization_id__in=set(org_ids), role__in=list(roles), user__is_active=True
    ).select_related("user")
    for membership in memberships.order_by("organization_id", "user_id"):
        people = found.setdefault(membership.organization_id, [])
        if membership.user not in people:
            people.append(membership.user)
    return found


def unique_users(*groups: Iterable) -> list:
    """Users from several lists, each once, inactive and missing ones dropped."""
    seen: dict[int, object] = {}
    for group in groups:
        for user in group or ():
            if user is not None and user.is_active:
                seen.setdefault(user.pk, user)
    return list(seen.values())


# --- the rules admins edit ------------------------------------------------------------------------------------


def ensure_rules() -> dict:
    """Every registered kind's rule, created from the registry's defaults the first time (two queries at most)."""
    rules = {rule.kind: rule for rule in ReminderRule.objects.filter(kind__in=list(_KINDS))}
    missing = [
        ReminderRule(
            kind=entry.kind,
            offset_days=entry.default_offset_days,
            repeat_daily=entry.repeat_daily,
            escalate_after_days=entry.escalate_after_days,
        )
        for kind, entry in _KINDS.items()
        if kind not in rules
    ]
    if missing:
        ReminderRule.objects.bulk_create(missing, ignore_conflicts=True)
        rules = {rule.kind: rule for rule in ReminderRule.objects.filter(kind__in=list(_KINDS))}
    return rules


# Portal's own event notice: a big export a worker wrote for its requester (portal/exports.py).
register_event("export.ready", label=gettext_lazy("Export ready"))
