"""Group robots (企业微信 / 钉钉 群机器人): which reminders reach which group, the messages, and their delivery.

Which groups hear of a reminder. A domain app may name the organizations itself (``Candidate.organizations``);
otherwise they are the organizations where the reminder's recipients hold a role — the action item's responsible
party, the activity's lead and co-organizers, the agreement's parties, the committee of an escalation — keeping only
those whose own scope may see the reminded object, so a group never hears of something its organization could not
open (a secretary who is also a liaison elsewhere does not leak one organization's items into the other's group).
Each enabled robot of such an organization posts the reminder if it takes that kind (``WebhookEndpoint.kinds``,
empty = every kind).

Deliveries are rows like notifications (portal/reminders.py): the sweep's plan step inserts one
``WebhookDelivery`` per (robot, kind, object, occurrence) set-based with ``ignore_conflicts`` and cancels the pending
ones that are no longer candidates; then they are claimed (``SELECT … FOR UPDATE SKIP LOCKED`` + a conditional update
stamped with a claim token, portal/claims.py) and posted outside any transaction, each post within a total
deadline of ``WEBHOOK_TIMEOUT`` seconds. A failure
(timeout, HTTP status, ``errcode`` ≠ 0 in the reply) is recorded and retried after 5, 10, 20, 40 minutes, then failed;
a robot that did not answer is skipped for the rest of that run, so one dead group never holds up the others.

At volume (issue 11): 企业微信 and 钉钉 take at most 20 messages a minute per robot and drop the rest, so each robot
posts at most ``WEBHOOK_POSTS_PER_MINUTE`` (18) per rolling minute, its recent post times kept on the endpoint
(``plan_posts``). A robot owed more reminders than it may still post gets digests — as many reminders per message as
``MAX_MARKDOWN_BYTES`` allows (``pack``) — and what is over its budget waits, ``pending`` and due when its window
frees: never dropped, never failed. What went out is logged per claim (portal/claims.py ``SentLog``) and the states
are written per batch, so a worker dying mid-batch re-posts at most the one message in flight.

The services at the end (``webhook_endpoint_*``) are the writes behind the settings pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Count, Max, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import claims
from portal.claims import RETRY_BASE
from portal.models import Membership, WebhookDelivery, WebhookEndpoint, validate_webhook_url
from portal.scoping import ROLE_REVIEWER, ROLE_SECRETARY, UserScope, ensure_editable, get_scope

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
TEST_KIND = "webhook.test"
# WeCom refuses markdown over 4096 bytes; DingTalk allows more. Keep every message under the smaller limit.
MAX_MARKDOWN_BYTES = 4000


class WebhookError(Exception):
    """A post that did not succeed. ``unreachable`` when the robot did not answer properly at all (timeout,
    refused connection, HTTP error), as opposed to answering with an error code about this one message."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


# --- messages ---------------------------------------------------------------------------------------------------


