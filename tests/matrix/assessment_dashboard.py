"""Access-matrix rows for the assessment dashboard: the dashboard and its export, computing on demand and a
computation's status, one result's page and print view, an automatic score's evidence.

2025 Q3 is computed for every branch (甲项目党支部 among them) and a reviewer's run is recorded. secretary1 owns
the reading of branch_a's result; the committee (reviewer) computes; the outsider sees an empty dashboard and gets
404 on the results, the scores and the runs; a secretary may not compute (403).
"""

from __future__ import annotations

from django.urls import reverse

from assessments.models import IndicatorScore, QuarterRollup, RollupRun
from assessments.services import rollups as services
from tests.matrix import Case

YEAR, QUARTER = 2025, 3


def objects(world) -> dict:
    services.rollup_compute(year=YEAR, quarter=QUARTER)
    rollup = QuarterRollup.objects.get(organization=world.branch_a, year=YEAR, quarter=QUARTER)
    score = IndicatorScore.objects.filter(rollup=rollup, indicator__source="automatic").order_by("pk").first()
    run = RollupRun.objects.create(year=YEAR, quarter=QUARTER, final=True, requested_by=world.committee)
    return {"dash_rollup": rollup, "dash_score": score, "dash_run": run}


def _url(name, key):
    return lambda w, o: reverse(f"assessments:{name}", args=[o[key].pk])


def _period(name):
    return lambda w, o: f"{reverse(f'assessments:{name}')}?year={YEAR}&quarter={QUARTER}"


CASES: dict[str, Case] = {
    "assessments:dashboard": Case(
        _period("dashboard"),
        owner="committee",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "assessments:dashboard_export": Case(_period("dashboard_export"), owner="committee", outsider_status=200),
    "assessments:rollup_request": Case(
        lambda w, o: reverse("assessments:rollup_request"),
        owner="committee",
        get_ok=False,
        owner_post=lambda w, o: {"year": YEAR, "quarter": QUARTER},
        read_only=("secretary1", "member1", "liaison1"),
        outsider_status=405,
    ),
    "assessments:run_status": Case(_url("run_status", "dash_run"), owner="committee"),
    "assessments:rollup_detail": Case(_url("rollup_detail", "dash_rollup"), owner="secretary1"),
    "assessments:rollup_print": Case(_url("rollup_print", "dash_rollup"), owner="secretary1"),
    "assessments:score_evidence": Case(_url("score_evidence", "dash_score"), owner="secretary1"),
}
