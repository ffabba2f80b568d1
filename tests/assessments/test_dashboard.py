"""The committee dashboard and its drill-down: who sees which results, the numbers on the page against the rollup
rows, a query budget that does not grow with the organizations, the Excel export, the print view, the evidence
pages, the on-demand computation and its status, and the dashboard's panels on other pages.

The world's committee reviews 甲项目党支部 (branch_a) and 乙机关党支部 (branch_b), plus 丙党支部 added here; an
agreement ties branch_a to the street community (liaison1). Results are computed for 2025 Q2 and Q3 (measured on
10 October 2025), then the reviewer's points on the manual indicator 品牌特色 set the branches apart.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from activities.models import Activity, ActivityPlan, ActivityType
from assessments import rules
from assessments.models import CATEGORY_FIELDS, AssessmentScheme, Indicator, IndicatorScore, QuarterRollup, RollupRun
from assessments.selectors import dashboard as dashboard_selectors
from assessments.selectors import quarters as quarter_selectors
from assessments.selectors import ranking as ranking_selectors
from assessments.services import rollup_totals as totals_services
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services
from portal import exports
from portal.models import ExportJob, Notification
from tests.factories import (
    ActionItemFactory,
    ActivityFactory,
    ActivityPlanFactory,
    AgreementPartyFactory,
    MemberFactory,
    OrganizationFactory,
    PlannedActivityFactory,
    cast_agreement,
)
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready, table, text_cells

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 10, 10, 12, 0, tzinfo=SH)
Y, Q = 2025, 3
BRAND = "品牌特色"  # a manual indicator (category: brand)
BUDGET = 15


def at(month, day, hour=9, year=Y):
    return dt.datetime(year, month, day, hour, 0, tzinfo=SH)


def _plan(agreement) -> ActivityPlan:
    return ActivityPlanFactory(agreement=agreement, year=Y, title="2025年共建计划")


def _branch_work(org, agreement, *, month: int, done: bool, title: str | None = None) -> Activity | None:
    """A plan row led by ``org`` in ``month``; with an activity logged two days after it when ``done``."""
    volunteer = ActivityType.objects.get_or_create(code="volunteer", defaults={"name": "志愿服务"})[0]
    row = PlannedActivityFactory(
        plan=_plan(agreement), month=month, theme=f"{org.name}{month}月活动", type=volunteer, lead=org
    )
    if not done:
        return None
    starts = at(month, 10)
    return ActivityFactory(
        title=title or f"{org.name}{month}月志愿服务",
        type=volunteer,
        agreement=agreement,
        plan_row=row,
        lead=org,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="项目部",
        status=Activity.Status.LOGGED,
        summary="活动小结",
        logged_at=starts + dt.timedelta(days=2),
    )


def _review_points(year, quarter, points_by_org: dict) -> None:
    """What the reviewer's scoring does to the rows (scores and totals), for the test's set-up only."""
    for org, points in points_by_org.items():
        score = IndicatorScore.objects.get(
            rollup__organization=org, rollup__year=year, rollup__quarter=quarter, indicator__name=BRAND
        )
        IndicatorScore.objects.filter(pk=score.pk).update(review_points=points, final_points=points)
        totals_services.rollup_totals_refresh([score.rollup_id])


@pytest.fixture
def agreement(world):
    return cast_agreement(
        world,
        number="GJ-DASH-01",
        title="看板测试共建协议",
        term_start=dt.date(2025, 1, 1),
        term_end=dt.date(2026, 12, 31),
    )


@pytest.fixture
def results(world, agreement):
    """Three branches under the committee with different quarters; results for 2025 Q2 and Q3."""
    branch_c = OrganizationFactory(name="丙党支部", parent=world.general_2)
    AgreementPartyFactory(agreement=agreement, organization=branch_c)
    MemberFactory(organization=world.branch_a, name="李红梅")
    MemberFactory(organization=world.partner, name="陈秀英")
    _branch_work(world.branch_a, agreement, month=7, done=True, title="甲支部七月志愿服务")
    _branch_work(world.branch_a, agreement, month=8, done=True)
    _branch_work(world.branch_b, agreement, month=7, done=True)
    _branch_work(world.branch_b, agreement, month=9, done=False)
    _branch_work(branch_c, agreement, month=8, done=False)
    for quarter in (2, 3):
        rollup_services.rollup_compute(year=Y, quarter=quarter, final=True, now=NOW)
    _review_points(Y, 3, {world.branch_a: Decimal(5), world.branch_b: Decimal(3), branch_c: Decimal(1)})
    _review_points(Y, 2, {world.branch_a: Decimal(1), world.branch_b: Decimal(4), branch_c: Decimal(2)})
    return {"branch_c": branch_c}


def _rollup(org, quarter=Q) -> QuarterRollup:
    return QuarterRollup.objects.get(organization=org, year=Y, quarter=quarter)


def _dashboard(client, **params):
    params = {"year": Y, "quarter": Q, **params}
    return client.get(reverse("assessments:dashboard"), params)


def _charts(response) -> dict:
    match = re.search(r'<script id="gj-dashboard-data" type="application/json">(.*?)</script>', response.text, re.S)
    return json.loads(match[1])


def _ranking(response) -> list[tuple[str, str]]:
    """(name, total) per ranking row, in the page's order."""
    table = response.text.split('data-testid="ranking-table"')[1].split("</table>")[0]
    names = re.findall(r'data-testid="ranking-link">([^<]+)</a>', table)
    totals = re.findall(r'data-testid="ranking-total">([^<]+)</td>', table)
    return list(zip(names, totals, strict=True))


