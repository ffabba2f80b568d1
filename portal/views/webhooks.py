"""Group-robot (企业微信 / 钉钉) settings pages: the list, add / edit / delete, a robot's delivery log, a test message
and its status.

Thin: querysets come from ``WebhookEndpoint.objects.visible_to`` (outsiders get 404), writes from the services in
portal/webhooks/services.py (read-only users — members, reviewers over the organization — get 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from portal import reminders
from portal.forms import WebhookEndpointForm
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceFormView
from portal.webhooks import selectors, services
from portal.webhooks.plan import TEST_KIND

LOG_SIZE = 50


def _kind_labels() -> dict[str, object]:
    labels = {kind: entry.label for kind, entry in reminders.kinds().items()}
    labels[TEST_KIND] = _("Test message")
    return labels


class WebhookListView(ScopedViewMixin, ListView):
    """The robots the user may see (``?organization=`` narrows to one organization), with their delivery status."""

    model = WebhookEndpoint
    template_name = "portal/webhooks/list.html"
    context_object_name = "endpoints"
    paginate_by = 30
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        rows = self.scoped_queryset()
        self.organization = None
        org_id = self.request.GET.get("organization", "")
        if org_id.isdigit():
            self.organization = get_object_or_404(selectors.organization_model().objects.all(), pk=org_id)
            rows = rows.filter(organization=self.organization)
        return selectors.endpoints_with_status(rows).order_by("organization__path", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        manageable = set(selectors.manageable_organizations(self.request.user).values_list("pk", flat=True))
        for endpoint in context["endpoints"]:
            endpoint.can_edit = endpoint.organization_id in manageable
        context["organization"] = self.organization
        context["can_create"] = bool(manageable) and (self.organization is None or self.organization.pk in manageable)
        return context


class WebhookDetailView(ScopedViewMixin, DetailView):
    """One robot: its settings (address and secret masked) and its last 50 messages with their status."""

    model = WebhookEndpoint
    template_name = "portal/webhooks/detail.html"
    context_object_name = "endpoint"

    def get_queryset(self):
        return self.scoped_queryset().select_related("organization")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = _kind_labels()
        log = list(
            WebhookDelivery.objects.filter(endpoint=self.object)
            .only(
                "pk", "kind", "title", "status", "attempts", "due_at", "sent_at", "retry_at", "last_error", "created_at"
            )
            .order_by("-created_at", "-pk")[:LOG_SIZE]
        )
        for row in log:
            row.kind_label = labels.get(row.kind, row.kind)
        context["log"] = log
        context["log_size"] = LOG_SIZE
        context["can_edit"] = self.can_edit(self.object)
        context["kind_labels"] = [labels.get(kind, kind) for kind in self.object.kinds]
        context["test"] = self._test_shown()
        return context

    def _test_shown(self):
        """The test message just asked for (``?test=``), or else the latest one still on its way."""
        tests = WebhookDelivery.objects.filter(endpoint=self.object, kind=TEST_KIND)
        test_id = self.request.GET.get("test", "")
        if test_id.isdigit():
            return tests.filter(pk=test_id).first()
        waiting = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING)
        return tests.filter(status__in=waiting).order_by("-created_at", "-pk").first()


class WebhookCreateView(ScopedViewMixin, ServiceFormView):
    """Add a robot to an organization the user manages (``?organization=`` preselects it)."""

    model = WebhookEndpoint
    form_class = WebhookEndpointForm
    template_name = "portal/webhooks/form.html"
    service = services.webhook_endpoint_create
    success_message = gettext_lazy("Robot “%(name)s” added.")

    def dispatch(self, request, *args, **kwargs):
        self.organizations = list(selectors.manageable_organizations(request.user).order_by("path"))
        if not self.organizations:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organizations"] = selectors.manageable_organizations(self.request.user).order_by("path")
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        org_id = self.request.GET.get("organization", "")
        if org_id.isdigit():
            initial["organization"] = next((org for org in self.organizations if org.pk == int(org_id)), None)
        elif len(self.organizations) == 1:
            initial["organization"] = self.organizations[0]
        return initial

    def get_service_kwargs(self, form):
        return form.service_kwargs()


class WebhookUpdateView(ScopedObjectMixin, ServiceFormView):
    """Edit a robot (its organization's secretary, a reviewer over it, an admin)."""

    model = WebhookEndpoint
    scope_action = "edit"
    form_class = WebhookEndpointForm
    template_name = "portal/webhooks/form.html"
    context_object_name = "endpoint"
    service = services.webhook_endpoint_update
    success_message = gettext_lazy("Changes saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["endpoint"] = self.object
        return kwargs

    def get_service_kwargs(self, form):
        return {"endpoint": self.object, **form.service_kwargs()}


class WebhookDeleteView(ScopedObjectMixin, TemplateView):
    """Confirm, then remove a robot and its log."""

    model = WebhookEndpoint
    scope_action = "edit"
    template_name = "portal/webhooks/delete.html"
    context_object_name = "endpoint"

    def post(self, request, *args, **kwargs):
        organization = self.object.organization
        services.webhook_endpoint_delete(actor=request.user, endpoint=self.object)
        messages.success(request, _("Robot “%(name)s” removed.") % {"name": self.object.name})
        return redirect(f"{reverse('webhook_list')}?organization={organization.pk}")


class WebhookTestView(ScopedViewMixin, SingleObjectMixin, TemplateView):
    """POST: queue a test message; the robot's page then shows "sending…" until the outcome arrives."""

    model = WebhookEndpoint
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        delivery = services.webhook_endpoint_test_request(actor=request.user, endpoint=endpoint)
        return redirect(f"{endpoint.get_absolute_url()}?test={delivery.pk}")


class WebhookTestStatusView(TemplateView):
    """One test message's status: an htmx partial that polls itself every 2 s until the robot has answered.
    Whoever may read the robot's log may read it; anyone else gets 404."""

    template_name = "portal/webhooks/_test_status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["test"] = get_object_or_404(
            WebhookDelivery.objects.visible_to(self.request.user).filter(kind=TEST_KIND), pk=kwargs["pk"]
        )
        return context
