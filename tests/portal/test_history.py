"""The 变更记录: field-by-field changes (choices by label, related objects by name), paginated, in a bounded number
of queries, and exported to Excel for whoever may see the record."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from assessments.models import Indicator, SelfAssessment
from partnerships.models import ActionItem, Organization
from portal import history
from portal.history import PER_PAGE
from tests.factories import (
    ActionItemFactory,
    AssessmentSchemeFactory,
    JointMeetingFactory,
    OrganizationFactory,
    QuarterRollupFactory,
    cast_agreement,
)
from tests.xlsx_checks import assert_print_ready, table

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
def item(world):
    agreement = cast_agreement(world, number="GJ-HIST-1", title="甲项目与和平街道结对共建协议")
    return ActionItemFactory(agreement=agreement, title="宣传栏", responsible_party=world.branch_a)


def _edit(item, user=None, **fields):
    for name, value in fields.items():
        setattr(item, name, value)
    item._history_user = user
    item.save()
    del item._history_user


def _changes(entry) -> dict[str, tuple[str, str]]:
    return {change.label: (change.old, change.new) for change in entry.changes}


def test_a_change_lists_each_field_old_to_new_with_choice_labels_and_related_names(world, item):
    _edit(
        item,
        world.secretary1,
        status=ActionItem.Status.IN_PROGRESS,
        responsible_party=world.partner,
        priority=ActionItem.Priority.HIGH,
        due_on=dt.date(2027, 1, 15),
    )
    with translation.override("zh-hans"):
        changed, created = history.entries(item.history.all())
        changes = _changes(changed)
        assert changed.kind == "changed" and changed.user == world.secretary1
        assert changes[str(ActionItem._meta.get_field("status").verbose_name)] == (
            str(ActionItem.Status.OPEN.label),
            str(ActionItem.Status.IN_PROGRESS.label),
        )
        assert changes[str(ActionItem._meta.get_field("responsible_party").verbose_name)] == (
            world.branch_a.name,
            world.partner.name,
        )
        assert changes[str(ActionItem._meta.get_field("priority").verbose_name)][1] == str(
            ActionItem.Priority.HIGH.label
        )
        assert changes[str(ActionItem._meta.get_field("due_on").verbose_name)][1] == "2027-01-15"
        assert len(changes) == 4  # updated_at and the like are not listed
        assert created.kind == "created" and created.kind_label == "创建"


def test_a_deleted_record_shows_as_deleted(world):
    org = OrganizationFactory(name="临时党支部", parent=world.general_1)
    pk = org.pk
    org.delete()
    records = Organization.history.filter(id=pk).order_by("-history_date", "-history_id")
    assert [entry.kind for entry in history.entries(records)] == ["deleted", "created"]


def test_the_oldest_change_of_a_page_is_compared_with_the_row_before_it(world, item):
    for progress in range(1, 4):
        _edit(item, progress=progress * 10)
    newest_two = item.history.order_by("-history_date", "-history_id")[:2]
    (newest, older) = history.entries(newest_two)
    assert _changes(older)[str(ActionItem._meta.get_field("progress").verbose_name)] == ("10", "20")
    assert _changes(newest)[str(ActionItem._meta.get_field("progress").verbose_name)] == ("20", "30")


def _detail(client, item, page=None):
    url = reverse("partnerships:action_item_detail", args=[item.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"history_page": page} if page else {})
    assert response.status_code == 200
    return response, len(queries)


def test_the_tab_is_paginated_and_its_queries_do_not_grow_with_the_changes(client_for, world, item):
    client = client_for(world.secretary1)
    for n in range(PER_PAGE + 5):  # two pages: the oldest change on page 1 is compared with one on page 2
        _edit(item, world.secretary1, progress=n + 1, responsible_party=[world.branch_a, world.partner][n % 2])
    _, few = _detail(client, item)
    for n in range(PER_PAGE + 5, 3 * PER_PAGE + 5):
        _edit(item, world.secretary1, progress=n + 1, responsible_party=[world.branch_a, world.partner][n % 2])
    response, many = _detail(client, item)
    assert few == many, (few, many)
    text = response.content.decode()
    assert text.count('data-testid="history-entry"') == PER_PAGE and "history_page=2" in text
    assert "→" in text and world.partner.name in text
    assert 'data-testid="history-export"' in text
    last, _ = _detail(client, item, page=4)
    text = last.content.decode()
    assert text.count('data-testid="history-entry"') == 6  # 66 rows: the creation and 65 changes
    assert "history_page=3" in text and "history_page=5" not in text


def test_the_history_exports_to_excel_ready_to_print(client_for, world, item):
    _edit(item, world.secretary1, status=ActionItem.Status.IN_PROGRESS, responsible_party=world.partner)
    url = reverse("history_export", args=["partnerships.actionitem", item.pk])
    with translation.override("zh-hans"):
        response = client_for(world.secretary1).get(url)
        assert response.status_code == 200
        (sheet,) = assert_print_ready(response.content, "宣传栏", timezone.localdate().isoformat())
        header, *rows = table(sheet)
        assert len(header) == 6
        by_field = {row[3]: row for row in rows if row[3]}
        party = by_field[str(ActionItem._meta.get_field("responsible_party").verbose_name)]
        assert party[4:] == (world.branch_a.name, world.partner.name)
        assert party[2] == "修改" and party[1]
        assert rows[-1][2] == "创建"


@pytest.mark.parametrize(
    "label", ["partnerships.actionitem", "partnerships.nosuchmodel", "portal.exportjob", "auth.user", "bad"]
)
def test_an_outsider_or_an_unaudited_model_gets_404(client_for, world, item, label):
    url = reverse("history_export", args=[label, item.pk])
    assert client_for(world.outsider).get(url).status_code == 404


def test_the_reviewer_may_export_what_it_sees(client_for, world, item):
    url = reverse("history_export", args=["partnerships.actionitem", item.pk])
    assert client_for(world.committee).get(url).status_code == 200


def test_a_history_of_several_models_names_the_record_of_each_entry(client_for, world):
    scheme = AssessmentSchemeFactory(indicators=[{"name": "品牌特色"}])
    indicator = scheme.indicators.get()
    indicator.points = Decimal("5")
    indicator.save()
    response = client_for(world.committee).get(reverse("assessments:scheme_detail", args=[scheme.pk]))
    text = response.content.decode()
    with translation.override("zh-hans"):
        assert f"{Indicator._meta.verbose_name}“品牌特色”" in text
    assert re.search(r"<del[^>]*>10</del> → <ins[^>]*>5</ins>", text)
    assert f'href="/history/assessments.assessmentscheme/{scheme.pk}.xlsx"' in text


def test_the_meeting_page_shows_its_change_history_field_by_field(client_for, world):
    agreement = cast_agreement(world, number="GJ-HIST-M", title="会议变更记录协议")
    meeting = JointMeetingFactory(agreement=agreement, title="第一次联席会议", place="项目部会议室")
    meeting.place = "街道党群服务中心"
    meeting._history_user = world.secretary1
    meeting.save()
    response = client_for(world.secretary1).get(reverse("partnerships:meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="history"' in text
    assert re.search(r"项目部会议室</del>\s*→\s*<ins[^>]*>街道党群服务中心", text)
    assert reverse("history_export", args=["partnerships.jointmeeting", meeting.pk]) in text
    # The other side of no agreement sees neither the page nor its history.
    assert client_for(world.outsider).get(reverse("partnerships:meeting_detail", args=[meeting.pk])).status_code == 404
    export = reverse("history_export", args=["partnerships.jointmeeting", meeting.pk])
    assert client_for(world.outsider).get(export).status_code == 404


def test_the_result_page_shows_the_result_s_self_assessment_and_review_changes(client_for, world):
    rollup = QuarterRollupFactory(organization=world.branch_a)
    self_assessment = SelfAssessment.objects.create(rollup=rollup, narrative="第一稿")
    self_assessment.narrative = "第二稿：补充了佐证"
    self_assessment._history_user = world.secretary1
    self_assessment.save()
    response = client_for(world.committee).get(reverse("assessments:rollup_detail", args=[rollup.pk]))
    assert response.status_code == 200
    assert re.search(r"第一稿</del>\s*→\s*<ins[^>]*>第二稿：补充了佐证", response.text)
    assert reverse("history_export", args=["assessments.quarterrollup", rollup.pk]) in response.text
    assert client_for(world.secretary2).get(reverse("assessments:rollup_detail", args=[rollup.pk])).status_code == 404


def test_the_result_page_s_history_costs_the_same_at_few_and_many_changes(client_for, world):
    def queries_for(rollup, edits):
        self_assessment = SelfAssessment.objects.create(rollup=rollup, narrative="稿0")
        for n in range(1, edits + 1):
            self_assessment.narrative = f"稿{n}"
            self_assessment.save()
        rollup.computed_at = timezone.now()
        rollup.save()  # the newest row is the result's own: both kinds of record on the first page, few or many rows
        client = client_for(world.committee)
        url = reverse("assessments:rollup_detail", args=[rollup.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = queries_for(QuarterRollupFactory(organization=world.branch_a), 2)
    many = queries_for(QuarterRollupFactory(organization=world.branch_b), 25)
    assert few == many


def test_the_agreement_page_lists_its_parties_changes_with_its_own(client_for, world):
    agreement = cast_agreement(world, number="GJ-HIST-P", title="结对共建协议")
    party = agreement.parties.get(organization=world.partner)
    party.commitments = "开放社区活动场地"
    party._history_user = world.secretary1
    party.save()
    response = client_for(world.secretary1).get(agreement.get_absolute_url())
    assert response.status_code == 200
    assert re.search(r"—</del>\s*→\s*<ins[^>]*>开放社区活动场地", response.text)
    # The export link is the agreement's own history, not its party's.
    assert reverse("history_export", args=["partnerships.agreement", agreement.pk]) in response.text
