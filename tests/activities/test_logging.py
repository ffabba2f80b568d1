"""Logging at the venue, one-handed (issue 13, item 4): participants per organization and by 党小组, the headcount
rule, photos uploaded as soon as they are picked (they survive an invalid post, belong to their uploader only and
expire with the housekeeping), the single-option preselect, the 安排活动 menu entry, the phone tab bar and the
活动地点 label.

The partnership of tests/activities/test_activities.py: 甲项目党支部 (secretary1) leads, the street community
co-organizes; 甲项目党支部 has two 党小组.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import photos as photo_module
from activities.models import Activity, ActivityPhoto, PendingPhoto
from activities.services import activities as services
from activities.services.photo_uploads import pending_photo_create, pending_photos_expire, pending_photos_for
from partnerships.models import Organization
from portal import housekeeping_files
from portal import services as portal_services
from portal.models import Membership
from tests.activities.test_activities import fake_image, jpeg, log_kwargs, make_activity, make_agreement, png
from tests.factories import MemberFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.test_notifications import _sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(world):
    return make_activity(world, agreement=make_agreement(world))


@pytest.fixture
def groups(world):
    """Two 党小组 under 甲项目党支部, each with members, and one member on the branch's own roster."""
    first = OrganizationFactory(name="第一党小组", kind=Organization.Kind.GROUP, parent=world.branch_a)
    second = OrganizationFactory(name="第二党小组", kind=Organization.Kind.GROUP, parent=world.branch_a)
    return {
        "first": first,
        "second": second,
        "wang": MemberFactory(organization=first, name="王建国"),
        "liu": MemberFactory(organization=first, name="刘芳"),
        "zhang": MemberFactory(organization=second, name="张伟"),
        "li": MemberFactory(organization=world.branch_a, name="李红梅"),
        "chen": MemberFactory(organization=world.partner, name="陈秀英"),
    }


def _log_url(activity):
    return reverse("activities:activity_log", args=[activity.pk])


def _post(world, **overrides):
    data = {"summary": "共同重温入党誓词", f"headcount_{world.branch_a.pk}": 10, f"headcount_{world.partner.pk}": 6}
    data.update(overrides)
    return data


def _upload(client, upload):
    return client.post(reverse("activities:pending_photo_upload"), {"photo": upload})


# --- participants and the headcount ---------------------------------------------------------------------------


def test_the_log_page_groups_members_by_organization_and_party_group(client_for, world, held, groups):
    response = client_for(world.secretary1).get(_log_url(held))
    assert response.status_code == 200
    sections = response.context["sections"]
    assert [section["organization"] for section in sections] == [world.branch_a, world.partner]
    branch = sections[0]
    assert [bucket["group"] for bucket in branch["groups"]] == [None, groups["first"], groups["second"]]
    names = [[choice.data["value"].instance.name for choice in bucket["choices"]] for bucket in branch["groups"]]
    assert names == [["李红梅"], ["刘芳", "王建国"], ["张伟"]]
    assert branch["count"] == 4 and sections[1]["count"] == 1
    body = response.content.decode()
    assert body.count("data-gj-select-all") == 2  # one 全选 per organization, shown by the script
    assert "第一党小组" in body and "第二党小组" in body
    assert "js/activity-log" in body
    assert body.count("hidden data-gj-select-all") == 2  # without JavaScript no dead 全选 box is shown


def test_members_of_a_party_group_count_towards_their_branchs_headcount(world, held, groups):
    participants = [groups["wang"], groups["liu"], groups["zhang"], groups["li"]]
    with pytest.raises(ValidationError) as refused:
        services.activity_log(
            actor=world.secretary1,
            activity=held,
            **log_kwargs(world, participants=participants, headcounts={world.branch_a.pk: 3, world.partner.pk: 1}),
        )
    assert f"headcount_{world.branch_a.pk}" in refused.value.message_dict
    assert "participants" not in refused.value.message_dict

    services.activity_log(
        actor=world.secretary1,
        activity=held,
        **log_kwargs(world, participants=participants, headcounts={world.branch_a.pk: 4, world.partner.pk: 1}),
    )
    held.refresh_from_db()
    assert held.status == Activity.Status.LOGGED
    assert set(held.participants.all()) == set(participants)