def absolute_url(url: str) -> str:
    """``/path`` → ``SITE_URL/path``; absolute addresses and empty strings unchanged."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", "ignore") + "…"


def render_markdown(*, title: str, label: str = "", body: str = "", link: str = "") -> str:
    """The message as posted: the title as a heading, the kind, the body, a link into the portal, and the site's
    name (DingTalk robots secured by keyword only accept messages that contain it)."""
    lines = [f"### {title}"]
    if label:
        lines.append(f"> {label}")
    if body:
        lines += ["", body]
    if link:
        lines += ["", f"[{_('Open it in the portal')}]({absolute_url(link)})"]
    lines += ["", f"—— {settings.SITE_NAME}"]
    return _truncate_bytes("\n".join(lines), MAX_MARKDOWN_BYTES)


def payload(endpoint: WebhookEndpoint, title: str, markdown: str) -> dict:
    """The JSON body each platform expects for a markdown message."""
    if endpoint.platform == WebhookEndpoint.Platform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
    return {"msgtype": "markdown", "markdown": {"content": markdown}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(endpoint: WebhookEndpoint, timestamp_ms: int | None = None) -> str:
    """The address to post to: DingTalk robots with a secret get ``&timestamp=…&sign=…`` appended."""
    if endpoint.platform != WebhookEndpoint.Platform.DINGTALK or not endpoint.secret:
        return endpoint.url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else round(time.time() * 1000)
    query = urllib.parse.urlencode({"timestamp": timestamp_ms, "sign": dingtalk_sign(endpoint.secret, timestamp_ms)})
    return f"{endpoint.url}{'&' if '?' in endpoint.url else '?'}{query}"


# A robot answers with a few dozen bytes of JSON; more than this is never read.
MAX_REPLY_BYTES = 4096
_tls_context = ssl.create_default_context()


class _Deadline:
    """The whole post's wall-clock budget. A per-read socket timeout alone lets a server that answers one byte at a
    time hold the worker for as long as it likes; this timer shuts the connection's socket down when the budget is
    spent, whatever the post is doing then (TLS handshake, sending, reading headers or body), so the blocked call
    returns at once with an error. Used as a context manager around one connection."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self._ends - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        """The socket to shut down at the deadline (the TLS socket replaces the plain one)."""
        with self._lock:
            self._sock = sock
            if self.expired:
                raise TimeoutError
        sock.settimeout(self.remaining())

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                try:
                    # The base class's shutdown, also for a TLS socket: only the kernel socket, not the TLS state
                    # the blocked thread is using; its read then ends with an error.
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    def __enter__(self):
        self._ends = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            self._sock = None


class _Connection(http.client.HTTPConnection):
    """One HTTP(S) connection whose sockets are watched by a ``_Deadline``. Never follows a redirect (http.client
    does not), never goes through a proxy."""

    def __init__(self, host: str, port: int, *, tls: bool, deadline: _Deadline):
        super().__init__(host, port, timeout=deadline.remaining())
        self.tls = tls
        self.deadline = deadline
        self.default_port = 443 if tls else 80  # the Host header names the port only when it is not the default

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.deadline.remaining())
        try:
            self.deadline.watch(sock)
            if self.tls:
                sock = _tls_context.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
                self.deadline.watch(sock)
                sock.do_handshake()
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(endpoint: WebhookEndpoint, body: dict, *, timeout: float | None = None) -> str:
    """POST ``body`` as JSON to the robot; returns its reply (short) or raises ``WebhookError``.

    The post takes at most ``timeout`` seconds (``WEBHOOK_TIMEOUT``) in all — connecting, TLS, sending and reading
    — and reads at most ``MAX_REPLY_BYTES`` of the reply. Both platforms answer HTTP 200 with
    ``{"errcode": 0, "errmsg": "ok"}``; anything else is a failure.
    """
    timeout = timeout if timeout is not None else settings.WEBHOOK_TIMEOUT
    # Checked again here, not only in the form: an address saved before the rules were narrowed never goes out.
    try:
        validate_webhook_url(endpoint.url)
    except ValidationError as exc:
        raise WebhookError(" ".join(exc.messages)[:300]) from None
    parts = urllib.parse.urlsplit(signed_url(endpoint))
    tls = parts.scheme == "https"
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    deadline = _Deadline(timeout)
    try:
        with deadline:
            connection = _Connection(parts.hostname, parts.port or (443 if tls else 80), tls=tls, deadline=deadline)
            try:
                connection.request(
                    "POST", target, body=data, headers={"Content-Type": "application/json; charset=utf-8"}
                )
                response = connection.getresponse()
                status = response.status
                text = response.read(MAX_REPLY_BYTES).decode("utf-8", "replace")
            finally:
                connection.close()
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired or isinstance(exc, TimeoutError):
            raise WebhookError(_("No answer within %(seconds)s s.") % {"seconds": timeout}, unreachable=True) from None
        raise WebhookError((str(exc) or type(exc).__name__)[:300], unreachable=True) from None
    if deadline.expired:  # the reply was cut short at the deadline
        raise WebhookError(_("No answer within %(seconds)s s.") % {"seconds": timeout}, unreachable=True)
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status}", unreachable=True)
    try:
        reply = json.loads(text)
    except ValueError:
        raise WebhookError(_("Unexpected reply: %(reply)s") % {"reply": text[:200]}) from None
    code = reply.get("errcode") if isinstance(reply, dict) else None
    if code != 0:
        message = reply.get("errmsg", "") if isinstance(reply, dict) else ""
        raise WebhookError(f"errcode {code}: {message}"[:300])
    return text[:300]


# --- planning (called by portal.reminders.plan) ------------------------------------------------------------------


def _org_scope(org_id: int, roles: Iterable[str], path: str) -> UserScope:
    """What an organization's people, with the roles the recipients hold there, may see."""
    roles = frozenset(roles)
    return UserScope(user_id=0, roles={org_id: roles}, reviewer_paths=(path,) if ROLE_REVIEWER in roles else ())


