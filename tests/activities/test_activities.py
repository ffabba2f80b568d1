"""Activities: scheduling, editing, logging (headcounts, participants, photos, publicity), cancelling, the 30-day
lock, the held sweep, and the pages that drive them.

The partnership: an active agreement between 甲项目党支部 (secretary1 secretary, member1 member) and the street community
(liaison1 its liaison). Activities are led by 甲项目党支部 with the community co-organizing unless a test says
otherwise. Photos are generated with Pillow.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities import tasks
from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityType,
)
from activities.photos import check_photos, store_photo
from activities.rules import is_locked
from activities.selectors.activities import participating_ids
from activities.services import activities as services
from activities.services import publicity as publicity_services
from partnerships.models import Agreement, Member
from portal.models import Membership
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    MemberFactory,
    MembershipFactory,
    OrganizationFactory,
    PlannedActivityFactory,
    UserFactory,
    cast_agreement,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- helpers shared with the other activity test modules -------------------------------------------------------


def at(days: float, hour: int = 9) -> dt.datetime:
    """An aware local time ``days`` from today at ``hour`` o'clock."""
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=days)


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 22, 29)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def png(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def jpeg(name: str = "合影.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG", (120, 80)), content_type="image/jpeg")


def fake_image(name: str = "伪装.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="image/png")


def theme_day() -> ActivityType:
    return ActivityType.objects.get(code="theme_day")


def make_agreement(world, number: str = "GJ-ACT-001", parties=None) -> Agreement:
    today = timezone.localdate()
    return cast_agreement(
        world,
        *(parties or ()),
        number=number,
        term_start=dt.date(today.year - 1, 1, 1),
        term_end=dt.date(today.year + 1, 12, 31),
    )


def make_activity(world, *, agreement=None, lead=None, co=None, starts=None, hours=2, status=None, **extra):
    """An activity made with its factory (the state a test needs, without going through the rules)."""
    starts = starts or at(-2)
    if status is None:
        status = (
            Activity.Status.HELD if starts + dt.timedelta(hours=hours) <= timezone.now() else Activity.Status.PLANNED
        )
    return ActivityFactory(
        type=extra.pop("type", None) or theme_day(),
        agreement=agreement,
        lead=lead or world.branch_a,
        starts_at=starts,
        hours=hours,
        status=status,
        co_organizers=co if co is not None else ([world.partner] if agreement else []),
        **extra,
    )


def log_kwargs(world, **overrides) -> dict:
    data = {
        "summary": "两支部党员共同重温入党誓词。",
        "headcounts": {world.branch_a.pk: 12, world.partner.pk: 8},
        "participants": [],
    }
    data.update(overrides)
    return data


def snapshot(activity: Activity) -> tuple:
    """What a refused write must leave untouched."""
    activity = Activity.objects.get(pk=activity.pk)
    return (
        activity.status,
        activity.summary,
        activity.title,
        activity.starts_at,
        activity.ends_at,
        activity.cancel_reason,
        sorted(activity.participations.values_list("organization_id", "headcount")),
        sorted(activity.participants.values_list("pk", flat=True)),
        sorted(activity.co_organizers.values_list("pk", flat=True)),
        activity.photos.count(),
        activity.history.count(),
    )


@pytest.fixture
def partnership(world):
    return SimpleNamespace(agreement=make_agreement(world))


@pytest.fixture
def held(world, partnership):
    return make_activity(world, agreement=partnership.agreement)


def schedule(world, partnership, **overrides):
    fields = dict(
        actor=world.secretary1,
        title="共建志愿服务",
        type=ActivityType.objects.get(code="volunteer"),
        agreement=partnership.agreement,
        lead=world.branch_a,
        co_organizers=[world.partner],
        starts_at=at(3),
        ends_at=at(3, 12),
        place="和平街道社区",
    )
    fields.update(overrides)
    return services.activity_create(**fields)


# --- scheduling ---------------------------------------------------------------------------------------------


def test_the_lead_secretary_schedules_an_activity_under_the_agreement(world, partnership):
    activity = schedule(world, partnership)
    assert activity.status == Activity.Status.PLANNED
    assert activity.created_by == world.secretary1
    assert list(activity.co_organizers.all()) == [world.partner]
    assert activity.history.first().history_user == world.secretary1


def test_an_activity_recorded_after_it_ended_is_held(world, partnership):
    activity = schedule(world, partnership, starts_at=at(-3), ends_at=at(-3, 11))
    assert activity.status == Activity.Status.HELD


def test_a_branch_schedules_its_own_activity_without_an_agreement(world, partnership):
    activity = schedule(world, partnership, agreement=None, co_organizers=[world.branch_b])
    assert activity.agreement is None and list(activity.co_organizers.all()) == [world.branch_b]


def test_people_who_are_not_secretaries_cannot_schedule(world, partnership):
    for user in (world.committee, world.member1, world.liaison1):
        with pytest.raises(PermissionDenied):
            schedule(world, partnership, actor=user)
    assert not Activity.objects.exists()


def test_the_lead_must_be_one_of_my_secretary_organizations(world, partnership):
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, agreement=None, lead=world.branch_b, co_organizers=[])
    assert "lead" in caught.value.message_dict
    assert not Activity.objects.exists()
    # An admin may put down any lead.
    assert schedule(world, partnership, actor=world.admin, lead=world.partner, co_organizers=[world.branch_a]).pk