# --- scope and values ---------------------------------------------------------------------------------------------


def test_the_committee_sees_every_branch_of_its_subtree_ranked_with_the_rollup_totals(client_for, world, results):
    response = _dashboard(client_for(world.committee))

    assert response.status_code == 200
    expected = sorted(
        QuarterRollup.objects.filter(year=Y, quarter=Q, organization__isnull=False).select_related("organization"),
        key=lambda r: -r.total,
    )
    assert _ranking(response) == [(r.organization.display_name, str(r.total)) for r in expected]
    assert len(expected) == 3 and len({r.total for r in expected}) == 3
    assert world.unrelated.name not in response.text


def test_the_chart_data_matches_the_rollup_rows(client_for, world, results):
    charts = _charts(_dashboard(client_for(world.committee)))

    a, b, c = _rollup(world.branch_a), _rollup(world.branch_b), _rollup(results["branch_c"])
    ranking = {row["name"]: row["value"] for row in charts["ranking"]}
    assert ranking == {
        world.branch_a.name: float(a.total),
        world.branch_b.name: float(b.total),
        "丙党支部": float(c.total),
    }
    assert charts["ranking"][0]["url"] == reverse("assessments:rollup_detail", args=[a.pk])
    # The trend: the last 8 quarters, the average of the two computed ones, each branch's own line.
    assert charts["trend"]["periods"][-1] == str(quarter_selectors.quarter_label(Y, Q))
    assert len(charts["trend"]["periods"]) == 8
    q2 = [_rollup(o, 2).total for o in (world.branch_a, world.branch_b, results["branch_c"])]
    assert charts["trend"]["average"][-2] == float(round(sum(q2) / 3, 1))
    assert charts["trend"]["average"][:6] == [None] * 6
    line_a = next(s for s in charts["trend"]["series"] if s["name"] == world.branch_a.name)
    assert line_a["values"][-2:] == [float(_rollup(world.branch_a, 2).total), float(a.total)]
    # The radar: one axis per category of the scheme, full marks from its indicators' points.
    categories = [i["name"] for i in charts["radar"]["indicators"]]
    assert len(categories) == len(Indicator.Category.choices)
    brand = categories.index(str(Indicator.Category.BRAND.label))
    assert charts["radar"]["indicators"][brand]["max"] == 10.0  # 宣传报道 5 + 品牌特色 5
    best = charts["radar"]["series"][1]["values"]
    brand_points = sum(
        s.final_points for s in a.scores.select_related("indicator") if s.indicator.category == Indicator.Category.BRAND
    )
    assert best[brand] == float(brand_points)


def test_overdue_items_come_from_the_overdue_metric_of_the_rollup(client_for, world, results, agreement):
    ActionItemFactory(
        agreement=agreement, title="补齐台账", responsible_party=world.branch_b, due_on=dt.date(2025, 8, 1)
    )
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True, now=NOW)
    response = _dashboard(client_for(world.committee))

    assert _charts(response)["overdue"] == [
        {
            "name": world.branch_b.name,
            "full": world.branch_b.name,
            "value": 1.0,
            "url": reverse("assessments:rollup_detail", args=[_rollup(world.branch_b).pk]),
        }
    ]
    assert 'data-testid="overdue-table"' in response.text


def test_the_plan_heat_counts_planned_and_done_rows_by_month(client_for, world, results):
    response = _dashboard(client_for(world.committee))
    charts = _charts(response)

    subjects = charts["heat"]["subjects"]
    cells = {(subjects[y], x + 1): (rate, planned, done) for x, y, rate, planned, done in charts["heat"]["cells"]}
    assert cells[(world.branch_a.name, 7)] == (100.0, 1, 1)
    assert cells[(world.branch_b.name, 9)] == (0.0, 1, 0)
    assert cells[("丙党支部", 8)] == (0.0, 1, 0)
    assert (world.branch_a.name, 9) not in cells
    assert len(charts["heat"]["months"]) == 12


