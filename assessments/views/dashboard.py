"""The committee dashboard (考核看板) and its drill-down: a quarter's ranking, trend, radar by category, overdue
items and plan completion heat; one result's indicator breakdown and print view; an automatic score's evidence;
the Excel export; the on-demand computation and its status.

Thin: every read comes from ``assessments.selectors`` (scoped through ``visible_to``: a reviewer sees their
subtree, a branch secretary the same page for their own branch only), every write from ``assessments.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView, View

from assessments import metrics, rules
from assessments.forms.dashboard import DashboardForm, RollupRequestForm
from assessments.models import IndicatorScore, QuarterRollup, RollupRun
from assessments.sections.review import rollup_review_context
from assessments.selectors import charts as chart_selectors
from assessments.selectors import dashboard as dashboard_selectors
from assessments.selectors import dashboard_export as export_selectors
from assessments.selectors import evidence as evidence_selectors
from assessments.selectors import plan_heat as plan_heat_selectors
from assessments.selectors import quarters as quarter_selectors
from assessments.selectors import review as review_selectors
from assessments.selectors import rollups as rollup_selectors
from assessments.selectors import screen as screen_selectors
from assessments.selectors import subjects as subject_selectors
from assessments.services import rollups as services
from portal import exports
from portal.models import ExportJob
from portal.pagination import CheapCountPaginator
from portal.replica import replica_view

EVIDENCE_PAGE_SIZE = 25


def _dashboard_url(
    year: int, quarter: int, view: str = subject_selectors.ORGANIZATIONS, *, explicit: bool = False
) -> str:
    query = {"year": year, "quarter": quarter}
    if explicit or view != subject_selectors.ORGANIZATIONS:
        query["view"] = view
    return f"{reverse('assessments:dashboard')}?{urlencode(query)}"


def _period(request) -> dict:
    """The quarter, view and followed subject asked for, falling back to the latest quarter with results."""
    form = DashboardForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {"view": subject_selectors.ORGANIZATIONS}
    with_data = quarter_selectors.quarters_with_results(request.user)
    year, quarter = data.get("year"), data.get("quarter")
    if not (year and quarter):
        year, quarter = quarter_selectors.default_quarter(with_data)
    return {
        "year": year,
        "quarter": quarter,
        "view": data.get("view") or subject_selectors.ORGANIZATIONS,
        "subject": data.get("subject") or None,
        "q": data.get("q") or "",
        "sort": data.get("sort") or "rank",
        "with_data": with_data,
    }


@method_decorator(replica_view, name="dispatch")
class DashboardView(TemplateView):
    """考核看板: the scope's results for one quarter, read from rollup rows only (≤ 15 queries at any size)."""

    template_name = "assessments/dashboard/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        asked = _period(self.request)
        year, quarter, view = asked["year"], asked["quarter"], asked["view"]
        dashboard = dashboard_selectors.dashboard_data(
            user,
            year=year,
            quarter=quarter,
            view=view,
            focus=asked["subject"],
            search=asked["q"],
            sort=asked["sort"],
            page=self.request.GET.get("page"),
        )
        if not dashboard.count and "view" not in self.request.GET:
            # A partner's liaison has agreements to look at and no branch: show what they have.
            other = dashboard_selectors.dashboard_data(
                user, year=year, quarter=quarter, view=subject_selectors.AGREEMENTS
            )
            if other.count:
                dashboard, view = other, subject_selectors.AGREEMENTS
        with_data = set(asked["with_data"])
        may_request = rules.may_request_rollup(user)
        runs = list(rollup_selectors.latest_runs(user)) if may_request else []
        context.update(
            dashboard=dashboard,
            charts=chart_selectors.dashboard_charts(dashboard),
            periods=[
                {
                    "value": f"{y}-{q}",
                    "label": quarter_selectors.quarter_label(y, q),
                    "has_data": (y, q) in with_data,
                    "selected": (y, q) == (year, quarter),
                }
                for y, q in quarter_selectors.quarter_choices(asked["with_data"])
            ],
            views=[
                {
                    "key": key,
                    "label": label,
                    "url": _dashboard_url(year, quarter, key, explicit=True),
                    "active": key == view,
                }
                for key, label in (
                    (subject_selectors.ORGANIZATIONS, _("Branches")),
                    (subject_selectors.AGREEMENTS, _("Agreements")),
                )
            ],
            export_url=f"{reverse('assessments:dashboard_export')}?{urlencode({'year': year, 'quarter': quarter, 'view': view})}",
            may_request=may_request,
            screen_urls=[
                reverse("assessments:screen", args=[pk]) for pk in screen_selectors.screen_committee_ids(user)
            ],
            runs=runs,
            run=next((r for r in runs if (r.year, r.quarter) == (year, quarter)), None),
            month_names=[str(MONTH_NAMES[m]) for m in plan_heat_selectors.MONTHS],
            sorts=[
                {"key": key, "label": label, "selected": key == dashboard.sort}
                for key, label in (
                    ("rank", _("Best first")),
                    ("-rank", _("Last first")),
                    ("name", _("By name")),
                    ("change", _("Biggest rise")),
                    ("-change", _("Biggest fall")),
                )
            ],
        )
        return context


