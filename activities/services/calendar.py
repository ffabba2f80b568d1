"""Writes for the personal iCal feed: create or replace the secret token, revoke it, note when it was last read.

The token is the only credential of the feed URL (calendar apps cannot sign in), so it is long and random
(``secrets.token_urlsafe(32)``, 256 bits) and each user has at most one: replacing it ends the old URL at once.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activities.models import CalendarToken
from activities.rules import may_hold_calendar_token

# A calendar app polls every few minutes to every few hours; one write an hour is enough to show "last used".
TOUCH_INTERVAL = dt.timedelta(hours=1)


def _ensure_may_hold_token(actor) -> None:
    if not may_hold_calendar_token(actor):
        raise PermissionDenied


@transaction.atomic(durable=True)
def calendar_token_regenerate(*, actor) -> CalendarToken:
    """Give ``actor`` a new feed token, replacing any old one (whose URL stops working)."""
    _ensure_may_hold_token(actor)
    # Delete then create rather than update: created_at then tells when the current address was issued.
    CalendarToken.objects.filter(user=actor).delete()
    token = CalendarToken(user=actor, token=secrets.token_urlsafe(32))
    token.full_clean()
    token.save()
    return token


@transaction.atomic(durable=True)
def calendar_token_revoke(*, actor) -> bool:
    """Delete ``actor``'s feed token; returns whether there was one. The feed URL answers 404 from now on."""
    _ensure_may_hold_token(actor)
    deleted, _ = CalendarToken.objects.filter(user=actor).delete()
    return bool(deleted)


def calendar_token_touch(*, token: CalendarToken, now: dt.datetime | None = None) -> bool:
    """Record that the feed was read, at most once per ``TOUCH_INTERVAL``; returns whether a row was written.

    The row is only written when the stored time is old, and the write itself is conditional, so frequent polling
    costs no write and two readers at once write once.
    """
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    updated = CalendarToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    if updated:
        token.last_used_at = now
    return bool(updated)