def test_a_secretary_sees_the_same_page_for_their_own_branch_only(client_for, world, results):
    response = _dashboard(client_for(world.secretary1))

    assert response.status_code == 200
    assert _ranking(response) == [(world.branch_a.name, str(_rollup(world.branch_a).total))]
    assert world.branch_b.name not in response.text and "丙党支部" not in response.text
    charts = _charts(response)
    assert [s["name"] for s in charts["trend"]["series"]] == [world.branch_a.name]
    assert 'data-testid="rollup-request"' not in response.text  # computing is the committee's


def test_the_agreements_view_ranks_the_agreements_in_scope(client_for, world, results, agreement):
    response = _dashboard(client_for(world.liaison1), view="agreements")

    rollup = QuarterRollup.objects.get(agreement=agreement, year=Y, quarter=Q)
    assert _ranking(response) == [(agreement.title, str(rollup.total))]
    # The partner has no branch of the committee's: without a chosen view, the page opens on the agreements.
    response = _dashboard(client_for(world.liaison1))
    assert response.context["dashboard"].view == "agreements"
    assert _ranking(response) == [(agreement.title, str(rollup.total))]
    assert 'data-testid="dashboard-empty"' in _dashboard(client_for(world.liaison1), view="organizations").text


def test_the_outsider_sees_an_empty_dashboard_and_404_on_every_result(client_for, world, results):
    client = client_for(world.outsider)
    response = _dashboard(client)
    assert response.status_code == 200 and 'data-testid="dashboard-empty"' in response.text
    assert world.branch_a.name not in response.text

    rollup = _rollup(world.branch_a)
    score = rollup.scores.first()
    for url in (
        reverse("assessments:rollup_detail", args=[rollup.pk]),
        reverse("assessments:rollup_print", args=[rollup.pk]),
        reverse("assessments:score_evidence", args=[score.pk]),
    ):
        assert client.get(url).status_code == 404, url
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("assessments:dashboard_export"), {"year": Y, "quarter": Q}).content)
    )
    assert [sheet.max_row for sheet in workbook.worksheets] == [
        2,
        3,
        2,
        2,
        2,
        2,
    ]  # title, headers (and an empty average)


def test_secretary2_gets_404_for_branch_a_s_result(client_for, world, results):
    rollup = _rollup(world.branch_a)
    assert client_for(world.secretary2).get(reverse("assessments:rollup_detail", args=[rollup.pk])).status_code == 404


def test_the_dashboard_opens_on_the_latest_quarter_with_results(client_for, world, results):
    response = client_for(world.committee).get(reverse("assessments:dashboard"))

    assert response.context["dashboard"].year == Y and response.context["dashboard"].quarter == Q
    # The picker lists the last eight quarters and the quarters with results.
    values = [p["value"] for p in response.context["periods"]]
    assert "2025-2" in values and "2025-3" in values
    assert response.context["periods"][values.index("2025-3")]["selected"]


def test_the_quarter_picker_value_selects_a_quarter(client_for, world, results):
    response = client_for(world.committee).get(reverse("assessments:dashboard"), {"period": "2025-2"})
    assert response.context["dashboard"].quarter == 2
    assert _ranking(response)[0] == (world.branch_b.name, str(_rollup(world.branch_b, 2).total))


def test_a_quarter_without_results_says_so(client_for, world, results):
    response = _dashboard(client_for(world.committee), year=2024, quarter=1)
    assert 'data-testid="dashboard-empty"' in response.text


# --- the stored subtotals follow every change of the points ------------------------------------------------------


def _stored(rollup: QuarterRollup) -> dict:
    rollup.refresh_from_db()
    return {
        key: getattr(rollup, column) for key, column in CATEGORY_FIELDS.items() if getattr(rollup, column) is not None
    }


def test_a_result_stores_its_points_by_category_and_its_overdue_items(world, results):
    a = _rollup(world.branch_a)
    scores = IndicatorScore.objects.filter(rollup=a).select_related("indicator")
    expected = {}
    for score in scores:
        expected[score.indicator.category] = expected.get(score.indicator.category, Decimal(0)) + score.final_points
    assert _stored(a) == expected and expected["brand"] >= Decimal(5)  # the reviewer's 5 on 品牌特色
    overdue = scores.get(indicator__metric="overdue_items").metric_value
    assert a.overdue_items == overdue
    # A rerun of the quarter leaves them as they are; nothing stale is left to write.
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True, now=NOW)
    assert _stored(a) == expected
    assert totals_services.rollup_subtotals_refresh(year=Y, quarter=Q) == 0


