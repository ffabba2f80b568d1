"""The reminder registry and the sweep that turns what is due into notifications (DESIGN.md §5).

Domain apps say what they want reminded in their own ``reminders.py`` (imported by ``autodiscover``, so portal never
imports them)::

    register("action_item.due_soon", label=_("Action item due soon"), default_offset_days=3, candidates=due_soon)

``candidates(now, rule)`` returns ``Candidate`` objects built from one or a few queries (never a query per object).
Reminders are rows, not delayed tasks: each sweep

1. inserts one ``Notification`` per (kind, object, recipient, occurrence) for every current candidate, with
   ``bulk_create(ignore_conflicts=True)`` — the unique constraint makes two sweeps at once harmless;
2. cancels the pending rows of that kind that are no longer candidates (the item was closed, or its date moved, which
   changes the occurrence: the old reminder is cancelled and the new one created);
3. returns rows stuck in ``sending`` for more than ``STALE_AFTER`` (their worker died) to ``pending``;
4. claims due pending rows in batches (``SELECT … FOR UPDATE SKIP LOCKED`` where the database has it, then a
   conditional ``UPDATE … WHERE status='pending'`` stamped with a claim token, so only the rows this sweep really
   claimed are sent — portal/claims.py, shared with the group robots), and delivers them outside the transaction
   (portal/notifications.py);
5. does the same for the organizations' group robots (企业微信 / 钉钉): steps 1–2 inside ``plan`` from the same
   candidates, then recovery, claims and posts (portal/webhooks.py).

Notices caused by a write (an item was assigned to you, a meeting was moved, a result was published…) are rows too,
never task messages: the write calls ``notify(kind, candidates)`` — or, for a notice about one event to some people,
``notify_event`` — inside its own transaction, which inserts the same rows the sweep would (notifications and
group-robot deliveries, unique per kind, object, recipient and occurrence — the occurrence names the event, e.g. the
item update's id or the meeting's revision), due at once, and asks for a sweep after commit. The sweep claims and
delivers them like every reminder, on each recipient's channels, exactly once; a lost kick only waits for the beat's
next sweep. A kind registered with ``register_event`` (or ``candidates=None``) is sent only that way: planning never
cancels its rows. A kind may name ``attachments`` (the files its e-mails carry, e.g. a meeting's ``.ics``), computed
when the e-mail is rendered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy

from portal import claims
from portal.claims import STALE_AFTER as STALE_AFTER  # the recovery delay, re-exported for callers

REMINDER_HOUR = 8  # reminders for a day go out from 08:00 local time, not at midnight
BATCH_SIZE = 500  # a batch costs the same queries at any size: what went out is logged, not updated per row
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
    # organizations (portal/webhooks.py explains the rule); an empty list: no group.
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


_KINDS: dict[str, Kind] = {}


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
    from portal.models import Membership

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


# --- the sweep ------------------------------------------------------------------------------------------------


def ensure_rules() -> dict:
    """Every registered kind's rule, created from the registry's defaults the first time (two queries at most)."""
    from portal.models import ReminderRule

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


def plan(now: dt.datetime | None = None) -> dict[str, int]:
    """Steps 1 and 2: create the rows for current candidates and cancel the pending ones that no longer are."""
    from portal import webhooks
    from portal.models import Notification

    now = now or timezone.now()
    created = cancelled = 0
    rules = ensure_rules()
    found: dict[str, list[tuple[ContentType, Candidate]]] = {}
    for kind, entry in timed_kinds().items():
        rule = rules[kind]
        if entry.candidates is None:
            continue  # sent only through notify(): the sweep delivers its rows and never cancels them
        wanted: dict[tuple, Notification] = {}
        found[kind] = []
        if rule.enabled:
            with translation.override(settings.LANGUAGE_CODE):
                found[kind] = _typed(entry.candidates(now, rule))
                wanted = _rows(kind, found[kind])
        pending = Notification.objects.filter(kind=kind, status=Notification.Status.PENDING).values_list(
            "pk", "target_type_id", "target_id", "occurrence", "recipient_id"
        )
        existing = {tuple(row[1:]): row[0] for row in pending}
        stale = [pk for key, pk in existing.items() if key not in wanted]
        if stale:
            cancelled += Notification.objects.filter(pk__in=stale, status=Notification.Status.PENDING).update(
                status=Notification.Status.CANCELLED
            )
        # Rows already pending need no insert; sent and cancelled ones are skipped by the unique constraint.
        created += _insert(kind, [row for key, row in wanted.items() if key not in existing])
    summary = {"created": created, "cancelled": cancelled}
    # The same candidates, once per group robot of the organizations concerned (portal/webhooks.py).
    hooks = webhooks.plan(found, now)
    if any(hooks.values()):
        summary["webhooks"] = hooks
    return summary


def notify_event(
    kind: str,
    *,
    actor,
    target,
    occurrence: str,
    recipients: Iterable,
    title,
    body="",
    url: str = "",
    organizations: list | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record an event notice for its recipients (never the actor) and their groups' robots, due at once.

    Called by a domain service inside its transaction, so the notice exists exactly when the change does; ``notify``
    does the writing. Calling twice for the same event adds nothing. Returns how many notifications were created. A
    kind whose rule an admin switched off records nothing.
    """
    entry = _KINDS.get(kind)
    if entry is None or not entry.is_event:
        raise ValueError(f"{kind!r} is not a registered event notice")
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", None)
    people = [user for user in unique_users(recipients) if user.pk != actor_id]
    with translation.override(settings.LANGUAGE_CODE):
        candidate = Candidate(
            target=target,
            occurrence=occurrence,
            recipients=people,
            due_at=now,
            title=str(title),
            body=str(body),
            url=url,
            organizations=organizations,
        )
    return notify(kind, [candidate], now=now)


