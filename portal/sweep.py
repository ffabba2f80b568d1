"""The sweep that turns what is due into notifications and group-robot messages, and notices sent now (DESIGN.md §5).

The kinds come from the registry (portal/reminders.py). Reminders are rows, not delayed tasks: each sweep

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
   candidates, then recovery, claims and posts (portal/webhooks/).

Notices caused by a write (an item was assigned to you, a meeting was moved, a result was published…) are rows too,
never task messages: the write calls ``notify(kind, candidates)`` — or, for a notice about one event to some people,
``notify_event`` — inside its own transaction, which inserts the same rows the sweep would (notifications and
group-robot deliveries, unique per kind, object, recipient and occurrence — the occurrence names the event, e.g. the
item update's id or the meeting's revision), due at once, and asks for a sweep after commit. The sweep claims and
delivers them like every reminder, on each recipient's channels, exactly once; a lost kick only waits for the beat's
next sweep. A kind registered with ``register_event`` (or ``candidates=None``) is sent only that way: planning never
cancels its rows.

The task that runs the sweep (``portal.tasks.sweep_reminders``) registers itself with ``swept_by``, so this module
never imports the tasks (they call it); ``PortalConfig.ready`` imports them in every process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from portal import claims, notifications
from portal.models import Notification
from portal.reminders import Candidate, ensure_rules, entry_for, timed_kinds, unique_users
from portal.webhooks import deliver as webhook_deliver
from portal.webhooks import plan as webhook_plan

BATCH_SIZE = 500  # a batch costs the same queries at any size: what went out is logged, not updated per row

_sweep_task = []  # the task that runs ``sweep``, once ``swept_by`` registered it
_requests_held: list[bool] = []  # one entry per ``sweep_requests_held`` block around the calls (one thread)


def swept_by(task):
    """Register the task that runs ``sweep`` (``portal.tasks.sweep_reminders``): a notice asks for it after its
    commit. A decorator: returns the task."""
    _sweep_task[:] = [task]
    return task


@contextlib.contextmanager
def sweep_requests_held():
    """Inside the block a notice asks for no sweep of its own; one is asked for on the way out if any notice was
    made (a bulk write — the demo's seeding — makes hundreds: one sweep delivers them all)."""
    _requests_held.append(False)
    try:
        yield
    finally:
        wanted = _requests_held.pop()
        if wanted and _sweep_task:
            if _requests_held:
                _requests_held[-1] = True
            else:
                _sweep_task[0].delay_on_commit()


def _request_sweep() -> None:
    if _requests_held:
        _requests_held[-1] = True
    elif _sweep_task:
        _sweep_task[0].delay_on_commit()


def plan(now: dt.datetime | None = None) -> dict[str, int]:
    """Steps 1 and 2: create the rows for current candidates and cancel the pending ones that no longer are."""
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
    # The same candidates, once per group robot of the organizations concerned (portal/webhooks/plan.py).
    hooks = webhook_plan.plan(found, now)
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
    entry = entry_for(kind)
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
    if entry_for(kind) is None:
        raise ValueError(f"unknown reminder kind {kind!r}: register() it first")
    if not ensure_rules()[kind].enabled:
        return 0
    now = now or timezone.now()
    found = _typed(candidates)
    with translation.override(settings.LANGUAGE_CODE):
        rows = list(_rows(kind, found).values())
    created = _insert(kind, rows)
    robots = webhook_plan.plan_events({kind: found})
    if created or robots:
        _request_sweep()
    return created


def recover_stale(now: dt.datetime | None = None) -> int:
    """Step 3: rows a dead worker left in ``sending`` go back to ``pending`` to be claimed again."""
    return claims.recover_stale(Notification, now or timezone.now())


def claim_ids(ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given notifications if they are still pending; only the ids this call won (portal/claims.py)."""
    return claims.claim_ids(Notification, ids, now)


def _deliver_asking_for_helpers():
    """``notifications.deliver`` that, on the first full batch, asks for the helper sweeps (once per sweep)."""
    asked = []

    def deliver(ids, now):
        if not asked and len(ids) >= BATCH_SIZE and _sweep_task:
            asked.append(True)
            for _ in range(settings.SWEEP_HELPERS):
                # A hint, like every enqueue: a broker that cannot take it must not stop this sweep mid-batch.
                _sweep_task[0].send_or_log(kwargs={"helper": True})
        return notifications.deliver(ids, now=now)

    return deliver


def sweep(now: dt.datetime | None = None, *, helper: bool = False) -> dict:
    """Plan, recover, then claim and deliver everything due, batch by batch. Safe to run in several workers.

    A burst (a first batch that comes back full) asks for ``SWEEP_HELPERS`` helper sweeps (``helper=True``: claim
    and deliver only, never plan, never ask for more), so the reminders worker's other processes take batches of
    the same burst; claims keep every row to one sender.

    Group-robot messages go last, so a slow robot never delays anyone's notifications; their counts appear under
    ``"webhooks"`` when there was any robot work.
    """
    now = now or timezone.now()
    if helper:
        return claims.process_due(Notification, now, notifications.deliver, size=BATCH_SIZE)
    summary = plan(now)
    summary["recovered"] = recover_stale(now)
    summary.update(claims.process_due(Notification, now, _deliver_asking_for_helpers(), size=BATCH_SIZE))
    hooks = {**summary.pop("webhooks", {"created": 0, "cancelled": 0}), **webhook_deliver.deliver_due(now)}
    if any(hooks.values()):
        summary["webhooks"] = hooks
    return summary
