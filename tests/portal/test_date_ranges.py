"""Sane date ranges (issue 10, 2c): every user-entered date and date-time lies in 2000–2100 — in the forms (a Chinese
message naming the range, next to the field), on the model (validator) and in the database (CheckConstraint); query
strings out of range never answer 500; an agreement is not signed after its term ends."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pkgutil

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import Activity, ActivityType, ZoneCheck
from partnerships.forms.agreements import AgreementForm, RenewForm
from partnerships.forms.roster_sheet import build_template
from partnerships.models import ActionItem, Agreement, JointMeeting, Member
from partnerships.services import agreements as agreement_services
from partnerships.services import directory as directory_services
from portal.dates import DATE_MAX, DATE_MIN, DateRangeValidator, _BoundedMixin, _UserDateMixin, instant_bounds
from tests.partnerships.test_meetings import make_agreement, make_item

TODAY = timezone.localdate()
APPS = ("portal", "partnerships", "activities", "assessments", "archive", "api")

# Date columns the code stamps from the clock (or a worker's schedule); no user types them.
SYSTEM_STAMPED = {
    # Stamped by the services when the thing happens, never typed in.
    "partnerships.MeetingCheckInCode.created_at",
    "partnerships.MeetingCheckIn.created_at",
    "partnerships.Need.met_at",
    "partnerships.Pairing.decided_at",
    "activities.VenueBooking.cancelled_at",
    "activities.ActivityCheckInCode.created_at",
    "activities.ActivityCheckIn.created_at",
    "activities.PublicityItem.submitted_at",
    "activities.PublicityItem.reviewed_at",
    "activities.Activity.logged_at",
    # Copied from the project's milestones (whose plan dates are bounded), never typed in.
    "activities.KeyProject.open_from",
    "activities.CalendarToken.last_used_at",
    "assessments.DisplayLink.revoked_at",
    "assessments.DisplayLink.last_seen",
    "api.ApiToken.last_used_at",
    "api.ApiToken.revoked_at",
    "assessments.QuarterRollup.computed_at",
    "assessments.IndicatorScore.computed_at",
    "assessments.RollupRun.started_at",
    "assessments.RollupRun.finished_at",
    "assessments.SelfAssessment.submitted_at",
    "assessments.SelfAssessment.returned_at",
    "assessments.Review.reviewed_at",
    "assessments.Review.published_at",
    "partnerships.Agreement.terminated_on",
    "partnerships.JointMeeting.published_at",
    "partnerships.JointMeeting.cancelled_at",
    "partnerships.MinutesVersion.published_at",
    "partnerships.ActionItem.closed_at",
    "partnerships.ActionItem.confirmed_at",
    "portal.ExportJob.enqueued_at",
    "portal.ExportJob.started_at",
    "portal.ExportJob.finished_at",
    "portal.TaskRun.queued_at",
    "portal.TaskRun.started_at",
    "portal.TaskRun.finished_at",
    "portal.Notification.due_at",
    "portal.Notification.claimed_at",
    "portal.Notification.retry_at",
    "portal.Notification.sent_at",
    "portal.Notification.read_at",
    "portal.Notification.digested_at",
    "portal.WebhookEndpoint.last_success_at",
    "portal.WebhookEndpoint.last_error_at",
    "portal.WebhookDelivery.due_at",
    "portal.WebhookDelivery.claimed_at",
    "portal.WebhookDelivery.retry_at",
    "portal.WebhookDelivery.sent_at",
}


def in_range(value) -> bool:
    try:
        DateRangeValidator()(value)
    except ValidationError:
        return False
    return True


def _own_models():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


def _date_columns():
    for model in _own_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField) and not (field.auto_now or field.auto_now_add):
                yield model, field


# --- every column, every form -------------------------------------------------------------------------------------


def test_every_user_entered_date_column_is_bounded_with_a_database_check():
    unbounded, unchecked = [], []
    columns = list(_date_columns())
    assert SYSTEM_STAMPED <= {f"{model._meta.label}.{field.name}" for model, field in columns}
    for model, field in columns:
        label = f"{model._meta.label}.{field.name}"
        if not isinstance(field, _UserDateMixin):
            if label not in SYSTEM_STAMPED:
                unbounded.append(label)
            continue
        checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
        if not any(c.condition == field.range_condition() and c.violation_error_message for c in checks):
            unchecked.append(label)
    assert not unbounded, f"use UserDateField/UserDateTimeField (or list as system-stamped): {unbounded}"
    assert not unchecked, f"add date_range_check()/datetime_range_check() to Meta.constraints: {unchecked}"


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _import_form_modules():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in info.name for part in (".forms", ".filters")) or info.name.endswith(".forms"):
                importlib.import_module(info.name)


def test_every_date_field_of_every_form_and_filter_is_bounded():
    _import_form_modules()
    date_types = (forms.DateField, forms.DateTimeField)
    offenders = []
    for form_class in _all_subclasses(forms.BaseForm):
        if not form_class.__module__.startswith(APPS):
            continue
        for name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, date_types) and not isinstance(field, _BoundedMixin):
                offenders.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    for filterset in _all_subclasses(django_filters.FilterSet):
        if not filterset.__module__.startswith(APPS):
            continue
        for name, filter_ in filterset.base_filters.items():
            if issubclass(filter_.field_class, date_types) and not issubclass(filter_.field_class, _BoundedMixin):
                offenders.append(f"{filterset.__module__}.{filterset.__name__}.{name}")
    assert not offenders, f"use portal.dates' BoundedDateField/BoundedDateTimeField/BoundedDateFilter: {offenders}"


def test_the_bounds_and_their_instants():
    start, end = instant_bounds(DATE_MIN, DATE_MAX)
    # 2000-01-01 00:00 in the earliest zone, the end of 2100-12-31 in the latest: every local reading is 1999–2101.
    assert start == dt.datetime(1999, 12, 31, 10, tzinfo=dt.UTC)
    assert end == dt.datetime(2101, 1, 1, 12, tzinfo=dt.UTC)
    assert in_range(timezone.make_aware(dt.datetime(2000, 1, 1)))
    assert not in_range(timezone.make_aware(dt.datetime(1, 1, 1)))
    assert not in_range(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))


# --- the joint meeting of the issue ----------------------------------------------------------------------------------


@pytest.fixture
def agreement(world):
    return make_agreement(world)


def _meeting_post(world, starts_at):
    return {
        "title": "第一次联席会议",
        "starts_at": starts_at,
        "place": "社区党群服务中心",
        "host": world.branch_a.pk,
        "attendees": [world.secretary1.pk],
        "agenda": "通报进展",
    }


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00"])
def test_a_meeting_out_of_range_gets_a_chinese_field_error_and_nothing_is_saved(
    client_for, world, agreement, starts_at
):
    response = client_for(world.secretary1).post(
        reverse("partnerships:meeting_create", args=[agreement.pk]), _meeting_post(world, starts_at)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["starts_at"] == ["请输入 2000-01-01 至 2100-12-31 之间的日期和时间。"]
    assert not JointMeeting.objects.exists()


def test_the_meeting_page_offers_the_range_to_the_date_picker(client_for, world, agreement):
    html = client_for(world.secretary1).get(reverse("partnerships:meeting_create", args=[agreement.pk])).content
    assert b'min="2000-01-01T00:00"' in html and b'max="2100-12-31T23:59"' in html


def test_the_edges_of_the_range_are_accepted(client_for, world, agreement):
    client = client_for(world.secretary1)
    url = reverse("partnerships:meeting_create", args=[agreement.pk])
    assert client.post(url, _meeting_post(world, "2000-01-01T00:00")).status_code == 302
    assert client.post(url, _meeting_post(world, "2100-12-31T23:59")).status_code == 302
    assert JointMeeting.objects.count() == 2


def test_the_database_refuses_an_out_of_range_meeting_written_past_the_form(world, agreement):
    with pytest.raises(IntegrityError), transaction.atomic():
        JointMeeting.objects.create(
            agreement=agreement,
            title="越界",
            starts_at=dt.datetime(1999, 12, 31, 9, tzinfo=dt.UTC),
            place="某地",
            host=world.branch_a,
        )
    assert not JointMeeting.objects.exists()


def test_the_model_validator_reports_the_range_next_to_the_field(world, agreement):
    meeting = JointMeeting(
        agreement=agreement,
        title="越界",
        starts_at=timezone.make_aware(dt.datetime(1, 1, 1)),
        place="某地",
        host=world.branch_a,
    )
    with pytest.raises(ValidationError) as caught:
        meeting.full_clean()
    assert caught.value.message_dict["starts_at"] == ["请输入 2000-01-01 至 2100-12-31 之间的日期和时间。"]


@pytest.mark.parametrize("due_on", [dt.date(1, 1, 1), dt.date(1999, 12, 31), dt.date(2101, 1, 1)])
def test_the_database_refuses_an_out_of_range_date(world, agreement, due_on):
    item = make_item(agreement, world.branch_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(due_on=due_on)
    item.refresh_from_db()
    assert in_range(item.due_on)


def test_the_database_refuses_an_out_of_range_activity_and_zone_check(world, agreement):
    from tests.matrix.projects import make_project, make_zone

    zone = make_zone(make_project(world, agreement), world)
    with pytest.raises(IntegrityError), transaction.atomic():
        ZoneCheck.objects.create(zone=zone, checked_on=dt.date(1900, 1, 1))
    activity_fields = {"title": "越界", "lead": world.branch_a, "place": "某地", "type": ActivityType.objects.first()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(
            **activity_fields,
            starts_at=dt.datetime(2101, 6, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2101, 6, 1, 2, tzinfo=dt.UTC),
        )


def test_an_action_item_due_date_out_of_range_is_a_field_error(client_for, world, agreement):
    response = client_for(world.secretary1).post(
        reverse("partnerships:action_item_create", args=[agreement.pk]),
        {"title": "事项", "responsible_party": world.branch_a.pk, "due_on": "0001-01-01", "priority": 2},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["due_on"] == ["请输入 2000-01-01 至 2100-12-31 之间的日期。"]
    assert not ActionItem.objects.exists()


# --- a roster reaches back before 2000 ------------------------------------------------------------------------------


def test_joining_the_party_may_predate_2000_but_not_the_party(world):
    rows = [
        {"row": 2, "name": "老党员", "joined_party_on": dt.date(1975, 7, 1)},
        {"row": 3, "name": "穿越者", "joined_party_on": dt.date(1900, 1, 1)},
    ]
    with pytest.raises(ValidationError) as caught:
        directory_services.member_import(actor=world.secretary1, organization=world.branch_a, rows=rows)
    assert "1921-07-01" in " ".join(caught.value.messages) and "第3行" in " ".join(caught.value.messages)
    directory_services.member_import(actor=world.secretary1, organization=world.branch_a, rows=rows[:1])
    assert Member.objects.get(name="老党员").joined_party_on == dt.date(1975, 7, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(name="老党员").update(joined_party_on=dt.date(1900, 1, 1))


def test_a_roster_sheet_with_an_impossible_joining_date_names_the_row(client_for, world):
    template = load_workbook(io.BytesIO(build_template()))
    sheet = template.active
    sheet.delete_rows(2, sheet.max_row)
    sheet.append(["陈晓", "女", "资料员", "正式党员", "0001-01-01", "13511112222"])
    buffer = io.BytesIO()
    template.save(buffer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(world.secretary1).post(
        reverse("partnerships:member_import"),
        {"organization": world.branch_a.pk, "file": SimpleUploadedFile("roster.xlsx", buffer.getvalue())},
    )
    assert response.status_code == 200
    assert any("第2行" in error and "1921-07-01" in error for error in response.context["row_errors"])
    assert not Member.objects.exists()


# --- an agreement is signed by the end of its term ------------------------------------------------------------------


def _agreement_form_data(**overrides):
    data = {
        "number": "GJ-2026-009",
        "title": "结对共建协议",
        "signed_on": (TODAY + dt.timedelta(days=400)).isoformat(),
        "term_start": TODAY.isoformat(),
        "term_end": (TODAY + dt.timedelta(days=365)).isoformat(),
    }
    return {**data, **overrides}


def test_the_agreement_forms_refuse_signing_after_the_term_ends_next_to_the_field():
    form = AgreementForm(data=_agreement_form_data())
    assert not form.is_valid()
    assert form.errors["signed_on"] == ["协议的签订日期不能晚于期限结束日期。"]
    renew = RenewForm(data=_agreement_form_data())
    assert not renew.is_valid() and "signed_on" in renew.errors
    assert RenewForm(data=_agreement_form_data(signed_on=TODAY.isoformat())).is_valid()


def test_the_agreement_form_refuses_a_term_out_of_range():
    form = AgreementForm(data=_agreement_form_data(signed_on="", term_end="2101-01-01"))
    assert not form.is_valid()
    assert form.errors["term_end"] == ["请输入 2000-01-01 至 2100-12-31 之间的日期。"]


def test_the_service_and_the_database_refuse_signing_after_the_term_ends(world, agreement):
    with pytest.raises(ValidationError) as caught:
        agreement_services.agreement_update(
            actor=world.secretary1, agreement=agreement, signed_on=agreement.term_end + dt.timedelta(days=1)
        )
    assert caught.value.message_dict["signed_on"] == ["协议的签订日期不能晚于期限结束日期。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(signed_on=agreement.term_end + dt.timedelta(days=1))
    Agreement.objects.filter(pk=agreement.pk).update(signed_on=agreement.term_end)


# --- query strings ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"start": "0001-01-01", "end": "0001-01-30"},
        {"start": "0001-01-01T00:00:00+08:00", "end": "0001-02-01T00:00:00+08:00"},
        {"start": "9999-12-01", "end": "9999-12-31"},
    ],
)
def test_the_calendar_feed_answers_400_for_dates_out_of_range(client_for, world, params):
    response = client_for(world.secretary1).get(reverse("activities:calendar_events"), params)
    assert response.status_code == 400
    assert "2000-01-01" in response.json()["error"]


@pytest.mark.parametrize(
    "name,params",
    [
        ("activities:activity_list", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        ("activities:activity_export", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        ("partnerships:action_item_list", {"due_from": "0001-01-01", "due_to": "9999-12-31"}),
        ("partnerships:action_item_export", {"due_from": "0001-01-01", "due_to": "9999-12-31"}),
    ],
)
def test_list_filters_report_dates_out_of_range_instead_of_failing(client_for, world, agreement, name, params):
    make_item(agreement, world.branch_a)
    response = client_for(world.secretary1).get(reverse(name), params)
    assert response.status_code == 200
    if not name.endswith("_export"):
        errors = response.context["filter"].form.errors
        assert set(errors) == set(params)
        assert "请输入 2000-01-01 至 2100-12-31 之间的日期。" in response.content.decode()
