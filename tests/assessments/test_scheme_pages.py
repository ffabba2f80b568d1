"""Scheme pages: reviewers create a year's scheme (a copy of the last one, else the default), edit its indicators
with a formset (errors next to the fields, the 100-point total above the rows), put it in force; an indicator scored
in a published result cannot be removed; edits are recorded with the user; everyone reads, only reviewers write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import metrics, rules
from assessments.models import AssessmentScheme, Indicator, IndicatorScore, QuarterRollup
from assessments.selectors import schemes as selectors
from assessments.services import schemes as services
from tests.matrix.assessment_schemes import scheme_post

D = Decimal


@pytest.fixture(autouse=True)
def _messages_in_chinese():
    """Expected messages are translated the way the pages are (zh-hans)."""
    with translation.override("zh-hans"):
        yield


def _url(name, scheme=None):
    return reverse(f"assessments:{name}", args=[scheme.pk] if scheme else [])


@pytest.fixture
def scheme(world):
    """The default scheme of 2025 (12 indicators, 100 points), in force."""
    return services.scheme_create_default(2025)


def _row(scheme, name) -> int:
    """The formset index of an indicator (rows come in the scheme's order)."""
    return [i.name for i in scheme.indicators.order_by("order", "pk")].index(name)


def _published_score(world, scheme, indicator, status=QuarterRollup.Status.PUBLISHED):
    rollup = QuarterRollup.objects.create(
        organization=world.branch_a,
        year=scheme.year,
        quarter=1,
        scheme=scheme,
        status=status,
        total=D(5),
        computed_at=timezone.now(),
    )
    IndicatorScore.objects.create(
        rollup=rollup, indicator=indicator, points=D(5), final_points=D(5), computed_at=timezone.now()
    )
    return rollup


# --- create --------------------------------------------------------------------------------------------------


def test_a_reviewer_creates_next_years_scheme_as_a_copy_of_the_latest_one(client_for, world, scheme):
    scheme.indicators.filter(name="联席会议召开").update(target=D(2), description="每季度至少两次")

    response = client_for(world.committee).post(_url("scheme_create"), {"year": 2026, "name": ""})

    new = AssessmentScheme.objects.get(year=2026)
    assert response.status_code == 302 and response["Location"] == _url("scheme_update", new)
    assert not new.is_active  # a draft until a reviewer puts it in force
    assert new.name == services._default_scheme_name(2026)
    copied = new.indicators.get(name="联席会议召开")
    assert (copied.target, copied.description, copied.metric) == (D(2), "每季度至少两次", "joint_meetings")
    assert new.indicators.count() == 12
    assert new.history.get().history_user == world.committee
    assert {h.history_user for h in Indicator.history.filter(scheme_id=new.pk)} == {world.committee}


def test_the_first_scheme_starts_from_the_default_indicators(client_for, world):
    response = client_for(world.admin).post(_url("scheme_create"), {"year": 2030, "name": "2030年度考核方案"})

    assert response.status_code == 302
    new = AssessmentScheme.objects.get(year=2030)
    assert new.name == "2030年度考核方案"
    assert [i.name for i in new.indicators.order_by("order")] == [row[1] for row in services.DEFAULT_INDICATORS]
    rules.scheme_validate(new)


def test_a_year_that_already_has_a_scheme_is_refused_next_to_the_year(client_for, world, scheme):
    response = client_for(world.committee).post(_url("scheme_create"), {"year": 2025})

    assert response.status_code == 200
    assert response.context["form"].errors["year"] == [_("There is already a scheme for %(year)s.") % {"year": 2025}]
    assert AssessmentScheme.objects.count() == 1


def test_the_create_form_suggests_the_year_after_the_latest_scheme(client_for, world):
    services.scheme_create_default(2045)
    response = client_for(world.committee).get(_url("scheme_create"))
    assert response.context["form"].initial["year"] == 2046


# --- edit ----------------------------------------------------------------------------------------------------


def test_a_reviewer_edits_renames_adds_and_removes_indicators(client_for, world, scheme):
    rows = 12
    brand, innovation = _row(scheme, "品牌特色"), _row(scheme, "工作创新")
    data = scheme_post(
        scheme,
        name="2025年度共建考核方案（修订）",
        notes="经党委会审议",
        **{
            f"{brand}-name": "品牌创建",
            f"{brand}-points": "6",  # 5 → 6, and 工作创新 (5) goes; the new row brings 4
            f"{innovation}-DELETE": "on",
            f"{rows}-category": "resources",
            f"{rows}-name": "资源共享",
            f"{rows}-points": "4",
            f"{rows}-source": "manual",
            f"{rows}-metric": "",
            "TOTAL_FORMS": rows + 1,
        },
    )

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    assert response.status_code == 302, response.context["formset"].non_form_errors()
    scheme.refresh_from_db()
    assert scheme.name == "2025年度共建考核方案（修订）" and scheme.notes == "经党委会审议"
    names = list(scheme.indicators.order_by("order").values_list("name", flat=True))
    assert "工作创新" not in names and names[-1] == "资源共享" and "品牌创建" in names
    assert scheme.indicators.get(name="品牌创建").points == D(6)
    rules.scheme_validate(scheme)
    assert scheme.history.first().history_user == world.committee
    changed = Indicator.history.filter(scheme_id=scheme.pk, history_user=world.committee)
    assert sorted((h.name, h.history_type) for h in changed) == [
        ("品牌创建", "~"),
        ("工作创新", "-"),
        ("资源共享", "+"),
    ]  # untouched indicators get no history row


def test_the_edit_page_shows_every_indicator_and_the_metrics(client_for, world, scheme):
    response = client_for(world.committee).get(_url("scheme_update", scheme))

    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.initial_form_count() == 12 and len(formset.forms) == 14  # two blank rows to add indicators
    assert [key for key, _label in formset.forms[0].fields["metric"].choices][1:] == list(metrics.REGISTRY)
    assert response.content.decode().count('data-testid="indicator-form"') == 14


def test_points_not_totalling_100_are_refused_above_the_rows(client_for, world, scheme):
    data = scheme_post(scheme, **{f"{_row(scheme, '品牌特色')}-points": "10"})

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == [rules._total_error(D("105.0")).message]
    assert 'data-testid="indicator-errors"' in response.content.decode()
    assert scheme.indicators.get(name="品牌特色").points == D(5)


@pytest.mark.parametrize(
    ("source", "metric", "field", "message"),
    [
        ("automatic", "", "metric", "An automatic indicator needs a metric."),
        ("manual", "publicity", "metric", "A manual indicator is scored by the reviewer and has no metric."),
    ],
    ids=["automatic-without-metric", "manual-with-metric"],
)
def test_the_source_and_the_metric_must_agree(client_for, world, scheme, source, metric, field, message):
    index = _row(scheme, "宣传报道")
    data = scheme_post(scheme, **{f"{index}-source": source, f"{index}-metric": metric})

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    assert response.status_code == 200
    assert response.context["formset"].forms[index].errors[field] == [_(message)]
    assert scheme.indicators.get(name="宣传报道").source == "automatic"


def test_points_must_be_positive_and_names_unique(client_for, world, scheme):
    first, second = _row(scheme, "品牌特色"), _row(scheme, "工作创新")
    data = scheme_post(scheme, **{f"{first}-points": "0", f"{second}-name": "品牌特色"})

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    forms = response.context["formset"].forms
    assert forms[first].errors["points"] == [_("Points must be greater than zero.")]
    assert forms[second].errors["name"] == [_("Another indicator of the scheme already has this name.")]
    assert scheme.indicators.filter(name="工作创新").exists()


def test_an_indicator_scored_in_a_published_result_cannot_be_removed(client_for, world, scheme):
    indicator = scheme.indicators.get(name="工作创新")
    _published_score(world, scheme, indicator)
    index = _row(scheme, "工作创新")
    data = scheme_post(
        scheme, **{f"{index}-DELETE": "on", f"{_row(scheme, '品牌特色')}-points": "10", "name": "改名不应保存"}
    )

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    assert response.status_code == 200
    expected = _("%(names)s already have scores in a published result and cannot be removed.") % {"names": "“工作创新”"}
    assert expected in response.context["formset"].non_form_errors()
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    scheme.refresh_from_db()
    assert scheme.name != "改名不应保存" and scheme.indicators.get(name="品牌特色").points == D(5)


def test_removing_an_indicator_drops_its_unpublished_scores_and_refreshes_the_totals(client_for, world, scheme):
    indicator = scheme.indicators.get(name="工作创新")
    rollup = _published_score(world, scheme, indicator, status=QuarterRollup.Status.PROVISIONAL)
    data = scheme_post(
        scheme, **{f"{_row(scheme, '工作创新')}-DELETE": "on", f"{_row(scheme, '品牌特色')}-points": "10"}
    )

    response = client_for(world.committee).post(_url("scheme_update", scheme), data)

    assert response.status_code == 302
    assert not Indicator.objects.filter(pk=indicator.pk).exists()
    rollup.refresh_from_db()
    assert rollup.total == 0 and not rollup.scores.exists()


# --- activate ------------------------------------------------------------------------------------------------


def test_a_reviewer_puts_a_draft_in_force(client_for, world, scheme):
    draft = services.scheme_create(actor=world.committee, year=2026)
    client = client_for(world.committee)
    assert 'data-testid="scheme-activate"' in client.get(_url("scheme_detail", draft)).content.decode()

    response = client.post(_url("scheme_activate", draft))

    assert response.status_code == 302 and response["Location"] == _url("scheme_detail", draft)
    draft.refresh_from_db()
    assert draft.is_active and draft.history.first().history_user == world.committee


def test_a_draft_not_totalling_100_stays_a_draft(client_for, world, scheme):
    draft = services.scheme_create(actor=world.committee, year=2026)
    draft.indicators.filter(name="品牌特色").update(points=D(1))

    response = client_for(world.committee).post(_url("scheme_activate", draft), follow=True)

    draft.refresh_from_db()
    assert not draft.is_active
    assert [str(m) for m in response.context["messages"]] == [rules._total_error(D("96.0")).message]


# --- reading and access --------------------------------------------------------------------------------------


def test_the_scheme_page_groups_indicators_by_category_with_their_metrics(client_for, world, scheme):
    response = client_for(world.outsider).get(_url("scheme_detail", scheme))

    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g["label"] for g in groups] == [
        label for value, label in Indicator.Category.choices if scheme.indicators.filter(category=value).exists()
    ]
    zones = next(g for g in groups if g["label"] == Indicator.Category.ZONES.label)
    assert [i.name for i in zones["indicators"]] == ["责任区检查", "问题按期整改率"] and zones["points"] == D(15)
    assert response.context["total"] == D(100) and response.context["deductions"] == D(10)
    page = response.content.decode()
    assert str(metrics.REGISTRY["zone_checks"].label) in page
    assert 'data-testid="scheme-edit"' not in page  # read only


