"""The key-project list by schedule (进度): the committee's panel links each of its counts to the list filtered by that
status; the list shows every project of it (not only the panel's five), the most behind first with its days off plan,
scoped like the list, in a fixed number of queries. The cast of tests/matrix/projects.py."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.matrix.business import milestone
from tests.matrix.projects import days, make_agreement, make_project

LIST = reverse("activities:project_list")


def _names(page: str) -> list[str]:
    table = page.split('data-testid="project-table"')[1]
    return re.findall(r'<a class="fw-semibold" href="[^"]+">([^<]+)</a>', table)


@pytest.fixture
def projects(world):
    agreement = make_agreement(world, number="GJ-SCHED")
    made = {}
    for name, planned, actual in (
        ("提前工程", -50, -95),  # reached 45 days early
        ("按期工程", -20, -20),
        ("滞后十天工程", -10, None),  # overdue 10 days
        ("滞后三十天工程", -30, None),
    ):
        made[name] = make_project(world, agreement=agreement, name=name)
        milestone(made[name], "节点", planned_on=days(planned), actual_on=None if actual is None else days(actual))
    made["无节点工程"] = make_project(world, agreement=agreement, name="无节点工程")
    return made


def test_the_panel_links_each_count_to_the_list_of_that_status(client_for, world, projects):
    client = client_for(world.committee)
    home = client.get(reverse("home")).content.decode()
    for status in ("ahead", "on_schedule", "behind", "unplanned"):
        assert f'href="{LIST}?schedule={status}" data-testid="schedule-link-{status}"' in home

    behind = client.get(LIST, {"schedule": "behind"}).content.decode()
    assert _names(behind) == ["滞后三十天工程", "滞后十天工程"]  # the most behind first
    assert "滞后 30 天" in behind and "滞后 10 天" in behind
    assert _names(client.get(LIST, {"schedule": "ahead"}).content.decode()) == ["提前工程"]
    assert "超前 45 天" in client.get(LIST, {"schedule": "ahead"}).content.decode()
    assert _names(client.get(LIST, {"schedule": "on_schedule"}).content.decode()) == ["按期工程"]
    assert _names(client.get(LIST, {"schedule": "unplanned"}).content.decode()) == ["无节点工程"]
    # Without the filter: every project, by name, with no schedule badge.
    everything = client.get(LIST).content.decode()
    assert len(_names(everything)) == 5 and 'data-testid="schedule-note"' not in everything


def test_the_panel_names_five_and_links_to_all_behind(client_for, world, projects):
    agreement = projects["提前工程"].agreement
    for n in range(5):
        more = make_project(world, agreement=agreement, name=f"滞后工程{n}")
        milestone(more, "节点", planned_on=days(-8 - n))
    home = client_for(world.committee).get(reverse("home")).content.decode()
    assert 'data-testid="schedule-all-behind"' in home and "查看全部 7 个滞后项目" in home
    page = client_for(world.committee).get(LIST, {"schedule": "behind"}).content.decode()
    assert len(_names(page)) == 7


def test_the_filter_is_scoped_and_refuses_an_unknown_status(client_for, world, projects):
    assert _names(client_for(world.secretary1).get(LIST, {"schedule": "behind"}).content.decode()) == [
        "滞后三十天工程",
        "滞后十天工程",
    ]
    for who in (world.secretary2, world.outsider):
        assert _names(client_for(who).get(LIST, {"schedule": "behind"}).content.decode()) == []
    # An unknown status is a message next to the field, in Chinese, not a 500.
    response = client_for(world.committee).get(LIST, {"schedule": "late-ish"})
    assert response.status_code == 200
    assert 'id="id_schedule_error"' in response.content.decode()
    assert "late-ish 不在可用的选项中" in response.content.decode()


@pytest.mark.parametrize("extra", [0, 15])
def test_the_filtered_list_costs_the_same_at_few_and_many_projects(
    client_for, world, projects, extra, django_assert_max_num_queries
):
    agreement = projects["提前工程"].agreement
    for n in range(extra):
        more = make_project(world, agreement=agreement, name=f"更多滞后工程{n}")
        milestone(more, "节点", planned_on=days(-8 - n))
    client = client_for(world.committee)
    with django_assert_max_num_queries(6):
        assert client.get(LIST, {"schedule": "behind"}).status_code == 200
