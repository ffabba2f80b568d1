"""Notifications: delivery of claimed rows on each channel, reading them, and each user's channel preferences.

Channels: in-app (the row itself, shown in the notification centre), email (plain text + HTML, rendered in the
site language, links absolute with ``SITE_URL``) and the daily digest: rows whose recipient chose the digest are
marked ``channels["email"] == "digest"`` and ``digest_send_all`` (a daily beat task) collects them into one email per
user. A channel records its outcome in ``Notification.channels`` so a retry never repeats a channel that already
succeeded. The organizations' group robots (企业微信/钉钉) are not a per-user channel: see portal/webhooks/.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import claims, email_pieces, reminders
from portal.claims import MAX_ATTEMPTS as MAX_ATTEMPTS  # the retry schedule, re-exported for callers
from portal.mailer import BatchMailer
from portal.models import Notification, NotificationPreference
from portal.names import display_name

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


EMAIL_TEMPLATES = ("emails/notification_subject.txt", "emails/notification.txt", "emails/notification.html")


def email_templates() -> list:
    """The notification e-mail's templates (subject, text, HTML), loaded once for a whole batch."""
    return [get_template(name) for name in EMAIL_TEMPLATES]


def render_email(notification: Notification, templates: list | None = None) -> EmailMultiAlternatives:
    """The email for one notification: subject, plain text and an HTML alternative, in the site language, with the
    files its kind attaches (a meeting's ``.ics``). ``templates``: ``email_templates()``, when rendering many."""
    return _message(notification, *_render_parts(notification, templates or email_templates()))


def _context(notification, kind: str, link: str, recipient) -> dict:
    return {
        "notification": notification,
        "kind_label": reminders.label_for(kind),
        "link": link,
        "recipient": recipient,
    }


def _render_parts(notification: Notification, templates: list) -> tuple[str, str, str]:
    """Subject, text and HTML through the template engine, in the site language."""
    with translation.override(settings.LANGUAGE_CODE):
        # One template Context for the three (what the backend's ``render`` would build three times).
        context = Context(
            _context(notification, notification.kind, _absolute(notification.url), notification.recipient),
            autoescape=templates[0].backend.engine.autoescape,
        )
        subject, text, html = (template.template.render(context) for template in templates)
    return subject, text, html


def _message(notification: Notification, subject: str, text: str, html: str) -> EmailMultiAlternatives:
    subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in reminders.attachments_for(notification):
        message.attach(name, content, mimetype)
    return message


class _StandInRecipient:
    """The recipient while compiling pieces: no first or last name, so ``person`` shows the login name."""

    first_name = last_name = ""

    def __init__(self, username: str):
        self.username = username

    def get_username(self) -> str:
        return self.username


class EmailRenderer:
    """A batch's e-mails, each written from its kind's pre-compiled pieces (portal/email_pieces.py): the templates
    go through the engine once per (kind, body present, link present), and the first e-mail of each is checked
    against the engine's own rendering; a variant that cannot be written from pieces, or differs, is rendered by the
    engine for the whole batch (and logged)."""

    def __init__(self):
        self.templates = email_templates()
        self.pieces: dict[tuple[str, bool, bool], list | None] = {}

    def render(self, notification: Notification) -> EmailMultiAlternatives:
        values = (
            str(notification.title),
            str(notification.body),
            _absolute(notification.url),
            display_name(notification.recipient),
        )
        key = (notification.kind, bool(values[1]), bool(values[2]))
        if key not in self.pieces:
            self.pieces[key] = self._compile(notification, key, values)
        pieces = self.pieces[key]
        if pieces is None:
            return render_email(notification, self.templates)
        return _message(notification, *(part.fill(values) for part in pieces))

    def _compile(self, notification: Notification, key: tuple[str, bool, bool], values: tuple) -> list | None:
        kind, has_body, has_link = key

        def context_for(stand_ins: dict[str, str]) -> dict:
            shown = SimpleNamespace(title=stand_ins["title"], body=stand_ins["body"] if has_body else "")
            return _context(shown, kind, stand_ins["link"] if has_link else "", _StandInRecipient(stand_ins["name"]))

        with translation.override(settings.LANGUAGE_CODE):
            pieces = email_pieces.compile_pieces(self.templates, context_for)
        if pieces is not None and tuple(part.fill(values) for part in pieces) != _render_parts(
            notification, self.templates
        ):
            pieces = None
        if pieces is None:
            logger.warning("e-mails of kind %s are rendered by the template engine: no pieces for them", kind)
        return pieces


