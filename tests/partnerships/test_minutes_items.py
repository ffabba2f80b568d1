"""Minutes that make action items: decision rows with 责任单位/责任人/时限/优先级 (any number of them, blank rows
ignored, rows kept on an error), the error summary linking to the fields, publication raising one supervised item
per assigned decision exactly once, and a new meeting's default time in working hours."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.engine.joint_story import AGREEMENTS, assignment
from partnerships.models import ActionItem, Decision
from partnerships.models.meetings import ItemPriority
from partnerships.rules import WORKING_HOURS, default_meeting_start
from partnerships.services import minutes as minutes_services
from tests.partnerships.test_meetings import TODAY, make_agreement, make_item, schedule

pytestmark = pytest.mark.usefixtures("fixed_clock")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def agreement(world):
    return make_agreement(world)


def minutes_post(world, rows: list[dict], *, initial: int = 0, rulings: list[dict] = (), minutes="纪要正文") -> dict:
    """The minutes form as a browser posts it: the decision rows (``rows``) and rulings."""
    data = {
        "minutes": minutes,
        "attendees": [world.secretary1.pk],
        "guests": "",
        "decisions-TOTAL_FORMS": str(len(rows)),
        "decisions-INITIAL_FORMS": str(initial),
        "rulings-TOTAL_FORMS": str(len(rulings)),
        "rulings-INITIAL_FORMS": str(len(rulings)),
    }
    for index, row in enumerate(rows):
        values = {"text": "", "responsible_party": "", "responsible_person": "", "due_on": "", "priority": "2"}
        values.update({key: "" if value is None else str(value) for key, value in row.items()})
        data.update({f"decisions-{index}-{key}": value for key, value in values.items()})
    for index, row in enumerate(rulings):
        data.update({f"rulings-{index}-{key}": str(value) for key, value in row.items()})
    return data


def due(days: int) -> str:
    return (TODAY + datetime.timedelta(days=days)).isoformat()


# --- the decision rows -------------------------------------------------------------------------------------------


def test_the_form_saves_any_number_of_decisions_and_ignores_blank_rows(client_for, world, agreement):
    meeting = schedule(world, agreement)
    url = reverse("partnerships:meeting_minutes", args=[meeting.pk])
    client = client_for(world.secretary1)
    page = client.get(url)
    # One blank row to start with and no "delete" box on it; the add-row button and its template are there.
    assert len(page.context["decision_formset"].forms) == 1
    html = page.content.decode()
    assert 'name="decisions-0-DELETE"' not in html
    assert 'data-gj-formset-add="decisions"' in html and "decisions-__prefix__-text" in html
    assert "js/formset-rows.js" in html

    rows = [{"text": f"决议{number}"} for number in range(1, 8)]
    rows.insert(3, {})  # a row added and left blank
    rows.append({"text": "落实共建项目", "responsible_party": world.partner.pk, "due_on": due(30), "priority": 1})
    response = client.post(url, minutes_post(world, rows))
    assert response.status_code == 302, response.context and response.context["error_summary"]
    saved = list(meeting.decisions.order_by("order").values_list("text", "responsible_party_id", "priority"))
    assert [text for text, _party, _priority in saved] == [f"决议{n}" for n in range(1, 8)] + ["落实共建项目"]
    assert saved[-1] == ("落实共建项目", world.partner.pk, ItemPriority.HIGH)
    assert all(party is None for _text, party, _priority in saved[:-1])
    # Saved decisions come back as rows that can be ticked for removal; a new blank row follows them.
    again = client.get(url).context["decision_formset"]
    assert len(again.forms) == 9 and again.initial_form_count() == 8
    assert again.forms[7].initial["due_on"] == TODAY + datetime.timedelta(days=30)


def test_a_removed_row_leaves_a_gap_that_is_ignored(client_for, world, agreement):
    meeting = schedule(world, agreement)
    data = minutes_post(world, [{"text": "甲"}, {"text": "乙"}, {"text": "丙"}])
    for key in [key for key in data if key.startswith("decisions-1-")]:
        del data[key]  # the row the remove button took out of the page
    response = client_for(world.secretary1).post(reverse("partnerships:meeting_minutes", args=[meeting.pk]), data)
    assert response.status_code == 302
    assert list(meeting.decisions.order_by("order").values_list("text", flat=True)) == ["甲", "丙"]


def test_errors_keep_the_typed_rows_and_show_a_summary_linking_to_the_fields(client_for, world, agreement):
    meeting = schedule(world, agreement)
    url = reverse("partnerships:meeting_minutes", args=[meeting.pk])
    rows = [
        {"text": "开展联合志愿服务"},
        {"text": "共建活动阵地", "responsible_party": world.partner.pk, "responsible_person": world.secretary1.pk},
        {"text": "", "due_on": due(5)},
    ]
    response = client_for(world.secretary1).post(url, minutes_post(world, rows))
    assert response.status_code == 200
    assert not meeting.decisions.exists()  # a bad write changes nothing
    forms = response.context["decision_formset"].forms
    assert len(forms) == 3 and forms[1]["text"].value() == "共建活动阵地"
    assert set(forms[1].errors) == {"due_on", "responsible_person"}
    assert set(forms[2].errors) == {"text", "responsible_party"}
    summary = response.context["error_summary"]
    assert {entry["id"] for entry in summary} == {
        "id_decisions-1-due_on",
        "id_decisions-1-responsible_person",
        "id_decisions-2-text",
        "id_decisions-2-responsible_party",
    }
    html = response.content.decode()
    block = re.search(r'<div class="alert alert-danger" role="alert" id="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#id_decisions-1-due_on"' in block and "决定事项 2" in block
    assert "请更正以下 4 处错误" in block
    for entry in summary:
        assert f'id="{entry["id"]}"' in html  # every link lands on a field of the page
    # ...and each error is next to its field too.
    assert html.count("invalid-feedback") >= 4


def test_a_due_date_before_the_meeting_is_refused_by_the_form_and_the_service(client_for, world, agreement):
    meeting = schedule(world, agreement)
    rows = [{"text": "整改", "responsible_party": world.branch_a.pk, "due_on": due(-3)}]
    response = client_for(world.secretary1).post(
        reverse("partnerships:meeting_minutes", args=[meeting.pk]), minutes_post(world, rows)
    )
    assert "due_on" in response.context["decision_formset"].forms[0].errors
    with pytest.raises(ValidationError) as caught:
        minutes_services.minutes_save_draft(
            actor=world.secretary1,
            meeting=meeting,
            minutes="纪要",
            decisions=[{"text": "整改", "responsible_party": world.unrelated, "due_on": TODAY}],
        )
    assert isinstance(caught.value, minutes_services.DecisionError) and caught.value.index == 0
    assert "responsible_party" in caught.value.error_dict
    assert not meeting.decisions.exists()


def test_the_minutes_page_reads_the_decision_choices_once_whatever_the_rows(client_for, world, agreement):
    meeting = schedule(world, agreement)
    url = reverse("partnerships:meeting_minutes", args=[meeting.pk])
    client = client_for(world.secretary1)

    def count(rows: int) -> int:
        minutes_services.minutes_save_draft(
            actor=world.secretary1,
            meeting=meeting,
            minutes="纪要",
            decisions=[{"text": f"决议{n}", "responsible_party": world.partner, "due_on": TODAY} for n in range(rows)],
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    assert count(2) == count(20)


# --- publication -------------------------------------------------------------------------------------------------


def test_publishing_turns_assigned_decisions_into_items_exactly_once(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="会议研究了共建工作。",
        decisions=[
            {"text": "定期召开联席会议"},  # no responsible party: stays a decision
            {
                "text": "共建“红色驿站”",
                "responsible_party": world.partner,
                "responsible_person": world.liaison1,
                "due_on": TODAY + datetime.timedelta(days=45),
                "priority": ItemPriority.HIGH,
            },
            {
                "text": "甲方提供场地",
                "responsible_party": world.branch_a,
                "due_on": TODAY + datetime.timedelta(days=20),
            },
        ],
    )
    assert not ActionItem.objects.exists()  # a draft raises nothing yet
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)

    items = list(ActionItem.objects.order_by("due_on"))
    assert [(item.title, item.responsible_party, item.due_on) for item in items] == [
        ("甲方提供场地", world.branch_a, TODAY + datetime.timedelta(days=20)),
        ("共建“红色驿站”", world.partner, TODAY + datetime.timedelta(days=45)),
    ]
    station = items[1]
    assert station.responsible_person == world.liaison1
    assert station.priority == ActionItem.Priority.HIGH
    assert station.status == ActionItem.Status.OPEN and station.created_by == world.secretary1
    assert station.decision.meeting == meeting and station.agreement == agreement
    assert not Decision.objects.get(text="定期召开联席会议").items.exists()

    with pytest.raises(ValidationError):
        minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    assert ActionItem.objects.count() == 2
    # The items are new business: the next meeting carries them over, once each.
    follow_up = schedule(world, agreement, title="第二次联席会议")
    assert set(follow_up.agenda.filter(carried_item__isnull=False).values_list("carried_item_id", flat=True)) == {
        item.pk for item in items
    }


def test_an_item_already_raised_from_a_decision_is_not_raised_again(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="纪要",
        decisions=[{"text": "修缮活动室", "responsible_party": world.branch_a, "due_on": TODAY}],
    )
    make_item(agreement, world.branch_a, "修缮活动室", decision=meeting.decisions.get())
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    assert ActionItem.objects.filter(decision__meeting=meeting).count() == 1


def test_a_failing_item_rolls_the_whole_publication_back(world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="纪要",
        decisions=[
            {"text": "甲", "responsible_party": world.branch_a, "due_on": TODAY},
            {"text": "乙", "responsible_party": world.partner, "due_on": TODAY},
        ],
    )
    # The partner leaves the agreement between the draft and the publication: its item cannot be raised.
    agreement.parties.filter(organization=world.partner).delete()
    with pytest.raises(ValidationError):
        minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    meeting.refresh_from_db()
    assert not meeting.is_published and not ActionItem.objects.exists()


def test_the_meeting_page_shows_what_a_decision_becomes_then_its_item(client_for, world, agreement):
    meeting = schedule(world, agreement)
    minutes_services.minutes_save_draft(
        actor=world.secretary1,
        meeting=meeting,
        minutes="纪要",
        decisions=[{"text": "共建书屋", "responsible_party": world.partner, "due_on": TODAY}],
    )
    client = client_for(world.secretary1)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="decision-assignment"' in page and "和平街道社区党委" in page
    minutes_services.minutes_publish(actor=world.secretary1, meeting=meeting)
    page = client.get(meeting.get_absolute_url()).content.decode()
    item = ActionItem.objects.get()
    assert reverse("partnerships:action_item_detail", args=[item.pk]) in page
    assert 'data-testid="decision-assignment"' not in page


# --- the carried-over items' rulings -----------------------------------------------------------------------------


def test_each_carried_over_item_is_one_line_with_its_ruling_and_collapsible_details(client_for, world, agreement):
    make_item(agreement, world.partner, "社区活动室改造")
    make_item(agreement, world.branch_a, "党员志愿服务队")
    meeting = schedule(world, agreement)
    html = client_for(world.secretary1).get(reverse("partnerships:meeting_minutes", args=[meeting.pk])).content
    html = html.decode()
    assert html.count('data-testid="ruling-form"') == 2
    assert html.count("<details") == 2 and '<details class="mt-1" open' not in html
    assert html.count('class="visually-hidden" for="id_rulings-') == 2


# --- a new meeting's default time ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-02T23:45", "2026-12-03T09:30"),  # Wednesday night → Thursday morning
        ("2026-12-04T10:00", "2026-12-07T09:30"),  # Friday → Monday
        ("2026-12-05T00:05", "2026-12-07T09:30"),  # Saturday just after midnight → Monday
        ("2026-12-06T15:00", "2026-12-07T09:30"),  # Sunday → Monday
    ],
)
def test_a_new_meeting_defaults_to_the_next_working_day_in_working_hours(now, expected):
    moment = datetime.datetime.fromisoformat(now).replace(tzinfo=SHANGHAI)
    start = default_meeting_start(moment.astimezone(ZoneInfo("America/New_York")))
    assert start.astimezone(SHANGHAI).isoformat(timespec="minutes") == f"{expected}+08:00"
    local = start.astimezone(SHANGHAI)
    assert WORKING_HOURS[0] <= local.time() <= WORKING_HOURS[1] and local.weekday() < 5


def test_the_schedule_form_offers_the_working_hours_default(client_for, world, agreement):
    form = client_for(world.secretary1).get(reverse("partnerships:meeting_create", args=[agreement.pk])).context["form"]
    start = form.initial["starts_at"].astimezone(SHANGHAI)
    assert start.time() == datetime.time(9, 30) and start.weekday() < 5
    assert start.date() > TODAY
    assert 'value="' + start.strftime("%Y-%m-%dT09:30") + '"' in str(form["starts_at"])


def test_the_demo_has_draft_minutes_whose_decisions_become_items_when_published():
    drafts = [meeting for spec in AGREEMENTS for meeting in spec.meetings if meeting.minutes and not meeting.publish]
    assigned = [dec for meeting in drafts for dec in meeting.decisions if dec.party]
    assert len(assigned) >= 2 and all(dec.due > 0 and not dec.items for dec in assigned)
    row = assignment(assigned[0], {assigned[0].party: "org"}, {}, TODAY)
    assert row["responsible_party"] == "org" and row["due_on"] == TODAY and row["outcome"] == "new"
