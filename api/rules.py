"""Who may hold API tokens, and how many."""

from __future__ import annotations

# Tokens a user may hold at once (revoked ones do not count): enough for a few systems, bounded for the profile page.
MAX_ACTIVE_TOKENS = 10


def may_hold_tokens(user) -> bool:
    """Every signed-in user may make tokens for their own reads (a token never sees more than its user)."""
    return bool(user and user.is_authenticated and user.is_active)
