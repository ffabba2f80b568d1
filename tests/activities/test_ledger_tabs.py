"""活动台账 opens on what was held (started before now), newest first; what is coming has its own tab, soonest first;
each tab shows its count, capped like the paginator's, and the filters apply to every tab.

The clock is fixed (``fixed_clock``: 2026-11-22 10:00 in Shanghai), so "held" and "upcoming" mean the same on any
day the suite runs.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.selectors.activities import LEDGER_TABS, activity_list, ledger_tab
from portal.pagination import CheapCountPaginator
from tests.activities.test_activities import make_activity, make_agreement
from tests.activities.test_ledger import _bulk, _read
from tests.conftest import FIXED_NOW

pytestmark = pytest.mark.usefixtures("fixed_clock")
URL = reverse("activities:activity_list")


def hours_from_now(hours: float) -> dt.datetime:
    return FIXED_NOW + dt.timedelta(hours=hours)


@pytest.fixture
def dated(world):
    agreement = make_agreement(world)
    for title, hours in [
        ("三天前", -72),
        ("一小时前开始", -1),
        ("上周", -24 * 7),
        ("明天", 24),
        ("两小时后", 2),
        ("下周", 24 * 7),
    ]:
        make_activity(world, agreement=agreement, title=title, starts=hours_from_now(hours))
    return agreement


def _titles(response):
    return [activity.title for activity in response.context["object_list"]]


def _counts(response):
    return {t.key: (t.count, t.capped) for t in response.context["tabs"]}


def test_the_ledger_opens_on_held_activities_newest_first(client_for, world, dated):
    response = client_for(world.secretary1).get(URL)
    assert response.status_code == 200 and response.context["tab"] == "held"
    # Held = started before now (an activity that began an hour ago is held, whatever its status).
    assert _titles(response) == ["一小时前开始", "三天前", "上周"]


def test_the_upcoming_tab_lists_the_soonest_first(client_for, world, dated):
    response = client_for(world.secretary1).get(URL, {"tab": "upcoming"})
    assert _titles(response) == ["两小时后", "明天", "下周"]


def test_the_all_tab_lists_everything_newest_first_and_an_unknown_tab_opens_held(client_for, world, dated):
    client = client_for(world.secretary1)
    assert _titles(client.get(URL, {"tab": "all"})) == ["下周", "明天", "两小时后", "一小时前开始", "三天前", "上周"]
    assert client.get(URL, {"tab": "nonsense"}).context["tab"] == "held"


def test_each_tab_shows_its_count_and_the_filters_apply_to_every_tab(client_for, world, dated):
    client = client_for(world.secretary1)
    response = client.get(URL)
    assert _counts(response) == {"held": (3, False), "upcoming": (3, False), "all": (6, False)}
    body = response.content.decode()
    assert 'data-count="upcoming">3<' in body and 'data-count="held">3<' in body
    filtered = client.get(URL, {"q": "周"})
    assert _counts(filtered) == {"held": (1, False), "upcoming": (1, False), "all": (2, False)}
    # A tab's link keeps the filters and goes back to the first page.
    assert 'href="?q=%E5%91%A8&amp;tab=upcoming"' in filtered.content.decode()


def test_the_tabs_count_only_what_the_user_may_see(client_for, world, dated):
    make_activity(world, lead=world.branch_b, title="乙支部明天", starts=hours_from_now(24), co=[])
    assert _counts(client_for(world.secretary1).get(URL))["upcoming"] == (3, False)
    assert _counts(client_for(world.secretary2).get(URL)) == {
        "held": (0, False),
        "upcoming": (1, False),
        "all": (1, False),
    }
    assert set(_counts(client_for(world.outsider).get(URL)).values()) == {(0, False)}


def test_a_tab_past_the_count_limit_says_so(client_for, world, dated, monkeypatch):
    monkeypatch.setattr(CheapCountPaginator, "count_limit", 2)
    response = client_for(world.secretary1).get(URL)
    assert _counts(response) == {"held": (2, True), "upcoming": (2, True), "all": (2, True)}
    assert 'data-count="upcoming">2+<' in response.content.decode()


def test_the_tab_orders_are_the_ledger_index_order_forwards_or_backwards(world):
    # activity_ledger_order_idx is (-starts_at, -id): each tab reads it in one direction, never sorts.
    orders = {tab: ledger_tab(activity_list(world.committee), tab).query.order_by for tab in LEDGER_TABS}
    assert orders == {"held": ("-starts_at", "-pk"), "upcoming": ("starts_at", "pk"), "all": ("-starts_at", "-pk")}


def test_date_cells_do_not_wrap(client_for, world, dated):
    body = client_for(world.secretary1).get(URL).content.decode()
    assert '<th class="text-nowrap">日期</th>' in body
    assert body.count('data-label="日期" class="text-nowrap"') == 3


@pytest.mark.parametrize("query", ["", "?tab=upcoming", "?tab=all&q=活动"])
def test_the_tabs_cost_the_same_queries_at_few_and_many_activities(client_for, world, query):
    agreement = make_agreement(world)
    client = client_for(world.secretary1)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL + query).status_code == 200
        return len(ctx.captured_queries)

    _bulk(world, 3, agreement)
    make_activity(world, agreement=agreement, title="明天的活动", starts=hours_from_now(24))
    few = count()
    _bulk(world, 60, agreement)
    for day in range(2, 30):
        make_activity(world, agreement=agreement, title=f"活动{day}", starts=hours_from_now(24 * day))
    assert count() == few


def test_the_all_count_is_the_sum_of_held_and_upcoming_without_a_query(client_for, world, dated):
    client = client_for(world.secretary1)
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "activities')]
    assert len(counts) == 2  # held (the page's paginator) and upcoming; 全部 = their sum
    assert _counts(response)["all"] == (6, False)
    # On 全部 itself, its paginator counts it.
    assert _counts(client.get(URL, {"tab": "all"})) == {"held": (3, False), "upcoming": (3, False), "all": (6, False)}


def test_the_export_link_carries_the_tab_and_the_export_holds_what_the_tab_showed(client_for, world, dated):
    client = client_for(world.secretary1)
    page = client.get(URL, {"tab": "upcoming", "page": "1"})
    link = re.search(r'href="([^"]+)" data-testid="export"', page.content.decode()).group(1).replace("&amp;", "&")
    assert "tab=upcoming" in link and "page=" not in link
    _, rows = _read(client.get(link))
    assert [row[3] for row in rows] == ["两小时后", "明天", "下周"]
    _, rows = _read(client.get(reverse("activities:activity_export"), {"tab": "held"}))
    assert [row[3] for row in rows] == ["一小时前开始", "三天前", "上周"]
    _, rows = _read(client.get(reverse("activities:activity_export")))  # an old link without a tab: everything
    assert len(rows) == 6