def _organizations(found: dict[str, list], endpoint_orgs: set[int]) -> dict[tuple, set[int]]:
    """For every candidate, the organizations (among those with a robot) whose groups hear of it.

    One query for the recipients' memberships, then one per kind of object reminded for the visibility check.
    """
    result: dict[tuple, set[int]] = {}
    derived: list[tuple[tuple, object, list]] = []
    for kind, items in found.items():
        for target_type, candidate in items:
            key = (kind, target_type.pk, candidate.target.pk, candidate.occurrence)
            explicit = getattr(candidate, "organizations", None)
            if explicit is not None:
                result[key] = {getattr(org, "pk", org) for org in explicit} & endpoint_orgs
            else:
                derived.append((key, candidate.target, candidate.recipients))
    if not derived:
        return result
    user_ids = {user.pk for _key, _target, recipients in derived for user in recipients}
    user_orgs: dict[int, set[int]] = {}
    org_roles: dict[int, set[str]] = {}
    org_paths: dict[int, str] = {}
    memberships = Membership.objects.filter(user_id__in=user_ids, organization_id__in=endpoint_orgs).values_list(
        "user_id", "organization_id", "role", "organization__path"
    )
    for user_id, org_id, role, path in memberships:
        user_orgs.setdefault(user_id, set()).add(org_id)
        org_roles.setdefault(org_id, set()).add(role)
        org_paths[org_id] = path
    # Which of those organizations may see each object: one query per model, a flag per organization.
    wanted: dict[type, dict[int, set[int]]] = {}  # model -> target id -> org ids
    for key, target, recipients in derived:
        orgs = set().union(*(user_orgs.get(user.pk, set()) for user in recipients))
        result[key] = orgs
        if orgs:
            wanted.setdefault(type(target), {}).setdefault(target.pk, set()).update(orgs)
    for model, targets in wanted.items():
        if not hasattr(model, "scope_visible_q"):
            continue  # a model without scope rules: the recipients' organizations stand
        orgs = sorted(set().union(*targets.values()))
        flags = {}
        for org in orgs:
            condition = model.scope_visible_q(_org_scope(org, org_roles[org], org_paths[org]))
            flags[f"org_{org}"] = (
                Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
                if condition
                else Value(True)  # an empty Q: everyone may see these objects
            )
        visible: dict[int, set[int]] = {}
        for row in model._default_manager.filter(pk__in=list(targets)).annotate(**flags).values("pk", *flags):
            visible[row["pk"]] = {org for org in orgs if row[f"org_{org}"]}
        for key, target, _recipients in derived:
            if type(target) is model:
                result[key] &= visible.get(target.pk, set())
    return result


