"""Yearly plans (党建共建活动计划): list, create, a plan's page (planned vs held per row), edit with rows, Excel.

Thin: querysets come from the scoped managers and the selectors, writes from ``activities.services.plans``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from activities.forms.filters import PlanFilter
from activities.forms.plans import PlanCreateForm, PlanEditForm, PlanRowFormSet, new_plan_rows, row_initial
from activities.models import ActivityPlan, ActivityType
from activities.rules import may_plan
from activities.selectors import plans as selectors
from activities.services import plans as services
from partnerships.models import Agreement
from portal.forms import show_service_errors
from portal.pagination import CheapCountPaginator
from portal.scoping import ROLE_SECRETARY, ScopedViewMixin, get_scope
from portal.views.base import ScopedObjectMixin, ServiceFormView
from portal.xlsx import build_workbook, xlsx_response

EXTRA_ROWS = 3


class PlanListView(ScopedViewMixin, FilterView):
    """The plans the user may see, by year and agreement, with each plan's completion."""

    model = ActivityPlan
    filterset_class = PlanFilter
    template_name = "activities/plans/list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.plan_list(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["agreements"] = selectors.plan_agreements(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = may_plan(self.request.user)
        return context


class PlanCreateView(ScopedViewMixin, ServiceFormView):
    """Start an agreement's plan for a year (``?agreement=<id>`` preselects it); the rows are added next."""

    model = ActivityPlan
    form_class = PlanCreateForm
    template_name = "activities/plans/create.html"
    service = services.activity_plan_create
    success_message = gettext_lazy("Plan “%(title)s” created; now add its activities.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if not may_plan(request.user):
                raise PermissionDenied
            self.agreement = None
            agreement_id = request.GET.get("agreement")
            if agreement_id:
                if not agreement_id.isdigit():
                    raise Http404
                self.agreement = get_object_or_404(Agreement.objects.visible_to(request.user), pk=agreement_id)
                if not may_plan(request.user, self.agreement):
                    raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["agreements"] = selectors.plannable_agreements(self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.agreement is not None:
            initial["agreement"] = self.agreement.pk
        return initial

    def get_success_url(self):
        return reverse("activities:plan_update", args=[self.result.pk])


class PlanDetailView(ScopedViewMixin, DetailView):
    """A plan's rows by month: planned vs held per row, the plan's completion, a schedule button per row."""

    model = ActivityPlan
    template_name = "activities/plans/detail.html"
    context_object_name = "plan"

    def get_queryset(self):
        return super().get_queryset().select_related("agreement")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = self.object
        scope = get_scope(self.request.user)
        rows = selectors.plan_rows(plan)
        leads = scope.org_ids(ROLE_SECRETARY)
        for row in rows:
            # The row's lead unit holds it: its secretary (or an admin) schedules it.
            row.can_schedule = scope.is_superuser or row.lead_id in leads
        context.update(
            rows=rows,
            completion=selectors.completion(rows),
            can_edit=self.can_edit(plan),
            history=selectors.plan_history(plan),
        )
        return context


class PlanUpdateView(ScopedObjectMixin, TemplateResponseMixin, View):
    """Edit the plan and its rows (a formset); "rotate the hosts" fills the leads in turn from the parties."""

    model = ActivityPlan
    scope_action = "edit"
    template_name = "activities/plans/form.html"
    context_object_name = "plan"

    def get_queryset(self):
        return super().get_queryset().select_related("agreement")

    def build(self):
        plan = self.object
        bound = self.request.method == "POST"
        parties = selectors.agreement_parties(plan.agreement)
        types = ActivityType.objects.filter(active=True)
        rows = selectors.plan_rows(plan)
        if rows:
            extra = [{} for _index in range(EXTRA_ROWS)]
        else:
            extra = new_plan_rows(parties, types.filter(code="theme_day").first() or types.first())
        form = PlanEditForm(
            self.request.POST if bound else None,
            initial={"year": plan.year, "title": plan.title, "notes": plan.notes},
        )
        rotate = bound and self.request.POST.get("rotate") in ("on", "true", "1")
        formset = PlanRowFormSet(
            self.request.POST if bound else None,
            initial=row_initial(rows),
            prefix="rows",
            parties=parties,
            types=types,
            rotate=rotate,
            extra_initial=extra,
        )
        return form, formset, parties

    def render(self, form, formset, parties):
        return self.render_to_response({"plan": self.object, "form": form, "formset": formset, "parties": parties})

    def get(self, request, *args, **kwargs):
        return self.render(*self.build())

    def post(self, request, *args, **kwargs):
        form, formset, parties = self.build()
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset, parties)
        data = dict(form.cleaned_data)
        rotate = data.pop("rotate")
        try:
            plan = services.activity_plan_update(
                actor=request.user, plan=self.object, rows=formset.rows_data(), rotate=rotate, **data
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.render(form, formset, parties)
        messages.success(request, _("Plan “%(title)s” saved.") % {"title": plan.title})
        return redirect(plan)


class PlanExportView(ScopedViewMixin, SingleObjectMixin, View):
    """The plan as Excel: one row per planned activity, with what was held under it."""

    model = ActivityPlan

    def get_queryset(self):
        return super().get_queryset().select_related("agreement")

    def get(self, request, *args, **kwargs):
        plan = self.get_object()
        rows = selectors.plan_rows(plan)
        headers = [
            _("Month"),
            _("Theme"),
            _("Type"),
            _("Content"),
            _("Lead unit"),
            _("Co-organizing units"),
            _("Held"),
            _("Activities"),
        ]
        lines = (
            [
                row.month,
                row.theme,
                row.type.name,
                row.content,
                row.lead.name,
                "、".join(org.name for org in row.co_organizers.all()),
                row.held,
                "；".join(
                    f"{timezone.localdate(activity.starts_at):%Y-%m-%d} {activity.title}" for activity in row.scheduled
                ),
            ]
            for row in rows
        )
        done = selectors.completion(rows)
        summary = [
            [_("Agreement"), str(plan.agreement)],
            [_("Year"), plan.year],
            [_("Planned activities"), done.total],
            [_("Held"), done.done],
            [_("Completion (%)"), done.percent],
        ]
        content = build_workbook(
            [(_("Plan"), headers, lines), (_("Summary"), [_("Item"), _("Value")], summary)], scope=str(plan.agreement)
        )
        return xlsx_response(f"{plan.title}.xlsx", content)


urlpatterns = [
    path("plans/", PlanListView.as_view(), name="plan_list"),
    path("plans/new/", PlanCreateView.as_view(), name="plan_create"),
    path("plans/<int:pk>/", PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", PlanUpdateView.as_view(), name="plan_update"),
    path("plans/<int:pk>/export.xlsx", PlanExportView.as_view(), name="plan_export"),
]
