"""Pioneer posts (党员先锋岗) and commando / vanguard teams (突击队 / 先锋队): services and their refusals, the pages,
and where they are listed (the project page, the organization page).

The cast: an agreement between 甲项目党支部 (branch_a, secretary1) and the street community (partner, liaison1),
a key project owned by branch_a, roster members on both sides; 乙机关党支部 (secretary2) is no party.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from activities.models import PioneerPost, Team, TeamMember
from activities.selectors.projects import organization_work
from activities.services.posts import pioneer_post_create, pioneer_post_update
from activities.services.teams import team_create, team_update
from tests.factories import MemberFactory, MembershipFactory, OrganizationFactory, PioneerPostFactory, UserFactory
from tests.matrix.projects import days, make_project, roster


@pytest.fixture
def project(world):
    return make_project(world)


@pytest.fixture
def people(world):
    return roster(world, 3, 3)


def refused(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


def team_rows(*entries):
    return [{"member": member, "role": role} for member, role in entries]


# --- pioneer posts ------------------------------------------------------------------------------------------------


def test_a_secretary_gives_a_member_of_their_roster_a_post_on_the_project(world, project, people):
    ours, _theirs = people
    post = pioneer_post_create(
        actor=world.secretary1, member=ours[0], post="安全生产先锋岗", starts_on=days(0), project=project
    )
    assert post.organization == world.branch_a and post.project == project
    assert post.history.get().history_user == world.secretary1


def test_a_member_of_another_roster_is_refused(world, people):
    _ours, theirs = people
    errors = refused(pioneer_post_create, actor=world.secretary1, member=theirs[0], post="岗", starts_on=days(0))
    assert "member" in errors
    assert not PioneerPost.objects.exists()


def test_a_post_on_a_project_needs_an_organization_of_its_parties(world, project):
    secretary2_member = MemberFactory(organization=world.branch_b)
    errors = refused(
        pioneer_post_create,
        actor=world.secretary2,
        member=secretary2_member,
        post="岗",
        starts_on=days(0),
        project=project,
    )
    assert "project" in errors
    assert not PioneerPost.objects.exists()


def test_an_organization_under_a_party_may_hold_posts_on_the_project(world, project):
    child = OrganizationFactory(name="和平街道第一党支部", parent=world.partner)
    secretary = UserFactory(username="child_secretary")
    MembershipFactory(user=secretary, organization=child)
    member = MemberFactory(organization=child)
    post = pioneer_post_create(actor=secretary, member=member, post="岗", starts_on=days(0), project=project)
    assert post.organization == child


def test_a_post_cannot_end_before_it_starts(world, people):
    ours, _theirs = people
    errors = refused(
        pioneer_post_create,
        actor=world.secretary1,
        member=ours[0],
        post="岗",
        starts_on=days(0),
        ends_on=days(-1),
    )
    assert list(errors) == ["ends_on"]
    assert not PioneerPost.objects.exists()


@pytest.mark.parametrize("username", ["committee", "liaison1", "member1"])
def test_only_secretaries_set_up_posts(world, people, username):
    ours, _theirs = people
    with pytest.raises(PermissionDenied):
        pioneer_post_create(actor=world.user(username), member=ours[0], post="岗", starts_on=days(0))


def test_a_post_is_ended_by_its_organizations_secretary(world, people):
    ours, _theirs = people
    post = pioneer_post_create(actor=world.secretary1, member=ours[0], post="岗", starts_on=days(-10))
    pioneer_post_update(actor=world.secretary1, pioneer_post=post, ends_on=days(0))
    post.refresh_from_db()
    assert post.ends_on == days(0)
    with pytest.raises(PermissionDenied):
        pioneer_post_update(actor=world.liaison1, pioneer_post=post, ends_on=days(1))
    errors = refused(pioneer_post_update, actor=world.secretary1, pioneer_post=post, ends_on=days(-20))
    assert "ends_on" in errors
    post.refresh_from_db()
    assert post.ends_on == days(0)


def test_the_post_page_offers_only_the_users_rosters_and_saves(client_for, world, project, people):
    ours, theirs = people
    client = client_for(world.secretary1)
    url = reverse("activities:post_create") + f"?project={project.pk}"
    html = client.get(url).content.decode()
    assert ours[0].name in html and theirs[0].name not in html and ours[0].phone not in html
    response = client.post(
        url, {"member": theirs[0].pk, "post": "岗", "project": project.pk, "starts_on": days(0).isoformat()}
    )
    assert response.status_code == 200 and "member" in response.context["form"].errors
    response = client.post(
        url, {"member": ours[0].pk, "post": "安全岗", "project": project.pk, "starts_on": days(0).isoformat()}
    )
    assert response.status_code == 302 and response["Location"].startswith(project.get_absolute_url())
    assert PioneerPost.objects.get().member == ours[0]


def test_the_post_page_refuses_an_organization_the_user_does_not_keep(client_for, world):
    url = reverse("activities:post_create")
    assert client_for(world.secretary1).get(url + f"?organization={world.partner.pk}").status_code == 403
    assert client_for(world.secretary1).get(url + f"?organization={world.branch_a.pk}").status_code == 200
    assert client_for(world.committee).get(url).status_code == 403


def test_the_post_page_on_a_project_is_refused_to_a_secretary_of_no_party(client_for, world, project):
    assert (
        client_for(world.secretary2).get(reverse("activities:post_create") + f"?project={project.pk}").status_code
        == 404
    )


def test_posts_are_listed_current_first_on_the_organization_page(client_for, world, people):
    ours, _theirs = people
    ended = PioneerPostFactory(
        organization=world.branch_a, member=ours[0], post="旧岗", starts_on=days(-100), ends_on=days(-1)
    )
    current = PioneerPostFactory(organization=world.branch_a, member=ours[1], post="新岗", starts_on=days(-200))
    work = organization_work(world.secretary1, world.branch_a)
    assert [post.pk for post in work["posts"]] == [current.pk, ended.pk]
    assert all(post.can_edit for post in work["posts"])
    assert not any(post.can_edit for post in organization_work(world.committee, world.branch_a)["posts"])
    assert organization_work(world.secretary2, world.branch_a)["posts"] == []


# --- teams ------------------------------------------------------------------------------------------------------------


def create_team(world, project, members, **overrides):
    fields = dict(
        actor=world.secretary1,
        name="盾构突击队",
        purpose="攻坚盾构始发",
        organization=world.branch_a,
        starts_on=days(0),
        project=project,
        members=members,
    )
    fields.update(overrides)
    return team_create(**fields)


def test_a_team_on_a_project_has_members_of_several_parties(world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member"), (theirs[1], "member")))
    assert team.memberships.count() == 3 and team.history.get().history_user == world.secretary1


@pytest.mark.parametrize("case, key", [("no_leader", "members"), ("duplicate", "member"), ("stranger", "member")])
def test_bad_team_lists_are_refused_and_nothing_is_saved(world, project, people, case, key):
    ours, theirs = people
    stranger = MemberFactory(organization=world.branch_b)
    lists = {
        "no_leader": team_rows((ours[0], "member"), (theirs[0], "member")),
        "duplicate": team_rows((ours[0], "leader"), (ours[0], "member")),
        "stranger": team_rows((ours[0], "leader"), (stranger, "member")),
    }
    errors = refused(create_team, world=world, project=project, members=lists[case])
    assert key in errors
    assert not Team.objects.exists() and not TeamMember.objects.exists()


def test_without_a_project_members_come_from_the_lead_organization_and_below(world, people):
    ours, theirs = people
    group = OrganizationFactory(name="甲支部第一党小组", parent=world.branch_a, kind="group")
    grouped = MemberFactory(organization=group)
    team = create_team(world, None, team_rows((ours[0], "leader"), (grouped, "member")))
    assert team.memberships.count() == 2
    errors = refused(
        create_team, world=world, project=None, members=team_rows((ours[0], "leader"), (theirs[0], "member"))
    )
    assert "member" in errors


def test_the_lead_organization_is_one_the_secretary_keeps(world, project, people):
    ours, _theirs = people
    errors = refused(
        create_team, world=world, project=project, members=team_rows((ours[0], "leader")), organization=world.partner
    )
    assert "organization" in errors
    assert not Team.objects.exists()


def test_a_team_cannot_end_before_it_starts(world, project, people):
    ours, _theirs = people
    errors = refused(
        create_team, world=world, project=project, members=team_rows((ours[0], "leader")), ends_on=days(-1)
    )
    assert "ends_on" in errors


def test_updating_a_team_replaces_its_members(world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    team_update(
        actor=world.secretary1, team=team, members=team_rows((ours[0], "member"), (theirs[1], "leader")), name="新名"
    )
    assert sorted(team.memberships.values_list("member_id", "role")) == sorted(
        [(ours[0].pk, "member"), (theirs[1].pk, "leader")]
    )
    team.refresh_from_db()
    assert team.name == "新名"


def test_dropping_the_project_checks_the_members_again(world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    errors = refused(team_update, actor=world.secretary1, team=team, project=None)
    assert "member" in errors
    team.refresh_from_db()
    assert team.project == project


@pytest.mark.parametrize("username", ["liaison1", "committee", "member1"])
def test_readers_cannot_change_a_team(world, project, people, username):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    with pytest.raises(PermissionDenied):
        team_update(actor=world.user(username), team=team, name="改名")


def _team_form(project, *entries, **overrides):
    data = {
        "name": "抢险先锋队",
        "kind": "vanguard",
        "purpose": "汛期抢险",
        "organization": overrides.pop("organization"),
        "project": project.pk if project else "",
        "starts_on": days(0).isoformat(),
        "members-TOTAL_FORMS": str(len(entries)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for index, (member, role) in enumerate(entries):
        data[f"members-{index}-member"] = member.pk if member else ""
        data[f"members-{index}-role"] = role
    data.update(overrides)
    return data


def test_the_team_page_offers_the_parties_rosters_and_saves(client_for, world, project, people):
    ours, theirs = people
    client = client_for(world.secretary1)
    url = reverse("activities:team_create") + f"?project={project.pk}"
    html = client.get(url).content.decode()
    assert ours[0].name in html and theirs[0].name in html and theirs[0].phone not in html
    response = client.post(
        url, _team_form(project, (ours[0], "leader"), (theirs[0], "member"), organization=world.branch_a.pk)
    )
    assert response.status_code == 302
    team = Team.objects.get()
    assert response["Location"] == team.get_absolute_url() and team.memberships.count() == 2


def test_the_team_page_shows_list_errors_and_saves_nothing(client_for, world, project, people):
    ours, theirs = people
    client = client_for(world.secretary1)
    url = reverse("activities:team_create") + f"?project={project.pk}"
    response = client.post(
        url, _team_form(project, (ours[0], "member"), (theirs[0], "member"), organization=world.branch_a.pk)
    )
    assert response.status_code == 200 and response.context["formset"].non_form_errors()
    response = client.post(
        url, _team_form(project, (ours[0], "leader"), (ours[0], "member"), organization=world.branch_a.pk)
    )
    assert response.status_code == 200 and "member" in response.context["formset"].forms[1].errors
    assert not Team.objects.exists()


def test_a_team_without_a_project_refuses_the_partners_members_on_their_row(client_for, world, people):
    ours, theirs = people
    response = client_for(world.secretary1).post(
        reverse("activities:team_create"),
        _team_form(None, (ours[0], "leader"), (theirs[0], "member"), organization=world.branch_a.pk),
    )
    assert response.status_code == 200
    assert "member" in response.context["formset"].forms[1].errors
    assert not Team.objects.exists()


def test_the_team_detail_groups_members_by_party(client_for, world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    response = client_for(world.liaison1).get(team.get_absolute_url())
    assert [group.party for group in response.context["groups"]] == [world.branch_a, world.partner]
    assert response.context["can_edit"] is False
    assert client_for(world.outsider).get(team.get_absolute_url()).status_code == 404


def test_the_team_edit_page_keeps_current_members_and_saves(client_for, world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    url = reverse("activities:team_update", args=[team.pk])
    client = client_for(world.secretary1)
    formset = client.get(url).context["formset"]
    assert [form.initial["member"] for form in formset.initial_forms] == [ours[0].pk, theirs[0].pk]
    data = _team_form(project, (ours[0], "leader"), (theirs[0], "member"), organization=world.branch_a.pk)
    data["members-INITIAL_FORMS"] = "2"
    data["members-1-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert list(team.memberships.values_list("member_id", flat=True)) == [ours[0].pk]


def test_teams_with_members_from_an_organization_appear_on_its_page(world, project, people):
    ours, theirs = people
    team = create_team(world, project, team_rows((ours[0], "leader"), (theirs[0], "member")))
    assert [t.pk for t in organization_work(world.liaison1, world.partner)["teams"]] == [team.pk]
    assert organization_work(world.liaison1, world.partner)["teams"][0].member_count == 2


def test_the_team_page_on_a_project_is_for_secretaries_under_its_parties(client_for, world, project):
    url = reverse("activities:team_create") + f"?project={project.pk}"
    assert client_for(world.secretary2).get(url).status_code == 404  # not a party: the project is out of sight
    partner_secretary = UserFactory(username="partner_secretary")
    MembershipFactory(user=partner_secretary, organization=world.partner)
    assert client_for(partner_secretary).get(url).status_code == 200
    assert client_for(world.liaison1).get(url).status_code == 403
    # A secretary who sees the project through a second role but keeps no roster under its parties may not add.
    MembershipFactory(user=world.liaison1, organization=world.unrelated)
    assert client_for(world.liaison1).get(url).status_code == 403
