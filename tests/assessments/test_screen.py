"""The committee's big screen (大屏): what it shows for a committee's subtree, the display links that open it without
signing in, and their limits.

The cast (tests/conftest.py): the group committee (测试集团党委, reviewed by ``committee``) holds 第一党总支 → 甲项目党支部
and 第二党总支 → 乙机关党支部; 外单位党委 is another tree (its secretary is ``outsider``). The clock is fixed at
2026-05-20 (the second quarter open, the first closed).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import Activity, ActivityParticipation, ActivityPhoto, PublicityItem
from activities.photos import check_photos, store_photo
from assessments.models import DisplayLink, QuarterRollup
from assessments.selectors import screen as selectors
from assessments.services import screen as services
from tests.factories import (
    ActionItemFactory,
    ActivityFactory,
    AssessmentSchemeFactory,
    OrganizationFactory,
    QuarterRollupFactory,
    ResponsibilityZoneFactory,
    cast_agreement,
)

NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _photo(world, activity, name="现场.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 22, 29)).save(buffer, format="PNG")
    upload = SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
    return store_photo(ActivityPhoto, upload=check_photos([upload])[0], uploaded_by=world.secretary1, activity=activity)


def _logged(world, lead, *, days_ago=5, headcount=12, title="联合主题党日"):
    starts = timezone.now() - dt.timedelta(days=days_ago)
    activity = ActivityFactory(
        title=title,
        lead=lead,
        starts_at=starts,
        status=Activity.Status.LOGGED,
        logged_at=starts + dt.timedelta(hours=3),
    )
    ActivityParticipation.objects.create(activity=activity, organization=lead, headcount=headcount)
    return activity


def _publicity(world, activity, *, status=PublicityItem.Status.APPROVED, title="红色引擎·共建主题党日", hours_ago=1):
    item = PublicityItem.objects.create(
        activity=activity,
        title=title,
        text="两支部党员重温入党誓词。",
        branch=activity.lead,
        reviewer_org=world.group,
        status=status,
        reviewed_at=timezone.now() - dt.timedelta(hours=hours_ago) if status == PublicityItem.Status.APPROVED else None,
    )
    item.photos.set([_photo(world, activity)])
    return item


def _results(world, year, quarter, totals: dict):
    scheme = AssessmentSchemeFactory(year=year) if not QuarterRollup.objects.filter(year=year).exists() else None
    scheme = scheme or QuarterRollup.objects.filter(year=year).first().scheme
    for org, total in totals.items():
        QuarterRollupFactory(organization=org, year=year, quarter=quarter, scheme=scheme, total=Decimal(total))


@pytest.fixture
def small_world(world):
    """Results of 2026 Q1 for both branches of the group and for the outsider's branch, an overdue item, a zone, two
    logged activities this quarter and one approved publicity item in each tree."""
    foreign = OrganizationFactory(name="外单位第一党支部", parent=world.unrelated)
    _results(world, 2026, 1, {world.branch_a: "91.5", world.branch_b: "78.0", foreign: "99.0"})
    _results(world, 2025, 4, {world.branch_a: "80.0", world.branch_b: "70.0"})
    agreement = cast_agreement(world, world.branch_a, world.branch_b, number="GJ-SCR-01", title="大屏共建协议")
    ActionItemFactory(
        agreement=agreement, responsible_party=world.branch_a, due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    ActionItemFactory(
        agreement=agreement, responsible_party=world.branch_b, due_on=timezone.localdate() - dt.timedelta(days=40)
    )
    ActionItemFactory(
        agreement=agreement, responsible_party=world.branch_b, due_on=timezone.localdate() + dt.timedelta(days=4)
    )
    ResponsibilityZoneFactory(project__agreement=agreement)
    ours = _logged(world, world.branch_a, headcount=12)
    _logged(world, world.branch_b, headcount=8, title="乙支部党课")
    theirs = _logged(world, foreign, headcount=99, title="外单位活动")
    return {
        "foreign": foreign,
        "agreement": agreement,
        "ours": _publicity(world, ours),
        "theirs": _publicity(world, theirs, title="外单位宣传"),
    }


def _data(committee):
    return selectors.screen_data(committee, photo_url=lambda pk: f"/p/{pk}")


# --- what the screen shows -------------------------------------------------------------------------------------


def test_it_ranks_the_last_closed_quarter_of_the_subtree_best_first(world, small_world):
    data = _data(world.group)
    assert data["quarter"] == "2026年第1季度"
    assert [(r["rank"], r["name"], r["total"]) for r in data["ranking"]] == [
        (1, "甲项目党支部", 91.5),
        (2, "乙机关党支部", 78.0),
    ]


def test_tied_totals_share_a_rank(world, small_world):
    QuarterRollup.objects.filter(organization=world.branch_b).update(total=Decimal("91.5"))
    assert [r["rank"] for r in _data(world.group)["ranking"]] == [1, 1]


def test_the_trend_averages_each_quarter(world, small_world):
    trend = _data(world.group)["trend"]
    assert len(trend["periods"]) == 8 and trend["periods"][-1] == "2026年第1季度"
    assert trend["average"][-2:] == [75.0, 84.8]
    assert trend["average"][0] is None


def test_overdue_heat_counts_by_unit_and_age(world, small_world):
    heat = _data(world.group)["heat"]
    rows = {r["unit"]: r["counts"] for r in heat["rows"]}
    # 1–7 days, 8–30, 31–90, over 90: 甲 is 3 days late (under 第一党总支), 乙 40 days (under 第二党总支); 乙's other is not due.
    assert rows == {"第一党总支": [1, 0, 0, 0], "第二党总支": [0, 0, 1, 0]}
    assert heat["total"] == 2


def test_counts_are_this_quarters_logged_activities_headcounts_and_zones(world, small_world):
    counts = _data(world.group)["counts"]
    assert counts == {"period": "2026年第2季度", "activities": 2, "people": 20, "zones": 1}


def test_the_wall_shows_approved_items_of_the_subtree_only(world, small_world):
    _publicity(world, _logged(world, world.branch_b, title="未审"), status=PublicityItem.Status.SUBMITTED, title="待审")
    photos = _data(world.group)["photos"]
    assert [p["title"] for p in photos] == ["红色引擎·共建主题党日"]
    assert photos[0]["url"] == f"/p/{small_world['ours'].photos.get().pk}"


def test_another_committee_sees_none_of_the_groups_data(world, small_world):
    data = _data(world.unrelated)
    assert [r["name"] for r in data["ranking"]] == ["外单位第一党支部"]
    assert data["counts"]["activities"] == 1 and data["counts"]["people"] == 99 and data["counts"]["zones"] == 0
    assert data["heat"]["rows"] == []
    assert [p["title"] for p in data["photos"]] == ["外单位宣传"]
    text = str(data)
    for name in ("甲项目党支部", "乙机关党支部", "红色引擎"):
        assert name not in text


def test_the_screen_reads_a_fixed_number_of_statements_at_few_and_many_rows(client_for, world, small_world):
    client = client_for(world.committee)
    urls = [
        reverse("assessments:screen", args=[world.group.pk]),
        reverse("assessments:screen_data", args=[world.group.pk]),
    ]

    def statements():
        counted = []
        with CaptureQueriesContext(connection) as captured:
            _data(world.group)
        counted.append(len(captured))
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counted.append(len(captured))
        return counted

    few = statements()
    for n in range(12):
        branch = OrganizationFactory(name=f"增补党支部{n:02d}", parent=world.general_2)
        _results(world, 2026, 1, {branch: f"{60 + n}.0"})
        activity = _logged(world, branch, headcount=3, title=f"增补活动{n}")
        _publicity(world, activity, title=f"增补宣传{n}", hours_ago=0)
        ActionItemFactory(
            agreement=small_world["agreement"],
            responsible_party=world.branch_a,
            due_on=timezone.localdate() - dt.timedelta(days=n + 1),
        )
    many = statements()
    assert few == many
    assert few[0] <= 12, few
    data = _data(world.group)
    assert len(data["ranking"]) == selectors.RANKING_SIZE and len(data["photos"]) == selectors.PHOTO_WALL


# --- signed in ---------------------------------------------------------------------------------------------------


def test_a_reviewer_opens_their_committees_screen_and_its_json(client_for, world, small_world):
    client = client_for(world.committee)
    page = client.get(reverse("assessments:screen", args=[world.group.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲项目党支部" in body and "外单位" not in body
    data = client.get(reverse("assessments:screen_data", args=[world.group.pk])).json()
    assert data["counts"]["activities"] == 2
    assert data["photos"][0]["url"] == reverse(
        "activities:activity_photo_thumb", args=[small_world["ours"].photos.get().pk]
    )


@pytest.mark.parametrize("who", ["outsider", "secretary1", "liaison1"])
def test_others_get_404_for_the_committees_screen(client_for, world, small_world, who):
    client = client_for(world.user(who))
    assert client.get(reverse("assessments:screen", args=[world.group.pk])).status_code == 404
    assert client.get(reverse("assessments:screen_data", args=[world.group.pk])).status_code == 404
    assert client.get(reverse("assessments:display_links", args=[world.group.pk])).status_code == 404


def test_a_reviewer_opens_no_screen_of_a_unit_below_their_committee(client_for, world):
    assert client_for(world.committee).get(reverse("assessments:screen", args=[world.branch_a.pk])).status_code == 404


def test_the_dashboard_links_to_the_screen(client_for, world, small_world):
    body = client_for(world.committee).get(reverse("assessments:dashboard")).content.decode()
    assert reverse("assessments:screen", args=[world.group.pk]) in body


# --- display links -----------------------------------------------------------------------------------------------


def _make_link(client, world, name="党委会议室"):
    response = client.post(reverse("assessments:display_links", args=[world.group.pk]), {"name": name})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    link = DisplayLink.objects.get(name=name)
    url = next(part for part in page.split('"') if "/assessments/display/" in part)
    return link, url


def test_a_new_link_is_shown_once_and_stored_hashed(client_for, world, small_world):
    client = client_for(world.committee)
    link, url = _make_link(client, world)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40 and token not in link.token_hash and len(link.token_hash) == 64
    again = client.get(reverse("assessments:display_links", args=[world.group.pk])).content.decode()
    assert token not in again and "党委会议室" in again


def test_a_link_opens_the_committees_screen_without_sign_in(client, client_for, world, small_world):
    link, url = _make_link(client_for(world.committee), world)
    page = client.get(url)
    assert page.status_code == 200 and "甲项目党支部" in page.content.decode()
    assert "外单位" not in page.content.decode()
    data = client.get(f"{url}data.json").json()
    assert data["counts"]["people"] == 20 and data["quarter"] == "2026年第1季度"
    photo = small_world["ours"].photos.get()
    assert url.endswith(data["photos"][0]["url"].replace(f"photos/{photo.pk}/", ""))
    assert data["photos"][0]["url"].endswith(f"/photos/{photo.pk}/")
    image = client.get(data["photos"][0]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    link.refresh_from_db()
    assert link.last_seen is not None


def test_a_link_serves_no_photo_outside_its_wall(client, client_for, world, small_world):
    _link, url = _make_link(client_for(world.committee), world)
    foreign = small_world["theirs"].photos.get()
    assert client.get(f"{url}photos/{foreign.pk}/").status_code == 404
    unpublished = _photo(world, small_world["ours"].activity, name="未入选.png")
    assert client.get(f"{url}photos/{unpublished.pk}/").status_code == 404


def test_a_link_is_read_only(client, client_for, world, small_world):
    _link, url = _make_link(client_for(world.committee), world)
    assert client.post(url).status_code == 405
    assert client.post(f"{url}data.json").status_code == 405


def test_a_revoked_link_is_404_at_once_for_page_json_and_photos(client, client_for, world, small_world):
    committee = client_for(world.committee)
    link, url = _make_link(committee, world)
    photo_url = client.get(f"{url}data.json").json()["photos"][0]["url"]
    response = committee.post(reverse("assessments:display_link_revoke", args=[link.pk]))
    assert response.status_code == 302
    for target in (url, f"{url}data.json", photo_url):
        assert client.get(target).status_code == 404, target
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == world.committee


def test_an_unknown_token_is_404_and_no_link_is_sign_in(client, world, small_world):
    assert client.get(reverse("assessments:display_screen", args=["not-a-real-token"])).status_code == 404
    response = client.get(reverse("assessments:screen", args=[world.group.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_token_urls_are_rate_limited(client, client_for, world, small_world, settings):
    _link, url = _make_link(client_for(world.committee), world)
    settings.RATELIMIT_ENABLE = True
    statuses = [client.get(f"{url}data.json").status_code for _ in range(245)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_a_link_needs_a_name_and_nothing_is_saved_without_one(client_for, world, small_world):
    response = client_for(world.committee).post(
        reverse("assessments:display_links", args=[world.group.pk]), {"name": " "}
    )
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode() or "请输入" in response.content.decode()
    assert not DisplayLink.objects.exists()


def test_another_committees_reviewer_cannot_revoke_the_link(client_for, world, small_world):
    link, _token = services.display_link_create(actor=world.committee, committee=world.group, name="大厅")
    other = client_for(world.outsider)
    assert other.post(reverse("assessments:display_link_revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
