"""待同步: the activity logs saved on this phone without a signal, waiting to be sent (static/js/outbox.js fills the
list from IndexedDB; the server holds none of it until a draft is synced through the log form's own URL)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView


class OutboxView(TemplateView):
    """The signed-in user's waiting, refused and recently synced drafts, with 立即同步 (the page itself reads nothing
    from the database: the drafts live in the browser)."""

    template_name = "activities/activities/outbox.html"


urlpatterns = [
    path("activities/outbox/", OutboxView.as_view(), name="activity_outbox"),
]
