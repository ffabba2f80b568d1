"""``Authorization: Bearer <token>``: the token's user becomes the reader, limited per token."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from ninja.security import HttpBearer

from api.errors import RateLimited
from api.selectors.tokens import active_token
from api.services.tokens import api_token_mark_used

RATE_WINDOW_SECONDS = 60


def check_rate(token_id: int, *, now: float | None = None) -> None:
    """A fixed one-minute window per token counted in the shared cache (Redis in production, so every web host
    counts together; ``incr`` is atomic there). Over API_RATE_LIMIT → RateLimited with the seconds left."""
    now = time.time() if now is None else now
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"api:rate:{token_id}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this request opens the window
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS + 5)
        count = 1
    if count > settings.API_RATE_LIMIT:
        raise RateLimited(retry_after=max(1, int((window + 1) * RATE_WINDOW_SECONDS - now) + 1))


class TokenAuth(HttpBearer):
    """Resolves the bearer secret to its active token; the request reads as the token's user."""

    def authenticate(self, request, token: str):
        found = active_token(token.strip())
        if found is None:
            return None
        check_rate(found.pk)
        api_token_mark_used(token=found)
        request.api_token = found
        return found.user