def _typed(candidates: Iterable[Candidate]) -> list[tuple[ContentType, Candidate]]:
    return [(ContentType.objects.get_for_model(type(c.target)), c) for c in candidates]


def _rows(kind: str, found: list[tuple[ContentType, Candidate]]) -> dict[tuple, object]:
    """One unsaved ``Notification`` per (object, occurrence, recipient), keyed like the unique constraint."""
    from portal.models import Notification

    wanted = {}
    for target_type, candidate in found:
        for user in candidate.recipients:
            wanted[(target_type.pk, candidate.target.pk, candidate.occurrence, user.pk)] = Notification(
                kind=kind,
                target_type=target_type,
                target_id=candidate.target.pk,
                occurrence=candidate.occurrence,
                recipient=user,
                title=str(candidate.title)[:200],
                body=str(candidate.body),
                url=candidate.url,
                due_at=candidate.due_at,
            )
    return wanted


def _insert(kind: str, rows: list) -> int:
    """Insert the rows the unique constraint does not already hold; how many were really new."""
    from portal.models import Notification

    if not rows:
        return 0
    # Counted among the rows of these targets and recipients only (the unique index's leading columns), so the cost
    # follows what is inserted, never the size of the table.
    concerned = Notification.objects.filter(
        kind=kind,
        target_type_id__in={row.target_type_id for row in rows},
        target_id__in={row.target_id for row in rows},
        recipient_id__in={row.recipient_id for row in rows},
    )
    before = concerned.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return concerned.count() - before


# --- notices sent now ----------------------------------------------------------------------------------------


def notify(kind: str, candidates: Iterable[Candidate], *, now: dt.datetime | None = None) -> int:
    """Send notices of a registered ``kind`` now, through rows: the API for "tell these people about this object".

    Call it inside the write's transaction, with ``Candidate`` objects built in the site language (``due_at`` is
    normally ``now``; the ``occurrence`` tells two notices about the same object apart, e.g. the publication time).
    It inserts one ``Notification`` per recipient and one ``WebhookDelivery`` per group robot that hears of it, the
    very rows the sweep would create (same unique key, so never twice), committed or rolled back with the write.
    After the commit a sweep is asked for so they go out at once; if the broker is down that only logs
    (portal/celery.py), and the beat's sweep every 5 minutes delivers them on every channel, exactly once.

    A kind registered with ``candidates=None`` is sent only this way; a kind with a candidates function (like
    ``assessment.published``) must offer the same candidates while they are current, or the sweep cancels the
    pending rows. Nothing is created while the kind's rule is switched off. Returns the notifications created.
    """
    from portal import webhooks
    from portal.tasks import sweep_reminders

    if kind not in _KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}: register() it first")
    if not ensure_rules()[kind].enabled:
        return 0
    now = now or timezone.now()
    found = _typed(candidates)
    with translation.override(settings.LANGUAGE_CODE):
        rows = list(_rows(kind, found).values())
    created = _insert(kind, rows)
    robots = webhooks.plan_events({kind: found})
    if created or robots:
        sweep_reminders.delay_on_commit()
    return created


def recover_stale(now: dt.datetime | None = None) -> int:
    """Step 3: rows a dead worker left in ``sending`` go back to ``pending`` to be claimed again."""
    from portal.models import Notification

    return claims.recover_stale(Notification, now or timezone.now())


def claim_ids(ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given notifications if they are still pending; only the ids this call won (portal/claims.py)."""
    from portal.models import Notification

    return claims.claim_ids(Notification, ids, now)


def sweep(now: dt.datetime | None = None) -> dict:
    """Plan, recover, then claim and deliver everything due, batch by batch. Safe to run in several workers.

    Group-robot messages go last, so a slow robot never delays anyone's notifications; their counts appear under
    ``"webhooks"`` when there was any robot work.
    """
    from portal import notifications, webhooks
    from portal.models import Notification

    now = now or timezone.now()
    summary = plan(now)
    summary["recovered"] = recover_stale(now)
    summary.update(claims.process_due(Notification, now, notifications.deliver, size=BATCH_SIZE))
    hooks = {**summary.pop("webhooks", {"created": 0, "cancelled": 0}), **webhooks.deliver_due(now)}
    if any(hooks.values()):
        summary["webhooks"] = hooks
    return summary


# Portal's own event notice: a big export a worker wrote for its requester (portal/exports.py).
register_event("export.ready", label=gettext_lazy("Export ready"))