def _wanted(found: dict[str, list]) -> dict[tuple, WebhookDelivery]:
    """The deliveries the candidates call for, keyed by (robot, kind, object type, object, occurrence)."""
    from portal import reminders

    endpoints = list(WebhookEndpoint.objects.filter(enabled=True).only("pk", "organization_id", "kinds"))
    wanted: dict[tuple, WebhookDelivery] = {}
    if not endpoints or not any(found.values()):
        return wanted
    by_org: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_org.setdefault(endpoint.organization_id, []).append(endpoint)
    orgs_for = _organizations(found, set(by_org))
    with translation.override(settings.LANGUAGE_CODE):
        for kind, items in found.items():
            label = str(reminders.label_for(kind))
            for target_type, candidate in items:
                orgs = orgs_for.get((kind, target_type.pk, candidate.target.pk, candidate.occurrence), ())
                markdown = None
                for org in sorted(orgs):
                    for endpoint in by_org[org]:
                        if not endpoint.posts_kind(kind):
                            continue
                        key = (endpoint.pk, kind, target_type.pk, candidate.target.pk, candidate.occurrence)
                        if markdown is None:
                            markdown = render_markdown(
                                title=str(candidate.title), label=label, body=str(candidate.body), link=candidate.url
                            )
                        wanted[key] = WebhookDelivery(
                            endpoint_id=endpoint.pk,
                            kind=kind,
                            target_type=target_type,
                            target_id=candidate.target.pk,
                            occurrence=candidate.occurrence,
                            title=str(candidate.title)[:200],
                            body=markdown,
                            due_at=candidate.due_at,
                        )
    return wanted


def _insert_new(new: list[WebhookDelivery]) -> int:
    """Insert deliveries; rows sent or cancelled before are skipped by the unique constraint and not counted."""
    if not new:
        return 0
    existing = set(
        WebhookDelivery.objects.filter(
            endpoint_id__in={row.endpoint_id for row in new}, target_id__in={row.target_id for row in new}
        ).values_list("endpoint_id", "kind", "target_type_id", "target_id", "occurrence")
    )
    new = [
        row
        for row in new
        if (row.endpoint_id, row.kind, row.target_type_id, row.target_id, row.occurrence) not in existing
    ]
    if not new:
        return 0
    return len(WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=500))


def plan_events(found: dict[str, list]) -> int:
    """The deliveries of event notices (portal.reminders.notify_event): inserted once, never cancelled by planning."""
    return _insert_new(list(_wanted(found).values()))


def plan(found: dict[str, list], now: dt.datetime) -> dict[str, int]:
    """Create the deliveries for the current candidates and cancel the pending ones that no longer are.

    ``found`` maps every timed kind to its current ``(ContentType, Candidate)`` pairs (empty when the rule is off);
    pending deliveries of other kinds (event notices, test messages) are not this step's to cancel. A constant
    number of queries however many candidates and robots.
    """
    pending = {
        tuple(row[1:]): row[0]
        for row in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, kind__in=list(found))
        .exclude(kind=TEST_KIND)
        .values_list("pk", "endpoint_id", "kind", "target_type_id", "target_id", "occurrence")
    }
    wanted = _wanted(found)
    cancelled = created = 0
    stale = [pk for key, pk in pending.items() if key not in wanted]
    if stale:
        cancelled = WebhookDelivery.objects.filter(pk__in=stale, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.CANCELLED, claim_token=""
        )
    created = _insert_new([row for key, row in wanted.items() if key not in pending])
    return {"created": created, "cancelled": cancelled}


# --- delivery ---------------------------------------------------------------------------------------------------


