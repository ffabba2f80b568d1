"""Writes of the big screen (大屏): display links made, revoked and seen."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import DisplayLink, token_digest
from assessments.rules import DISPLAY_SEEN_EVERY, may_open_screen
from partnerships.models import Organization
from portal.scoping import ensure_editable

# Links a committee may keep active at once: a few screens, never an unbounded list.
ACTIVE_LINKS_LIMIT = 20


@transaction.atomic(durable=True)
def display_link_create(*, actor, committee: Organization, name: str) -> tuple[DisplayLink, str]:
    """Make a display link for the committee's screen; return it with its secret, which is stored only as a digest
    (the caller shows it once)."""
    if not may_open_screen(actor, committee):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    active = DisplayLink.objects.filter(committee=committee, revoked_at__isnull=True).count()
    if active >= ACTIVE_LINKS_LIMIT:
        raise ValidationError(
            _("This committee already has %(n)s active display links; revoke one first.") % {"n": active}
        )
    token = secrets.token_urlsafe(32)
    link = DisplayLink(committee=committee, name=name, token_hash=token_digest(token), created_by=actor)
    link.full_clean()
    link.save()
    return link, token


@transaction.atomic(durable=True)
def display_link_revoke(*, actor, link: DisplayLink) -> DisplayLink:
    """Revoke a display link: its screen, JSON and photos are 404 from the next request on."""
    ensure_editable(actor, link)
    if link.revoked_at is not None:
        raise ValidationError(_("This display link is already revoked."))
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.save(update_fields=["revoked_at", "revoked_by"])
    return link


def display_link_seen(*, link: DisplayLink) -> None:
    """Record that the link's screen asked for data: one conditional UPDATE, at most once a minute."""
    now = timezone.now()
    DisplayLink.objects.filter(pk=link.pk).filter(
        Q(last_seen__isnull=True) | Q(last_seen__lt=now - DISPLAY_SEEN_EVERY)
    ).update(last_seen=now)
