"""Reads of API tokens: a user's own list, and the active token a presented secret names."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from api.models import ApiToken
from api.services.tokens import TOKEN_PREFIX, token_digest

# The profile page lists the latest tokens, revoked ones included (bounded: at most MAX_ACTIVE_TOKENS are active).
LISTED_TOKENS = 20


def user_tokens(user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first; nobody else's, whoever asks."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def active_token(secret: str) -> ApiToken | None:
    """The active token whose secret is ``secret``, with its user, or None (unknown, malformed or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    # Always the primary: the API's reads may take a replica (portal/replica.py), and a token made a moment ago must
    # not be refused by a replica that has not seen it yet.
    return (
        ApiToken.objects.using(DEFAULT_DB_ALIAS)
        .select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
