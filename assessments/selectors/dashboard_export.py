"""The dashboard's Excel export: the scores' rows and the summary sheets."""

from __future__ import annotations

from itertools import islice

from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import CATEGORY_FIELDS, Indicator, IndicatorScore, QuarterRollup
from assessments.selectors.charts import chart_number
from assessments.selectors.dashboard import categories_fill, category_totals, new_dashboard, quarter_distributions
from assessments.selectors.plan_heat import heat_cells, heat_counts
from assessments.selectors.quarters import quarter_label, quarter_window
from assessments.selectors.ranking import ROW_VALUES, STORED_VALUES, ranking_order, subject_row, with_row_values
from assessments.selectors.subjects import ORGANIZATIONS, bytewise, name_expr, scoped_results

EXPORT_CHUNK = 2000

SCORE_FIELDS = (
    "rollup_id",
    "indicator_id",
    "indicator__name",
    "indicator__category",
    "indicator__source",
    "indicator__metric",
    "indicator__points",
    "indicator__is_deduction",
    "metric_value",
    "points",
    "self_points",
    "review_points",
    "adjustment",
    "adjustment_reason",
    "final_points",
)


def _export_selected(user, year: int, quarter: int, view: str):
    return scoped_results(user, view).filter(year=year, quarter=quarter)


def dashboard_export_scores(user, *, year: int, quarter: int, view: str = ORGANIZATIONS):
    """The indicator scores the export lists (its largest sheet, one row each): whether it is big is decided on them."""
    return IndicatorScore.objects.filter(rollup__in=_export_selected(user, year, quarter, view).values("pk"))


def dashboard_export_rows(user, *, year: int, quarter: int, view: str = ORGANIZATIONS) -> int:
    """How many rows the export's sheets hold together (the export job's progress bar): the ranking, trend and
    overdue sheets one per result (the trend also the average), the categories, the plan cells and the scores."""
    selected = _export_selected(user, year, quarter, view)
    counts = selected.order_by().aggregate(
        results=Count("pk"), **{key: Count(column) for key, column in CATEGORY_FIELDS.items()}
    )
    results = counts.pop("results")
    if not results:
        return 0
    categories = sum(1 for n in counts.values() if n)
    scores = dashboard_export_scores(user, year=year, quarter=quarter, view=view).order_by().count()
    subjects = selected.values("organization_id" if view == ORGANIZATIONS else "agreement_id")
    heat = len(heat_counts(view, year, subjects))
    return 3 * results + 1 + categories + heat + scores


