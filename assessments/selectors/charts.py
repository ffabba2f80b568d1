"""The dashboard's charts as plain JSON values."""

from __future__ import annotations

from decimal import Decimal

from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.translation import gettext as _

from assessments.selectors.dashboard import Dashboard
from assessments.selectors.plan_heat import MONTHS
from assessments.selectors.quarters import quarter_label
from assessments.selectors.ranking import ZERO


def chart_number(value) -> float | None:
    return None if value is None else float(value)


def chart_labels(rows) -> dict[str, str]:
    """Each subject's label on the charts (by subject key): its short label (``SubjectRow.short``: a brand, a
    number, a branch's short name), with the agreement's number added where two of the rows would read the same —
    the renewed agreement keeps its brand, and the charts must tell the two apart. The full name is the tooltip's."""
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.short] = seen.get(row.short, 0) + 1
    return {
        row.subject: f"{row.short}（{row.code}）"
        if seen[row.short] > 1 and row.code and row.code != row.short
        else row.short
        for row in rows
    }


def _subjects(rows) -> list:
    return list({row.subject: row for row in rows}.values())


def dashboard_charts(dashboard: Dashboard) -> dict:
    """The charts' data as plain JSON values (for ``json_script``), bounded like the page: the ranking bars of the
    rows shown, the scope's average and median per quarter with at most TREND_LINES + 1 lines, the radar, the first
    OVERDUE_TOP overdue subjects, the heat of the rows shown and, for a scope larger than a page, the histogram."""
    rows = dashboard.rows
    label = chart_labels(_subjects([*rows, *dashboard.overdue_rows, *dashboard.trend_rows]))
    return {
        "labels": {
            "total": _("Total"),
            "average": _("Average"),
            "median": _("Median"),
            "overdue": _("Overdue action items"),
            "planned": _("Planned"),
            "done": _("Done"),
            "rate": _("Completion"),
            "subjects": _("Results"),
        },
        "ranking": [
            {"name": label[r.subject], "full": r.name, "value": chart_number(r.total), "url": r.url} for r in rows
        ],
        "distribution": (
            [{"name": f"{b['low']}–{b['high']}", "value": b["count"]} for b in dashboard.distribution.histogram()]
            if dashboard.large
            else []
        ),
        "trend": _trend(dashboard, label),
        "radar": {
            "indicators": [
                {"name": c["label"], "max": chart_number(max(c["full"], Decimal(1)))} for c in dashboard.categories
            ],
            "series": _radar_series(dashboard, label),
        },
        "overdue": [
            {"name": label[r.subject], "full": r.name, "value": chart_number(r.overdue), "url": r.url}
            for r in dashboard.overdue_rows
        ],
        "heat": _heat(rows, label),
    }


def _trend(dashboard: Dashboard, label: dict[str, str]) -> dict:
    return {
        "periods": [quarter_label(*p) for p in dashboard.periods],
        "average": [chart_number(v) for v in dashboard.average_trend],
        "median": [chart_number(v) for v in dashboard.median_trend] if dashboard.large else [],
        "series": [
            {
                "name": label[r.subject],
                "full": r.name,
                "url": r.url,
                "values": [chart_number(r.trend.get(p)) for p in dashboard.periods],
            }
            for r in dashboard.trend_rows
        ],
    }


def _radar_series(dashboard: Dashboard, label: dict[str, str]) -> list[dict]:
    rows, focus = dashboard.rows, dashboard.focus

    def radar_values(categories: dict) -> list[float]:
        # The radar starts at zero: a category pulled below it by a deduction is drawn at the centre.
        return [chart_number(max(categories.get(c["key"]) or ZERO, ZERO)) for c in dashboard.categories]

    series = [{"name": _("Average"), "values": radar_values(dashboard.average_categories)}]
    if dashboard.count == 1 and rows:  # a secretary's own branch: its one shape, not three identical ones
        series = [{"name": label[rows[0].subject], "full": rows[0].name, "values": radar_values(rows[0].categories)}]
    elif dashboard.best is not None:
        series.append(
            {
                "name": _("Best: %(name)s") % {"name": label.get(dashboard.best.subject, dashboard.best.short)},
                "full": _("Best: %(name)s") % {"name": dashboard.best.name},
                "values": radar_values(dashboard.best.categories),
            }
        )
    if focus is not None and focus is not dashboard.best:
        series.append(
            {
                "name": _("Selected: %(name)s") % {"name": label.get(focus.subject, focus.short)},
                "full": _("Selected: %(name)s") % {"name": focus.name},
                "values": radar_values(focus.categories),
            }
        )
    return series


def _heat(rows: list, label: dict[str, str]) -> dict:
    return {
        "months": [str(MONTH_NAMES[m]) for m in MONTHS],
        "subjects": [label[r.subject] for r in rows],
        "full": [r.name for r in rows],
        "cells": [
            [cell["month"] - 1, index, chart_number(cell["rate"]), cell["planned"], cell["done"]]
            for index, r in enumerate(rows)
            for cell in r.heat
            if cell["planned"]
        ],
    }
