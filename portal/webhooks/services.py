"""The writes behind the group-robot settings pages, each taking the acting user: add, change and remove a robot,
and queue a test message."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import reminders
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.scoping import ensure_editable
from portal.webhooks.client import render_markdown
from portal.webhooks.plan import TEST_KIND
from portal.webhooks.selectors import manageable_organizations


def _check_fields(*, platform: str, secret: str, kinds: list[str]) -> None:
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
    from portal.tasks import send_webhook_test  # noqa: PLC0415 (a service queueing its own task)

    send_webhook_test.delay_on_commit(delivery.pk)
    return delivery
