"""The notification centre: the list, opening one (marks it read), marking all read, the preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView

from portal import notifications, reminders
from portal.models import Notification
from portal.pagination import CheapCountPaginator


class NotificationListView(ListView):
    """通知中心: the user's delivered notifications, unread or all, filtered by kind, newest first."""

    template_name = "portal/notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 20
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        rows = Notification.objects.in_app_for(self.request.user).order_by("-sent_at", "-pk")
        if self.request.GET.get("show", "unread") != "all":
            rows = rows.filter(read_at__isnull=True)
        kind = self.request.GET.get("kind", "")
        if kind in reminders.kinds():
            rows = rows.filter(kind=kind)
        return rows.only("pk", "kind", "title", "body", "url", "sent_at", "due_at", "read_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = {kind: entry.label for kind, entry in reminders.kinds().items()}
        for notification in context["notifications"]:
            notification.kind_label = labels.get(notification.kind, notification.kind)
        context["kinds"] = list(labels.items())
        context["show"] = "all" if self.request.GET.get("show") == "all" else "unread"
        context["kind"] = self.request.GET.get("kind", "")
        return context


def notification_open(request, pk: int):
    """Open a notification: mark it read, then go to what it is about. Only its recipient may (others: 404)."""
    notification = get_object_or_404(Notification.objects.in_app_for(request.user), pk=pk)
    notifications.notification_mark_read(actor=request.user, notification=notification)
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications")


@require_POST
def notifications_mark_all_read(request):
    """Mark all of the user's notifications read."""
    notifications.notifications_mark_all_read(actor=request.user)
    return redirect("notifications")


CHANNELS = ("in_app", "email", "digest")


class NotificationPreferencesView(TemplateView):
    """The user's channels per kind of reminder: a row per kind, a checkbox per channel."""

    template_name = "portal/notifications/preferences.html"

    def _rows(self):
        saved = notifications.preferences_for([self.request.user.pk])
        rows = []
        for kind, entry in reminders.kinds().items():
            pref = saved.get((self.request.user.pk, kind), notifications.Preference())
            rows.append({"kind": kind, "label": entry.label, "values": {c: getattr(pref, c) for c in CHANNELS}})
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = self._rows()
        return context

    def post(self, request, *args, **kwargs):
        choices = {kind: {c: f"{kind}:{c}" in request.POST for c in CHANNELS} for kind in reminders.kinds()}
        notifications.notification_preferences_save(actor=request.user, choices=choices)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notification_preferences")
