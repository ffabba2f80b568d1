"""Assessment schemes (考核方案): the list, a scheme's indicators by category, a new year's scheme, editing a scheme
with its indicators, putting it in force.

Every signed-in user reads schemes; reviewers and admins change them (``AssessmentScheme.scope_editable_q``).
Thin: querysets come from the scoped managers, writes from the scheme services.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, View
from django.views.generic.base import TemplateResponseMixin

from assessments import metrics, rules
from assessments.forms.schemes import IndicatorFormSet, SchemeCreateForm, SchemeEditForm, indicator_initial
from assessments.models import AssessmentScheme, Indicator
from assessments.selectors import schemes as selectors
from assessments.services import schemes as services
from portal.forms import show_service_errors
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView

HISTORY_LIMIT = 30


def _scheme_url(scheme: AssessmentScheme) -> str:
    return reverse("assessments:scheme_detail", args=[scheme.pk])


class SchemeListView(ScopedViewMixin, ListView):
    """Every year's scheme: status, number of indicators and the points of its positive indicators."""

    model = AssessmentScheme
    template_name = "assessments/schemes/list.html"
    context_object_name = "schemes"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(
                indicator_count=Count("indicators"),
                total_points=Sum("indicators__points", filter=Q(indicators__is_deduction=False)),
            )
            .order_by("-year")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = rules.may_edit_schemes(self.request.user)
        return context


class SchemeDetailView(ScopedViewMixin, DetailView):
    """A scheme's indicators grouped by category, with points, target, source and metric; its change history."""

    model = AssessmentScheme
    template_name = "assessments/schemes/detail.html"
    context_object_name = "scheme"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scheme = self.object
        indicators = list(Indicator.objects.visible_to(self.request.user).filter(scheme=scheme).order_by("order", "pk"))
        groups: dict[str, dict] = {}
        labels = dict(Indicator.Category.choices)
        for indicator in indicators:
            metric = metrics.REGISTRY.get(indicator.metric) if indicator.metric else None
            indicator.metric_label = metric.label if metric else indicator.metric
            indicator.metric_unit = metric.unit if metric else ""
            group = groups.setdefault(
                indicator.category,
                {"label": labels.get(indicator.category, indicator.category), "indicators": [], "points": Decimal(0)},
            )
            group["indicators"].append(indicator)
            if not indicator.is_deduction:
                group["points"] += indicator.points
        order = {value: index for index, value in enumerate(Indicator.Category.values)}
        total = sum((i.points for i in indicators if not i.is_deduction), Decimal(0))
        context.update(
            groups=[groups[key] for key in sorted(groups, key=lambda key: order.get(key, len(order)))],
            indicator_count=len(indicators),
            total=total,
            total_ok=total == rules.SCHEME_TOTAL,
            deductions=sum((i.points for i in indicators if i.is_deduction), Decimal(0)),
            can_edit=self.can_edit(scheme),
            history=self.history(scheme),
        )
        return context

    def history(self, scheme):
        """The scheme's and its indicators' changes, newest first, each with who made it."""
        records = list(scheme.history.select_related("history_user").order_by("-history_date")[:HISTORY_LIMIT])
        records += list(
            Indicator.history.filter(scheme_id=scheme.pk)
            .select_related("history_user")
            .order_by("-history_date")[:HISTORY_LIMIT]
        )
        records.sort(key=lambda record: record.history_date, reverse=True)
        return records[:HISTORY_LIMIT]


class SchemeCreateView(ScopedViewMixin, ServiceFormView):
    """A new year's scheme: a copy of the latest earlier year's indicators (or the default), then edited."""

    model = AssessmentScheme
    form_class = SchemeCreateForm
    template_name = "assessments/schemes/create.html"
    service = services.scheme_create

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.check_can_create()
        return super().dispatch(request, *args, **kwargs)

    def check_can_create(self) -> None:
        if not rules.may_edit_schemes(self.request.user):
            raise PermissionDenied

    def get_initial(self):
        return {**super().get_initial(), "year": selectors.scheme_suggested_year()}

    def get_success_message(self, result):
        return _("Scheme “%(name)s” created from %(source)s; check its indicators, then put it in force.") % {
            "name": result.name,
            "source": self.source_label(result),
        }

    def get_success_url(self):
        return reverse("assessments:scheme_update", args=[self.result.pk])

    @staticmethod
    def source_label(scheme) -> str:
        previous = AssessmentScheme.objects.filter(year__lt=scheme.year).order_by("-year").first()
        return _("the %(year)s scheme") % {"year": previous.year} if previous else _("the default indicators")


class SchemeUpdateView(ScopedObjectMixin, TemplateResponseMixin, View):
    """Edit the scheme and its indicators (a formset); the positive indicators must total 100 points."""

    model = AssessmentScheme
    scope_action = "edit"
    template_name = "assessments/schemes/form.html"
    context_object_name = "scheme"

    def build(self):
        scheme = self.object
        data = self.request.POST if self.request.method == "POST" else None
        form = SchemeEditForm(data, initial={"name": scheme.name, "notes": scheme.notes})
        formset = IndicatorFormSet(
            data, initial=indicator_initial(scheme.indicators.order_by("order", "pk")), prefix="indicators"
        )
        return form, formset

    def render(self, form, formset):
        return self.render_to_response({"scheme": self.object, "form": form, "formset": formset})

    def get(self, request, *args, **kwargs):
        return self.render(*self.build())

    def post(self, request, *args, **kwargs):
        form, formset = self.build()
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset)
        try:
            scheme = services.scheme_update(
                actor=request.user, scheme=self.object, indicators=formset.indicators_data(), **form.cleaned_data
            )
        except ValidationError as exc:
            show_service_errors(form, exc, formset)
            return self.render(form, formset)
        messages.success(request, _("Scheme “%(name)s” saved.") % {"name": scheme.name})
        return redirect(_scheme_url(scheme))


class SchemeActivateView(ServiceActionView):
    """Put a scheme in force (POST), after the 100-point check."""

    model = AssessmentScheme
    service = services.scheme_activate
    object_kwarg = "scheme"
    success_message = gettext_lazy("Scheme “%(name)s” is in force.")

    def get_success_url(self):
        return _scheme_url(self.object)

    get_error_url = get_success_url


urlpatterns = [
    path("schemes/", SchemeListView.as_view(), name="scheme_list"),
    path("schemes/new/", SchemeCreateView.as_view(), name="scheme_create"),
    path("schemes/<int:pk>/", SchemeDetailView.as_view(), name="scheme_detail"),
    path("schemes/<int:pk>/edit/", SchemeUpdateView.as_view(), name="scheme_update"),
    path("schemes/<int:pk>/activate/", SchemeActivateView.as_view(), name="scheme_activate"),
]