def test_a_lead_that_is_not_a_party_of_the_agreement_is_refused(world, partnership):
    other = make_agreement(world, "GJ-ACT-OTHER", parties=[world.partner, world.unrelated])
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, agreement=other, co_organizers=[])
    assert "lead" in caught.value.message_dict
    assert not Activity.objects.exists()


def test_a_co_organizer_that_is_not_a_party_of_the_agreement_is_refused(world, partnership):
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, co_organizers=[world.partner, world.branch_b])
    assert "co_organizers" in caught.value.message_dict
    assert not Activity.objects.exists()


def test_the_lead_cannot_also_co_organize(world, partnership):
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, co_organizers=[world.branch_a])
    assert "co_organizers" in caught.value.message_dict


def test_a_plan_row_must_belong_to_the_activitys_agreement(world, partnership):
    other = make_agreement(world, "GJ-ACT-OTHER", parties=[world.branch_a, world.unrelated])
    plan = ActivityPlanFactory(agreement=other, title="另一份计划")
    row = PlannedActivityFactory(plan=plan, month=5, theme="参观", lead=world.branch_a)
    for agreement in (partnership.agreement, None):
        with pytest.raises(ValidationError) as caught:
            schedule(world, partnership, agreement=agreement, plan_row=row, co_organizers=[])
        assert "plan_row" in caught.value.message_dict
    assert not Activity.objects.exists()
    assert schedule(world, partnership, agreement=other, plan_row=row, co_organizers=[world.unrelated]).plan_row == row


def test_ending_before_starting_is_refused_on_the_end(world, partnership):
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, starts_at=at(3, 12), ends_at=at(3, 9))
    assert list(caught.value.message_dict) == ["ends_at"]
    assert not Activity.objects.exists()


def test_an_activity_that_ended_over_30_days_ago_is_recorded_only_by_an_admin(world, partnership):
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, starts_at=at(-40), ends_at=at(-40, 11))
    assert "ends_at" in caught.value.message_dict
    activity = schedule(world, partnership, actor=world.admin, starts_at=at(-40), ends_at=at(-40, 11))
    assert activity.status == Activity.Status.HELD


def test_under_an_expired_agreement_only_activities_within_its_term_are_accepted(world, partnership):
    agreement = partnership.agreement
    agreement.status = Agreement.Status.EXPIRED
    agreement.term_end = timezone.localdate() - dt.timedelta(days=5)
    agreement.save()
    with pytest.raises(ValidationError) as caught:
        schedule(world, partnership, starts_at=at(-2), ends_at=at(-2, 11))
    assert "agreement" in caught.value.message_dict
    assert schedule(world, partnership, starts_at=at(-10), ends_at=at(-10, 11)).status == Activity.Status.HELD


# --- editing ------------------------------------------------------------------------------------------------


def test_editing_the_times_moves_an_activity_between_planned_and_held(world, partnership):
    activity = schedule(world, partnership)
    activity = services.activity_update(actor=world.secretary1, activity=activity, starts_at=at(-1), ends_at=at(-1, 11))
    assert activity.status == Activity.Status.HELD
    activity = services.activity_update(actor=world.secretary1, activity=activity, starts_at=at(2), ends_at=at(2, 11))
    assert activity.status == Activity.Status.PLANNED
    assert activity.history.first().history_user == world.secretary1


def test_only_the_lead_secretary_edits(world, partnership):
    activity = schedule(world, partnership)
    for user in (world.committee, world.liaison1, world.member1, world.secretary2, world.outsider):
        with pytest.raises(PermissionDenied):
            services.activity_update(actor=user, activity=activity, title="改名")
    assert Activity.objects.get(pk=activity.pk).title == "共建志愿服务"