def test_everyone_signed_in_reads_the_list_with_status_and_total(client_for, world, scheme):
    services.scheme_create(actor=world.committee, year=2026)

    response = client_for(world.member1).get(_url("scheme_list"))

    assert response.status_code == 200
    schemes = list(response.context["schemes"])
    assert [(s.year, s.is_active, s.total_points, s.indicator_count) for s in schemes] == [
        (2026, False, D(100), 12),
        (2025, True, D(100), 12),
    ]
    assert 'data-testid="scheme-create"' not in response.content.decode()


@pytest.mark.parametrize("user", ["secretary1", "liaison1", "member1", "outsider"])
def test_only_reviewers_and_admins_write(client_for, world, scheme, user):
    client = client_for(world.user(user))
    assert client.get(_url("scheme_create")).status_code == 403
    assert client.post(_url("scheme_create"), {"year": 2026}).status_code == 403
    assert client.get(_url("scheme_update", scheme)).status_code == 403
    assert client.post(_url("scheme_update", scheme), scheme_post(scheme, name="x")).status_code == 403
    assert client.post(_url("scheme_activate", scheme)).status_code == 403
    assert not AssessmentScheme.objects.filter(year=2026).exists()
    assert AssessmentScheme.objects.get().name != "x"


def test_a_missing_scheme_is_404(client_for, world):
    client = client_for(world.committee)
    for name in ("scheme_detail", "scheme_update", "scheme_activate"):
        url = reverse(f"assessments:{name}", args=[999999])
        response = client.post(url) if name == "scheme_activate" else client.get(url)
        assert response.status_code == 404, name


