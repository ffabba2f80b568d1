"""Yearly plans (党建共建活动计划): services and their bad input, rotating hosts, the pages (planned vs held per row,
completion, the schedule button), the Excel export and the query budget of a plan's page.

The cast: an agreement between 甲项目党支部 (secretary1) and the street community (liaison1), plus a third party
乙机关党支部 (secretary2) where a test needs three parties to rotate among.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import Activity, ActivityPlan, ActivityType, PlannedActivity
from activities.selectors.plans import plan_rows_as_data
from activities.services import plans as services
from tests.activities.test_activities import at, make_activity, make_agreement, theme_day
from tests.xlsx_checks import FORMULA_TITLE, assert_print_ready, table, text_cells


def year() -> int:
    return timezone.localdate().year


@pytest.fixture
def agreement(world):
    return make_agreement(world)


@pytest.fixture
def plan(world, agreement):
    return services.activity_plan_create(actor=world.secretary1, agreement=agreement, year=year(), title="年度计划")


def row(month, theme, lead, co=(), type_code="theme_day", **extra):
    return {
        "month": month,
        "theme": theme,
        "content": extra.get("content", ""),
        "type": ActivityType.objects.get(code=type_code),
        "lead": lead,
        "co_organizers": list(co),
        **({"id": extra["id"]} if "id" in extra else {}),
    }


# --- creating -----------------------------------------------------------------------------------------------


def test_a_party_secretary_creates_the_yearly_plan(world, agreement):
    plan = services.activity_plan_create(
        actor=world.secretary1,
        agreement=agreement,
        year=year(),
        rows=[row(3, "学雷锋志愿服务", world.branch_a, [world.partner], "volunteer")],
    )
    assert plan.title and str(year()) in plan.title  # a blank title gets a default naming the year
    assert plan.created_by == world.secretary1
    assert plan.history.first().history_user == world.secretary1
    created = plan.rows.get()
    assert created.theme == "学雷锋志愿服务" and list(created.co_organizers.all()) == [world.partner]


def test_the_other_partys_liaison_may_create_it_too(world, agreement):
    assert services.activity_plan_create(actor=world.liaison1, agreement=agreement, year=year()).pk


def test_people_outside_the_parties_or_read_only_cannot_create_a_plan(world, agreement):
    for user in (world.committee, world.member1, world.secretary2, world.outsider):
        with pytest.raises(PermissionDenied):
            services.activity_plan_create(actor=user, agreement=agreement, year=year())
    assert not ActivityPlan.objects.exists()


def test_a_year_outside_the_agreements_term_is_refused(world, agreement):
    with pytest.raises(ValidationError) as caught:
        services.activity_plan_create(actor=world.secretary1, agreement=agreement, year=year() + 5)
    assert list(caught.value.message_dict) == ["year"]
    assert not ActivityPlan.objects.exists()


def test_a_second_plan_for_the_same_year_is_refused(world, agreement, plan):
    with pytest.raises(ValidationError) as caught:
        services.activity_plan_create(actor=world.liaison1, agreement=agreement, year=year())
    assert list(caught.value.message_dict) == ["year"]
    assert ActivityPlan.objects.count() == 1


def test_rows_whose_units_are_not_parties_are_refused_and_nothing_is_saved(world, agreement):
    bad_rows = [
        [row(3, "参观", world.branch_b)],
        [row(3, "参观", world.branch_a, [world.branch_b])],
        [row(3, "参观", world.branch_a, [world.branch_a])],
        [row(3, "", world.branch_a)],
        [row(13, "参观", world.branch_a)],
    ]
    for rows in bad_rows:
        with pytest.raises(ValidationError) as caught:
            services.activity_plan_create(actor=world.secretary1, agreement=agreement, year=year(), rows=rows)
        assert "rows" in caught.value.message_dict
    assert not ActivityPlan.objects.exists() and not PlannedActivity.objects.exists()


# --- editing and rotating hosts -----------------------------------------------------------------------------


def test_rotating_hosts_gives_each_party_the_lead_in_turn_by_month(world):
    agreement = make_agreement(world, "GJ-PLAN-3", parties=[world.branch_a, world.partner, world.branch_b])
    rows = [row(m, f"第{m}月活动", None) for m in (9, 1, 5, 3)]
    plan = services.activity_plan_create(
        actor=world.secretary1, agreement=agreement, year=year(), rows=rows, rotate=True
    )
    saved = list(plan.rows.order_by("month"))
    assert [r.month for r in saved] == [1, 3, 5, 9]
    assert [r.lead for r in saved] == [world.branch_a, world.partner, world.branch_b, world.branch_a]
    for planned in saved:
        others = {world.branch_a, world.partner, world.branch_b} - {planned.lead}
        assert set(planned.co_organizers.all()) == others


def test_updating_replaces_the_rows_and_rotates_existing_ones(world, agreement, plan):
    services.activity_plan_update(
        actor=world.secretary1,
        plan=plan,
        rows=[row(2, "春节走访慰问", world.partner, [world.branch_a], "care_visit"), row(4, "清明祭扫", world.partner)],
    )
    assert plan.rows.count() == 2
    services.activity_plan_update(actor=world.liaison1, plan=plan, rotate=True)
    assert list(plan.rows.order_by("month").values_list("lead_id", flat=True)) == [world.branch_a.pk, world.partner.pk]
    first = plan.rows.order_by("month").first()
    kept = plan_rows_as_data(plan)
    services.activity_plan_update(actor=world.secretary1, plan=plan, rows=kept[:1], title="改名后的计划")
    plan.refresh_from_db()
    assert plan.title == "改名后的计划" and list(plan.rows.all()) == [first]


def test_a_row_with_activities_cannot_be_removed(world, agreement, plan):
    services.activity_plan_update(actor=world.secretary1, plan=plan, rows=[row(5, "五四联学", world.branch_a)])
    planned = plan.rows.get()
    make_activity(world, agreement=agreement, plan_row=planned)
    with pytest.raises(ValidationError) as caught:
        services.activity_plan_update(actor=world.secretary1, plan=plan, rows=[], title="不应保存")
    assert "rows" in caught.value.message_dict
    plan.refresh_from_db()
    assert plan.title == "年度计划" and plan.rows.get() == planned


def test_a_row_of_another_plan_cannot_be_edited_through_this_one(world, agreement, plan):
    other_agreement = make_agreement(world, "GJ-PLAN-OTHER")
    other = services.activity_plan_create(
        actor=world.secretary1, agreement=other_agreement, year=year(), rows=[row(1, "别人的", world.branch_a)]
    )
    foreign = other.rows.get()
    with pytest.raises(ValidationError):
        services.activity_plan_update(
            actor=world.secretary1, plan=plan, rows=[row(1, "篡改", world.branch_a, id=foreign.pk)]
        )
    foreign.refresh_from_db()
    assert foreign.theme == "别人的"


def test_only_the_parties_secretaries_and_liaisons_edit_a_plan(world, plan):
    for user in (world.committee, world.member1, world.secretary2, world.outsider):
        with pytest.raises(PermissionDenied):
            services.activity_plan_update(actor=user, plan=plan, title="x")


# --- pages --------------------------------------------------------------------------------------------------


def test_the_create_page_preselects_the_agreement_and_lists_only_plannable_ones(client_for, world, agreement):
    make_agreement(world, "GJ-B-ONLY", parties=[world.branch_b, world.unrelated])
    response = client_for(world.secretary1).get(reverse("activities:plan_create") + f"?agreement={agreement.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["agreement"] == agreement.pk
    assert list(form.fields["agreement"].queryset) == [agreement]
    # Visible but not plannable: the reviewer; not visible: another branch's secretary.
    assert client_for(world.committee).get(reverse("activities:plan_create")).status_code == 403
    url = reverse("activities:plan_create") + f"?agreement={agreement.pk}"
    assert client_for(world.secretary2).get(url).status_code == 404


def test_the_create_page_goes_on_to_the_rows(client_for, world, agreement):
    response = client_for(world.secretary1).post(
        reverse("activities:plan_create"), {"agreement": agreement.pk, "year": year(), "title": ""}
    )
    plan = ActivityPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("activities:plan_update", args=[plan.pk])
    response = client_for(world.secretary1).post(
        reverse("activities:plan_create"), {"agreement": agreement.pk, "year": year()}
    )
    assert response.status_code == 200 and "year" in response.context["form"].errors


def _management(total, initial):
    return {
        "rows-TOTAL_FORMS": total,
        "rows-INITIAL_FORMS": initial,
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
    }


def _edit_page_data(response) -> dict:
    """Everything the edit page would post back unchanged (the form's and the formset's initial values)."""
    form, formset = response.context["form"], response.context["formset"]
    data = {name: form[name].value() or "" for name in ("year", "title", "notes")}
    data.update(_management(formset.total_form_count(), formset.initial_form_count()))
    for sub in formset.forms:
        for name in sub.fields:
            if name == "DELETE":
                continue
            value = sub[name].value()
            if name == "co_organizers" and not value:
                continue  # like a browser: no ticked checkbox, no value
            data[sub.add_prefix(name)] = "" if value is None else value
    return data


def test_a_new_plans_edit_page_offers_twelve_months_with_hosts_in_rotation(client_for, world, plan):
    client = client_for(world.secretary1)
    url = reverse("activities:plan_update", args=[plan.pk])
    response = client.get(url)
    formset = response.context["formset"]
    assert len(formset.forms) == 12
    assert [f.initial["month"] for f in formset.forms] == list(range(1, 13))
    assert [f.initial["lead"] for f in formset.forms[:3]] == [world.branch_a.pk, world.partner.pk, world.branch_a.pk]
    # Filling in two months and leaving the others untouched saves two rows.
    data = _edit_page_data(response)
    data["rows-2-theme"] = "三月学雷锋"
    data["rows-6-theme"] = "七一联合党课"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["formset"].errors
    assert list(plan.rows.order_by("month").values_list("month", "theme", "lead_id")) == [
        (3, "三月学雷锋", world.branch_a.pk),
        (7, "七一联合党课", world.branch_a.pk),
    ]


def test_the_edit_page_puts_row_errors_on_the_row(client_for, world, plan):
    services.activity_plan_update(actor=world.secretary1, plan=plan, rows=[row(5, "五四联学", world.branch_a)])
    client = client_for(world.secretary1)
    url = reverse("activities:plan_update", args=[plan.pk])
    data = _edit_page_data(client.get(url))
    data["rows-0-co_organizers"] = [world.branch_a.pk]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "co_organizers" in response.context["formset"].forms[0].errors
    data["rows-0-co_organizers"] = [world.partner.pk]
    data["rows-0-lead"] = ""
    response = client.post(url, data)
    assert "lead" in response.context["formset"].forms[0].errors
    assert plan.rows.get().co_organizers.count() == 0


def test_the_rotate_button_fills_the_leads_in_turn(client_for, world, plan):
    services.activity_plan_update(
        actor=world.secretary1, plan=plan, rows=[row(m, f"{m}月", world.partner) for m in (1, 2, 3)]
    )
    client = client_for(world.secretary1)
    url = reverse("activities:plan_update", args=[plan.pk])
    data = _edit_page_data(client.get(url))
    data["rows-1-lead"] = ""  # a blank lead is fine when rotating
    data["rotate"] = "on"
    assert client.post(url, data).status_code == 302
    assert list(plan.rows.order_by("month").values_list("lead_id", flat=True)) == [
        world.branch_a.pk,
        world.partner.pk,
        world.branch_a.pk,
    ]


def test_the_edit_page_is_for_the_parties_people(client_for, world, plan):
    url = reverse("activities:plan_update", args=[plan.pk])
    assert client_for(world.liaison1).get(url).status_code == 200
    assert client_for(world.committee).get(url).status_code == 403
    assert client_for(world.secretary2).get(url).status_code == 404
    assert client_for(world.secretary2).get(plan.get_absolute_url()).status_code == 404


@pytest.fixture
def planned(world, agreement, plan):
    """Three rows: 甲 leads March and July, the community leads May; activities in every state under them."""
    services.activity_plan_update(
        actor=world.secretary1,
        plan=plan,
        rows=[
            row(3, "学雷锋", world.branch_a, [world.partner]),
            row(5, "五四联学", world.partner, [world.branch_a]),
            row(7, "七一党课", world.branch_a, [world.partner]),
        ],
    )
    march, may, july = plan.rows.order_by("month")
    make_activity(world, agreement=agreement, plan_row=march, status="held")
    make_activity(world, agreement=agreement, plan_row=march, status="logged", summary="已记录")
    make_activity(world, agreement=agreement, plan_row=may, status="cancelled", cancel_reason="下雨")
    make_activity(world, agreement=agreement, plan_row=july, starts=at(5), status="planned")
    return march, may, july


def test_the_plan_page_shows_planned_vs_held_per_row_and_the_completion(client_for, world, plan, planned):
    march, may, july = planned
    response = client_for(world.committee).get(plan.get_absolute_url())
    assert response.status_code == 200
    held = {r.pk: r.held for r in response.context["rows"]}
    assert held == {march.pk: 2, may.pk: 0, july.pk: 0}
    completion = response.context["completion"]
    assert (completion.done, completion.total, completion.percent) == (1, 3, 33)
    body = response.content.decode()
    assert f'data-row="{march.pk}" data-held="2"' in body
    assert 'data-testid="schedule"' not in body and 'data-testid="plan-edit"' not in body


def test_the_schedule_button_is_for_the_rows_lead_secretary(client_for, world, plan, planned):
    march, may, july = planned
    response = client_for(world.secretary1).get(plan.get_absolute_url())
    can = {r.pk: r.can_schedule for r in response.context["rows"]}
    assert can == {march.pk: True, may.pk: False, july.pk: True}
    body = response.content.decode()
    assert f"{reverse('activities:activity_create')}?plan_row={march.pk}" in body
    assert f"?plan_row={may.pk}" not in body


def test_the_plan_list_shows_completion_and_filters_by_year(client_for, world, agreement, plan, planned):
    services.activity_plan_create(actor=world.secretary1, agreement=agreement, year=year() + 1)
    client = client_for(world.secretary1)
    response = client.get(reverse("activities:plan_list"), {"year": year()})
    plans = list(response.context["object_list"])
    assert plans == [plan] and (plans[0].row_count, plans[0].rows_done) == (3, 1)
    response = client.get(reverse("activities:plan_list"), {"agreement": agreement.pk})
    assert len(response.context["object_list"]) == 2
    response = client_for(world.outsider).get(reverse("activities:plan_list"))
    assert list(response.context["object_list"]) == []


def test_the_plan_exports_to_excel(client_for, world, plan, planned):
    response = client_for(world.liaison1).get(reverse("activities:plan_export", args=[plan.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert_print_ready(response.content, str(plan.agreement))
    rows = table(workbook.worksheets[0])
    assert len(rows) == 4
    march = rows[1]
    assert march[0] == 3 and march[1] == "学雷锋" and march[4] == world.branch_a.name
    assert march[5] == world.partner.name and march[6] == 2
    summary = dict(table(workbook.worksheets[1])[1:])
    assert 33 in summary.values()


def _bulk_rows(world, plan, agreement, n):
    start = plan.rows.count()
    rows = PlannedActivity.objects.bulk_create(
        PlannedActivity(
            plan=plan, month=(start + i) % 12 + 1, theme=f"活动{start + i}", type=theme_day(), lead=world.branch_a
        )
        for i in range(n)
    )
    PlannedActivity.co_organizers.through.objects.bulk_create(
        PlannedActivity.co_organizers.through(plannedactivity_id=r.pk, organization_id=world.partner.pk) for r in rows
    )
    starts = at(-3)
    Activity.objects.bulk_create(
        Activity(
            title=f"已举办{r.pk}",
            type=theme_day(),
            agreement=agreement,
            plan_row=r,
            lead=world.branch_a,
            starts_at=starts,
            ends_at=starts,
            place="活动室",
            status=Activity.Status.HELD,
        )
        for r in rows
    )


@pytest.mark.parametrize(
    "url_name", ["activities:plan_detail", "activities:plan_export", "activities:plan_list", "activities:plan_update"]
)
def test_plan_pages_queries_do_not_grow_with_the_rows(
    client_for, world, agreement, plan, url_name, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    url = reverse(url_name, args=[plan.pk]) if url_name != "activities:plan_list" else reverse(url_name)
    _bulk_rows(world, plan, agreement, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _bulk_rows(world, plan, agreement, 95)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_agreement_page_shows_its_plans_with_a_new_plan_action_for_editors(
    client_for, world, agreement, plan, planned
):
    url = reverse("partnerships:agreement_detail", args=[agreement.pk])
    create = f"{reverse('activities:plan_create')}?agreement={agreement.pk}"
    body = client_for(world.secretary1).get(url).content.decode()
    assert 'data-testid="agreement-plans"' in body and plan.get_absolute_url() in body
    assert create in body
    body = client_for(world.committee).get(url).content.decode()
    assert plan.get_absolute_url() in body and create not in body


def test_a_formula_theme_reads_back_from_the_plan_export_as_text(client_for, world, plan):
    services.activity_plan_update(actor=world.secretary1, plan=plan, rows=[row(3, FORMULA_TITLE, world.branch_a)])
    response = client_for(world.secretary1).get(reverse("activities:plan_export", args=[plan.pk]))
    text_cells(response.content, FORMULA_TITLE)
