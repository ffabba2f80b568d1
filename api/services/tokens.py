"""Writes on API tokens: make one (the secret is returned once, only its hash kept), revoke one, stamp its use."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import rules
from api.models import ApiToken

# "gj_" + 43 URL-safe characters (32 random bytes): long enough that guessing is hopeless, so a fast hash suffices.
TOKEN_PREFIX = "gj_"
SHOWN_PREFIX_LENGTH = 8
# last_used_at is written at most this often per token, so reading never turns every request into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic(durable=True)
def api_token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``actor`` named ``name``; returns the row and the full secret, which is never stored."""
    if not rules.may_hold_tokens(actor):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the system that will use it.")})
    active = ApiToken.objects.select_for_update().filter(user=actor, revoked_at__isnull=True)
    if len(active) >= rules.MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": _("You already hold %(count)d tokens; revoke one first.") % {"count": rules.MAX_ACTIVE_TOKENS}}
        )
    if any(token.name == name for token in active):
        raise ValidationError({"name": _("You already have a token of that name.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name, prefix=secret[:SHOWN_PREFIX_LENGTH], digest=token_digest(secret))
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic(durable=True)
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke one of ``actor``'s tokens: from the next request on it gets 401. Revoking twice changes nothing."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_mark_used(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Stamp the token's last use, at most once per LAST_USED_RESOLUTION (one conditional UPDATE, no transaction of
    its own: it runs inside the request's read)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # Named database: this bookkeeping write must not turn the request's replica reads back to the primary (the
    # router's read-your-writes rule is for the request's own data, which this is not).
    ApiToken.objects.using(DEFAULT_DB_ALIAS).filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
