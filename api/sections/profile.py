"""The profile page's 接口令牌 card: the user's tokens (prefix, created, last used, revoked) and the way to make one."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from api import rules
from api.selectors.tokens import LISTED_TOKENS, user_tokens
from portal.home import register_section


@register_section("profile", 50)
def api_tokens(user, obj=None) -> dict | None:
    if not rules.may_hold_tokens(user):
        return None
    return {
        "template": "api/section_tokens.html",
        "title": _("API tokens"),
        "tokens": list(user_tokens(user)[:LISTED_TOKENS]),
        "action_url": reverse("api_token_create"),
        "action_label": _("New token"),
        "docs_url": reverse("api:openapi-view"),
    }