def test_a_bad_edit_changes_nothing(world, partnership, held):
    before = snapshot(held)
    with pytest.raises(ValidationError) as caught:
        services.activity_update(
            actor=world.secretary1, activity=held, title="新名称", starts_at=at(-1, 12), ends_at=at(-1, 9)
        )
    assert "ends_at" in caught.value.message_dict
    assert snapshot(held) == before
    assert held.title == "共建主题党日"  # the caller's object is untouched too


def test_a_cancelled_activity_cannot_be_edited(world, partnership):
    activity = make_activity(
        world, agreement=partnership.agreement, starts=at(2), status="cancelled", cancel_reason="下雨"
    )
    with pytest.raises(ValidationError):
        services.activity_update(actor=world.secretary1, activity=activity, title="改名")


def test_an_organization_that_stops_taking_part_takes_its_log_entries_along(world, partnership, held, member_a):
    partner_member = MemberFactory(organization=world.partner, name="社区党员")
    services.activity_log(
        actor=world.secretary1, activity=held, **log_kwargs(world, participants=[member_a, partner_member])
    )
    services.activity_update(actor=world.secretary1, activity=held, co_organizers=[])
    assert list(held.participations.values_list("organization_id", flat=True)) == [world.branch_a.pk]
    assert list(held.participants.all()) == [member_a]


# --- logging ------------------------------------------------------------------------------------------------


def test_logging_records_headcounts_participants_and_photos(world, partnership, held, member_a):
    activity = services.activity_log(
        actor=world.secretary1,
        activity=held,
        outcomes="形成共建清单",
        photos=[png(), jpeg()],
        **log_kwargs(world, participants=[member_a]),
    )
    assert activity.status == Activity.Status.LOGGED
    assert activity.logged_by == world.secretary1 and activity.logged_at
    assert dict(activity.participations.values_list("organization_id", "headcount")) == {
        world.branch_a.pk: 12,
        world.partner.pk: 8,
    }
    assert list(activity.participants.all()) == [member_a]
    photos = list(activity.photos.order_by("pk"))
    assert [p.original_name for p in photos] == ["现场.png", "合影.jpg"]
    assert all(p.thumbnail.name and p.thumbnail.storage.exists(p.thumbnail.name) for p in photos)
    assert photos[1].width == 120 and photos[1].uploaded_by == world.secretary1
    assert activity.history.first().history_user == world.secretary1


def test_logging_needs_a_summary(world, partnership, held):
    before = snapshot(held)
    with pytest.raises(ValidationError) as caught:
        services.activity_log(actor=world.secretary1, activity=held, **log_kwargs(world, summary="  "))
    assert list(caught.value.message_dict) == ["summary"]
    assert snapshot(held) == before


def test_a_participant_from_an_organization_not_taking_part_is_refused(world, partnership, held, member_a, member_b):
    before = snapshot(held)
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1, activity=held, **log_kwargs(world, participants=[member_a, member_b])
        )
    assert "participants" in caught.value.message_dict
    assert member_b.name in caught.value.message_dict["participants"][0]
    assert snapshot(held) == before


def test_a_headcount_below_the_named_participants_is_refused_naming_the_organization(world, partnership, held):
    members = [MemberFactory(organization=world.branch_a) for _ in range(3)]
    before = snapshot(held)
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1,
            activity=held,
            **log_kwargs(world, participants=members, headcounts={world.branch_a.pk: 2, world.partner.pk: 0}),
        )
    field = f"headcount_{world.branch_a.pk}"
    assert list(caught.value.message_dict) == [field]
    assert world.branch_a.name in caught.value.message_dict[field][0]
    assert snapshot(held) == before
    services.activity_log(
        actor=world.secretary1,
        activity=held,
        **log_kwargs(world, participants=members, headcounts={world.branch_a.pk: 3, world.partner.pk: 0}),
    )


def test_missing_or_negative_headcounts_are_refused(world, partnership, held):
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1, activity=held, **log_kwargs(world, headcounts={world.branch_a.pk: -1})
        )
    assert set(caught.value.message_dict) == {f"headcount_{world.branch_a.pk}", f"headcount_{world.partner.pk}"}
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1,
            activity=held,
            **log_kwargs(world, headcounts={world.branch_a.pk: 1, world.partner.pk: 1, world.branch_b.pk: 3}),
        )
    assert "headcounts" in caught.value.message_dict
    assert held.participations.count() == 0