@method_decorator(replica_view, name="dispatch")
class DashboardExportView(View):
    """The quarter's results as Excel: one sheet per view of the dashboard, and every indicator score. Small scopes
    get the file at once; a scope with more indicator scores than ``EXPORT_ROW_THRESHOLD`` becomes an export job
    (``portal.exports``): a progress page, a notice and a download link when the worker has written it."""

    def get(self, request, *args, **kwargs):
        return exports.respond(request, export_spec(request))


def export_spec(request) -> exports.ExportSpec:
    """The dashboard export for this request (the export view, and the export job's worker, which rebuilds it from
    the recorded quarter and view with the requester's scope as it is when the job runs)."""
    asked = _period(request)
    user, year, quarter, view = request.user, asked["year"], asked["quarter"], asked["view"]
    # The quarter is recorded as resolved now: a job run later exports the quarter the user was looking at, even
    # when the request left it to the default.
    params = QueryDict(mutable=True)
    params.update({"year": str(year), "quarter": str(quarter), "view": view})
    period = {"year": year, "quarter": quarter, "view": view}
    return exports.ExportSpec(
        kind=ExportJob.Kind.DASHBOARD,
        filename=_("Assessment results %(period)s.xlsx") % {"period": quarter_selectors.quarter_label(year, quarter)},
        title=_("Assessment results"),
        headers=[],
        queryset=export_selectors.dashboard_export_scores(user, **period),
        sheets=lambda: export_selectors.dashboard_sheets(user, **period),
        total=lambda: export_selectors.dashboard_export_rows(user, **period),
        params=params,
        # The title row: whose results and which quarter ("集团党委 2026年第3季度").
        scope=f"{exports.scope_label(user)} {quarter_selectors.quarter_label(year, quarter)}".strip(),
    )


@require_POST
def rollup_request(request):
    """Queue a computation of a quarter (reviewers and admins); back to the dashboard, which shows its status."""
    if not rules.may_request_rollup(request.user):
        raise PermissionDenied
    form = RollupRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid quarter to compute."))
        return redirect("assessments:dashboard")
    year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    view = form.cleaned_data.get("view") or subject_selectors.ORGANIZATIONS
    try:
        services.rollup_request(actor=request.user, year=year, quarter=quarter)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The results of %(period)s are queued for computation; the status below updates by itself.")
            % {"period": quarter_selectors.quarter_label(year, quarter)},
        )
    return redirect(_dashboard_url(year, quarter, view))


