"""党建+业务 on key projects: milestones, a month's business figures, and their Excel ledger.

Thin: the project comes from the scoped managers (out of scope → 404, visible but not kept by the user → 403 on a
write page), every write goes through ``activities.services.business``, whose errors are shown next to their fields.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from activities.forms.business import MonthlyFigureForm, ProjectMilestoneForm
from activities.models import KeyProject, ProjectMilestone
from activities.selectors import business as selectors
from activities.services import business as services
from activities.views.projects import project_queryset
from portal.scoping import ScopedViewMixin
from portal.views.base import ParentObjectMixin, ScopedObjectMixin, ServiceActionView, ServiceFormView
from portal.xlsx import build_workbook, xlsx_response


def business_url(project: KeyProject) -> str:
    return reverse("activities:project_detail", args=[project.pk]) + "#business"


class MilestoneCreateView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Add a milestone to a project (the project's branch: its responsible organization's secretary)."""

    model = KeyProject
    parent_queryset = project_queryset
    parent_context_name = "project"
    form_class = ProjectMilestoneForm
    template_name = "activities/projects/milestone_form.html"
    service = services.project_milestone_create
    success_message = gettext_lazy("Milestone “%(name)s” added.")

    def get_service_kwargs(self, form):
        return {"project": self.parent, **form.cleaned_data}

    def get_success_url(self):
        return business_url(self.parent)


def milestone_queryset(user):
    return ProjectMilestone.objects.visible_to(user).select_related("project__agreement", "project__owner")


class MilestoneUpdateView(ScopedObjectMixin, ServiceFormView):
    """Edit a milestone — above all, record the date it was reached."""

    model = ProjectMilestone
    scope_action = "edit"
    form_class = ProjectMilestoneForm
    template_name = "activities/projects/milestone_form.html"
    context_object_name = "milestone"
    service = services.project_milestone_update
    success_message = gettext_lazy("Milestone “%(name)s” saved.")

    def get_queryset(self):
        return milestone_queryset(self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["project"] = self.object.project
        return context

    def get_service_kwargs(self, form):
        return {"milestone": self.object, **form.cleaned_data}

    def get_success_url(self):
        return business_url(self.object.project)


class MilestoneDeleteView(ServiceActionView):
    """Remove a milestone entered by mistake (POST; the project's branch)."""

    model = ProjectMilestone
    service = services.project_milestone_delete
    object_kwarg = "milestone"
    success_message = gettext_lazy("Milestone “%(name)s” removed.")

    def get_queryset(self):
        return milestone_queryset(self.request.user)


def _month_param(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


class MonthlyFigureView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Enter a month's business figures of a project (``?month=2026-11`` opens that month's, to correct them); one
    row per month, so entering a month again replaces its figures."""

    model = KeyProject
    parent_queryset = project_queryset
    parent_context_name = "project"
    form_class = MonthlyFigureForm
    template_name = "activities/projects/figure_form.html"
    service = services.project_monthly_figure_save

    def get_initial(self):
        month = _month_param(self.request.GET.get("month")) or timezone.localdate().replace(day=1)
        figure = self.parent.monthly_figures.filter(month=month).first()
        if figure is None:
            return {"month": month}
        return {"month": month, **{name: getattr(figure, name) for name in services.FIGURE_FIELDS}}

    def get_service_kwargs(self, form):
        return {"project": self.parent, **form.cleaned_data}

    def get_success_message(self, result):
        return _("Figures of %(month)s saved.") % {"month": f"{result.month:%Y-%m}"}

    def get_success_url(self):
        return business_url(self.parent)


class ProjectBusinessExportView(ScopedViewMixin, DetailView):
    """The project's milestones and monthly figures as an Excel ledger (two sheets, ready to print)."""

    model = KeyProject

    def get_queryset(self):
        return project_queryset(self.request.user)

    def get(self, request, *args, **kwargs):
        project = self.get_object()
        data = selectors.project_business(project)
        timing = dict(ProjectMilestone.Timing.choices)
        milestones = [
            [
                m.order,
                m.name,
                m.planned_on,
                m.actual_on,
                m.days if m.days is not None else "",
                str(timing[m.timing]),
            ]
            for m in data["milestones"]
        ]
        figures = [
            [
                f"{f.month:%Y-%m}",
                f.progress,
                f.safety_incidents,
                f.quality_findings,
                f.civilized_checks,
                f.civilized_passed,
                f.notes,
            ]
            for f in sorted(data["figures"], key=lambda f: f.month)
        ]
        content = build_workbook(
            [
                (
                    _("Milestones"),
                    [
                        _("Order"),
                        _("Milestone"),
                        _("Planned date"),
                        _("Actual date"),
                        _("Days (+ behind, − ahead)"),
                        _("Timing"),
                    ],
                    milestones,
                ),
                (
                    _("Monthly figures"),
                    [
                        _("Month"),
                        _("Progress (%)"),
                        _("Safety incidents"),
                        _("Quality findings"),
                        _("Civilized construction checks"),
                        _("Checks passed"),
                        _("Notes"),
                    ],
                    figures,
                ),
            ],
            scope=project.name,
        )
        return xlsx_response(f"{project.name}-{_('business figures')}.xlsx", content)


urlpatterns = [
    path("projects/<int:pk>/milestones/new/", MilestoneCreateView.as_view(), name="milestone_create"),
    path("projects/milestones/<int:pk>/edit/", MilestoneUpdateView.as_view(), name="milestone_update"),
    path("projects/milestones/<int:pk>/delete/", MilestoneDeleteView.as_view(), name="milestone_delete"),
    path("projects/<int:pk>/figures/", MonthlyFigureView.as_view(), name="project_figures"),
    path("projects/<int:pk>/business.xlsx", ProjectBusinessExportView.as_view(), name="project_business_export"),
]
