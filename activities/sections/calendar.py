"""Home panels and page sections contributed by the calendar area: the calendar subscription on the profile page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from activities.selectors.calendar import calendar_token_for, feed_window_text
from portal.home import register_section


@register_section("profile", 20)
def calendar_subscription(user, obj=None) -> dict | None:
    """The personal iCal feed: its address (built absolute in the template, from the request), copy, regenerate,
    revoke, and how to subscribe on a phone."""
    if not getattr(user, "is_authenticated", False):
        return None
    token = calendar_token_for(user)
    return {
        "template": "activities/calendar/profile_section.html",
        "title": _("Calendar subscription"),
        "action_url": reverse("activities:calendar"),
        "action_label": _("Open the activity calendar"),
        "token": token,
        "feed_path": reverse("activities:ical_feed", args=[token.token]) if token else "",
        "feed_window": feed_window_text(),
    }
