"""``manage.py refresh_stored`` repairs the stored values the pages read, after their sources were changed outside
the services (here: plain ``UPDATE``s, as a shell or ``psql`` would): each key project's milestone summary, each
result's total and dashboard / review-queue subtotals. It writes only what differs; a second run changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from activities.models import KeyProject, ProjectMilestone
from activities.selectors.business import schedule_fields
from assessments.models import CATEGORY_FIELDS, IndicatorScore, QuarterRollup
from assessments.rules import MANUAL
from assessments.services import rollups as rollup_services
from tests.assessments.test_rollups import NOW, Q, Y
from tests.assessments.test_rollups import assess as rollup_world  # noqa: F401 (a fixture)
from tests.matrix.business import milestone
from tests.matrix.projects import days, make_agreement, make_project

STORED = ("total", *CATEGORY_FIELDS.values(), "overdue_items", "manual_unscored")


def _run(*args) -> str:
    out = io.StringIO()
    call_command("refresh_stored", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _stored(project: KeyProject) -> dict:
    project.refresh_from_db()
    return {name: getattr(project, name) for name in ("has_milestones", "reached_delay", "open_from")}


def test_project_schedules_are_rewritten_from_their_milestones(world):
    behind = make_project(world, agreement=make_agreement(world, number="GJ-R1"), name="滞后工程")
    milestone(behind, "贯通", planned_on=days(-30))
    milestone(behind, "封顶", planned_on=days(-60), actual_on=days(-50))
    plain = make_project(world, agreement=make_agreement(world, number="GJ-R2"), name="无节点工程")
    right = {behind.pk: _stored(behind), plain.pk: _stored(plain)}

    # Changed outside the services: a milestone reached in SQL, a project's summary overwritten.
    ProjectMilestone.objects.filter(project=behind, name="贯通").update(actual_on=days(-25))
    KeyProject.objects.filter(pk=plain.pk).update(has_milestones=True, open_from=days(-3))

    assert "2 schedule summaries rewritten" in _run()
    milestones = list(ProjectMilestone.objects.filter(project=behind))
    assert _stored(behind) == schedule_fields(milestones) != right[behind.pk]
    assert _stored(plain) == right[plain.pk] == schedule_fields([])
    assert "0 schedule summaries rewritten" in _run()


@pytest.mark.usefixtures("fixed_clock")
def test_result_totals_and_subtotals_are_rewritten_from_their_scores(world, rollup_world):  # noqa: F811
    rollup_services.rollup_compute(year=Y, quarter=Q, now=NOW)
    results = QuarterRollup.objects.filter(year=Y, quarter=Q).order_by("pk")
    right = {row["pk"]: row for row in results.values("pk", *STORED)}
    assert right
    first = results.first()

    # A reviewer's points written in SQL, and a stored total and subtotal overwritten.
    manual = (
        IndicatorScore.objects.filter(rollup=first, indicator__source=MANUAL, review_points__isnull=True)
        .order_by("pk")
        .first()
    )
    assert manual is not None and first.pk != results.last().pk
    IndicatorScore.objects.filter(pk=manual.pk).update(review_points=Decimal(3), final_points=Decimal(3))
    QuarterRollup.objects.filter(pk=results.last().pk).update(total=Decimal("99.9"), overdue_items=77)

    out = _run("--year", str(Y), "--quarter", str(Q))
    assert "Results of 1 quarter(s)" in out
    after = {row["pk"]: row for row in results.values("pk", *STORED)}
    last = results.last().pk
    assert after[last] == right[last]  # the overwritten values are back
    scores = IndicatorScore.objects.filter(rollup=first)
    assert (
        after[first.pk]["total"]
        == sum(s.final_points for s in scores)
        == right[first.pk]["total"] + 3 - (manual.final_points)
    )
    assert after[first.pk]["manual_unscored"] == right[first.pk]["manual_unscored"] - 1
    for pk in set(right) - {first.pk, last}:
        assert after[pk] == right[pk]  # nothing else was touched
    assert "0 totals and 0 subtotal rows rewritten" in _run()


def test_a_quarter_needs_its_year(db):
    with pytest.raises(CommandError):
        _run("--year", "2025")
