"""The shell's pages: home (工作台), profile, sign-in lockout, health check, background-job trigger."""

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
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from portal import selectors, services
from portal.forms import LoginForm
from portal.home import sections_for

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
