"""The profile page's API tokens: make one (its secret shown once, on the next page), revoke one.

The secret travels from the POST to the page that shows it through the session and is removed from there as it is
shown, so it is never in a URL, never shown twice and never stored beside its hash."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from api import rules
from api.forms.tokens import ApiTokenForm
from api.selectors.tokens import user_tokens
from api.services.tokens import api_token_create, api_token_revoke
from portal.forms import show_service_errors
from portal.views.base import ServiceFormView

SESSION_KEY = "api_token_once"


class ApiTokenCreateView(ServiceFormView):
    """新建接口令牌: a name, then the token once."""

    template_name = "api/token_form.html"
    form_class = ApiTokenForm

    def dispatch(self, request, *args, **kwargs):
        if not rules.may_hold_tokens(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            token, secret = api_token_create(actor=self.request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        self.request.session[SESSION_KEY] = {"pk": token.pk, "secret": secret}
        return redirect("api_token_created", pk=token.pk)


class ApiTokenCreatedView(TemplateView):
    """The new token, shown this once: the session keeps it only until this page has been rendered."""

    template_name = "api/token_created.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        token = get_object_or_404(user_tokens(self.request.user), pk=kwargs["pk"])
        held = self.request.session.get(SESSION_KEY) or {}
        secret = None
        if held.get("pk") == token.pk:
            secret = held["secret"]
            del self.request.session[SESSION_KEY]
        context.update(token=token, secret=secret, docs_url=reverse("api:openapi-view"))
        return context


@require_POST
def api_token_revoke_view(request, pk: int):
    """Revoke one of the user's own tokens (someone else's is a 404)."""
    token = get_object_or_404(user_tokens(request.user), pk=pk)
    api_token_revoke(actor=request.user, token=token)
    messages.success(
        request, _("The token “%(name)s” is revoked; requests with it now get 401.") % {"name": token.name}
    )
    return redirect(reverse("profile") + "#api-tokens")
