"""Bounded lists (issue 11): the cheap count caps, and the organization tree opens one level at a time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import Member, Organization
from partnerships.selectors import directory as selectors
from portal.pagination import CheapCountPaginator
from tests.factories import MemberFactory, OrganizationFactory


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


# --- the paginator ------------------------------------------------------------------------------------------------


def test_count_is_exact_below_the_limit_and_capped_above(world, monkeypatch):
    monkeypatch.setattr(CheapCountPaginator, "count_limit", 5)
    MemberFactory.create_batch(5, organization=world.branch_a)
    exact = CheapCountPaginator(Member.objects.order_by("pk"), 2)
    assert (exact.count, exact.capped, exact.num_pages) == (5, False, 3)
    MemberFactory.create_batch(3, organization=world.branch_a)
    capped = CheapCountPaginator(Member.objects.order_by("pk"), 2)
    assert (capped.count, capped.capped, capped.num_pages) == (5, True, 3)
    assert len(capped.page(3).object_list) == 1  # pages stop at the limit


def test_count_reads_keys_only_and_at_most_the_limit(world, monkeypatch):
    monkeypatch.setattr(CheapCountPaginator, "count_limit", 5)
    MemberFactory.create_batch(8, organization=world.branch_a)
    paginator = CheapCountPaginator(Member.objects.select_related("organization").order_by("name", "pk"), 2)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 5
    (query,) = ctx.captured_queries
    sql = query["sql"].upper()
    assert "LIMIT 6" in sql and "ORDER BY" not in sql and "JOIN" not in sql


def test_a_list_past_the_limit_says_more_than_in_chinese_at_the_same_query_count(client_for, world, monkeypatch):
    monkeypatch.setattr(CheapCountPaginator, "count_limit", 40)
    client = client_for(world.committee)
    url = reverse("partnerships:member_list")
    MemberFactory.create_batch(3, organization=world.branch_a)
    response, few = _get(client, url)
    page = response.content.decode()
    assert "超过" not in page and 'data-testid="count-capped"' not in page
    MemberFactory.create_batch(60, organization=world.branch_b)
    response, many = _get(client, url)
    page = response.content.decode()
    assert "超过 40 条" in page
    assert 'data-testid="count-capped"' in page and "仅可翻阅前 40 条" in page
    assert few == many


@pytest.mark.parametrize(
    "url_name",
    [
        "partnerships:member_list",
        "partnerships:organization_list",
        "partnerships:agreement_list",
        "partnerships:action_item_list",
        "partnerships:my_action_items",
        "activities:activity_list",
        "activities:plan_list",
        "activities:project_list",
        "activities:activity_to_log",
        "notifications",
        "webhook_list",
    ],
)
def test_every_list_uses_the_cheap_count(client_for, world, url_name):
    response = client_for(world.admin).get(reverse(url_name))
    assert response.status_code == 200
    assert isinstance(response.context["paginator"], CheapCountPaginator)


# --- the organization tree ----------------------------------------------------------------------------------------


def test_tree_page_holds_the_roots_and_the_path_to_my_organizations_only(client_for, world):
    OrganizationFactory(name="丙党支部", parent=world.general_2)
    page = client_for(world.secretary1).get(reverse("partnerships:organization_tree")).content.decode()
    for org in (world.group, world.partner, world.unrelated, world.general_1, world.general_2, world.branch_a):
        assert org.name in page  # roots, and the opened path 集团党委 › 第一党总支 › 甲项目党支部 (with siblings)
    assert world.branch_b.name not in page and "丙党支部" not in page  # under a closed node: loaded on demand
    assert f"?parent={world.general_2.pk}" in page  # the closed node loads its children with htmx

    page = client_for(world.outsider).get(reverse("partnerships:organization_tree")).content.decode()
    assert world.group.name in page and world.general_1.name not in page  # only roots: nothing of theirs below


def test_tree_level_returns_one_level_only(client_for, world):
    client = client_for(world.outsider)
    url = reverse("partnerships:organization_tree_level")
    page = client.get(url, {"parent": world.group.pk}).content.decode()
    assert world.general_1.name in page and world.general_2.name in page
    assert world.branch_a.name not in page and world.group.name not in page
    roots = client.get(url).content.decode()
    assert world.group.name in roots and world.partner.name in roots and world.general_1.name not in roots


def test_tree_level_refuses_unknown_parents_and_strangers(client, client_for, world):
    url = reverse("partnerships:organization_tree_level")
    assert client.get(url, {"parent": world.group.pk}).status_code == 302  # signed-out: to the sign-in page
    signed_in = client_for(world.secretary1)
    assert signed_in.get(url, {"parent": 987654}).status_code == 404
    assert signed_in.get(url, {"parent": "x"}).status_code == 404
    assert signed_in.get(url, {"parent": world.group.pk, "after": "../"}).status_code == 404


def test_a_node_with_many_children_pages_them(client_for, world, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_PAGE_SIZE", 3)
    for number in range(7):
        OrganizationFactory(name=f"子支部{number}", parent=world.branch_b)
    client = client_for(world.committee)
    url = reverse("partnerships:organization_tree_level")
    children = list(Organization.objects.get_children(world.branch_b).order_by("path"))
    seen = []
    after = ""
    for _round in range(4):
        response, queries = _get(client, f"{url}?parent={world.branch_b.pk}&after={after}")
        page = response.content.decode()
        shown = [child for child in children if f">{child.name}<" in page]
        assert len(shown) <= 3
        seen += shown
        assert queries <= 6
        if 'data-testid="tree-more"' not in page:
            break
        after = shown[-1].path
    assert seen == children


def test_tree_page_costs_the_same_at_few_and_many_organizations(client_for, world, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_PAGE_SIZE", 5)
    client = client_for(world.secretary1)
    url = reverse("partnerships:organization_tree")
    few_page, few = _get(client, url)
    for number in range(12):
        OrganizationFactory(name=f"新党总支{number}", parent=world.group)
        OrganizationFactory(name=f"新根{number}")
    many_page, many = _get(client, url)
    assert few == many
    body = many_page.content.decode()
    assert body.count('data-testid="tree-node"') <= 5 + 5 + 2 + 1  # roots page, one opened level each, pinned path
    assert world.general_1.name in body and world.branch_a.name in body  # the path stays open beyond page one


def test_tree_search_finds_by_name_and_shows_the_path(client_for, world):
    page = client_for(world.outsider).get(reverse("partnerships:organization_tree"), {"q": "甲项目"}).content.decode()
    assert world.branch_a.name in page
    assert f"{world.group.name} › {world.general_1.name}" in page
    assert world.branch_b.name not in page
    empty = client_for(world.outsider).get(reverse("partnerships:organization_tree"), {"q": "不存在的名字"})
    assert "没有符合条件的组织" in empty.content.decode()