def test_a_reviewer_s_points_move_the_stored_subtotal(world, results):
    a = _rollup(world.branch_a)
    brand_before = _stored(a)["brand"]
    _review_points(Y, Q, {world.branch_a: Decimal(2)})  # 5 → 2 on 品牌特色, through rollup_totals_refresh
    assert _stored(a)["brand"] == brand_before - 3
    assert _stored(a)["brand"] + sum(v for k, v in _stored(a).items() if k != "brand") == _rollup(world.branch_a).total


def test_moving_an_indicator_to_another_category_moves_its_points(world, results):
    scheme = AssessmentScheme.objects.get(year=Y)
    rows = [
        {"id": i.pk, **{f: getattr(i, f) for f in rules.INDICATOR_FIELDS}}
        for i in scheme.indicators.order_by("order", "pk")
    ]
    next(r for r in rows if r["name"] == BRAND)["category"] = Indicator.Category.RESOURCES
    a = _rollup(world.branch_a)
    before = _stored(a)
    scheme_services.scheme_update(
        actor=world.committee, scheme=scheme, name=scheme.name, notes=scheme.notes, indicators=rows
    )
    after = _stored(a)
    assert after["resources"] == before.get("resources", Decimal(0)) + Decimal(5)
    assert after["brand"] == before["brand"] - Decimal(5)  # 宣传报道 stays in the brand category
    dashboard = dashboard_selectors.dashboard_data(world.committee, year=Y, quarter=Q)
    row = next(r for r in dashboard.rows if r.subject == a.subject)
    assert row.categories == after


# --- query budget -------------------------------------------------------------------------------------------------


def _more_branches(world, agreement, start: int, count: int) -> None:
    for i in range(start, start + count):
        org = OrganizationFactory(name=f"扩容第{i}党支部", parent=world.general_1)
        AgreementPartyFactory(agreement=agreement, organization=org)
        _branch_work(org, agreement, month=7 + i % 3, done=i % 2 == 0)


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = _dashboard(client)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_reads_the_same_few_queries_at_3_and_at_60_organizations(client_for, world, agreement):
    _more_branches(world, agreement, 0, 1)  # branch_a, branch_b and one more
    for quarter in (1, 2, 3):
        rollup_services.rollup_compute(year=Y, quarter=quarter, now=NOW)
    client = client_for(world.committee)
    assert QuarterRollup.objects.filter(year=Y, quarter=Q, organization__isnull=False).count() == 3
    at_three = _dashboard_queries(client)

    _more_branches(world, agreement, 1, 57)
    for quarter in (1, 2, 3):
        rollup_services.rollup_compute(year=Y, quarter=quarter, now=NOW)
    assert QuarterRollup.objects.filter(year=Y, quarter=Q, organization__isnull=False).count() == 60
    at_sixty = _dashboard_queries(client)

    print(f"dashboard queries: {at_three} at 3 organizations, {at_sixty} at 60")
    assert at_three == at_sixty
    assert at_sixty <= BUDGET
    response = _dashboard(client)
    # A page of the ranking, not one row per branch; the histogram counts them all.
    assert len(_charts(response)["ranking"]) == ranking_selectors.PAGE_SIZE == len(_ranking(response))
    assert sum(bar["value"] for bar in _charts(response)["distribution"]) == 60
    # Searching, sorting and paging read the same statements.
    with CaptureQueriesContext(connection) as searched:
        assert _dashboard(client, q="扩容第1", sort="-rank", page=2).status_code == 200
    assert len(searched.captured_queries) == at_sixty


def test_a_secretary_s_dashboard_keeps_within_the_budget(client_for, world, results):
    assert _dashboard_queries(client_for(world.secretary1)) <= BUDGET


# --- export and print ---------------------------------------------------------------------------------------------


def test_the_export_has_one_sheet_per_view_and_the_rollup_values(client_for, world, results):
    response = client_for(world.committee).get(reverse("assessments:dashboard_export"), {"year": Y, "quarter": Q})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    with translation.override("zh-hans"):
        names = [
            gettext(n)
            for n in ("Ranking", "Trend", "Categories", "Overdue items", "Plan completion", "Indicator scores")
        ]
    assert workbook.sheetnames == names
    assert_print_ready(response.content, world.group.name, f"{Y}年第{Q}季度")
    ranking = workbook[names[0]]
    a = _rollup(world.branch_a)
    assert ranking["A3"].value == 1 and ranking["B3"].value == world.branch_a.name
    assert ranking["C3"].value == float(a.total)
    assert ranking.max_row == 5
    trend = workbook[names[1]]
    assert trend["A3"].value == gettext("Average") and trend.max_column == 9
    detail = workbook[names[5]]
    assert detail.max_row == 2 + 3 * 12  # every indicator of every branch
    rows = [[c.value for c in row] for row in detail.iter_rows(min_row=3)]
    brand_a = next(r for r in rows if r[0] == world.branch_a.name and r[1] == BRAND)
    assert brand_a[7] == 5.0 and brand_a[10] == 5.0
    heat = workbook[names[4]]
    assert [world.branch_a.name, 7, 1, 1, 100.0] in [[c.value for c in row] for row in heat.iter_rows(min_row=3)]


