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
stamped with a claim token, portal/claims.py) and posted outside any transaction with a short timeout. A failure
(timeout, HTTP status, ``errcode`` ≠ 0 in the reply) is recorded and retried after 5, 10, 20, 40 minutes, then failed;
a robot that did not answer is skipped for the rest of that run, so one dead group never holds up the others.

The services at the end (``webhook_endpoint_*``) are the writes behind the settings pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Count, Max, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Robots answer directly; a redirect is an error, never followed (it could point anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(endpoint: WebhookEndpoint, body: dict, *, timeout: float | None = None) -> str:
    """POST ``body`` as JSON to the robot; returns its reply (short) or raises ``WebhookError``.

    Both platforms answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; anything else is a failure.
    """
    timeout = timeout if timeout is not None else settings.WEBHOOK_TIMEOUT
    # Checked again here, not only in the form: an address saved before the allowed hosts were narrowed never goes out.
    try:
        validate_webhook_url(endpoint.url)
    except ValidationError as exc:
        raise WebhookError(" ".join(exc.messages)[:300]) from None
    request = urllib.request.Request(
        signed_url(endpoint),
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            text = response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"HTTP {exc.code}", unreachable=True) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise WebhookError(_("No answer within %(seconds)s s.") % {"seconds": timeout}, unreachable=True) from None
        raise WebhookError(str(reason)[:300], unreachable=True) from None
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


def plan(found: dict[str, list], now: dt.datetime, *, cancel_stale: bool = True) -> dict[str, int]:
    """Create the deliveries for the current candidates and cancel the pending ones that no longer are.

    ``found`` maps each kind the sweep plans to its current ``(ContentType, Candidate)`` pairs (empty when the rule
    is off); pending deliveries of those kinds that are not wanted any more are cancelled, those of other kinds
    (the robot test, notices sent only by ``reminders.notify``) are left alone. ``cancel_stale=False`` only adds
    (``reminders.notify``). A constant number of queries however many candidates and robots.
    """
    from portal import reminders

    endpoints = list(WebhookEndpoint.objects.filter(enabled=True).only("pk", "organization_id", "kinds"))
    pending = {
        tuple(row[1:]): row[0]
        for row in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, kind__in=list(found))
        .exclude(kind=TEST_KIND)
        .values_list("pk", "endpoint_id", "kind", "target_type_id", "target_id", "occurrence")
    }
    wanted: dict[tuple, WebhookDelivery] = {}
    if endpoints:
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
                                    title=str(candidate.title),
                                    label=label,
                                    body=str(candidate.body),
                                    link=candidate.url,
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
    cancelled = created = 0
    stale = [pk for key, pk in pending.items() if key not in wanted] if cancel_stale else []
    if stale:
        cancelled = WebhookDelivery.objects.filter(pk__in=stale, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.CANCELLED, claim_token=""
        )
    new = [row for key, row in wanted.items() if key not in pending]
    if new:
        # Rows sent or cancelled before are skipped by the unique constraint; only the really new ones count.
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
        if new:
            created = len(WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=500))
    return {"created": created, "cancelled": cancelled}


# --- delivery ---------------------------------------------------------------------------------------------------


def claim_ids(ids: list[int], now: dt.datetime) -> list[int]:
    """Claim the given deliveries if still pending; only the ids this call won (portal/claims.py)."""
    return claims.claim_ids(WebhookDelivery, ids, now)


def send(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Post claimed deliveries (status ``sending``), each marked right after its own post."""
    now = now or timezone.now()
    rows = list(
        WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.SENDING)
        .select_related("endpoint")
        .order_by("due_at", "pk")
    )
    sent = failed = 0
    unreachable: dict[int, str] = {}
    succeeded: set[int] = set()
    errors: dict[int, str] = {}
    for row in rows:
        endpoint = row.endpoint
        mine = WebhookDelivery.objects.filter(
            pk=row.pk, status=WebhookDelivery.Status.SENDING, claim_token=row.claim_token
        )
        if not endpoint.enabled or not endpoint.posts_kind(row.kind):
            mine.update(status=WebhookDelivery.Status.CANCELLED, claim_token="")
            continue
        if endpoint.pk in unreachable:
            # It did not answer a moment ago: try again at the next retry time without spending an attempt.
            mine.update(status=WebhookDelivery.Status.PENDING, retry_at=now + RETRY_BASE, claim_token="")
            continue
        try:
            reply = post(endpoint, payload(endpoint, row.title, row.body))
        except WebhookError as exc:
            logger.warning("webhook delivery %s to robot %s failed: %s", row.pk, endpoint.pk, exc)
            claims.record_failure(WebhookDelivery, row, exc, now, claim_token=row.claim_token)
            failed += 1
            errors[endpoint.pk] = str(exc)
            if exc.unreachable:
                unreachable[endpoint.pk] = str(exc)
            continue
        mine.update(status=WebhookDelivery.Status.SENT, sent_at=now, response=reply, last_error="", retry_at=None)
        succeeded.add(endpoint.pk)
        sent += 1
    if succeeded:
        WebhookEndpoint.objects.filter(pk__in=succeeded).update(last_success_at=now)
    for endpoint_id, error in errors.items():
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(last_error=error[:2000], last_error_at=now)
    return {"sent": sent, "failed": failed}


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
    """Organizations whose robots the user may set up: where they are secretary, their reviewed subtree; admins all."""
    scope = get_scope(user)
    organizations = organization_model().objects.all()
    if scope.is_superuser:
        return organizations
    return organizations.filter(scope.in_orgs_q("pk", ROLE_SECRETARY) | scope.subtree_q("path"))


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
    """Add a group robot to an organization the actor manages (its secretary, a reviewer over it, an admin)."""
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


def webhook_endpoint_test(*, actor, endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> WebhookDelivery:
    """Post a test message to the robot now and record it in its log (no retries: the person is watching).

    The row is written first (committed), the post happens outside any transaction, then the outcome is stored.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        ensure_editable(actor, endpoint)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Test message from the joint construction portal")
            body = _(
                "If this message shows in the group, the robot works: reminders about %(organization)s will be "
                "posted here."
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
            status=WebhookDelivery.Status.SENDING,
            claimed_at=now,
            claim_token=uuid.uuid4().hex,
            attempts=1,
        )
    try:
        reply = post(endpoint, payload(endpoint, title, markdown))
    except WebhookError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, last_error=str(exc)[:2000], claim_token=""
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_error=str(exc)[:2000], last_error_at=now)
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.SENT, sent_at=now, response=reply, claim_token=""
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_success_at=now)
    delivery.refresh_from_db()
    return delivery
