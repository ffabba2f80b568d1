"""Notifications: delivery of claimed rows on each channel, reading them, and each user's channel preferences.

Channels: in-app (the row itself, shown in the notification centre), email (plain text + HTML, rendered in the
site language, links absolute with ``SITE_URL``) and the daily digest: rows whose recipient chose the digest are
marked ``channels["email"] == "digest"`` and ``digest_send_all`` (a daily beat task) collects them into one email per
user. A channel records its outcome in ``Notification.channels`` so a retry never repeats a channel that already
succeeded. The organizations' group robots (企业微信/钉钉) are not a per-user channel: see portal/webhooks.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import claims, reminders
from portal.claims import MAX_ATTEMPTS as MAX_ATTEMPTS  # the retry schedule, re-exported for callers
from portal.models import Notification, NotificationPreference

logger = logging.getLogger(__name__)


class Preference:
    """A user's effective channels for one kind (the defaults when they saved nothing)."""

    def __init__(self, in_app: bool = True, email: bool = True, digest: bool = False):
        self.in_app, self.email, self.digest = in_app, email, digest


def preferences_for(user_ids, kinds=None) -> dict[tuple[int, str], Preference]:
    """Saved preferences keyed by (user id, kind), in one query."""
    rows = NotificationPreference.objects.filter(user_id__in=set(user_ids))
    if kinds is not None:
        rows = rows.filter(kind__in=set(kinds))
    return {(row.user_id, row.kind): Preference(row.in_app, row.email, row.digest) for row in rows}


def render_email(notification: Notification) -> EmailMultiAlternatives:
    """The email for one notification: subject, plain text and an HTML alternative, in the site language, with the
    files its kind attaches (a meeting's ``.ics``)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "notification": notification,
            "kind_label": reminders.label_for(notification.kind),
            "link": _absolute(notification.url),
            "recipient": notification.recipient,
        }
        subject = render_to_string("emails/notification_subject.txt", context)
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in reminders.attachments_for(notification):
        message.attach(name, content, mimetype)
    return message


def _absolute(url: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def deliver(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Send claimed rows (status ``sending``) on the recipients' channels and record the outcome.

    Rows are read in one query and preferences in another; the in-app-only rows are marked sent together. A row
    that needs an email is marked right after its own send, so a worker dying mid-batch leaves at most that one
    row to be sent again after recovery.
    """
    now = now or timezone.now()
    rows = list(Notification.objects.filter(pk__in=ids, status=Notification.Status.SENDING).select_related("recipient"))
    prefs = preferences_for({row.recipient_id for row in rows}, {row.kind for row in rows})
    in_app_only: dict[tuple[bool, str], list[int]] = {}
    sent = failed = 0
    tried: set[int] = set()
    try:
        for row in rows:
            pref = prefs.get((row.recipient_id, row.kind), Preference())
            email = _email_plan(row, pref)
            if email != "pending":
                in_app_only.setdefault((pref.in_app, email), []).append(row.pk)
                continue
            tried.add(row.pk)
            try:
                render_email(row).send()
            except claims.INTERRUPTIONS:
                raise
            except Exception as exc:  # any transport error: retry later, never block the rest of the batch
                logger.warning("notification %s: email failed: %s", row.pk, exc)
                claims.record_failure(Notification, row, exc, now)
                failed += 1
                continue
            Notification.objects.filter(pk=row.pk, status=Notification.Status.SENDING).update(
                status=Notification.Status.SENT,
                sent_at=now,
                in_app=pref.in_app,
                channels={**row.channels, "email": "sent"},
                last_error="",
            )
            sent += 1
    except claims.INTERRUPTIONS:
        # Out of time: the rows not tried go back now; the one in flight is recovered as stale (it may have gone).
        claims.release(Notification, [row.pk for row in rows if row.pk not in tried])
        raise
    for (in_app, email), pks in in_app_only.items():
        sent += Notification.objects.filter(pk__in=pks, status=Notification.Status.SENDING).update(
            status=Notification.Status.SENT, sent_at=now, in_app=in_app, channels={"email": email}
        )
    return {"sent": sent, "failed": failed}