class RunStatusView(TemplateView):
    """One computation's status: an htmx partial that polls every 2 s while it is queued or running."""

    def get_template_names(self):
        if self.request.htmx:
            return ["assessments/dashboard/run_status.html"]
        return ["assessments/dashboard/run_page.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = get_object_or_404(
            RollupRun.objects.visible_to(self.request.user).select_related("requested_by"), pk=kwargs["pk"]
        )
        context["run"] = run
        context["run_label"] = quarter_selectors.quarter_label(run.year, run.quarter)
        return context


def _visible_rollup(request, pk: int) -> QuarterRollup:
    # With its self-assessment and review: the review card reads both without a query of its own.
    return get_object_or_404(rollup_selectors.rollups_with_review(request.user), pk=pk)


class RollupDetailView(TemplateView):
    """One subject's quarter: total, status, subtotals by category, every indicator with its evidence link,
    and the self-assessment / review card."""

    template_name = "assessments/dashboard/rollup_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rollup = _visible_rollup(self.request, kwargs["pk"])
        scores, categories = rollup_selectors.rollup_breakdown(self.request.user, rollup)
        name, _pk, subject_url = subject_selectors.subject_of(rollup)
        context.update(
            rollup=rollup,
            subject_name=name,
            subject_url=subject_url,
            period_label=quarter_selectors.quarter_label(rollup.year, rollup.quarter),
            scores=scores,
            categories=categories,
            dashboard_url=_dashboard_url(
                rollup.year,
                rollup.quarter,
                subject_selectors.ORGANIZATIONS if rollup.organization_id else subject_selectors.AGREEMENTS,
            )
            + f"&subject={rollup.subject}",
            history=review_selectors.rollup_history(rollup),
        )
        context.update(rollup_review_context(self.request.user, rollup))
        return context


class RollupPrintView(RollupDetailView):
    """A4 print view of the quarterly report (季度考核报告): header, total and rank, categories, indicators,
    review comments, signature lines."""

    template_name = "assessments/dashboard/rollup_print.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rank"], context["ranked_among"] = rollup_selectors.rollup_rank(context["rollup"])
        return context


class ScoreEvidenceView(TemplateView):
    """The records behind an automatic score (the evidence drill-down), paginated; a manual indicator gets a page
    saying it is scored by the reviewer."""

    template_name = "assessments/dashboard/score_evidence.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        score = get_object_or_404(
            IndicatorScore.objects.visible_to(user).select_related(
                "indicator", "rollup", "rollup__organization", "rollup__agreement"
            ),
            pk=kwargs["pk"],
        )
        rollup = score.rollup
        name, _pk, _url = subject_selectors.subject_of(rollup)
        context.update(
            score=score,
            rollup=rollup,
            subject_name=name,
            period_label=quarter_selectors.quarter_label(rollup.year, rollup.quarter),
        )
        records = evidence_selectors.evidence_queryset(user, score)
        if records is None:
            context["manual"] = True
            return context
        metric = metrics.REGISTRY.get(score.indicator.metric)
        if metric is None:
            raise Http404
        page = CheapCountPaginator(records, EVIDENCE_PAGE_SIZE).get_page(self.request.GET.get("page"))
        _related, columns, _url_of = evidence_selectors.evidence_columns(records.model)
        context.update(
            metric=metric,
            is_rate=metric.kind == "rate",
            columns=[c.label for c in columns],
            rows=evidence_selectors.evidence_rows(page.object_list, records.model),
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
        )
        return context


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("export/", DashboardExportView.as_view(), name="dashboard_export"),
    path("rollups/request/", rollup_request, name="rollup_request"),
    path("runs/<int:pk>/", RunStatusView.as_view(), name="run_status"),
    path("results/<int:pk>/", RollupDetailView.as_view(), name="rollup_detail"),
    path("results/<int:pk>/print/", RollupPrintView.as_view(), name="rollup_print"),
    path("scores/<int:pk>/evidence/", ScoreEvidenceView.as_view(), name="score_evidence"),
]