def test_a_headcount_below_the_ticked_names_is_refused_in_chinese_next_to_the_field(client_for, world, held, groups):
    client = client_for(world.secretary1)
    ticked = [groups["wang"].pk, groups["liu"].pk, groups["li"].pk]
    response = client.post(_log_url(held), _post(world, participants=ticked, **{f"headcount_{world.branch_a.pk}": 2}))
    assert response.status_code == 200
    errors = response.context["form"].errors[f"headcount_{world.branch_a.pk}"]
    assert errors == ["甲项目党支部：参加人数（2）少于已勾选的该单位参加党员人数（3）。"]
    assert f'id="error_headcount_{world.branch_a.pk}"' in response.content.decode()
    held.refresh_from_db()
    assert held.status == Activity.Status.HELD and not held.participants.exists()

    # Raised above the ticked names for guests: accepted.
    response = client.post(_log_url(held), _post(world, participants=ticked, **{f"headcount_{world.branch_a.pk}": 9}))
    assert response.status_code == 302
    assert held.participations.get(organization=world.branch_a).headcount == 9


def test_the_log_page_costs_the_same_with_few_or_many_members(client_for, world, held, groups):
    client = client_for(world.secretary1)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_log_url(held)).status_code == 200
        return len(queries)

    few = count()
    for i in range(40):
        MemberFactory(organization=groups["first" if i % 2 else "second"], name=f"党员{i:02d}")
    assert count() == few


# --- photos uploaded as soon as they are picked -----------------------------------------------------------------


def test_a_picked_photo_is_kept_for_its_uploader_and_shown_only_to_them(client_for, world):
    response = _upload(client_for(world.secretary1), jpeg())
    assert response.status_code == 201
    data = response.json()
    photo = PendingPhoto.objects.get(pk=data["id"])
    assert photo.uploaded_by == world.secretary1 and photo.original_name == "合影.jpg" and photo.thumbnail
    assert data["thumbnail"] == reverse("activities:pending_photo_thumb", args=[photo.pk])
    assert client_for(world.secretary1).get(data["thumbnail"]).status_code == 200
    for other in (world.secretary2, world.committee, world.outsider):
        assert client_for(other).get(data["thumbnail"]).status_code == 404


def test_an_upload_that_is_not_an_image_or_too_large_is_refused_with_nothing_kept(client_for, world, monkeypatch):
    client = client_for(world.secretary1)
    response = _upload(client, fake_image())
    assert response.status_code == 400
    assert response.json()["errors"] and "伪装.png" in response.json()["errors"][0]
    monkeypatch.setattr(photo_module, "PHOTO_MAX_BYTES", 100)
    response = _upload(client, png())
    assert response.status_code == 400 and "现场.png" in response.json()["errors"][0]
    assert _upload(client, SimpleUploadedFile("空.png", b"", content_type="image/png")).status_code == 400
    assert not PendingPhoto.objects.exists()


def test_only_those_who_may_log_activities_upload(client_for, world):
    for user in (world.member1, world.committee, world.liaison1):
        assert _upload(client_for(user), png()).status_code == 403, user
    assert client_for(world.secretary1).get(reverse("activities:pending_photo_upload")).status_code == 405
    assert not PendingPhoto.objects.exists()