def _workbook_values(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: table(sheet) for sheet in workbook.worksheets}


@pytest.fixture
def job_path(settings, tmp_path, django_capture_on_commit_callbacks):
    """Exports above 10 rows go through the job path (3 branches make 36 indicator scores); a GET's after-commit
    callbacks — sending the job to the (eager) worker — run as after a real request."""
    settings.EXPORT_ROW_THRESHOLD = 10
    settings.EXPORTS_DIR = tmp_path / "exports"

    def get(client, query):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(reverse("assessments:dashboard_export"), query)

    return get


def test_a_large_export_becomes_a_job_whose_file_has_the_same_sheets_and_rows(client_for, world, results, job_path):
    client = client_for(world.committee)
    with mock.patch.object(django_settings, "EXPORT_ROW_THRESHOLD", 10_000):
        immediate = client.get(reverse("assessments:dashboard_export"), {"year": Y, "quarter": Q})
    assert immediate.status_code == 200 and not ExportJob.objects.exists()

    response = job_path(client, {"year": Y, "quarter": Q})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert (job.requester, job.kind) == (world.committee, ExportJob.Kind.DASHBOARD)
    assert job.params == {"year": [str(Y)], "quarter": [str(Q)], "view": ["organizations"]}
    assert job.status == ExportJob.Status.DONE and job.filename == immediate_filename(immediate)
    written = _workbook_values(exports.job_file_open(job).read())
    assert written == _workbook_values(immediate.content)
    # Progress counted every row of every sheet, as announced before the first one.
    assert job.rows_done == job.rows_total == sum(len(rows) - 1 for rows in written.values())
    assert Notification.objects.filter(kind=exports.EXPORT_READY, recipient=world.committee).count() == 1


def immediate_filename(response) -> str:
    return unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_the_job_exports_the_quarter_shown_when_the_request_left_it_to_the_default(
    client_for, world, results, job_path
):
    job_path(client_for(world.committee), {})
    job = ExportJob.objects.get()
    assert job.params["year"] == [str(Y)] and job.params["quarter"] == [str(Q)]


def test_the_job_reapplies_its_requester_s_scope(client_for, world, results, job_path, settings):
    settings.EXPORT_ROW_THRESHOLD = 5  # one branch's 12 scores
    response = job_path(client_for(world.secretary1), {"year": Y, "quarter": Q})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    ranking = next(iter(_workbook_values(exports.job_file_open(job).read()).values()))
    assert [row[1] for row in ranking[1:]] == [world.branch_a.name]


def test_the_export_request_takes_the_same_queries_at_few_and_many_results(client_for, world, results, job_path):
    client = client_for(world.committee)
    url = reverse("assessments:dashboard_export")
    with mock.patch.object(exports, "enqueue"), CaptureQueriesContext(connection) as few:
        assert client.get(url, {"year": Y, "quarter": Q}).status_code == 302
    _bulk_results(world, 40)
    with mock.patch.object(exports, "enqueue"), CaptureQueriesContext(connection) as many:
        assert client.get(url, {"year": Y, "quarter": Q}).status_code == 302
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_print_view_has_total_rank_categories_indicators_and_signature_lines(client_for, world, results):
    a = _rollup(world.branch_a)
    response = client_for(world.secretary1).get(reverse("assessments:rollup_print", args=[a.pk]))

    assert response.status_code == 200
    text = response.text
    # The A4 page box comes from the print view's own stylesheet (the CSP allows no inline <style>).
    assert 'href="/static/css/rollup-print.css"' in text
    assert "@page { size: A4" in Path(finders.find("css/rollup-print.css")).read_text()
    assert f'data-testid="print-total">{a.total}<' in text
    # Ranked within the whole tree, even for a secretary who sees only their own branch.
    assert re.search(r'data-testid="print-rank">\D*1\D+3\D*<', text)
    assert 'data-testid="print-signatures"' in text and BRAND in text


# --- one result and its evidence --------------------------------------------------------------------------------