def test_the_services_refuse_readers(world, scheme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.scheme_create(actor=world.secretary1, year=2026)
    with pytest.raises(PermissionDenied):
        services.scheme_update(actor=world.liaison1, scheme=scheme, name="x", indicators=[])


# --- query budgets -------------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_at_few_and_many_schemes(client_for, world):
    client = client_for(world.secretary1)
    services.scheme_create_default(2020)
    few = _count_queries(client, _url("scheme_list"))
    for year in range(2021, 2036):
        services.scheme_create_default(year)
    many = _count_queries(client, _url("scheme_list"))
    assert many == few <= 6


def test_the_scheme_page_costs_the_same_at_few_and_many_indicators(client_for, world):
    client = client_for(world.committee)
    small = AssessmentScheme.objects.create(year=2031, name="小方案")
    Indicator.objects.create(scheme=small, category="brand", name="全部", points=D(100), source="manual")
    big = services.scheme_create_default(2032)
    for n in range(20):
        Indicator.objects.create(
            scheme=big, category="affairs", name=f"扣分{n}", points=D(1), source="manual", is_deduction=True
        )
    services.scheme_update(
        actor=world.committee,
        scheme=big,
        name="大方案",
        indicators=[
            {f: getattr(i, f) for f in ("id", *rules.INDICATOR_FIELDS)} | {"name": f"{i.name}·"}
            for i in big.indicators.order_by("order", "pk")
        ],
    )  # a history row per indicator, with its user
    services.scheme_update(
        actor=world.committee,
        scheme=small,
        name="小方案",
        indicators=[
            {f: getattr(i, f) for f in ("id", *rules.INDICATOR_FIELDS)} | {"name": f"{i.name}·"}
            for i in small.indicators.order_by("order", "pk")
        ],
    )  # the same kind of history, one indicator long: only the number of rows differs
    few = _count_queries(client, _url("scheme_detail", small))
    many = _count_queries(client, _url("scheme_detail", big))
    # The 变更记录 reads its rows' predecessors with one query per kind of record on its first page (scheme,
    # indicator): the small scheme's page shows both kinds, the big one's only indicators. Never one per row.
    assert few <= 11 and many <= 11, (few, many)
    edit_few = _count_queries(client, _url("scheme_update", small))
    edit_many = _count_queries(client, _url("scheme_update", big))
    assert edit_many == edit_few <= 7


def test_without_schemes_the_suggested_year_is_this_year(db):
    assert selectors.scheme_suggested_year() == timezone.localdate().year