def claim_ids(ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given deliveries if still pending; only the ids this call won (portal/claims.py)."""
    return claims.claim_ids(WebhookDelivery, ids, now)


PACING_WINDOW = dt.timedelta(minutes=1)


def _footer() -> str:
    return f"\n\n—— {settings.SITE_NAME}"


def _section(row: WebhookDelivery) -> str:
    """A row's message without the site's name at its end (a digest signs once, at the bottom)."""
    footer = _footer()
    return row.body[: -len(footer)] if row.body.endswith(footer) else row.body


def digest_markdown(rows: list[WebhookDelivery]) -> str:
    """Several reminders in one message: a heading with their number, each reminder's message, the site's name."""
    with translation.override(settings.LANGUAGE_CODE):
        heading = ngettext("## %(count)s reminder", "## %(count)s reminders", len(rows)) % {"count": len(rows)}
    return "\n\n".join([heading, *(_section(row) for row in rows)]) + _footer()


def digest_title(rows: list[WebhookDelivery]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext("%(count)s reminder", "%(count)s reminders", len(rows)) % {"count": len(rows)}


def pack(rows: list[WebhookDelivery], budget: int) -> list[list[WebhookDelivery]]:
    """The messages one robot's rows go out as, in order: one per row when they fit in ``budget`` posts; otherwise
    digests, each as full as ``MAX_MARKDOWN_BYTES`` allows (a row too big to share a message goes alone). A test
    message always goes alone. The caller posts the first ``budget`` messages and defers the rest."""
    if len(rows) <= budget:
        return [[row] for row in rows]
    messages: list[list[WebhookDelivery]] = []
    current: list[WebhookDelivery] = []
    size = 0
    fixed = len(digest_markdown([]).encode()) + 8  # heading and footer; a longer count adds a few bytes
    for row in rows:
        if row.kind == TEST_KIND:
            messages.append([row])
            continue
        section = len(_section(row).encode()) + 2
        if current and size + section > MAX_MARKDOWN_BYTES:
            messages.append(current)
            current, size = [], fixed
        if not current:
            size = fixed
        current.append(row)
        size += section
    if current:
        messages.append(current)
    return messages


def _as_message(rows: list[WebhookDelivery]) -> tuple[str, str]:
    """(title, markdown) of one message: a single row as it was planned, several as a digest."""
    if len(rows) == 1:
        return rows[0].title, rows[0].body
    markdown = digest_markdown(rows)
    if len(markdown.encode()) > MAX_MARKDOWN_BYTES:  # only a row that could not share: pack() sends those alone
        markdown = _truncate_bytes(markdown, MAX_MARKDOWN_BYTES)
    return digest_title(rows), markdown


def _parse_times(values) -> list[dt.datetime]:
    times = []
    for value in values or ():
        try:
            times.append(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return times


def plan_posts(
    endpoint_id: int, rows: list[WebhookDelivery], now: dt.datetime
) -> tuple[list[list[WebhookDelivery]], int, dt.datetime]:
    """The messages a robot's rows go out as (``pack``), how many of them it may post now, and when its next post
    frees. At most ``WEBHOOK_POSTS_PER_MINUTE`` per rolling minute ending at ``now``, counted across sweeps and
    workers: the robot's row is locked while its recent post times are read and the granted ones added."""
    limit = settings.WEBHOOK_POSTS_PER_MINUTE
    with transaction.atomic():
        stored = _parse_times(
            WebhookEndpoint.objects.select_for_update()
            .filter(pk=endpoint_id)
            .values_list("recent_posts", flat=True)
            .first()
        )
        # Posts stamped after ``now`` (a worker whose clock is ahead) still count.
        taken = sorted(t for t in stored if t > now - PACING_WINDOW)
        free = max(limit - len(taken), 0)
        messages = pack(rows, free)
        granted = min(len(messages), free)
        if granted or len(taken) != len(stored):
            taken = sorted(taken + [now] * granted)
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(recent_posts=[t.isoformat() for t in taken])
    frees_at = taken[-limit] + PACING_WINDOW if len(taken) >= limit else now
    return messages, granted, frees_at


def send(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Post claimed deliveries (status ``sending``), robot by robot, paced and batched.

    Each robot posts at most ``WEBHOOK_POSTS_PER_MINUTE`` messages per rolling minute (``plan_posts``). Its rows
    go one message each when they fit in what it may still post; otherwise they are packed into digests
    (``pack``), and the digests beyond its budget go back to ``pending``, due when its window frees — never dropped,
    never failed. After each post the ids it carried go to the claim's ``SentLog``; the states are written per batch
    at the end, so a worker dying mid-batch re-posts at most the message in flight.

    A test message (kind ``webhook.test``) is posted whatever the robot's kinds and switch, and is never retried:
    its failure is final, the person who asked for it is watching.
    """
    now = now or timezone.now()
    rows = list(
        WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.SENDING)
        .select_related("endpoint")
        .order_by("due_at", "pk")
    )
    cancelled: list[int] = []
    by_endpoint: dict[int, list[WebhookDelivery]] = {}
    for row in rows:
        if row.kind != TEST_KIND and (not row.endpoint.enabled or not row.endpoint.posts_kind(row.kind)):
            cancelled.append(row.pk)
        else:
            by_endpoint.setdefault(row.endpoint_id, []).append(row)
    log = claims.sent_log()
    posted: list[tuple[list[WebhookDelivery], str]] = []
    deferred: dict[dt.datetime, list[int]] = {}
    later: list[int] = []  # their robot did not answer: at the next retry time, no attempt spent
    failures: list[tuple[WebhookDelivery, Exception, bool]] = []
    succeeded: set[int] = set()
    errors: dict[int, str] = {}
    tried: set[int] = set()
    try:
        for endpoint_rows in by_endpoint.values():
            endpoint = endpoint_rows[0].endpoint
            messages, budget, frees_at = plan_posts(endpoint.pk, endpoint_rows, now)
            for message in messages[budget:]:
                deferred.setdefault(frees_at, []).extend(row.pk for row in message)
                tried.update(row.pk for row in message)
            unreachable = ""
            for message in messages[:budget]:
                tried.update(row.pk for row in message)
                if unreachable:
                    for row in message:
                        if row.kind == TEST_KIND:
                            failures.append((row, WebhookError(unreachable), True))
                        else:
                            later.append(row.pk)
                    continue
                title, markdown = _as_message(message)
                try:
                    reply = post(endpoint, payload(endpoint, title, markdown))
                except WebhookError as exc:
                    logger.warning("webhook message to robot %s (%d rows) failed: %s", endpoint.pk, len(message), exc)
                    failures += [(row, exc, row.kind == TEST_KIND) for row in message]
                    errors[endpoint.pk] = str(exc)
                    if exc.unreachable:
                        unreachable = str(exc)
                    continue
                log.add(message[0].claim_token, [(row.pk, "") for row in message])
                posted.append((message, reply))
                succeeded.add(endpoint.pk)
    except claims.INTERRUPTIONS:
        # Out of time (Celery's limit): what went out is written, the rows not tried go back now; the message in
        # flight stays ``sending`` and is recovered as stale (from the log if it went).
        tokens = {message[0].claim_token for message, _reply in posted}
        _write_outcomes(posted, cancelled, deferred, later, failures, now)
        claims.release(WebhookDelivery, [row.pk for row in rows if row.pk not in tried])
        log.discard(tokens)
        raise
    finally:
        if succeeded:
            WebhookEndpoint.objects.filter(pk__in=succeeded).update(last_success_at=now)
        for endpoint_id, error in errors.items():
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(last_error=error[:2000], last_error_at=now)
    tokens = {message[0].claim_token for message, _reply in posted}
    sent = _write_outcomes(posted, cancelled, deferred, later, failures, now)
    log.discard(tokens)  # the states are written: the log is no longer needed
    return {"sent": sent, "failed": len(failures)}


def _write_outcomes(posted, cancelled, deferred, later, failures, now) -> int:
    """The batch's states in a few statements: sent (one per distinct reply), cancelled, deferred to when the robot's
    window frees, retried later; a failure is recorded per row (a failure is the exception)."""
    sent = 0
    by_reply: dict[str, list[int]] = {}
    for message, reply in posted:
        by_reply.setdefault(reply, []).extend(row.pk for row in message)
    sending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING)
    for reply, pks in by_reply.items():
        sent += sending.filter(pk__in=pks).update(
            status=WebhookDelivery.Status.SENT, sent_at=now, response=reply, last_error="", retry_at=None
        )
    if cancelled:
        sending.filter(pk__in=cancelled).update(status=WebhookDelivery.Status.CANCELLED, claim_token="")
    for due_at, pks in deferred.items():
        sending.filter(pk__in=pks).update(status=WebhookDelivery.Status.PENDING, due_at=due_at, claim_token="")
    if later:
        sending.filter(pk__in=later).update(
            status=WebhookDelivery.Status.PENDING, retry_at=now + RETRY_BASE, claim_token=""
        )
    for row, exc, final in failures:
        claims.record_failure(WebhookDelivery, row, exc, now, final=final, claim_token=row.claim_token)
    posted.clear()
    cancelled.clear()
    deferred.clear()
    later.clear()
    failures.clear()
    return sent


def finish_logged(logged: dict[int, str], now: dt.datetime) -> int:
    """Recovery of deliveries a dead worker had already posted (its ``SentLog`` says so): sent, never re-posted."""
    return WebhookDelivery.objects.filter(pk__in=list(logged), status=WebhookDelivery.Status.SENDING).update(
        status=WebhookDelivery.Status.SENT, sent_at=now, last_error="", retry_at=None
    )


claims.on_logged_recovery(WebhookDelivery, finish_logged)


def deliver_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Recover, then claim and post every due delivery, batch by batch. Safe to run in several workers."""
    now = now or timezone.now()
    recovered = claims.recover_stale(WebhookDelivery, now)
    return {"recovered": recovered, **claims.process_due(WebhookDelivery, now, send, size=BATCH_SIZE)}


# --- reads for the pages ----------------------------------------------------------------------------------------


def organization_model():
    """The organization model, reached through the robot's foreign key (portal never imports a domain app)."""
    return WebhookEndpoint._meta.get_field("organization").related_model


def manageable_organizations(user):
    """Organizations whose robots the user may set up: where they are secretary; admins all. Reviewers only read
    their subtree's robots (DESIGN.md §10)."""
    scope = get_scope(user)
    organizations = organization_model().objects.all()
    if scope.is_superuser:
        return organizations
    if scope.is_anonymous:
        return organizations.none()
    return organizations.filter(scope.in_orgs_q("pk", ROLE_SECRETARY))


def endpoints_with_status(queryset):
    """Robots with their delivery counts (sent / pending / failed) and last post, in the same query."""
    status = WebhookDelivery.Status
    return queryset.select_related("organization").annotate(
        sent_count=Count("deliveries", filter=Q(deliveries__status=status.SENT)),
        pending_count=Count("deliveries", filter=Q(deliveries__status__in=[status.PENDING, status.SENDING])),
        failed_count=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
        last_sent_at=Max("deliveries__sent_at"),
    )


# --- services ---------------------------------------------------------------------------------------------------


def _check_fields(*, platform: str, secret: str, kinds: list[str]) -> None:
    from portal import reminders

    errors = {}
    if secret and platform != WebhookEndpoint.Platform.DINGTALK:
        errors["secret"] = _("Only DingTalk robots sign their messages; leave the secret empty for WeCom.")
    unknown = sorted(set(kinds) - set(reminders.kinds()))
    if unknown:
        errors["kinds"] = _("Unknown reminders: %(kinds)s.") % {"kinds": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic(durable=True)
def webhook_endpoint_create(
    *,
    actor,
    organization,
    platform: str,
    name: str,
    url: str,
    secret: str = "",
    kinds: list[str] | None = None,
    enabled: bool = True,
) -> WebhookEndpoint:
    """Add a group robot to an organization the actor manages (its secretary, an admin)."""
    if not manageable_organizations(actor).filter(pk=organization.pk).exists():
        raise PermissionDenied
    kinds = sorted(set(kinds or []))
    _check_fields(platform=platform, secret=secret, kinds=kinds)
    endpoint = WebhookEndpoint(
        organization=organization,
        platform=platform,
        name=name,
        url=url,
        secret=secret,
        kinds=kinds,
        enabled=enabled,
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    ensure_editable(actor, endpoint)
    return endpoint


_UNCHANGED = object()


@transaction.atomic(durable=True)
def webhook_endpoint_update(
    *,
    actor,
    endpoint: WebhookEndpoint,
    platform: str,
    name: str,
    url: str = "",
    secret=_UNCHANGED,
    kinds: list[str] | None = None,
    enabled: bool = True,
) -> WebhookEndpoint:
    """Change a robot's settings. An empty ``url`` keeps the stored address (the page never shows it in full);
    ``secret`` is kept unless given ("" removes it). Pending messages of kinds it no longer takes are cancelled."""
    ensure_editable(actor, endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.platform = platform
    endpoint.name = name
    if url:
        endpoint.url = url
    if secret is not _UNCHANGED:
        endpoint.secret = secret
    if platform != WebhookEndpoint.Platform.DINGTALK and secret is _UNCHANGED:
        endpoint.secret = ""  # a WeCom robot has no secret; switching platform drops it
    endpoint.kinds = sorted(set(kinds or []))
    endpoint.enabled = enabled
    _check_fields(platform=endpoint.platform, secret=endpoint.secret, kinds=endpoint.kinds)
    endpoint.full_clean()
    endpoint.save()
    pending = endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING)
    if not endpoint.enabled:
        pending.update(status=WebhookDelivery.Status.CANCELLED)
    elif endpoint.kinds:
        pending.exclude(kind__in=endpoint.kinds).update(status=WebhookDelivery.Status.CANCELLED)
    ensure_editable(actor, endpoint)
    return endpoint


@transaction.atomic(durable=True)
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Remove a robot and its delivery log."""
    ensure_editable(actor, endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic(durable=True)
def webhook_endpoint_test_request(
    *, actor, endpoint: WebhookEndpoint, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Queue a test message to the robot (its managers): recorded as a pending delivery in its log, posted by a
    Celery task right after commit (``deliver_test``), never inside the web request. The robot's page polls the row
    for the outcome. Should the task be lost, the reminder sweep posts the row like any other due delivery."""
    now = now or timezone.now()
    ensure_editable(actor, endpoint)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Test message from the joint construction portal")
        body = _(
            "If this message shows in the group, the robot works: reminders about %(organization)s will be posted here."
        ) % {"organization": endpoint.organization.name}
        markdown = render_markdown(title=title, label=endpoint.name, body=body, link=endpoint.get_absolute_url())
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        kind=TEST_KIND,
        target_type=ContentType.objects.get_for_model(WebhookEndpoint),
        target_id=endpoint.pk,
        occurrence=f"test:{now.isoformat()}:{uuid.uuid4().hex[:8]}"[:60],
        title=title,
        body=markdown,
        due_at=now,
    )
    from portal.tasks import send_webhook_test

    send_webhook_test.delay_on_commit(delivery.pk)
    return delivery


def deliver_test(delivery_id: int, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The task's work: claim the test message if it is still pending and post it once (``send``)."""
    now = now or timezone.now()
    ids = claim_ids(
        list(WebhookDelivery.objects.filter(pk=delivery_id, kind=TEST_KIND).values_list("pk", flat=True)), now
    )
    if not ids:
        return {"sent": 0, "failed": 0}  # already taken by the sweep, or gone with its robot
    return send(ids, now=now)