def test_the_result_page_lists_every_indicator_with_evidence_links_for_automatic_ones(client_for, world, results):
    a = _rollup(world.branch_a)
    response = client_for(world.committee).get(reverse("assessments:rollup_detail", args=[a.pk]))

    assert response.status_code == 200
    assert f'data-testid="rollup-total">{a.total}<' in response.text
    assert response.text.count('data-testid="evidence-link"') == 10  # the automatic indicators of the scheme
    assert response.text.count("data-indicator=") == 12
    categories = {c["key"]: c for c in response.context["categories"]}
    assert categories["brand"]["points"] == sum(
        s.final_points for s in a.scores.select_related("indicator") if s.indicator.category == "brand"
    )
    assert categories["brand"]["full"] == Decimal(10)


def test_the_evidence_page_lists_the_records_behind_an_automatic_score(client_for, world, results):
    score = IndicatorScore.objects.get(rollup=_rollup(world.branch_a), indicator__metric="logged_in_time")
    response = client_for(world.secretary1).get(reverse("assessments:score_evidence", args=[score.pk]))

    assert response.status_code == 200
    assert response.text.count('data-testid="evidence-row"') == 2
    assert "甲支部七月志愿服务" in response.text
    activity = Activity.objects.get(title="甲支部七月志愿服务")
    assert reverse("activities:activity_detail", args=[activity.pk]) in response.text
    assert score.metric_value == Decimal(100)