def test_uploaded_photos_survive_an_invalid_post_and_attach_when_the_log_is_saved(client_for, world, held):
    client = client_for(world.secretary1)
    first, second = _upload(client, jpeg()).json(), _upload(client, png()).json()

    response = client.post(_log_url(held), _post(world, summary="", pending_photos=[first["id"], second["id"]]))
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    assert [photo.pk for photo in response.context["pending_photos"]] == [first["id"], second["id"]]
    body = response.content.decode()
    for photo in (first, second):
        assert f'name="pending_photos" value="{photo["id"]}"' in body and photo["thumbnail"] in body
    assert "data-gj-remove-pending" in body
    assert not held.photos.exists() and PendingPhoto.objects.count() == 2

    stored = dict(PendingPhoto.objects.values_list("pk", "image"))
    # The second was removed on the page: only the first goes with the saved log.
    response = client.post(_log_url(held), _post(world, pending_photos=[first["id"]]))
    assert response.status_code == 302
    photo = held.photos.get()
    assert photo.image.name == stored[first["id"]] and photo.original_name == "合影.jpg"
    assert photo.uploaded_by == world.secretary1
    assert list(PendingPhoto.objects.values_list("pk", flat=True)) == [second["id"]]
    assert client.get(reverse("activities:activity_photo_thumb", args=[photo.pk])).status_code == 200


