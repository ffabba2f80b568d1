"""Red responsibility zones (红旗责任区): creating and editing, the claim list and its refusals, zone checks and
fixes with photos, the photo views, the publicity board (公示牌), and query budgets.

The cast: an agreement between 甲项目党支部 (branch_a, secretary1, owner of the project) and the street community
(partner, liaison1), with roster members on both sides; a third organization's members are never offered.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import ResponsibilityZone, ZoneAssignment, ZoneCheck, ZoneCheckPhoto
from activities.selectors.projects import zone_board
from activities.services.zones import zone_check_create, zone_check_fix, zone_create, zone_set_members, zone_update
from partnerships.models import Member
from tests.factories import MemberFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.matrix.projects import claim, days, make_project, make_zone, open_finding, png, roster

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture
def project(world):
    return make_project(world)


@pytest.fixture
def zone(project, world):
    return make_zone(project, world)


@pytest.fixture
def people(world):
    ours, theirs = roster(world, 3, 3)
    return ours, theirs


def snapshot(zone) -> list:
    return list(zone.assignments.order_by("pk").values_list("member_id", "role", "post"))


def rows(*entries):
    return [{"member": member, "role": role, "post": post} for member, role, post in entries]


def refused(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- zones ----------------------------------------------------------------------------------------------------------


def test_the_project_owner_adds_a_zone_with_dimensions_in_order(world, project):
    zone = zone_create(
        actor=world.secretary1,
        project=project,
        name="二号站红旗责任区",
        area="二号站",
        lead=world.partner,
        dimensions=["stability", "safety"],
        pledges="守底线",
    )
    assert zone.dimensions == ["safety", "stability"] and zone.lead == world.partner
    assert zone.history.get().history_user == world.secretary1


def test_a_zone_lead_must_be_a_party(world, project):
    errors = refused(zone_create, actor=world.secretary1, project=project, name="区", area="区", lead=world.branch_b)
    assert "lead" in errors
    assert not ResponsibilityZone.objects.exists()


def test_an_unknown_dimension_is_refused(world, project):
    errors = refused(
        zone_create,
        actor=world.secretary1,
        project=project,
        name="区",
        area="区",
        lead=world.branch_a,
        dimensions=["safety", "fun"],
    )
    assert "dimensions" in errors
    assert not ResponsibilityZone.objects.exists()


def test_a_zone_name_is_unique_in_its_project(world, project, zone):
    errors = refused(
        zone_create, actor=world.secretary1, project=project, name=zone.name, area="区", lead=world.branch_a
    )
    assert errors
    assert ResponsibilityZone.objects.count() == 1


@pytest.mark.parametrize("username", ["liaison1", "committee", "member1", "secretary2"])
def test_only_the_owners_secretary_adds_zones(world, project, username):
    with pytest.raises(PermissionDenied):
        zone_create(actor=world.user(username), project=project, name="区", area="区", lead=world.branch_a)
    assert not ResponsibilityZone.objects.exists()


def test_the_lead_partys_secretary_edits_its_zone(world, project):
    partner_secretary = UserFactory(username="partner_secretary")
    MembershipFactory(user=partner_secretary, organization=world.partner)
    zone = make_zone(project, world, lead=world.partner)
    zone_update(actor=partner_secretary, zone=zone, pledges="新承诺", dimensions=["quality"])
    zone.refresh_from_db()
    assert zone.pledges == "新承诺" and zone.dimensions == ["quality"]
    # …but cannot hand it to another party: only the project's owner can.
    errors = refused(zone_update, actor=partner_secretary, zone=zone, lead=world.branch_a)
    assert "lead" in errors
    zone.refresh_from_db()
    assert zone.lead == world.partner


def test_the_zone_form_saves_dimensions(client_for, world, zone):
    response = client_for(world.secretary1).post(
        reverse("activities:zone_update", args=[zone.pk]),
        {"name": zone.name, "area": "新区段", "dimensions": ["investment", "safety"], "lead": world.partner.pk},
    )
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.dimensions == ["safety", "investment"] and zone.lead == world.partner and zone.order == 0


def test_the_zone_form_refuses_a_non_party_lead_next_to_the_field(client_for, world, zone):
    response = client_for(world.secretary1).post(
        reverse("activities:zone_update", args=[zone.pk]), {"name": zone.name, "area": "x", "lead": world.branch_b.pk}
    )
    assert response.status_code == 200 and "lead" in response.context["form"].errors


# --- claims ---------------------------------------------------------------------------------------------------------


def test_members_of_both_parties_claim_a_zone(world, zone, people):
    ours, theirs = people
    zone_set_members(
        actor=world.secretary1,
        zone=zone,
        assignments=rows((ours[0], "leader", "安全监督岗"), (theirs[0], "member", "")),
    )
    assert snapshot(zone) == [(ours[0].pk, "leader", "安全监督岗"), (theirs[0].pk, "member", "")]


def test_the_list_is_replaced_keeping_the_rows_of_members_who_stay(world, zone, people):
    ours, theirs = people
    kept = claim(zone, ours[0], "leader")
    claim(zone, theirs[0])
    zone_set_members(
        actor=world.secretary1,
        zone=zone,
        assignments=rows((ours[0], "leader", "质量岗"), (theirs[1], "member", ""), (theirs[2], "leader", "")),
    )
    assert sorted(snapshot(zone)) == sorted(
        [(ours[0].pk, "leader", "质量岗"), (theirs[1].pk, "member", ""), (theirs[2].pk, "leader", "")]
    )
    assert zone.assignments.get(member=ours[0]).pk == kept.pk  # the claim date stays
    assert ZoneAssignment.history.filter(history_type="-", member_id=theirs[0].pk).exists()


@pytest.mark.parametrize(
    "case, key",
    [
        ("no_leader", "assignments"),
        ("one_party", "assignments"),
        ("duplicate", "member"),
        ("not_a_party", "member"),
        ("empty", "assignments"),
    ],
)
def test_bad_claim_lists_are_refused_and_nothing_changes(world, zone, people, case, key):
    ours, theirs = people
    claim(zone, ours[0], "leader")
    claim(zone, theirs[0])
    before = snapshot(zone)
    stranger = MemberFactory(organization=world.branch_b)
    lists = {
        "no_leader": rows((ours[1], "member", ""), (theirs[1], "member", "")),
        "one_party": rows((ours[1], "leader", ""), (ours[2], "member", "")),
        "duplicate": rows((ours[1], "leader", ""), (ours[1], "member", ""), (theirs[1], "member", "")),
        "not_a_party": rows((ours[1], "leader", ""), (theirs[1], "member", ""), (stranger, "member", "")),
        "empty": [],
    }
    errors = refused(zone_set_members, actor=world.secretary1, zone=zone, assignments=lists[case])
    assert key in errors
    assert snapshot(zone) == before


def test_a_non_joint_project_lets_one_party_claim_a_zone(world, people):
    project = make_project(world, name="独立工程", is_joint=False)
    zone = make_zone(project, world)
    ours, _theirs = people
    zone_set_members(actor=world.secretary1, zone=zone, assignments=rows((ours[0], "leader", "")))
    assert zone.assignments.count() == 1


def test_members_of_an_organization_under_a_party_count_for_that_party(world, zone, people):
    community_branch = OrganizationFactory(name="和平街道第一党支部", parent=world.partner)
    resident = MemberFactory(organization=community_branch)
    ours, _theirs = people
    zone_set_members(
        actor=world.secretary1, zone=zone, assignments=rows((ours[0], "leader", ""), (resident, "member", ""))
    )
    assert zone.assignments.count() == 2


@pytest.mark.parametrize("username", ["liaison1", "committee", "member1"])
def test_readers_cannot_change_the_claims(world, zone, people, username):
    ours, theirs = people
    with pytest.raises(PermissionDenied):
        zone_set_members(
            actor=world.user(username), zone=zone, assignments=rows((ours[0], "leader", ""), (theirs[0], "member", ""))
        )
    assert not zone.assignments.exists()


def _claims(*entries, initial=0):
    data = {
        "claims-TOTAL_FORMS": str(len(entries)),
        "claims-INITIAL_FORMS": str(initial),
        "claims-MIN_NUM_FORMS": "0",
        "claims-MAX_NUM_FORMS": "1000",
    }
    for index, (member, role, post) in enumerate(entries):
        data.update({f"claims-{index}-member": member.pk if member else "", f"claims-{index}-role": role})
        data[f"claims-{index}-post"] = post
    return data


def test_the_claim_form_offers_both_parties_rosters_without_phones(client_for, world, zone, people):
    ours, theirs = people
    stranger = MemberFactory(organization=world.branch_b, name="乙支部党员")
    gone = MemberFactory(organization=world.partner, name="已转出党员", status=Member.Status.TRANSFERRED_OUT)
    response = client_for(world.secretary1).get(reverse("activities:zone_members", args=[zone.pk]))
    html = response.content.decode()
    assert ours[0].name in html and theirs[0].name in html and world.partner.name in html
    assert stranger.name not in html and gone.name not in html
    assert ours[0].phone not in html and theirs[0].phone not in html


def test_the_claim_form_saves_the_list(client_for, world, zone, people):
    ours, theirs = people
    response = client_for(world.secretary1).post(
        reverse("activities:zone_members", args=[zone.pk]),
        _claims((ours[0], "leader", "安全岗"), (theirs[0], "member", ""), (None, "member", "")),
    )
    assert response.status_code == 302
    assert snapshot(zone) == [(ours[0].pk, "leader", "安全岗"), (theirs[0].pk, "member", "")]


def test_the_claim_form_shows_list_errors_on_the_formset_and_saves_nothing(client_for, world, zone, people):
    ours, _theirs = people
    response = client_for(world.secretary1).post(
        reverse("activities:zone_members", args=[zone.pk]), _claims((ours[0], "leader", ""), (ours[1], "member", ""))
    )
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert 'data-testid="claim-errors"' in response.content.decode()
    assert not zone.assignments.exists()


def test_the_claim_form_puts_a_duplicate_on_its_row(client_for, world, zone, people):
    ours, theirs = people
    response = client_for(world.secretary1).post(
        reverse("activities:zone_members", args=[zone.pk]),
        _claims((ours[0], "leader", ""), (theirs[0], "member", ""), (ours[0], "member", "")),
    )
    assert response.status_code == 200
    assert "member" in response.context["formset"].forms[2].errors
    assert not zone.assignments.exists()


def test_the_claim_form_refuses_a_member_not_offered(client_for, world, zone, people):
    ours, theirs = people
    stranger = MemberFactory(organization=world.branch_b)
    response = client_for(world.secretary1).post(
        reverse("activities:zone_members", args=[zone.pk]),
        _claims((ours[0], "leader", ""), (theirs[0], "member", ""), (stranger, "member", "")),
    )
    assert response.status_code == 200 and "member" in response.context["formset"].forms[2].errors
    assert not zone.assignments.exists()


def test_ticking_remove_drops_a_member(client_for, world, zone, people):
    ours, theirs = people
    claim(zone, ours[0], "leader")
    claim(zone, theirs[0])
    claim(zone, theirs[1])
    data = _claims((ours[0], "leader", ""), (theirs[0], "member", ""), (theirs[1], "member", ""), initial=3)
    data["claims-2-DELETE"] = "on"
    response = client_for(world.secretary1).post(reverse("activities:zone_members", args=[zone.pk]), data)
    assert response.status_code == 302
    assert {row[0] for row in snapshot(zone)} == {ours[0].pk, theirs[0].pk}


# --- checks ---------------------------------------------------------------------------------------------------------


def test_a_check_with_a_finding_and_photos(world, zone):
    check = zone_check_create(
        actor=world.secretary1,
        zone=zone,
        checked_on=days(-1),
        category=ZoneCheck.Category.SAFETY,
        finding="临边防护缺失",
        fix_due_on=days(3),
        inspectors="联合检查组",
        photos=[png("一.png"), png("二.png")],
    )
    assert check.is_open and check.checked_by == world.secretary1
    assert [photo.original_name for photo in check.photos.order_by("pk")] == ["一.png", "二.png"]
    assert all(photo.thumbnail for photo in check.photos.all())


def test_a_check_with_no_problem_keeps_no_fix_date(world, zone):
    check = zone_check_create(
        actor=world.secretary1, zone=zone, checked_on=days(0), category="none", fix_due_on=days(3)
    )
    assert not check.is_open and check.fix_due_on is None


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"finding": ""}, "finding"),
        ({"fix_due_on": days(-10)}, "fix_due_on"),
        ({"checked_on": days(2), "fix_due_on": days(5)}, "checked_on"),
        ({"photos": "exe"}, "photos"),
    ],
)
def test_bad_checks_are_refused_and_nothing_is_saved(world, zone, overrides, key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fields = dict(
        actor=world.secretary1,
        zone=zone,
        checked_on=days(-1),
        category=ZoneCheck.Category.QUALITY,
        finding="混凝土蜂窝麻面",
        fix_due_on=days(5),
        photos=[png()],
    )
    fields.update(overrides)
    if fields["photos"] == "exe":
        fields["photos"] = [png(), SimpleUploadedFile("照片.jpg", EXE, content_type="image/jpeg")]
    errors = refused(zone_check_create, **fields)
    assert key in errors
    assert not ZoneCheck.objects.exists() and not ZoneCheckPhoto.objects.exists()


@pytest.mark.parametrize("username", ["liaison1", "committee", "member1", "secretary2"])
def test_only_keepers_record_checks(world, zone, username):
    with pytest.raises(PermissionDenied):
        zone_check_create(actor=world.user(username), zone=zone, checked_on=days(0))
    assert not ZoneCheck.objects.exists()


def test_an_open_finding_is_fixed_with_photos(world, zone):
    check = open_finding(zone)
    zone_check_fix(actor=world.secretary1, check=check, fix="已补设防护栏杆", fixed_on=days(0), photos=[png()])
    check.refresh_from_db()
    assert not check.is_open and check.fixed_by == world.secretary1 and check.fixed_on == days(0)
    assert check.photos.get().caption


@pytest.mark.parametrize(
    "fix, fixed_on, key",
    [
        ("", days(0), "fix"),
        ("已整改", days(-9), "fixed_on"),
        ("已整改", days(1), "fixed_on"),
        ("已整改", None, "fixed_on"),
    ],
)
def test_bad_fixes_are_refused_and_the_finding_stays_open(world, zone, fix, fixed_on, key):
    check = open_finding(zone, checked_on=days(-5))
    errors = refused(zone_check_fix, actor=world.secretary1, check=check, fix=fix, fixed_on=fixed_on)
    assert key in errors
    check.refresh_from_db()
    assert check.is_open and check.fix == ""


@pytest.mark.parametrize("state", ["fixed", "no_problem"])
def test_only_open_findings_can_be_fixed(world, zone, state):
    check = (
        open_finding(zone, fixed_on=days(-1), fix="早已整改")
        if state == "fixed"
        else open_finding(zone, category="none", finding="", fix_due_on=None)
    )
    errors = refused(zone_check_fix, actor=world.secretary1, check=check, fix="再次整改", fixed_on=days(0))
    assert "__all__" in errors


def test_the_fix_page_of_a_fixed_finding_goes_back_to_the_zone(client_for, world, zone):
    check = open_finding(zone, fixed_on=days(-1), fix="已整改")
    response = client_for(world.secretary1).get(reverse("activities:zone_check_fix", args=[check.pk]))
    assert response.status_code == 302 and response["Location"] == zone.get_absolute_url()


def test_the_check_form_records_a_finding_with_a_photo(client_for, world, zone):
    response = client_for(world.secretary1).post(
        reverse("activities:zone_check_create", args=[zone.pk]),
        {
            "checked_on": days(0).isoformat(),
            "category": "safety",
            "finding": "消防通道堵塞",
            "fix_due_on": days(2).isoformat(),
            "photos": png(),
        },
    )
    assert response.status_code == 302
    check = ZoneCheck.objects.get()
    assert check.finding == "消防通道堵塞" and check.photos.count() == 1


def test_the_check_form_shows_errors_next_to_fields(client_for, world, zone):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("activities:zone_check_create", args=[zone.pk])
    client = client_for(world.secretary1)
    response = client.post(url, {"checked_on": days(0).isoformat(), "category": "safety", "finding": ""})
    assert "finding" in response.context["form"].errors
    response = client.post(
        url,
        {
            "checked_on": days(0).isoformat(),
            "category": "safety",
            "finding": "隐患",
            "fix_due_on": days(-1).isoformat(),
        },
    )
    assert "fix_due_on" in response.context["form"].errors
    response = client.post(
        url,
        {
            "checked_on": days(0).isoformat(),
            "category": "none",
            "photos": SimpleUploadedFile("a.png", EXE, content_type="image/png"),
        },
    )
    assert "photos" in response.context["form"].errors
    assert not ZoneCheck.objects.exists()


def test_the_fix_form_records_the_fix(client_for, world, zone):
    check = open_finding(zone)
    response = client_for(world.secretary1).post(
        reverse("activities:zone_check_fix", args=[check.pk]),
        {"fix": "已清理", "fixed_on": days(0).isoformat(), "photos": png()},
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.fix == "已清理" and check.photos.count() == 1


def test_check_photos_are_served_to_those_who_see_the_zone(client_for, world, zone):
    check = zone_check_create(
        actor=world.secretary1, zone=zone, checked_on=days(0), category="safety", finding="隐患", photos=[png()]
    )
    photo = check.photos.get()
    for username in ("secretary1", "liaison1", "committee"):
        response = client_for(world.user(username)).get(reverse("activities:zone_check_photo_thumb", args=[photo.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    response = client_for(world.secretary1).get(reverse("activities:zone_check_photo", args=[photo.pk]))
    assert response["Content-Type"] == "image/png"
    for username in ("outsider", "secretary2"):
        response = client_for(world.user(username)).get(reverse("activities:zone_check_photo", args=[photo.pk]))
        assert response.status_code == 404


def test_the_zone_page_shows_members_by_party_and_checks(client_for, world, zone, people):
    ours, theirs = people
    claim(zone, ours[0], "leader", "安全监督岗")
    claim(zone, theirs[0])
    open_finding(zone, fix_due_on=days(-1))
    open_finding(zone, fixed_on=days(-1), fix="已整改")
    response = client_for(world.liaison1).get(zone.get_absolute_url())
    assert [group.party for group in response.context["groups"]] == [world.branch_a, world.partner]
    assert response.context["open_count"] == 1
    html = response.content.decode()
    assert "安全监督岗" in html and 'data-testid="check-fix"' not in html  # liaison1 reads only


# --- the publicity board ------------------------------------------------------------------------------------------------


def test_the_board_prints_a4_landscape_with_members_pledges_and_phone(client_for, world, zone, people):
    ours, theirs = people
    claim(zone, theirs[0])
    claim(zone, ours[0], "leader", "安全监督岗")
    response = client_for(world.secretary1).get(reverse("activities:zone_board", args=[zone.pk]))
    html = response.content.decode()
    # The landscape page box comes from its own stylesheet (the CSP allows no inline <style>).
    assert 'href="/static/css/zone-board-page.css"' in html
    assert "@page { size: A4 landscape; margin: 10mm; }" in Path(finders.find("css/zone-board-page.css")).read_text()
    assert [row.member for row in response.context["assignments"]] == [ours[0], theirs[0]]  # leaders first
    assert response.context["pledges"] == ["安全第一，预防为主", "质量为本，精益求精"]
    assert response.context["phone"] == "010-12345678"  # the project's, as the zone has none
    assert world.partner.display_name in html and 'data-testid="print-button"' in html
    assert response.context["density_class"] == ""


def test_the_board_uses_the_zones_own_phone_and_shrinks_for_long_lists(world, project):
    zone = make_zone(project, world, name="长名单责任区", supervision_phone="13700001111")
    members = [MemberFactory(organization=world.branch_a if i % 2 else world.partner) for i in range(12)]
    for member in members:
        claim(zone, member)
    board = zone_board(zone)
    assert board["phone"] == "13700001111" and "board-dense" in board["density_class"]


def test_the_board_numbers_the_pledges_itself(world, project):
    zone = make_zone(
        project, world, name="承诺编号责任区", pledges="1. 班前讲安全\n（二）围挡到位\n③ 隐患不过夜\n2026年目标：零事故"
    )
    assert zone_board(zone)["pledges"] == ["班前讲安全", "围挡到位", "隐患不过夜", "2026年目标：零事故"]


# --- query budgets ----------------------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_rows(world, zone, start: int, n: int) -> None:
    members = Member.objects.bulk_create(
        Member(organization=world.partner if i % 2 else world.branch_a, name=f"党员{start + i}", phone="")
        for i in range(n)
    )
    ZoneAssignment.objects.bulk_create(
        ZoneAssignment(zone=zone, member=member, role="leader" if i == 0 else "member", post="岗")
        for i, member in enumerate(members)
    )
    checks = ZoneCheck.objects.bulk_create(
        ZoneCheck(zone=zone, checked_on=days(-i % 30), category="safety", finding="隐患", fix_due_on=days(1))
        for i in range(n)
    )
    ZoneCheckPhoto.objects.bulk_create(
        ZoneCheckPhoto(zone_check=check, image="photos/x.png", thumbnail="photos/x.jpg", original_name="x.png", size=1)
        for check in checks
    )


@pytest.mark.parametrize("url_name", ["activities:zone_detail", "activities:zone_board"])
def test_zone_pages_do_not_grow_with_members_and_checks(
    django_assert_max_num_queries, client_for, world, zone, url_name
):
    client = client_for(world.secretary1)
    url = reverse(url_name, args=[zone.pk])
    _add_rows(world, zone, 0, 5)
    at_five = _count_queries(client, url)
    _add_rows(world, zone, 5, 95)
    with django_assert_max_num_queries(at_five):
        client.get(url)
    assert at_five <= 12