def test_the_evidence_page_queries_do_not_grow_with_the_records(client_for, world, agreement, results):
    score = IndicatorScore.objects.get(rollup=_rollup(world.branch_a), indicator__metric="logged_in_time")
    client = client_for(world.committee)
    url = reverse("assessments:score_evidence", args=[score.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(1, 20):
        _branch_work(world.branch_a, agreement, month=9, done=True, title=f"九月活动{day}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.text.count('data-testid="evidence-row"') == 21
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_evidence_the_viewer_may_not_open_is_counted_but_not_shown(client_for, world, results, agreement):
    """The agreement's participation counts the partner's members, whose roster secretary1 may not read."""
    score = IndicatorScore.objects.get(
        rollup=QuarterRollup.objects.get(agreement=agreement, year=Y, quarter=Q), indicator__metric="participation"
    )
    response = client_for(world.secretary1).get(reverse("assessments:score_evidence", args=[score.pk]))

    assert response.status_code == 200
    assert "李红梅" in response.text and "陈秀英" not in response.text
    assert response.text.count('data-testid="evidence-row"') == 2
    assert client_for(world.committee).get(reverse("assessments:score_evidence", args=[score.pk])).status_code == 200


def test_a_manual_indicator_s_evidence_page_says_the_reviewer_scores_it(client_for, world, results):
    score = IndicatorScore.objects.get(rollup=_rollup(world.branch_a), indicator__name=BRAND)
    response = client_for(world.secretary1).get(reverse("assessments:score_evidence", args=[score.pk]))
    assert response.status_code == 200 and 'data-testid="evidence-manual"' in response.text


# --- computing on demand ------------------------------------------------------------------------------------------


def test_a_reviewer_queues_a_computation_and_the_status_partial_shows_it_done(
    client_for, world, results, django_capture_on_commit_callbacks
):
    client = client_for(world.committee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:rollup_request"), {"year": Y, "quarter": Q})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('assessments:dashboard')}?year={Y}&quarter={Q}"
    run = RollupRun.objects.get()
    assert run.status == RollupRun.Status.DONE and run.requested_by == world.committee
    page = client.get(response["Location"])
    assert 'data-testid="run-status"' in page.text and 'data-status="done"' in page.text

    partial = client.get(reverse("assessments:run_status", args=[run.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'data-status="done"' in partial.text
    assert "hx-trigger" not in partial.text  # polling stops once the run is over
    assert 'data-testid="run-summary"' in partial.text


def test_a_queued_run_polls_every_two_seconds(client_for, world):
    run = RollupRun.objects.create(year=Y, quarter=Q, requested_by=world.committee)
    partial = client_for(world.committee).get(
        reverse("assessments:run_status", args=[run.pk]), headers={"HX-Request": "true"}
    )
    assert 'hx-trigger="every 2s"' in partial.text and 'data-status="queued"' in partial.text


def test_a_quarter_not_started_is_refused_with_a_message(client_for, world):
    response = client_for(world.committee).post(
        reverse("assessments:rollup_request"), {"year": 2099, "quarter": 1}, follow=True
    )
    assert not RollupRun.objects.exists()
    assert "alert-danger" in response.text or "alert-error" in response.text


@pytest.mark.parametrize("user", ["secretary1", "liaison1", "member1"])
def test_only_reviewers_may_request_a_computation(client_for, world, user):
    response = client_for(world.user(user)).post(reverse("assessments:rollup_request"), {"year": Y, "quarter": Q})
    assert response.status_code == 403
    assert not RollupRun.objects.exists()


def test_run_status_is_only_for_reviewers(client_for, world):
    run = RollupRun.objects.create(year=Y, quarter=Q, requested_by=world.committee)
    assert client_for(world.secretary1).get(reverse("assessments:run_status", args=[run.pk])).status_code == 404
    assert client_for(world.committee).get(reverse("assessments:run_status", args=[run.pk])).status_code == 200


# --- panels on other pages ----------------------------------------------------------------------------------------


def test_the_committee_home_shows_the_best_and_last_three(client_for, world, results):
    response = client_for(world.committee).get(reverse("home"))

    assert 'data-testid="home-podium"' in response.text
    top = response.text.split('data-testid="podium-top"')[1].split("</ol>")[0]
    assert top.index(world.branch_a.name) < top.index(world.branch_b.name) < top.index("丙党支部")
    assert 'data-testid="home-dashboard-link"' in response.text
    assert 'data-testid="home-podium"' not in client_for(world.secretary1).get(reverse("home")).text


def test_the_organization_page_shows_its_last_quarters_to_those_who_may_see_them(client_for, world, results):
    url = world.branch_a.get_absolute_url()
    response = client_for(world.secretary1).get(url)
    section = response.text.split('data-testid="results-section"')[1].split("</table>")[0]
    assert reverse("assessments:rollup_detail", args=[_rollup(world.branch_a).pk]) in section
    assert reverse("assessments:rollup_detail", args=[_rollup(world.branch_a, 2).pk]) in section
    assert 'data-testid="results-section"' not in client_for(world.outsider).get(url).text


def test_the_nav_links_to_the_dashboard_for_people_with_a_role(client_for, world):
    assert 'data-testid="nav-assessment"' in client_for(world.secretary1).get(reverse("home")).text
    assert 'data-testid="nav-assessment"' in client_for(world.committee).get(reverse("home")).text


def test_quarter_windows_run_back_across_years():
    assert quarter_selectors.quarter_window(2025, 2, 4) == [(2024, 3), (2024, 4), (2025, 1), (2025, 2)]
    assert quarter_selectors.default_quarter([(2099, 1), (2025, 3)], dt.date(2026, 11, 20)) == (2025, 3)
    assert quarter_selectors.default_quarter([], dt.date(2026, 11, 20)) == (2026, 4)
    # The open quarter is provisional and half-way: the latest closed one comes first.
    assert quarter_selectors.default_quarter([(2026, 4), (2026, 3)], dt.date(2026, 11, 20)) == (2026, 3)
    assert quarter_selectors.default_quarter([(2026, 4)], dt.date(2026, 11, 20)) == (2026, 4)


def test_an_organization_named_like_a_formula_reads_back_from_the_export_as_text(client_for, world, results):
    type(world.branch_a).objects.filter(pk=world.branch_a.pk).update(name=FORMULA_TITLE)
    response = client_for(world.committee).get(reverse("assessments:dashboard_export"), {"year": Y, "quarter": Q})
    cells = text_cells(response.content, FORMULA_TITLE)
    assert len({cell.parent.title for cell in cells}) >= 2  # the ranking and the indicator sheets at least


# --- the ranking at scale: a page, search, order, best and last N -----------------------------------------------


def _bulk_results(world, count: int, *, year=Y, quarter=Q, total_of=lambda i: Decimal(i % 37)) -> list:
    """``count`` more branches under the committee with a result each, written directly (no computation)."""
    from assessments.models import AssessmentScheme

    scheme = AssessmentScheme.objects.first()  # the one the ``results`` fixture computed with
    orgs = [OrganizationFactory(name=f"规模第{i:03d}党支部", parent=world.general_1) for i in range(count)]
    rows = []
    for i, org in enumerate(orgs):
        rollup = QuarterRollup(
            organization=org, year=year, quarter=quarter, scheme=scheme, total=total_of(i), computed_at=NOW
        )
        rollup.subject = f"org:{org.pk}"
        rows.append(rollup)
    QuarterRollup.objects.bulk_create(rows)
    return orgs


def _reference(user, year=Y, quarter=Q) -> list[dict]:
    """The ranking computed in Python from every visible result: competition ranks, best first."""
    rollups = list(
        QuarterRollup.objects.visible_to(user)
        .filter(year=year, quarter=quarter, organization__isnull=False)
        .select_related("organization")
    )
    totals = [r.total for r in rollups]
    rows = [
        {
            "subject": r.subject,
            "name": r.organization.display_name,
            "total": r.total,
            "rank": 1 + sum(1 for t in totals if t > r.total),
        }
        for r in rollups
    ]
    return sorted(rows, key=lambda r: (-r["total"], r["subject"]))


def _shown(dashboard) -> list[tuple]:
    return [(r.subject, r.name, r.total, r.rank) for r in dashboard.rows]


def _as_tuples(rows) -> list[tuple]:
    return [(r["subject"], r["name"], r["total"], r["rank"]) for r in rows]


def test_the_ranking_pages_searches_and_sorts_like_a_python_reference(world, results):
    _bulk_results(world, 47)
    reference = _reference(world.committee)
    assert len(reference) == 50 and len({r["total"] for r in reference}) < 50  # ties share a rank

    def data(**kwargs):
        return dashboard_selectors.dashboard_data(world.committee, year=Y, quarter=Q, **kwargs)

    first, second, last = data(page=1), data(page=2), data(page=3)
    assert first.count == 50 and first.large and first.page.paginator.num_pages == 3
    assert _shown(first) == _as_tuples(reference[:20])
    assert _shown(second) == _as_tuples(reference[20:40])
    assert _shown(last) == _as_tuples(reference[40:])
    assert _shown(data(page=99)) == _as_tuples(reference[40:])  # past the end: the last page
    # Best and last N, whatever the page.
    assert [r.subject for r in second.top] == [r["subject"] for r in reference[: ranking_selectors.EDGE_COUNT]]
    assert [r.subject for r in second.bottom] == [r["subject"] for r in reference[::-1][: ranking_selectors.EDGE_COUNT]]
    assert second.best.subject == reference[0]["subject"]
    # Worst first, and by name.
    assert _shown(data(sort="-rank")) == _as_tuples(reference[::-1][:20])
    by_name = sorted(reference, key=lambda r: (r["name"], r["subject"]))
    assert _shown(data(sort="name")) == _as_tuples(by_name[:20])
    # A search keeps each row's rank in the whole scope and counts what matches.
    found = data(search="规模第01")
    expected = [r for r in reference if "规模第01" in r["name"]]
    assert found.matched == len(expected) == 10 and found.count == 50
    assert _shown(found) == _as_tuples(expected)
    assert data(search="没有这个支部").rows == [] and data(search="没有这个支部").matched == 0


def test_the_ranking_shows_the_previous_quarter_s_total_and_rank(world, results):
    reference = _reference(world.committee, quarter=2)
    dashboard = dashboard_selectors.dashboard_data(world.committee, year=Y, quarter=Q)
    previous = {r["subject"]: r for r in reference}
    for row in dashboard.rows:
        assert row.previous == previous[row.subject]["total"]
        assert row.previous_rank == previous[row.subject]["rank"]


def test_the_page_stays_small_with_300_branches(client_for, world, results):
    _bulk_results(world, 300)
    client = client_for(world.committee)
    response = _dashboard(client)

    assert response.status_code == 200
    assert len(_ranking(response)) == ranking_selectors.PAGE_SIZE
    charts = _charts(response)
    assert len(charts["ranking"]) == len(charts["heat"]["subjects"]) == ranking_selectors.PAGE_SIZE
    assert len(charts["trend"]["series"]) <= dashboard_selectors.TREND_LINES + 1
    assert len(charts["overdue"]) <= ranking_selectors.OVERDUE_TOP
    assert sum(bar["value"] for bar in charts["distribution"]) == 303
    assert len(response.content) < 100_000
    assert 'data-testid="ranking-top"' in response.text and 'data-testid="ranking-bottom"' in response.text
    assert 'data-testid="ranking-next"' in response.text
    # The next page continues the ranking.
    second = _dashboard(client, page=2)
    assert _ranking(second)[0] == (
        _reference(world.committee)[20]["name"],
        str(_reference(world.committee)[20]["total"]),
    )


def test_a_small_scope_shows_every_row_without_paging(client_for, world, results):
    response = _dashboard(client_for(world.committee))
    assert len(_ranking(response)) == 3
    assert 'data-testid="ranking-pages"' not in response.text and 'data-testid="ranking-search"' not in response.text
    charts = _charts(response)
    assert charts["distribution"] == [] and charts["trend"]["median"] == []
    assert len(charts["heat"]["subjects"]) == 3


def test_the_export_lists_every_subject_of_a_large_scope(client_for, world, results):
    _bulk_results(world, 30)
    response = client_for(world.committee).get(reverse("assessments:dashboard_export"), {"year": Y, "quarter": Q})
    workbook = load_workbook(io.BytesIO(response.content))
    ranking = workbook.worksheets[0]
    assert ranking.max_row == 2 + 33
    ranks = [row[0].value for row in ranking.iter_rows(min_row=3)]
    assert ranks == [r["rank"] for r in _reference(world.committee)]
    assert workbook.worksheets[1].max_row == 3 + 33  # the average and every subject
