"""The shell's pages: home (工作台), profile, sign-in lockout, health check, background-job trigger."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from portal import selectors, services
from portal.forms import LoginForm
from portal.home import sections_for


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
    """Shown by django-axes instead of signing in once a user name has failed too often."""
    form = LoginForm(request, data=request.POST or None)
    form.is_valid = lambda: False
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True},
        status=429,
    )


@login_not_required
def healthz(request):
    """Load balancers' probe: the process answers and the database does too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
