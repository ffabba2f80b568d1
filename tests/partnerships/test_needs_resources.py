"""Needs and resources (需求清单 / 资源清单) and the 项目清单: who sees which lists, the services that keep them, the pages'
query budgets, the Excel exports, the agreement page's section and the reminder for needs nearing their date.

The cast: 甲项目党支部 (secretary1) and the street community (liaison1) under an agreement in force; secretary2's
乙机关党支部 is party to none of their agreements; the committee reviews 甲 and 乙; the outsider is elsewhere.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from partnerships.models import Dimension, Need, Resource
from partnerships.selectors import resources as selectors
from partnerships.services import resources as services
from portal.models import Notification
from portal.sweep import sweep
from tests.matrix.lists import days, make_lists_agreement, make_need, make_pairing, make_resource
from tests.xlsx_checks import assert_print_ready, table


@pytest.fixture
def lists(world):
    agreement = make_lists_agreement(world)
    ours = make_need(world.branch_a, "职工子女暑期托管")
    theirs = make_need(world.partner, "社区老人防诈骗讲座")
    hall = make_resource(world.branch_a, "项目部党员活动室")
    lonely = make_need(world.branch_b, "乙支部机关食堂帮扶")
    return agreement, ours, theirs, hall, lonely


def _titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


# --- scope ---------------------------------------------------------------------------------------------------


def test_parties_see_each_others_lists_and_nobody_else_does(world, lists):
    everyone = {"职工子女暑期托管", "社区老人防诈骗讲座"}
    assert _titles(selectors.need_list(world.secretary1)) == everyone
    assert _titles(selectors.need_list(world.liaison1)) == everyone
    assert _titles(selectors.need_list(world.secretary2)) == {"乙支部机关食堂帮扶"}  # nothing of secretary1's
    assert _titles(selectors.need_list(world.outsider)) == set()
    assert _titles(selectors.need_list(world.committee)) == {*everyone, "乙支部机关食堂帮扶"}
    assert _titles(selectors.resource_list(world.liaison1)) == {"项目部党员活动室"}
    assert _titles(selectors.resource_list(world.secretary2)) == set()


def test_secretary2_sees_nothing_of_secretary1s_lists_on_the_pages(client_for, world, lists):
    _agreement, ours, _theirs, hall, _lonely = lists
    client = client_for(world.secretary2)
    for name in ("need_list", "resource_list", "project_list"):
        page = client.get(reverse(f"partnerships:{name}")).content.decode()
        assert "职工子女暑期托管" not in page and "项目部党员活动室" not in page, name
    assert client.get(ours.get_absolute_url()).status_code == 404
    assert client.get(hall.get_absolute_url()).status_code == 404


def test_the_projects_list_holds_only_the_users_agreements(world, lists):
    agreement, ours, _theirs, _hall, _lonely = lists
    pairing = make_pairing(ours, world.partner, agreement)
    services.pairing_accept(actor=world.secretary1, pairing=pairing, due_on=days(30))
    assert selectors.project_list(world.liaison1).count() == 1
    assert selectors.project_list(world.secretary2).count() == 0
    assert selectors.project_list(world.outsider).count() == 0


# --- services ------------------------------------------------------------------------------------------------


def test_a_secretary_publishes_edits_and_withdraws_a_need(world):
    dimension = Dimension.objects.get(name="资源共享")
    need = services.need_create(
        actor=world.secretary1, organization=world.branch_a, title=" 安全培训场地 ", dimension=dimension
    )
    assert need.title == "安全培训场地" and need.status == Need.Status.OPEN
    need = services.need_update(actor=world.secretary1, need=need, title="安全培训场地（50人）", wanted_by=days(9))
    assert need.wanted_by == days(9)
    assert services.need_withdraw(actor=world.secretary1, need=need).status == Need.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        services.need_update(actor=world.secretary1, need=need, title="再改")


def test_only_the_organizations_own_people_keep_its_lists(world, lists):
    _agreement, ours, _theirs, hall, _lonely = lists
    for user in (world.liaison1, world.committee, world.member1, world.secretary2):
        with pytest.raises(PermissionDenied):
            services.need_create(actor=user, organization=world.branch_a, title="代发需求")
        with pytest.raises(PermissionDenied):
            services.need_update(actor=user, need=ours, title="改")
        with pytest.raises(PermissionDenied):
            services.resource_withdraw(actor=user, resource=hall)


def test_withdrawing_a_need_declines_the_offers_waiting_on_it(world, lists):
    agreement, ours, _theirs, _hall, _lonely = lists
    pairing = make_pairing(ours, world.partner, agreement)
    services.need_withdraw(actor=world.secretary1, need=ours)
    pairing.refresh_from_db()
    assert pairing.status == "declined" and pairing.decline_reason


def test_a_resource_is_listed_and_only_a_venue_keeps_a_capacity(world):
    lecturers = services.resource_create(
        actor=world.secretary1, organization=world.branch_a, kind="lecturer", title="党课讲师团", capacity=30
    )
    assert lecturers.capacity is None
    venue = services.resource_create(
        actor=world.secretary1,
        organization=world.branch_a,
        kind="venue",
        title="项目部会议室",
        capacity=40,
        is_paid=True,
        terms="每半天200元",
        opening_hours="工作日 9:00–17:00",
    )
    assert venue.capacity == 40 and venue.is_paid
    venue = services.resource_update(actor=world.secretary1, resource=venue, kind="venue", title="项目部大会议室")
    assert venue.title == "项目部大会议室"
    assert services.resource_withdraw(actor=world.secretary1, resource=venue).status == Resource.Status.WITHDRAWN


def test_a_form_error_is_in_chinese_next_to_its_field(client_for, world):
    response = client_for(world.secretary1).post(
        reverse("partnerships:resource_create"),
        {"organization": world.branch_a.pk, "kind": "lecturer", "title": "讲师", "capacity": 30},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "capacity" in response.context["form"].errors


# --- pages: query budgets ------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["need_list", "resource_list", "project_list"])
def test_each_list_costs_the_same_at_few_and_many_rows(client_for, world, name):
    agreement = make_lists_agreement(world)
    client = client_for(world.secretary1)
    url = reverse(f"partnerships:{name}")

    def add(n, start):
        for i in range(start, start + n):
            need = make_need(world.branch_a, f"需求{i}", dimension_id=None)
            make_resource(world.partner, f"资源{i}", kind="equipment")
            pairing = make_pairing(need, world.partner, agreement)
            if i % 2 == 0:
                services.pairing_accept(actor=world.secretary1, pairing=pairing, due_on=days(30))

    add(2, 0)
    few = _queries(client, url)
    add(12, 2)
    many = _queries(client, url)
    assert few == many


def test_the_agreement_page_shows_the_parties_lists(client_for, world, lists):
    agreement, *_ = lists
    page = client_for(world.liaison1).get(agreement.get_absolute_url()).content.decode()
    assert 'data-testid="agreement-lists"' in page
    assert "职工子女暑期托管" in page and "社区老人防诈骗讲座" in page and "项目部党员活动室" in page
    assert "乙支部机关食堂帮扶" not in page


# --- exports -------------------------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    return table(load_workbook(io.BytesIO(response.content)).worksheets[0])


def test_the_needs_export_is_print_ready_and_scoped(client_for, world, lists):
    response = client_for(world.secretary1).get(reverse("partnerships:need_export"), {"status": "open"})
    assert_print_ready(response.content, timezone.localdate().isoformat())
    header, *rows = _sheet(response)
    assert len(header) == 8
    assert {row[1] for row in rows} == {"职工子女暑期托管", "社区老人防诈骗讲座"}
    _, *rows = _sheet(client_for(world.secretary2).get(reverse("partnerships:need_export")))
    assert [row[1] for row in rows] == ["乙支部机关食堂帮扶"]


def test_the_resources_and_projects_exports(client_for, world, lists):
    agreement, ours, *_ = lists
    services.pairing_accept(
        actor=world.secretary1, pairing=make_pairing(ours, world.partner, agreement), due_on=days(30)
    )
    client = client_for(world.liaison1)
    response = client.get(reverse("partnerships:resource_export"))
    assert_print_ready(response.content)
    _, *rows = _sheet(response)
    assert rows[0][2] == "项目部党员活动室" and rows[0][6] == 60
    response = client.get(reverse("partnerships:project_export"))
    assert_print_ready(response.content)
    _, *rows = _sheet(response)
    assert len(rows) == 1
    assert rows[0][2] == "职工子女暑期托管" and rows[0][4] == world.partner.name and rows[0][5] == world.branch_a.name


# --- reminders -----------------------------------------------------------------------------------------------


def test_a_need_nearing_its_date_unmatched_is_reminded_once(world, lists):
    _agreement, ours, theirs, _hall, _lonely = lists
    Need.objects.filter(pk=ours.pk).update(wanted_by=days(5))
    Need.objects.filter(pk=theirs.pk).update(wanted_by=days(5), status=Need.Status.MATCHED)  # matched: no reminder
    now = timezone.now()
    sweep(now)
    sweep(now + dt.timedelta(hours=1))
    reminders = Notification.objects.filter(kind="need.unmatched")
    assert list(reminders.values_list("recipient__username", flat=True)) == ["secretary1"]
    assert reminders.get().target_id == ours.pk