def _email_plan(row: Notification, pref: Preference) -> str:
    if row.channels.get("email") == "sent":
        return "sent"  # a retry after another channel failed must not send the email twice
    if not pref.email:
        return "off"
    if not row.recipient.email:
        return "no_address"
    if pref.digest:
        return "digest"  # the daily digest collects these
    return "pending"


# --- the daily digest -------------------------------------------------------------------------------------------

DIGEST = "digest"


def _digest_waiting():
    return Notification.objects.filter(
        status=Notification.Status.SENT, channels__email=DIGEST, digested_at__isnull=True
    )


def render_digest(user, rows: list[Notification]) -> EmailMultiAlternatives:
    """One email with the user's digest rows, grouped by kind (in the registry's order), each with its link."""
    known = list(reminders.kinds())
    groups: dict[str, list[Notification]] = {}
    for row in sorted(rows, key=lambda r: (known.index(r.kind) if r.kind in known else len(known), r.due_at, r.pk)):
        row.link = _absolute(row.url)
        groups.setdefault(row.kind, []).append(row)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "recipient": user,
            "count": len(rows),
            "groups": [{"label": reminders.label_for(kind), "rows": items} for kind, items in groups.items()],
            "centre": _absolute(reverse("notifications")),
            "preferences": _absolute(reverse("notification_preferences")),
        }
        subject = render_to_string("emails/digest_subject.txt", context)
        text = render_to_string("emails/digest.txt", context)
        html = render_to_string("emails/digest.html", context)
    subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def digest_send(*, user, now: dt.datetime | None = None) -> int:
    """Send ``user`` one email with every digest row not yet put in a digest; returns how many rows it carried.

    The rows are claimed first with a conditional update (``digested_at IS NULL``) stamped with a token, so a second
    worker running at the same time finds nothing to claim and no row is ever in two emails. If the mail server
    refuses, the claim is released and the rows wait for the next run. A worker dying between claim and send loses
    that email (the reminders stay in the notification centre) rather than risking it twice.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimed = _digest_waiting().filter(recipient=user).update(digested_at=now, digest_token=token)
    if not claimed:
        return 0
    rows = list(Notification.objects.filter(digest_token=token, recipient=user))
    if not user.email or not user.is_active:
        return 0  # nowhere to send them: they stay in the notification centre
    try:
        render_digest(user, rows).send()
    except claims.INTERRUPTIONS:
        # Out of time (Celery's limit): the rows go back for the next run, and the run stops here.
        Notification.objects.filter(digest_token=token).update(digested_at=None, digest_token="")
        raise
    except Exception as exc:  # any transport error: give the rows back for the next run
        logger.warning("digest for user %s failed: %s", user.pk, exc)
        Notification.objects.filter(digest_token=token).update(digested_at=None, digest_token="")
        return 0
    return len(rows)


def digest_send_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily digest run: one email per user who has digest rows waiting."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    user_ids = set(_digest_waiting().values_list("recipient_id", flat=True))
    emails = rows = 0
    for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
        carried = digest_send(user=user, now=now)
        emails += 1 if carried else 0
        rows += carried
    return {"emails": emails, "notifications": rows}


# --- reading ----------------------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (idempotent); nobody else may."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    return Notification.objects.unread_for(actor).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_save(*, actor, choices: dict[str, dict[str, bool]]) -> list[NotificationPreference]:
    """Save the actor's channels per kind (``{kind: {"in_app": .., "email": .., "digest": ..}}``); unknown kinds
    are ignored. One upsert per kind the user changed from the stored value."""
    known = reminders.kinds()
    stored = {pref.kind: pref for pref in NotificationPreference.objects.filter(user=actor)}
    saved = []
    for kind, values in choices.items():
        if kind not in known:
            continue
        pref = stored.get(kind) or NotificationPreference(user=actor, kind=kind)
        pref.in_app = bool(values.get("in_app"))
        pref.email = bool(values.get("email"))
        pref.digest = bool(values.get("digest"))
        pref.full_clean(validate_unique=False)
        pref.save()
        saved.append(pref)
    return saved