def dashboard_sheets(user, *, year: int, quarter: int, view: str = ORGANIZATIONS) -> list[tuple[str, list, object]]:
    """The Excel export: one sheet per view of the dashboard, and every indicator score — for every subject of the
    scope, each sheet's rows streamed from one set-based statement (read in chunks), never held as a whole."""
    periods = quarter_window(year, quarter)
    previous = metrics.previous_quarter(year, quarter)
    scoped = scoped_results(user, view)
    selected = scoped.filter(year=year, quarter=quarter)
    status_labels = dict(QuarterRollup.Status.choices)
    distributions, _matched, _totals = quarter_distributions(scoped, periods, (year, quarter), "", view)
    dashboard = new_dashboard(year, quarter, view, periods, distributions)
    best_first = with_row_values(selected, previous, view).order_by(*ranking_order())
    best_values = best_first.values(*ROW_VALUES, *STORED_VALUES).first()
    best = subject_row(best_values, status_labels) if best_values else None
    categories_fill(dashboard, category_totals(selected), [best] if best else [])
    categories = dashboard.categories

    def ranking():
        cells = [CATEGORY_FIELDS[c["key"]] for c in categories]  # the results' stored subtotals
        rows = best_first.values(*ROW_VALUES, *cells).iterator(chunk_size=EXPORT_CHUNK)
        previous_total, previous_rank = None, 0
        for index, r in enumerate(rows, start=1):
            rank = previous_rank if r["total"] == previous_total else index
            previous_total, previous_rank = r["total"], rank
            change = None if r["previous"] is None else r["total"] - r["previous"]
            yield [
                rank,
                r["name"],
                chart_number(r["total"]),
                status_labels.get(r["status"], r["status"]),
                chart_number(r["previous"]),
                chart_number(change),
                *[chart_number(r[key]) for key in cells],
            ]

    def trend():
        yield [_("Average"), *[chart_number(v) for v in dashboard.average_trend]]
        cells = {}
        for index, (y, q) in enumerate(periods):
            then = QuarterRollup.objects.filter(subject=OuterRef("subject"), year=y, quarter=q)
            cells[f"p_{index}"] = Subquery(then.values("total")[:1])
        for r in best_first.annotate(**cells).values("name", *cells).iterator(chunk_size=EXPORT_CHUNK):
            yield [r["name"], *[chart_number(r[key]) for key in cells]]

    radar = [
        [
            c["label"],
            chart_number(c["full"]),
            chart_number(dashboard.average_categories.get(c["key"])),
            chart_number(best.categories.get(c["key"])) if best else None,
        ]
        for c in categories
    ]

    def overdue():
        rows = (
            selected.annotate(name=name_expr(view=view))
            .order_by(F("overdue_items").desc(nulls_last=True), "name", bytewise("subject"))
            .values_list("name", "overdue_items")
        )
        for name, value in rows.iterator(chunk_size=EXPORT_CHUNK):
            yield [name, chart_number(value)]

    def heat():
        today = timezone.localdate()
        rows = best_first.values_list("name", "organization_id", "agreement_id").iterator(chunk_size=EXPORT_CHUNK)
        while chunk := list(islice(rows, EXPORT_CHUNK)):
            pks = [org or agreement for _name, org, agreement in chunk]
            found = heat_counts(view, year, pks)
            for (name, _org, _agreement), pk in zip(chunk, pks, strict=True):
                for cell in heat_cells(found, pk, year, today):
                    if cell["planned"]:
                        yield [name, cell["month"], cell["planned"], cell["done"], chart_number(cell["rate"])]

    sources = dict(Indicator.Source.choices)
    category_labels = dict(Indicator.Category.choices)

    def detail():
        scores = (
            IndicatorScore.objects.filter(rollup__in=selected.values("pk"))
            .annotate(subject_name=name_expr("rollup__"))
            .order_by("rollup_id", "indicator__order", "indicator_id")
            .values("subject_name", *SCORE_FIELDS)
        )
        for s in scores.iterator(chunk_size=EXPORT_CHUNK):
            yield [
                s["subject_name"],
                s["indicator__name"],
                category_labels.get(s["indicator__category"], s["indicator__category"]),
                sources.get(s["indicator__source"], s["indicator__source"]),
                chart_number(s["metric_value"]),
                chart_number(s["points"]),
                chart_number(s["self_points"]),
                chart_number(s["review_points"]),
                chart_number(s["adjustment"]),
                s["adjustment_reason"],
                chart_number(s["final_points"]),
            ]

    subject = _("Organization") if view == ORGANIZATIONS else _("Agreement")
    return [
        (
            _("Ranking"),
            [
                _("Rank"),
                subject,
                _("Total"),
                _("Status"),
                _("Previous quarter"),
                _("Change"),
                *[c["label"] for c in categories],
            ],
            ranking(),
        ),
        (_("Trend"), [subject, *[quarter_label(*p) for p in periods]], trend()),
        (_("Categories"), [_("Category"), _("Full marks"), _("Average"), _("Best")], radar),
        (_("Overdue items"), [subject, _("Overdue action items")], overdue()),
        (_("Plan completion"), [subject, _("Month"), _("Planned"), _("Done"), _("Completion (%)")], heat()),
        (
            _("Indicator scores"),
            [
                subject,
                _("Indicator"),
                _("Category"),
                _("Source"),
                _("Metric value"),
                _("Automatic points"),
                _("Self-assessed points"),
                _("Reviewer's points"),
                _("Adjustment"),
                _("Reason for the adjustment"),
                _("Points"),
            ],
            detail(),
        ),
    ]