def test_another_users_pending_photo_is_refused_and_nothing_is_saved(client_for, world, held):
    theirs = pending_photo_create(actor=world.secretary2, upload=png())
    response = client_for(world.secretary1).post(_log_url(held), _post(world, pending_photos=[theirs.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["pending_photos"] == ["之前上传的照片已失效，请重新选择。"]
    assert response.context["pending_photos"] == []
    held.refresh_from_db()
    assert held.status == Activity.Status.HELD and not ActivityPhoto.objects.exists()

    # The service refuses it too, whatever the form let through.
    with pytest.raises(ValidationError) as refused:
        services.activity_log(actor=world.secretary1, activity=held, **log_kwargs(world, pending_photos=[theirs.pk]))
    assert "photos" in refused.value.message_dict
    assert PendingPhoto.objects.get().uploaded_by == world.secretary2 and not ActivityPhoto.objects.exists()
    with pytest.raises(ValidationError):
        pending_photos_for(world.secretary1, [theirs.pk])


def test_photos_picked_but_never_saved_are_removed_by_the_housekeeping_with_their_files(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    stale = pending_photo_create(actor=world.secretary1, upload=png())
    fresh = pending_photo_create(actor=world.secretary1, upload=jpeg())
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    PendingPhoto.objects.filter(pk=stale.pk).update(created_at=two_days_ago)
    stamp = two_days_ago.timestamp()
    for name in (stale.image.name, stale.thumbnail.name):
        os.utime(default_storage.path(name), (stamp, stamp))

    summary = portal_services.housekeeping_run()

    assert summary["expired_temporary_uploads"] == 1
    assert summary["orphan_files_removed"] == 2
    assert list(PendingPhoto.objects.all()) == [fresh]
    assert not default_storage.exists(stale.image.name) and not default_storage.exists(stale.thumbnail.name)
    assert default_storage.exists(fresh.image.name) and default_storage.exists(fresh.thumbnail.name)


def test_the_expiry_is_registered_with_the_housekeeping_at_start_up():
    # activities/reminders.py (discovered when the portal app is ready) imports the module that registers it.
    assert pending_photos_expire in housekeeping_files._EXPIRIES


def test_an_attached_photo_keeps_its_files_through_the_housekeeping(client_for, world, held, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client = client_for(world.secretary1)
    upload = _upload(client, png()).json()
    assert client.post(_log_url(held), _post(world, pending_photos=[upload["id"]])).status_code == 302
    photo = held.photos.get()
    old = (timezone.now() - dt.timedelta(days=3)).timestamp()
    os.utime(default_storage.path(photo.image.name), (old, old))

    assert portal_services.housekeeping_run()["orphan_files_removed"] == 0
    assert default_storage.exists(photo.image.name)


# --- the schedule form ----------------------------------------------------------------------------------------


def test_a_single_lead_organization_is_preselected(client_for, world):
    response = client_for(world.secretary1).get(reverse("activities:activity_create"))
    form = response.context["form"]
    assert form["lead"].value() == world.branch_a.pk
    select = re.search(r'<select name="lead".*?</select>', response.content.decode(), re.S).group(0)
    assert select.count("<option") == 1 and "selected" in select


def test_with_two_lead_organizations_the_secretary_chooses(client_for, world):
    MembershipFactory(user=world.secretary1, organization=world.branch_b, role=Membership.Role.SECRETARY)
    response = client_for(world.secretary1).get(reverse("activities:activity_create"))
    assert response.context["form"]["lead"].value() in (None, "")
    select = re.search(r'<select name="lead".*?</select>', response.content.decode(), re.S).group(0)
    assert select.count("<option") == 3  # 请选择 and the two branches


def test_the_schedule_form_is_titled_and_labelled_for_the_user(client_for, world):
    body = client_for(world.secretary1).get(reverse("activities:activity_create")).content.decode()
    assert "<h1" in body and "安排活动" in body
    assert "活动地点" in body and "会议地点" not in body
    assert 'type="datetime-local"' in body and "col-12 col-sm-6" in body
    assert "data-gj-chips" in body  # the branch's own activity: co-organizers as searchable chips


def test_the_activity_page_and_the_ledger_export_say_activity_place(client_for, world, held):
    client = client_for(world.secretary1)
    body = client.get(reverse("activities:activity_detail", args=[held.pk])).content.decode()
    assert "活动地点" in body and "会议地点" not in body
    response = client.get(reverse("activities:activity_export"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    headers = [cell.value for row in sheet.iter_rows(min_row=1, max_row=6) for cell in row]
    assert "活动地点" in headers


# --- the menu and the phone tab bar -------------------------------------------------------------------------


def _tab_links(body: str) -> dict[str, str]:
    bar = re.search(r'<nav class="gj-tabbar.*?</nav>', body, re.S).group(0)
    return {testid: href for href, testid in re.findall(r'<a href="([^"]+)" data-testid="(tab-[a-z]+)"', bar)}


@pytest.mark.parametrize(
    ("who", "activities", "items"),
    [
        ("secretary1", "activities:activity_to_log", "partnerships:my_action_items"),
        ("liaison1", "activities:activity_list", "partnerships:my_action_items"),
        ("committee", "activities:activity_list", "partnerships:action_item_list"),
        ("member1", "activities:activity_list", "partnerships:action_item_list"),
    ],
)
def test_the_tab_bar_gives_each_role_its_four_tabs(client_for, world, who, activities, items):
    body = client_for(world.user(who)).get(reverse("home")).content.decode()
    assert _tab_links(body) == {
        "tab-home": reverse("home"),
        "tab-activities": reverse(activities),
        "tab-items": reverse(items),
        "tab-messages": reverse("notifications"),
    }
    assert re.search(r'data-testid="tab-home" aria-current="page"', body)
    assert 'aria-label="快捷导航"' in body


def test_the_tab_bar_marks_the_current_tab_and_counts_unread_messages_once(client_for, world, held):
    _sent(world.secretary1, 3)
    client = client_for(world.secretary1)
    body = client.get(reverse("activities:activity_detail", args=[held.pk])).content.decode()
    assert re.search(r'data-testid="tab-activities" aria-current="page"', body)
    assert 'data-testid="tab-home" aria-current' not in body
    assert ">3<" in body.split('data-testid="tab-unread"')[1][:10]
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("activities:activity_detail", args=[held.pk]))
    counts = [q["sql"] for q in queries.captured_queries if "portal_notification" in q["sql"] and "COUNT" in q["sql"]]
    assert len(counts) == 1


def test_only_those_who_may_schedule_see_the_schedule_menu_entry(client_for, world):
    link = f'href="{reverse("activities:activity_create")}" data-testid="nav-schedule-activity"'
    assert link in client_for(world.secretary1).get(reverse("home")).content.decode()
    assert link in client_for(world.admin).get(reverse("home")).content.decode()
    for who in (world.committee, world.liaison1, world.member1):
        assert link not in client_for(who).get(reverse("home")).content.decode()


def test_a_user_without_roles_sees_only_the_home_and_messages_tabs(client_for, world):
    body = client_for(UserFactory(username="nobody")).get(reverse("home")).content.decode()
    assert set(_tab_links(body)) == {"tab-home", "tab-messages"}
