"""The committee's review queue (评审队列), "publish all reviewed" (发布全部已评审) and its to-do on the 工作台.

Results are computed final for 2024 Q2 (a long-closed quarter): 甲项目党支部 (secretary1) and 乙机关党支部 (secretary2)
under the committee; the agreement of 甲 with the street community is reviewed by the committee too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from assessments.models import AssessmentScheme, Indicator, IndicatorScore, QuarterRollup, Review, SelfAssessment
from assessments.rules import INDICATOR_FIELDS
from assessments.selectors import review_queue as queue
from assessments.selectors.charts import chart_labels
from assessments.selectors.ranking import SubjectRow
from assessments.services import review as review_services
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services
from partnerships.models import ActionItem
from portal.models import Notification
from portal.pagination import CheapCountPaginator
from tests.conftest import FIXED_NOW
from tests.factories import ActionItemFactory, OrganizationFactory, cast_agreement

Y, Q = 2024, 2
MANUAL = Indicator.Source.MANUAL
TODAY = FIXED_NOW.date()


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def manual_ids(rollup) -> list[int]:
    return list(
        IndicatorScore.objects.filter(rollup=rollup, indicator__source=MANUAL)
        .order_by("indicator__order")
        .values_list("indicator_id", flat=True)
    )


def submit(rollup, author):
    return review_services.self_assessment_save(
        actor=author,
        rollup=rollup,
        narrative="本季度联合开展主题党日两次。",
        self_points=dict.fromkeys(manual_ids(rollup), 4),
        submit=True,
    )


def review(world, rollup, *, partial=False):
    ids = manual_ids(rollup)
    points = {ids[0]: 3} if partial else dict.fromkeys(ids, 3)
    return review_services.review_save(
        actor=world.committee, rollup=rollup, review_points=points, adjustments={}, highlights="亮点", weaknesses=""
    )


@pytest.fixture
def results(world):
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    a = QuarterRollup.objects.get(organization=world.branch_a, year=Y, quarter=Q)
    b = QuarterRollup.objects.get(organization=world.branch_b, year=Y, quarter=Q)
    return a, b


def states_of(world) -> dict[str, set[int]]:
    return {
        state: set(queue.queue(world.committee, state).values_list("pk", flat=True)) for state in queue.QUEUE_STATES
    }


# --- states and counts ----------------------------------------------------------------------------------------------


def test_the_stored_count_of_missing_manual_scores_follows_every_write(world, results):
    """The queue reads ``manual_unscored`` off the result: the review, a rerun of the rollup and a scheme edit each
    leave it equal to the result's manual scores without the reviewer's points."""
    a, b = results

    def stored_and_counted(rollup) -> tuple[int, int]:
        rollup.refresh_from_db()
        rows = IndicatorScore.objects.filter(rollup=rollup, indicator__source=MANUAL, review_points__isnull=True)
        return rollup.manual_unscored, rows.count()

    n = len(manual_ids(a))
    assert n >= 2 and stored_and_counted(a) == (n, n) and stored_and_counted(b) == (n, n)
    review(world, a, partial=True)
    assert stored_and_counted(a) == (n - 1, n - 1)
    review(world, a)
    assert stored_and_counted(a) == (0, 0)
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)  # a rerun keeps the reviewer's points
    assert stored_and_counted(a) == (0, 0) and stored_and_counted(b) == (n, n)
    # A manual indicator becomes automatic: b's score of it no longer waits for the reviewer.
    scheme = AssessmentScheme.objects.get(year=Y)
    rows = [
        {"id": i.pk, **{f: getattr(i, f) for f in INDICATOR_FIELDS}} for i in scheme.indicators.order_by("order", "pk")
    ]
    changed = next(r for r in rows if r["source"] == MANUAL)
    changed.update(source=Indicator.Source.AUTOMATIC, metric="joint_meetings", target=Decimal(2))
    scheme_services.scheme_update(
        actor=world.committee, scheme=scheme, name=scheme.name, notes=scheme.notes, indicators=rows
    )
    assert stored_and_counted(b) == (n - 1, n - 1)
    assert queue.queue_counts(world.committee, (Y, Q))["unscored"] == len(queue.queue(world.committee, "unscored"))


def test_a_result_moves_through_the_queue_states_and_the_counts_follow(world, results):
    a, b = results
    scoped = set(queue.reviewed_results(world.committee).filter(year=Y, quarter=Q).values_list("pk", flat=True))
    assert {a.pk, b.pk} <= scoped
    submit(a, world.secretary1)
    states = states_of(world)
    assert a.pk in states["submitted"] and a.pk in states["unscored"]
    assert b.pk not in states["submitted"] and b.pk in states["unscored"]  # never submitted, but still unscored
    counts = queue.queue_counts(world.committee)
    assert {state: counts[state] for state in states} == {state: len(pks) for state, pks in states.items()}

    review(world, a, partial=True)
    states = states_of(world)
    assert a.pk in states["in_review"] and a.pk not in states["submitted"] and a.pk in states["unscored"]

    review(world, a)
    review(world, b)  # reviewed although its self-assessment never came in
    states = states_of(world)
    assert {a.pk, b.pk} <= states["reviewed"] and not ({a.pk, b.pk} & states["unscored"])

    review_services.rollup_publish(actor=world.committee, rollup=a)
    states = states_of(world)
    assert a.pk in states["published"] and a.pk not in states["reviewed"]
    assert queue.queue_counts(world.committee, (Y, Q))["published"] == 1
    assert queue.queue_counts(world.committee, (Y, 3))["published"] == 0


def test_the_published_count_is_capped_like_every_list_count_as_results_pile_up(
    world, results, client_for, monkeypatch
):
    for rollup in results:
        review(world, rollup)
        review_services.rollup_publish(actor=world.committee, rollup=rollup)
    assert queue.queue_counts(world.committee)["published"] == len(results)
    monkeypatch.setattr(CheapCountPaginator, "count_limit", 1)
    counts = queue.queue_counts(world.committee)
    assert (counts["published"], counts["published_capped"]) == (1, True)
    page = client_for(world.committee).get(reverse("assessments:review_queue")).content.decode()
    assert 'data-count="published">1+<' in page


def test_the_queue_is_empty_for_people_who_review_nothing(world, results):
    submit(results[0], world.secretary1)
    for user in (world.secretary1, world.liaison1, world.outsider):
        assert not any(queue.queue_counts(user)[state] for state in queue.QUEUE_STATES)


def test_the_queue_page_shows_the_tabs_with_their_counts_and_the_rows(world, results, client_for):
    a, b = results
    submit(a, world.secretary1)
    review(world, b)
    client = client_for(world.committee)
    page = client.get(reverse("assessments:review_queue")).content.decode()
    assert 'data-count="submitted">1<' in page and 'data-count="reviewed">1<' in page
    assert f'data-rollup="{a.pk}"' in page and f'data-rollup="{b.pk}"' not in page
    page = client.get(reverse("assessments:review_queue"), {"state": "reviewed"}).content.decode()
    assert f'data-rollup="{b.pk}"' in page and 'data-testid="publish-one"' in page
    page = client.get(reverse("assessments:review_queue"), {"state": "reviewed", "quarter": "2024-3"}).content
    assert f'data-rollup="{b.pk}"'.encode() not in page


def test_the_queue_and_the_home_to_do_cost_the_same_at_few_and_many_results(world, results, client_for):
    def measure(url, **params):
        client = client_for(world.committee)
        client.get(url, params)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        return len(queries)

    for rollup in results:
        submit(rollup, world.secretary1 if rollup.organization == world.branch_a else world.secretary2)
    few = {
        "submitted": measure(reverse("assessments:review_queue")),
        "publish": measure(reverse("assessments:publish_all")),
        "home": measure(reverse("home")),
    }
    for n in range(12):
        OrganizationFactory(parent=world.general_1, name=f"新增第{n}党支部")
    QuarterRollup.objects.filter(year=Y, quarter=Q).delete()
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    now = timezone.now()
    for rollup in QuarterRollup.objects.filter(year=Y, quarter=Q, organization__isnull=False):
        SelfAssessment.objects.create(rollup=rollup, narrative="自评", status="submitted", submitted_at=now)
    reviewed = list(QuarterRollup.objects.filter(year=Y, quarter=Q, organization__name__startswith="新增")[:6])
    for rollup in reviewed:
        review(world, rollup)
    ActionItemFactory.create_batch(3, agreement=cast_agreement(world), due_on=TODAY - dt.timedelta(days=30))
    assert queue.queue(world.committee, "submitted").count() >= 8
    many = {
        "submitted": measure(reverse("assessments:review_queue")),
        "publish": measure(reverse("assessments:publish_all")),
        "home": measure(reverse("home")),
    }
    assert many == few


# --- review and come back -------------------------------------------------------------------------------------------


def test_save_and_next_opens_the_next_submitted_result_and_keeps_the_way_back(world, results, client_for):
    a, b = results
    submit(a, world.secretary1)
    submit(b, world.secretary2)
    back = reverse("assessments:review_queue") + "?state=submitted"
    first = queue.queue(world.committee, "submitted").first()
    other = b if first == a else a
    data = {"highlights": "亮点", "weaknesses": "", "action": "next"}
    data.update({f"review_{pk}": "3" for pk in manual_ids(first)})
    response = client_for(world.committee).post(
        reverse("assessments:review", args=[first.pk]) + "?" + "next=" + back.replace("?", "%3F").replace("=", "%3D"),
        data,
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("assessments:review", args=[other.pk]))
    assert "next=" in response["Location"]
    assert Review.objects.get(rollup=first).reviewed_at is not None


def test_the_review_page_labels_every_score_input(world, results, client_for):
    a, _b = results
    submit(a, world.secretary1)
    page = client_for(world.committee).get(reverse("assessments:review", args=[a.pk])).content.decode()
    names = IndicatorScore.objects.filter(rollup=a, indicator__source=MANUAL).values_list("indicator__name", flat=True)
    for name in names:
        assert f'aria-label="评审分：{name}"' in page
    assert page.count('data-testid="review-score"') == len(names)


def test_publishing_one_from_the_queue_comes_back_to_the_queue(world, results, client_for):
    a, _b = results
    submit(a, world.secretary1)
    review(world, a)
    back = reverse("assessments:review_queue") + "?state=reviewed"
    response = client_for(world.committee).post(reverse("assessments:rollup_publish", args=[a.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.PUBLISHED


# --- publish all reviewed ---------------------------------------------------------------------------------------------


def test_publish_all_lists_exactly_what_it_publishes(world, results, client_for):
    a, b = results
    submit(a, world.secretary1)
    review(world, a)
    review(world, b, partial=True)  # in review: not listed, not published
    client = client_for(world.committee)
    page = client.get(reverse("assessments:publish_all")).content.decode()
    assert f'name="rollup" value="{a.pk}"' in page and f'value="{b.pk}"' not in page
    response = client.post(reverse("assessments:publish_all"), {"rollup": [a.pk]})
    assert response.status_code == 302 and "state=published" in response["Location"]
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.PUBLISHED
    assert QuarterRollup.objects.get(pk=b.pk).status == QuarterRollup.Status.FINAL
    review_row = Review.objects.get(rollup=a)
    assert review_row.published_by == world.committee and review_row.published_at is not None
    assert review_row.history.latest().history_user == world.committee
    assert QuarterRollup.objects.get(pk=a.pk).history.latest().history_user == world.committee
    assert Notification.objects.filter(kind="assessment.published", recipient=world.secretary1).exists()


def test_a_stale_list_is_refused_whole_and_nothing_is_published(world, results, client_for):
    a, b = results
    review(world, a)
    review(world, b)
    listed = [a.pk, b.pk]
    # Meanwhile someone publishes one of them from its page.
    review_services.rollup_publish(actor=world.committee, rollup=b)
    with pytest.raises(ValidationError) as caught:
        review_services.rollup_publish_listed(actor=world.committee, rollup_ids=listed)
    assert caught.value.code == "stale"
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.FINAL
    # Through the page: the refusal is said in Chinese and the confirmation page shows the list as it is now.
    response = client_for(world.committee).post(reverse("assessments:publish_all"), {"rollup": listed}, follow=True)
    page = response.content.decode()
    assert "列表已变化" in page and f'name="rollup" value="{a.pk}"' in page and f'value="{b.pk}"' not in page
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.FINAL


def test_a_list_with_a_result_changed_back_to_unscored_is_refused(world, results):
    a, _b = results
    review(world, a)
    listed = [a.pk]
    # Meanwhile the reviewer clears one manual score again.
    review_services.review_save(
        actor=world.committee,
        rollup=a,
        review_points={manual_ids(a)[0]: None},
        adjustments={},
        highlights="亮点",
        weaknesses="",
    )
    assert QuarterRollup.objects.get(pk=a.pk).manual_unscored == 1
    with pytest.raises(ValidationError) as caught:
        review_services.rollup_publish_listed(actor=world.committee, rollup_ids=listed)
    assert caught.value.code == "stale"


def test_publish_all_refuses_people_who_do_not_review_and_results_out_of_scope(world, results):
    a, _b = results
    review(world, a)
    for user in (world.secretary1, world.member1, world.outsider):
        with pytest.raises(PermissionDenied):
            review_services.rollup_publish_listed(actor=user, rollup_ids=[a.pk])
    with pytest.raises(ValidationError):
        review_services.rollup_publish_listed(actor=world.committee, rollup_ids=[])
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.FINAL


@pytest.mark.parametrize("username", ["secretary1", "member1", "outsider", "liaison1"])
def test_the_queue_and_publish_all_are_403_for_everyone_but_reviewers(world, results, client_for, username):
    a, _b = results
    review(world, a)
    client = client_for(world.user(username))
    assert client.get(reverse("assessments:review_queue")).status_code == 403
    assert client.get(reverse("assessments:publish_all")).status_code == 403
    assert client.post(reverse("assessments:publish_all"), {"rollup": [a.pk]}).status_code == 403
    assert QuarterRollup.objects.get(pk=a.pk).status == QuarterRollup.Status.FINAL


# --- the committee's to-do ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fixed_clock")
def test_the_committees_home_opens_on_its_to_do(world, results, client_for):
    a, b = results
    submit(a, world.secretary1)
    review(world, b)
    agreement = cast_agreement(world, term_end=TODAY + dt.timedelta(days=40))
    far = cast_agreement(world, term_end=TODAY + dt.timedelta(days=200))
    escalated = ActionItemFactory(agreement=agreement, title="围挡宣传栏逾期", due_on=TODAY - dt.timedelta(days=9))
    ActionItemFactory(agreement=agreement, title="刚逾期", due_on=TODAY - dt.timedelta(days=2))
    ActionItemFactory(
        agreement=agreement, title="已办结", due_on=TODAY - dt.timedelta(days=20), status=ActionItem.Status.DONE
    )
    page = client_for(world.committee).get(reverse("home")).content.decode()
    todo = page.index('data-testid="committee-todo"')
    assert todo < page.index("assessments/dashboard/home_panel.html")  # the ranking stays below
    assert 'data-count="submitted">1<' in page and 'data-count="reviewed">1<' in page
    assert 'data-count="unscored">1<' in page  # 甲 submitted but not scored; 乙 scored
    assert 'data-count="escalated">1<' in page and "围挡宣传栏逾期" in page and "刚逾期" not in page
    assert 'data-count="expiring">1<' in page and agreement.title in page and far.title not in page
    assert escalated.get_absolute_url() in page
    assert f"due_to={(TODAY - dt.timedelta(days=7)).isoformat()}" in page


def test_secretaries_have_no_committee_to_do_and_the_menu_sends_reviewers_to_the_queue(world, results, client_for):
    assert 'data-testid="committee-todo"' not in client_for(world.secretary1).get(reverse("home")).content.decode()
    assert 'data-testid="nav-review-queue"' not in client_for(world.secretary1).get(reverse("home")).content.decode()
    assert 'data-testid="nav-review-queue"' in client_for(world.committee).get(reverse("home")).content.decode()


# --- chart labels -----------------------------------------------------------------------------------------------------


def _row(subject, name, short, code=""):
    return SubjectRow(
        rollup_id=1,
        subject=subject,
        subject_pk=1,
        name=name,
        subject_url="",
        total=Decimal(1),
        status="",
        status_label="",
        short=short,
        code=code,
    )


def test_chart_labels_tell_agreements_with_the_same_brand_apart():
    rows = [
        _row("agr:1", "5号线项目部党支部与睿联科技党支部“数智先锋”结对共建协议", "数智先锋", "HD5-QY-001"),
        _row("agr:2", "5号线项目部党支部与睿联科技党支部“数智先锋”结对共建协议（续签）", "数智先锋", "HD5-QY-002"),
        _row("agr:3", "临江地铁5号线“红色引擎·共建地铁”党建联建协议", "红色引擎·共建地铁", "HD5-LJ-001"),
    ]
    labels = chart_labels(rows)
    assert labels == {
        "agr:1": "数智先锋（HD5-QY-001）",
        "agr:2": "数智先锋（HD5-QY-002）",
        "agr:3": "红色引擎·共建地铁",
    }
    assert len(set(labels.values())) == 3


TERM = {"term_start": dt.date(2024, 1, 1), "term_end": dt.date(2027, 12, 31)}


def test_the_agreements_charts_label_by_brand_and_number_with_the_title_on_hover(world, client_for):
    first = cast_agreement(
        world, number="HD5-QY-001", title="甲支部与社区党委“数智先锋”结对共建协议", brand="数智先锋", **TERM
    )
    renewed = cast_agreement(
        world, number="HD5-QY-002", title="甲支部与社区党委“数智先锋”结对共建协议（续签）", brand="数智先锋", **TERM
    )
    plain = cast_agreement(world, number="KCC-GJ-001", title="甲支部与社区党委结对共建协议", **TERM)
    rollup_services.rollup_compute(year=Y, quarter=Q, final=True)
    response = client_for(world.committee).get(
        reverse("assessments:dashboard"), {"year": Y, "quarter": Q, "view": "agreements"}
    )
    match = re.search(r'<script id="gj-dashboard-data" type="application/json">(.*?)</script>', response.text, re.S)
    bars = {bar["full"]: bar["name"] for bar in json.loads(match[1])["ranking"]}
    assert bars[first.title] == "数智先锋（HD5-QY-001）"
    assert bars[renewed.title] == "数智先锋（HD5-QY-002）"
    assert bars[plain.title] == "KCC-GJ-001"