def test_a_non_image_photo_is_refused_and_nothing_is_saved(world, partnership, held, member_a):
    before = snapshot(held)
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1,
            activity=held,
            photos=[png(), fake_image()],
            **log_kwargs(world, participants=[member_a]),
        )
    assert list(caught.value.message_dict) == ["photos"]
    assert snapshot(held) == before
    assert not ActivityPhoto.objects.exists()


def test_a_photo_over_10_mb_is_refused(world, partnership, held):
    big = SimpleUploadedFile("大图.png", image_bytes() + b"\0" * (10 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        services.activity_log(actor=world.secretary1, activity=held, photos=[big], **log_kwargs(world))
    assert "photos" in caught.value.message_dict


def test_every_problem_is_reported_at_once(world, partnership, held, member_b):
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            actor=world.secretary1,
            activity=held,
            photos=[fake_image()],
            **log_kwargs(world, summary="", participants=[member_b]),
        )
    assert {"summary", "participants", "photos"} <= set(caught.value.message_dict)


def test_publicity_is_written_as_an_item_not_in_the_log(client_for, world, partnership, held):
    # The log no longer takes a publicity report: a logged activity becomes a publicity item (tests/activities/
    # test_publicity.py), reviewed before it counts.
    with pytest.raises(TypeError):
        services.activity_log(actor=world.secretary1, activity=held, publicity_title="报道", **log_kwargs(world))
    page = client_for(world.secretary1).get(reverse("activities:activity_log", args=[held.pk])).content.decode()
    assert "publicity_title" not in page
    activity = services.activity_log(actor=world.secretary1, activity=held, **log_kwargs(world))
    assert activity.publicity_items.count() == 0


def test_relogging_changes_the_log_and_adds_and_removes_photos(
    world, partnership, held, member_a, django_capture_on_commit_callbacks
):
    first = services.activity_log(actor=world.secretary1, activity=held, photos=[png(), jpeg()], **log_kwargs(world))
    logged_at = first.logged_at
    old, kept = list(first.photos.order_by("pk"))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.activity_log(
            actor=world.secretary1,
            activity=first,
            photos=[png("第二批.png")],
            remove_photos=[old.pk],
            **log_kwargs(
                world,
                summary="补充了成果",
                participants=[member_a],
                headcounts={world.branch_a.pk: 15, world.partner.pk: 9},
            ),
        )
    assert again.summary == "补充了成果" and again.logged_at == logged_at
    assert dict(again.participations.values_list("organization_id", "headcount")) == {
        world.branch_a.pk: 15,
        world.partner.pk: 9,
    }
    assert sorted(again.photos.values_list("original_name", flat=True)) == ["合影.jpg", "第二批.png"]
    assert not old.image.storage.exists(old.image.name) and not old.thumbnail.storage.exists(old.thumbnail.name)
    assert kept.image.storage.exists(kept.image.name)


def test_removing_another_activitys_photo_is_ignored(world, partnership, held):
    other = make_activity(world, agreement=partnership.agreement, title="另一个活动")
    photo = store_photo(ActivityPhoto, upload=check_photos([png()])[0], uploaded_by=world.secretary1, activity=other)
    services.activity_log(actor=world.secretary1, activity=held, remove_photos=[photo.pk], **log_kwargs(world))
    assert ActivityPhoto.objects.filter(pk=photo.pk).exists()


def test_an_activity_is_logged_once_it_has_started(world, partnership):
    upcoming = make_activity(world, agreement=partnership.agreement, starts=at(2))
    with pytest.raises(ValidationError):
        services.activity_log(actor=world.secretary1, activity=upcoming, **log_kwargs(world))
    running = make_activity(world, agreement=partnership.agreement, starts=timezone.now() - dt.timedelta(minutes=30))
    assert running.status == Activity.Status.PLANNED
    logged = services.activity_log(actor=world.secretary1, activity=running, **log_kwargs(world))
    assert logged.status == Activity.Status.LOGGED


def test_a_cancelled_activity_cannot_be_logged(world, partnership):
    activity = make_activity(world, agreement=partnership.agreement, status="cancelled", cancel_reason="下雨")
    with pytest.raises(ValidationError):
        services.activity_log(actor=world.secretary1, activity=activity, **log_kwargs(world))


def test_only_the_lead_secretary_logs(world, partnership, held):
    partner_secretary = UserFactory(username="partner_secretary")
    MembershipFactory(user=partner_secretary, organization=world.partner, role=Membership.Role.SECRETARY)
    for user in (partner_secretary, world.liaison1, world.committee, world.member1, world.secretary2):
        with pytest.raises(PermissionDenied):
            services.activity_log(actor=user, activity=held, **log_kwargs(world))
    assert Activity.objects.get(pk=held.pk).status == Activity.Status.HELD


# --- cancelling ---------------------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(world, partnership):
    activity = schedule(world, partnership)
    with pytest.raises(ValidationError) as caught:
        services.activity_cancel(actor=world.secretary1, activity=activity, reason=" ")
    assert "reason" in caught.value.message_dict
    cancelled = services.activity_cancel(actor=world.secretary1, activity=activity, reason="场地临时占用")
    assert cancelled.status == Activity.Status.CANCELLED and cancelled.cancel_reason == "场地临时占用"


def test_a_logged_activity_cannot_be_cancelled(world, partnership, held):
    services.activity_log(actor=world.secretary1, activity=held, **log_kwargs(world))
    with pytest.raises(ValidationError):
        services.activity_cancel(actor=world.secretary1, activity=held, reason="重复")
    assert Activity.objects.get(pk=held.pk).status == Activity.Status.LOGGED


def test_only_the_lead_secretary_cancels(world, partnership, held):
    for user in (world.liaison1, world.committee, world.member1, world.secretary2):
        with pytest.raises(PermissionDenied):
            services.activity_cancel(actor=user, activity=held, reason="x")


# --- the 30-day lock ----------------------------------------------------------------------------------------


@pytest.fixture
def old(world, partnership):
    return make_activity(world, agreement=partnership.agreement, starts=at(-31, 9), hours=1)


def test_the_30_day_lock_stops_edits_logs_and_cancellation(world, partnership, old):
    before = snapshot(old)
    attempts = [
        lambda: services.activity_update(actor=world.secretary1, activity=old, title="补记"),
        lambda: services.activity_log(actor=world.secretary1, activity=old, **log_kwargs(world)),
        lambda: services.activity_cancel(actor=world.secretary1, activity=old, reason="补记"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.code == "locked"
    assert snapshot(old) == before


def test_a_logged_activity_is_locked_too(world, partnership):
    activity = make_activity(world, agreement=partnership.agreement, starts=at(-45), status="logged", summary="已记录")
    with pytest.raises(ValidationError) as caught:
        services.activity_log(actor=world.secretary1, activity=activity, **log_kwargs(world))
    assert caught.value.code == "locked"


def test_an_admin_is_not_stopped_by_the_lock(world, partnership, old):
    activity = services.activity_log(actor=world.admin, activity=old, **log_kwargs(world))
    assert activity.status == Activity.Status.LOGGED


def test_an_activity_that_ended_29_days_ago_is_not_locked(world, partnership):
    activity = make_activity(world, agreement=partnership.agreement, starts=at(-29, 9), hours=1)
    assert not is_locked(activity)
    assert services.activity_log(actor=world.secretary1, activity=activity, **log_kwargs(world)).status == "logged"


# --- the held sweep -----------------------------------------------------------------------------------------


def test_mark_held_marks_ended_planned_activities_only(world, partnership):
    ended = make_activity(world, starts=at(-1), status="planned")
    upcoming = make_activity(world, starts=at(1), status="planned")
    cancelled = make_activity(world, starts=at(-1), status="cancelled", cancel_reason="下雨")
    logged = make_activity(world, starts=at(-1), status="logged", summary="已记录")
    assert services.activities_mark_held() == 1
    statuses = dict(Activity.objects.values_list("pk", "status"))
    assert statuses == {ended.pk: "held", upcoming.pk: "planned", cancelled.pk: "cancelled", logged.pk: "logged"}
    record = ended.history.order_by("-history_date", "-history_id").first()
    assert record.status == "held" and record.history_change_reason == "held" and record.history_type == "~"


def test_mark_held_is_idempotent(world):
    make_activity(world, starts=at(-1), status="planned")
    assert services.activities_mark_held() == 1
    assert services.activities_mark_held() == 0
    assert Activity.history.filter(history_change_reason="held").count() == 1


def test_a_service_is_the_outermost_transaction_and_refuses_to_run_inside_a_callers(world):
    make_activity(world, starts=at(-1), status="planned")
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.activities_mark_held()
    assert Activity.objects.filter(status="planned").count() == 1


def _ended_planned(world, n):
    starts = at(-1)
    Activity.objects.bulk_create(
        Activity(
            title=f"活动{i}",
            type=theme_day(),
            lead=world.branch_a,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            place="活动室",
            status=Activity.Status.PLANNED,
        )
        for i in range(n)
    )


def test_mark_held_is_set_based(world):
    # 30 rows stay within one SQLite bulk-insert batch of history rows (999 parameters); PostgreSQL has no batches.
    _ended_planned(world, 3)
    with CaptureQueriesContext(connection) as few:
        assert services.activities_mark_held() == 3
    _ended_planned(world, 30)
    with CaptureQueriesContext(connection) as many:
        assert services.activities_mark_held() == 30
    assert len(few.captured_queries) == len(many.captured_queries)
    assert Activity.objects.filter(status="held").count() == 33


def test_the_beat_task_runs_the_sweep(world):
    make_activity(world, starts=at(-1), status="planned")
    assert tasks.mark_held.delay().get() == 1
    assert Activity.objects.get().status == Activity.Status.HELD


# --- pages --------------------------------------------------------------------------------------------------


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _form_post(world, partnership, **overrides):
    data = {
        "title": "联合志愿服务",
        "type": ActivityType.objects.get(code="volunteer").pk,
        "agreement": partnership.agreement.pk,
        "lead": world.branch_a.pk,
        "co_organizers": [world.partner.pk],
        "starts_at": _local(at(4)),
        "ends_at": _local(at(4, 12)),
        "place": "社区广场",
    }
    data.update(overrides)
    return data


def test_the_create_page_schedules_and_redirects_to_the_activity(client_for, world, partnership):
    response = client_for(world.secretary1).post(reverse("activities:activity_create"), _form_post(world, partnership))
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    assert activity.status == Activity.Status.PLANNED


def test_the_create_page_shows_end_before_start_on_the_end_field(client_for, world, partnership):
    response = client_for(world.secretary1).post(
        reverse("activities:activity_create"), _form_post(world, partnership, ends_at=_local(at(4, 8)))
    )
    assert response.status_code == 200
    assert "ends_at" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_the_create_page_shows_a_co_organizer_outside_the_agreement_on_its_field(client_for, world, partnership):
    response = client_for(world.secretary1).post(
        reverse("activities:activity_create"), _form_post(world, partnership, co_organizers=[world.branch_b.pk])
    )
    assert response.status_code == 200
    assert "co_organizers" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_the_create_page_prefills_from_a_plan_row(client_for, world, partnership):
    plan = ActivityPlanFactory(agreement=partnership.agreement, title="计划")
    row = PlannedActivityFactory(
        plan=plan,
        month=6,
        theme="七一联合党课",
        content="书记讲党课",
        lead=world.branch_a,
        co_organizers=[world.partner],
    )
    response = client_for(world.secretary1).get(reverse("activities:activity_create") + f"?plan_row={row.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["title"] == "七一联合党课" and form.initial["plan_row"] == row.pk
    assert form.initial["agreement"] == partnership.agreement.pk and form.initial["lead"] == world.branch_a.pk
    assert form.initial["co_organizers"] == [world.partner.pk] and form.initial["type"] == row.type_id
    assert 'data-testid="plan-row"' in response.content.decode()
    # A plan row out of scope is not found; a malformed one neither.
    assert (
        client_for(world.secretary2).get(f"{reverse('activities:activity_create')}?plan_row={row.pk}").status_code
        == 404
    )
    assert client_for(world.secretary1).get(reverse("activities:activity_create") + "?plan_row=x").status_code == 404


def test_the_create_page_preselects_the_agreement(client_for, world, partnership):
    response = client_for(world.secretary1).get(
        reverse("activities:activity_create") + f"?agreement={partnership.agreement.pk}"
    )
    assert response.context["form"].initial["agreement"] == partnership.agreement.pk
    assert list(response.context["form"].fields["lead"].queryset) == [world.branch_a]


def test_the_edit_page_saves_changes(client_for, world, partnership, held):
    data = _form_post(
        world, partnership, title="改期后的主题党日", starts_at=_local(at(-2, 14)), ends_at=_local(at(-2, 16))
    )
    response = client_for(world.secretary1).post(reverse("activities:activity_update", args=[held.pk]), data)
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.title == "改期后的主题党日" and held.status == Activity.Status.HELD


def test_moving_an_activity_off_its_agreement_leaves_the_plan_behind(client_for, world, partnership):
    plan = ActivityPlanFactory(agreement=partnership.agreement, title="计划")
    row = PlannedActivityFactory(plan=plan, month=6, theme="联学", lead=world.branch_a)
    activity = make_activity(world, agreement=partnership.agreement, plan_row=row)
    data = _form_post(
        world,
        partnership,
        agreement="",
        co_organizers=[],
        plan_row=row.pk,
        starts_at=_local(at(-2, 9)),
        ends_at=_local(at(-2, 11)),
    )
    response = client_for(world.secretary1).post(reverse("activities:activity_update", args=[activity.pk]), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.agreement is None and activity.plan_row is None


def _log_post(world, **overrides):
    data = {
        "summary": "共同重温入党誓词",
        f"headcount_{world.branch_a.pk}": 10,
        f"headcount_{world.partner.pk}": 6,
    }
    data.update(overrides)
    return data


def test_the_log_page_lists_members_of_the_participating_organizations_without_phones(
    client_for, world, partnership, held, member_a, member_b
):
    partner_member = MemberFactory(organization=world.partner, name="周社区", phone="13811112222")
    gone = MemberFactory(organization=world.branch_a, name="已转出", status=Member.Status.TRANSFERRED_OUT)
    response = client_for(world.secretary1).get(reverse("activities:activity_log", args=[held.pk]))
    assert response.status_code == 200
    choices = set(response.context["form"].fields["participants"].queryset)
    assert choices == {member_a, partner_member}
    assert gone not in choices and member_b not in choices
    body = response.content.decode()
    assert member_a.name in body and partner_member.name in body
    assert member_a.phone not in body and partner_member.phone not in body
    assert 'accept="image/*"' in body and 'name="photos"' in body


def test_the_log_page_saves_headcounts_participants_and_several_photos(client_for, world, partnership, held, member_a):
    response = client_for(world.secretary1).post(
        reverse("activities:activity_log", args=[held.pk]),
        _log_post(
            world,
            participants=[member_a.pk],
            photos=[png(), jpeg()],
        ),
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Activity.Status.LOGGED and held.photos.count() == 2
    assert list(held.participants.all()) == [member_a]


def test_the_log_page_shows_each_refusal_next_to_its_field(client_for, world, partnership, held, member_a, member_b):
    client = client_for(world.secretary1)
    url = reverse("activities:activity_log", args=[held.pk])
    before = snapshot(held)

    response = client.post(url, _log_post(world, photos=[fake_image()]))
    assert "photos" in response.context["form"].errors

    response = client.post(url, _log_post(world, participants=[member_b.pk]))
    assert "participants" in response.context["form"].errors

    extra = MemberFactory(organization=world.branch_a)
    response = client.post(
        url, _log_post(world, participants=[member_a.pk, extra.pk], **{f"headcount_{world.branch_a.pk}": 1})
    )
    errors = response.context["form"].errors[f"headcount_{world.branch_a.pk}"]
    assert world.branch_a.name in errors[0]

    response = client.post(url, _log_post(world, summary=""))
    assert "summary" in response.context["form"].errors
    assert snapshot(held) == before


def test_the_log_page_of_an_activity_not_yet_started_sends_back_with_a_message(client_for, world, partnership):
    upcoming = make_activity(world, agreement=partnership.agreement, starts=at(3))
    response = client_for(world.secretary1).post(
        reverse("activities:activity_log", args=[upcoming.pk]), _log_post(world)
    )
    assert response.status_code == 302 and response["Location"] == upcoming.get_absolute_url()
    assert Activity.objects.get(pk=upcoming.pk).status == Activity.Status.PLANNED


def test_the_cancel_page_needs_a_reason(client_for, world, partnership, held):
    client = client_for(world.secretary1)
    response = client.post(reverse("activities:activity_cancel", args=[held.pk]), {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(reverse("activities:activity_cancel", args=[held.pk]), {"reason": "场地冲突"})
    assert response.status_code == 302
    assert Activity.objects.get(pk=held.pk).status == Activity.Status.CANCELLED


def test_a_locked_activity_hides_its_buttons_and_its_forms_send_back_with_a_message(
    client_for, world, partnership, old
):
    client = client_for(world.secretary1)
    body = client.get(old.get_absolute_url()).content.decode()
    assert 'data-testid="locked"' in body
    for testid in ("log", "edit", "cancel"):
        assert f'data-testid="{testid}"' not in body
    before = snapshot(old)
    posts = {
        "activity_update": _form_post(world, partnership, starts_at=_local(old.starts_at), ends_at=_local(old.ends_at)),
        "activity_log": _log_post(world),
        "activity_cancel": {"reason": "补记"},
    }
    for name, data in posts.items():
        url = reverse(f"activities:{name}", args=[old.pk])
        for response in (client.get(url), client.post(url, data)):
            assert response.status_code == 302 and response["Location"] == old.get_absolute_url()
            assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "error"
    assert snapshot(old) == before
    # An admin still sees the buttons and may log it.
    admin = client_for(world.admin)
    assert 'data-testid="log"' in admin.get(old.get_absolute_url()).content.decode()
    assert admin.post(reverse("activities:activity_log", args=[old.pk]), _log_post(world)).status_code == 302


def test_the_detail_page_shows_the_log_photos_and_history(client_for, world, partnership, held, member_a):
    services.activity_log(
        actor=world.secretary1,
        activity=held,
        photos=[png()],
        **log_kwargs(world, participants=[member_a]),
    )
    item = publicity_services.publicity_item_create(actor=world.secretary1, activity=held)
    response = client_for(world.liaison1).get(held.get_absolute_url())
    body = response.content.decode()
    photo = held.photos.get()
    assert response.context["total_headcount"] == 20
    assert reverse("activities:activity_photo_thumb", args=[photo.pk]) in body
    assert reverse("activities:activity_photo", args=[photo.pk]) in body
    assert member_a.name in body and member_a.phone not in body
    assert 'data-testid="publicity"' in body and item.title in body
    assert response.context["history"][0].history_user == world.secretary1


def test_the_detail_page_offers_buttons_by_permission(client_for, world, partnership, held):
    body = client_for(world.secretary1).get(held.get_absolute_url()).content.decode()
    assert all(f'data-testid="{t}"' in body for t in ("log", "edit", "cancel"))
    for user in (world.liaison1, world.committee, world.member1):
        body = client_for(user).get(held.get_absolute_url()).content.decode()
        assert not any(f'data-testid="{t}"' in body for t in ("log", "edit", "cancel")), user


def test_another_branchs_secretary_and_the_outsider_get_404(client_for, world, partnership, held):
    for user in (world.secretary2, world.outsider):
        client = client_for(user)
        assert client.get(held.get_absolute_url()).status_code == 404
        assert client.post(reverse("activities:activity_log", args=[held.pk]), _log_post(world)).status_code == 404


def test_photos_are_served_only_to_those_who_see_the_activity(client_for, world, partnership, held):
    photo = store_photo(ActivityPhoto, upload=check_photos([jpeg()])[0], uploaded_by=world.secretary1, activity=held)
    for user in (world.secretary1, world.liaison1, world.committee):
        response = client_for(user).get(reverse("activities:activity_photo_thumb", args=[photo.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        response = client_for(user).get(reverse("activities:activity_photo", args=[photo.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for user in (world.secretary2, world.outsider):
        assert client_for(user).get(reverse("activities:activity_photo", args=[photo.pk])).status_code == 404
        assert client_for(user).get(reverse("activities:activity_photo_thumb", args=[photo.pk])).status_code == 404


def _crowd(world, activity, n):
    """``n`` more participants (with headcounts to match) and ``n`` more photo rows, in bulk."""
    members = Member.objects.bulk_create(
        Member(organization=world.branch_a, name=f"党员{activity.participants.count() + i:03d}") for i in range(n)
    )
    activity.participants.add(*members)
    ActivityParticipation.objects.update_or_create(
        activity=activity, organization=world.branch_a, defaults={"headcount": activity.participants.count()}
    )
    ActivityPhoto.objects.bulk_create(
        ActivityPhoto(
            activity=activity, image="photos/x.jpg", thumbnail="photos/x-t.jpg", original_name="x.jpg", size=1
        )
        for _ in range(n)
    )


def test_the_detail_page_queries_do_not_grow_with_photos_and_participants(
    client_for, world, partnership, held, django_assert_max_num_queries
):
    client = client_for(world.secretary1)
    _crowd(world, held, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(held.get_absolute_url()).status_code == 200
    _crowd(world, held, 95)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert client.get(held.get_absolute_url()).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_outside_organizations_are_not_named_in_the_participant_choices(world, partnership, held):
    stranger_org = OrganizationFactory(name="无关支部")
    MemberFactory(organization=stranger_org, name="无关党员")
    from activities.selectors.activities import participant_choices

    names = set(participant_choices(participating_ids(held)).values_list("name", flat=True))
    assert "无关党员" not in names
