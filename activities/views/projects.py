"""Key projects (重点项目): list, create, detail, edit. Zones, posts and teams have their own modules beside this one.

Thin: querysets come from the scoped managers (out of scope → 404, visible but not editable → 403 on write) and the
selectors; every write goes through ``activities.services.projects``, whose errors are shown next to their fields.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView
from django_filters.views import FilterView

from activities.forms.projects import (
    KeyProjectFilter,
    KeyProjectForm,
)
from activities.models import KeyProject
from activities.rules import may_add_on_project, may_edit_project_business
from activities.selectors import business as business_selectors
from activities.selectors import projects as selectors
from activities.services import projects as services
from partnerships.models import Agreement, Organization
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceFormView


def int_param(request, name: str) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def extra_rows(request, default: int) -> int:
    value = request.GET.get("extra", "")
    return int(value) if value.isdigit() else default


class ProjectListView(ScopedViewMixin, FilterView):
    """The key projects the user may see: agreement, owner, zones, claiming members, open findings; search."""

    model = KeyProject
    filterset_class = KeyProjectFilter
    template_name = "activities/projects/project_list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.project_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = services.may_create_project(self.request.user)
        form = self.filterset.form
        context["schedule"] = form.cleaned_data.get("schedule") if form.is_valid() else ""
        if context["schedule"]:
            for project in context["object_list"]:
                project.schedule_note = business_selectors.schedule_note(project.deviation)
        return context


class ProjectCreateView(ScopedViewMixin, ServiceFormView):
    """Record a key project under an agreement (``?agreement=<id>`` fixes it): a party's secretary, or an admin."""

    model = KeyProject
    form_class = KeyProjectForm
    template_name = "activities/projects/project_form.html"
    service = services.key_project_create
    success_message = gettext_lazy("Key project “%(name)s” recorded.")

    def dispatch(self, request, *args, **kwargs):
        agreement_id = int_param(request, "agreement")
        self.agreement = None
        if agreement_id is not None:
            self.agreement = get_object_or_404(Agreement.objects.visible_to(request.user), pk=agreement_id)
        if not services.may_create_project(request.user, self.agreement):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["owners"] = selectors.project_owner_choices(self.request.user, self.agreement)
        kwargs["agreements"] = None if self.agreement else selectors.creatable_agreements(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreement"] = self.agreement
        return context

    def get_service_kwargs(self, form):
        data = dict(form.cleaned_data)
        data["agreement"] = data.get("agreement") or self.agreement
        return data


def project_queryset(user):
    return KeyProject.objects.visible_to(user).select_related("agreement", "owner")


class ProjectDetailView(ScopedViewMixin, DetailView):
    """A project: overview, zones with their members by party, open findings, posts and teams, change history."""

    model = KeyProject
    template_name = "activities/projects/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        return project_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        context.update(selectors.project_detail(self.request.user, project))
        context["can_edit"] = self.can_edit(project)
        context["can_add_here"] = may_add_on_project(self.request.user, context["parties"])
        business = business_selectors.project_business(project)
        context["business"] = business
        context["can_edit_business"] = may_edit_project_business(self.request.user, project)
        context["business_chart"] = {**business["chart"].as_json(), "labels": chart_labels()}
        return context


def chart_labels() -> dict[str, str]:
    """The 党建+业务 chart's series and axis names, in the user's language."""
    return {
        "progress": _("Business progress (%)"),
        "activities": _("Joint activities held"),
        "zone_checks": _("Zone checks"),
        "items_closed": _("Action items closed"),
        "progress_axis": _("Project progress"),
        "work_axis": _("Joint work"),
    }


class ProjectUpdateView(ScopedObjectMixin, ServiceFormView):
    """Edit a project (its owner's secretary); the agreement stays."""

    model = KeyProject
    scope_action = "edit"
    form_class = KeyProjectForm
    template_name = "activities/projects/project_form.html"
    context_object_name = "project"
    service = services.key_project_update
    success_message = gettext_lazy("Changes saved.")

    def get_queryset(self):
        return project_queryset(self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        owners = selectors.project_owner_choices(self.request.user, self.object.agreement)
        kwargs["owners"] = Organization.objects.filter(
            pk__in=[*owners.values_list("pk", flat=True), self.object.owner_id]
        )
        kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreement"] = self.object.agreement
        return context

    def get_service_kwargs(self, form):
        return {"project": self.object, **form.cleaned_data}


urlpatterns = [
    path("projects/", ProjectListView.as_view(), name="project_list"),
    path("projects/new/", ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:pk>/", ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<int:pk>/edit/", ProjectUpdateView.as_view(), name="project_update"),
]