def _absolute(url: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def deliver(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Send claimed rows (status ``sending``) on the recipients' channels and record the outcome.

    Rows with their recipients are read in one query and preferences in another. E-mails go out over one SMTP
    connection, written from pieces compiled once per kind (``EmailRenderer``), the next one while the server answers
    the previous; once the server has taken one, its id goes to the claim's ``SentLog`` (portal/claims.py) before the
    next one leaves, and the batch's states are written at the end in one statement per distinct outcome, so the
    queries do not grow with the rows. A worker dying mid-batch leaves at most the message in flight to be sent
    again: recovery finishes the logged rows (``finish_logged``) instead of sending them twice.
    """
    now = now or timezone.now()
    rows = list(Notification.objects.filter(pk__in=ids, status=Notification.Status.SENDING).select_related("recipient"))
    in_app_only, to_mail = _by_channel(rows)
    log = claims.sent_log()
    mailed: list[tuple[Notification, bool]] = []
    failures: list[tuple[Notification, Exception]] = []
    tried: set[int] = set()
    mailer = BatchMailer()
    try:
        _send_emails(to_mail, mailer, log, mailed=mailed, failures=failures, tried=tried)
    except claims.INTERRUPTIONS:
        # Out of time: what went out is written now, the rows not tried go back; the one in flight is recovered as
        # stale (it may have gone).
        _mark_mailed([(row.pk, in_app, row.channels) for row, in_app in mailed], now)
        # Only rows still under this batch's claims go back: one recovered and re-claimed meanwhile is not ours.
        tokens = {row.claim_token for row in rows}
        claims.release(Notification, [row.pk for row, _pref in to_mail if row.pk not in tried], claim_token__in=tokens)
        claims.release(Notification, [pk for pks in in_app_only.values() for pk in pks], claim_token__in=tokens)
        log.discard({row.claim_token for row, _in_app in mailed})
        raise
    finally:
        mailer.close()
    sent = _mark_mailed([(row.pk, in_app, row.channels) for row, in_app in mailed], now)
    for row, exc in failures:
        claims.record_failure(Notification, row, exc, now, claim_token=row.claim_token)
    for (in_app, email), pks in in_app_only.items():
        sent += Notification.objects.filter(pk__in=pks, status=Notification.Status.SENDING).update(
            status=Notification.Status.SENT, sent_at=now, in_app=in_app, channels={"email": email}
        )
    log.discard({row.claim_token for row, _in_app in mailed})
    return {"sent": sent, "failed": len(failures)}


def _send_emails(to_mail, mailer: BatchMailer, log, *, mailed: list, failures: list, tried: set) -> None:
    """E-mail the rows over ``mailer``, each written while the server answers the previous one; an e-mail the
    server took is logged (``log``) before the next one leaves. Appends to ``mailed``, ``failures`` and ``tried``."""
    renderer = EmailRenderer()
    in_flight: tuple[Notification, Preference] | None = None  # the e-mail whose answer the server still owes

    def failed(row: Notification, exc: Exception, *, transport: bool = True) -> None:
        logger.warning("notification %s: email failed: %s", row.pk, exc)
        failures.append((row, exc))
        if transport:
            mailer.failed(exc)

    for row, pref in [*to_mail, (None, None)]:
        message = None
        if row is not None:
            try:
                message = renderer.render(row)  # while the previous e-mail is with the server
            except claims.INTERRUPTIONS:
                raise
            except Exception as exc:  # a kind's attachment that cannot be built: only this row fails
                tried.add(row.pk)
                failed(row, exc, transport=False)
        if in_flight is not None:
            done, in_flight = in_flight, None
            try:
                mailer.wait()
            except claims.INTERRUPTIONS:
                raise
            except Exception as exc:  # any transport error: retry later, never block the rest of the batch
                failed(done[0], exc)
            else:
                # Logged before the next e-mail leaves: at most one e-mail is ever sent and not logged.
                log.add(done[0].claim_token, [(done[0].pk, _tag(done[1].in_app))])
                mailed.append((done[0], done[1].in_app))
        if message is not None:
            tried.add(row.pk)
            try:
                mailer.submit(message)
            except claims.INTERRUPTIONS:
                raise
            except Exception as exc:  # any transport error: retry later, never block the rest of the batch
                failed(row, exc)
            else:
                in_flight = (row, pref)


def _by_channel(rows: list[Notification]):
    """The rows to e-mail now (with the recipient's preference), and the others grouped by (in-app, e-mail outcome),
    the recipients' preferences read in one query."""
    prefs = preferences_for({row.recipient_id for row in rows}, {row.kind for row in rows})
    in_app_only: dict[tuple[bool, str], list[int]] = {}
    to_mail: list[tuple[Notification, Preference]] = []
    for row in rows:
        pref = prefs.get((row.recipient_id, row.kind), Preference())
        email = _email_plan(row, pref)
        if email == "pending":
            to_mail.append((row, pref))
        else:
            in_app_only.setdefault((pref.in_app, email), []).append(row.pk)
    return in_app_only, to_mail


def _tag(in_app: bool) -> str:
    return "in_app" if in_app else "email_only"


def _mark_mailed(rows: list[tuple[int, bool, dict]], now: dt.datetime) -> int:
    """Mark e-mailed rows sent: one statement per distinct (in-app, channels) pair, not one per row."""
    groups: dict[tuple[bool, str], list[int]] = {}
    for pk, in_app, channels in rows:
        merged = {**channels, "email": "sent"}
        groups.setdefault((in_app, json.dumps(merged, sort_keys=True)), []).append(pk)
    sent = 0
    for (in_app, channels), pks in groups.items():
        sent += Notification.objects.filter(pk__in=pks, status=Notification.Status.SENDING).update(
            status=Notification.Status.SENT, sent_at=now, in_app=in_app, channels=json.loads(channels), last_error=""
        )
    return sent


def finish_logged(logged: dict[int, str], now: dt.datetime) -> int:
    """Recovery of rows a dead worker had already e-mailed (its ``SentLog`` says so): mark them sent, never resend."""
    rows = Notification.objects.filter(pk__in=list(logged), status=Notification.Status.SENDING)
    return _mark_mailed(
        [(pk, logged[pk] == _tag(True), channels) for pk, channels in rows.values_list("pk", "channels")], now
    )


claims.on_logged_recovery(Notification, finish_logged)


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
