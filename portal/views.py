"""The shell's pages: home (工作台), profile, sign-in lockout, health check, background-job trigger, notifications."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import Error as DatabaseError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView

from portal import notifications, reminders, selectors, services
from portal.forms import LoginForm
from portal.home import sections_for
from portal.models import Notification
from portal.pagination import CheapCountPaginator

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    """工作台: what each role came for, from the panels the domain apps register."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["panels"] = selectors.home_panels(user)
        context["roles"] = selectors.role_summary(user)
        if user.is_superuser:
            context["jobs"] = selectors.background_jobs()
        return context


class ProfileView(TemplateView):
    """The signed-in user's account: roles held, language, password."""

    template_name = "portal/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = selectors.user_memberships(self.request.user)
        context["sections"] = sections_for("profile", self.request.user)
        return context


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_POST
def housekeeping_run_now(request):
    """Admins: queue the housekeeping job now instead of waiting for the night."""
    if not request.user.is_superuser:
        raise PermissionDenied
    services.housekeeping_request(actor=request.user)
    messages.success(request, _("Housekeeping queued; the status below updates when the worker has run it."))
    return redirect("home")


def login_locked_out(request, credentials=None, *args, **kwargs):
    """Shown by django-axes instead of signing in once a user name has failed too often (the failure that reaches
    AXES_FAILURE_LIMIT already gets it): the lock-out message alone, without a form or the failed form's errors."""
    return render(
        request,
        "registration/locked_out.html",
        {"lockout_hours": settings.AXES_COOLOFF_TIME},
        status=429,
    )


@login_not_required
def healthz(request):
    """Load balancers' probe: the process answers and the database does too. A database that cannot be reached is
    503 Service Unavailable with a one-line body (the details go to the log), so the balancer takes this process out
    of rotation; a 500 would read as a bug in the application."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("healthz: the database does not answer", exc_info=True)
        return HttpResponse("database unavailable", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


# --- notification centre ----------------------------------------------------------------------------------------


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
