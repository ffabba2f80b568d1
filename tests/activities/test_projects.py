"""Key projects (重点项目): the services and their refusals, the pages, the sections they add to agreement and
organization pages, the secretaries' open-findings panel, and query budgets that do not grow with the rows.

The cast: an agreement in force between 甲项目党支部 (branch_a, secretary1) and the street community (partner,
liaison1); 乙机关党支部 (secretary2) is no party. Objects are made directly with the ORM (tests/matrix/projects.py).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import KeyProject, PioneerPost, ResponsibilityZone, Team, ZoneAssignment, ZoneCheck
from activities.selectors.projects import kept_zone_findings
from activities.services import projects as services
from partnerships.models import Agreement, Member
from tests.factories import MembershipFactory, OrganizationFactory, PioneerPostFactory, TeamFactory, UserFactory
from tests.matrix.projects import claim, days, make_agreement, make_project, make_zone, open_finding, roster


@pytest.fixture
def agreement(world):
    return make_agreement(world)


def create(world, agreement, **overrides):
    fields = dict(
        actor=world.secretary1,
        agreement=agreement,
        owner=world.branch_a,
        name="地铁三号线共建工程",
        location="滨江区",
        starts_on=days(-10),
        ends_on=days(700),
        supervision_phone="13800001111",
    )
    fields.update(overrides)
    return services.key_project_create(**fields)


def refused(call, **kwargs) -> dict:
    """Call a service expecting a ValidationError; return its message dict."""
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- creating and editing -----------------------------------------------------------------------------------------


def test_a_party_secretary_records_a_project_with_history(world, agreement):
    project = create(world, agreement)
    assert project.owner == world.branch_a and project.agreement == agreement and project.is_joint
    assert project.history.get().history_user == world.secretary1


def test_the_owner_must_be_a_party_of_the_agreement(world, agreement):
    errors = refused(create, world=world, agreement=agreement, owner=world.branch_b)
    assert "owner" in errors
    assert not KeyProject.objects.exists()


def test_a_secretary_cannot_make_the_other_party_responsible(world, agreement):
    errors = refused(create, world=world, agreement=agreement, owner=world.partner)
    assert "owner" in errors
    assert not KeyProject.objects.exists()


def test_an_admin_may_make_any_party_responsible(world, agreement):
    project = create(world, agreement, actor=world.admin, owner=world.partner)
    assert project.owner == world.partner


def test_the_project_cannot_end_before_it_starts(world, agreement):
    errors = refused(create, world=world, agreement=agreement, starts_on=days(10), ends_on=days(5))
    assert list(errors) == ["ends_on"]
    assert not KeyProject.objects.exists()


def test_a_duplicate_name_is_refused_next_to_the_name(world, agreement):
    create(world, agreement)
    errors = refused(create, world=world, agreement=agreement)
    assert "name" in errors
    assert KeyProject.objects.count() == 1


def test_a_bad_supervision_phone_is_refused(world, agreement):
    errors = refused(create, world=world, agreement=agreement, supervision_phone="12345")
    assert "supervision_phone" in errors


@pytest.mark.parametrize("username", ["secretary2", "liaison1", "committee", "member1", "outsider"])
def test_only_a_party_secretary_may_record_a_project(world, agreement, username):
    with pytest.raises(PermissionDenied):
        create(world, agreement, actor=world.user(username))
    assert not KeyProject.objects.exists()


def test_no_project_under_an_agreement_no_longer_in_force(world):
    ended = make_agreement(world, number="GJ-OLD", status=Agreement.Status.EXPIRED)
    errors = refused(create, world=world, agreement=ended)
    assert "__all__" in errors
    assert not KeyProject.objects.exists()


def test_the_owner_secretary_edits_the_project(world, agreement):
    project = create(world, agreement)
    services.key_project_update(actor=world.secretary1, project=project, honours="红色工地", status="completed")
    project.refresh_from_db()
    assert project.honours == "红色工地" and project.status == KeyProject.Status.COMPLETED
    assert project.history.count() == 2


@pytest.mark.parametrize("username", ["liaison1", "committee", "member1", "secretary2"])
def test_others_cannot_edit_the_project(world, agreement, username):
    project = create(world, agreement)
    with pytest.raises(PermissionDenied):
        services.key_project_update(actor=world.user(username), project=project, name="改名")
    project.refresh_from_db()
    assert project.name == "地铁三号线共建工程"


def test_an_editor_cannot_hand_the_project_to_a_party_they_do_not_keep(world, agreement):
    project = create(world, agreement)
    errors = refused(services.key_project_update, actor=world.secretary1, project=project, owner=world.partner)
    assert "owner" in errors
    project.refresh_from_db()
    assert project.owner == world.branch_a


def test_an_edit_ending_before_the_start_changes_nothing(world, agreement):
    project = create(world, agreement)
    errors = refused(
        services.key_project_update, actor=world.secretary1, project=project, ends_on=days(-20), name="新名"
    )
    assert "ends_on" in errors
    project.refresh_from_db()
    assert project.name == "地铁三号线共建工程" and project.ends_on == days(700)


# --- pages ----------------------------------------------------------------------------------------------------------


def test_the_list_shows_figures_and_searches(client_for, world, agreement):
    project = make_project(world, agreement)
    other = make_project(world, agreement, name="滨江大道改造工程")
    zone = make_zone(project, world)
    ours, theirs = roster(world)
    claim(zone, ours[0], "leader")
    claim(zone, theirs[0])
    open_finding(zone)
    open_finding(zone, fixed_on=days(-1), fix="已整改")
    response = client_for(world.secretary1).get(reverse("activities:project_list"))
    rows = {row.pk: row for row in response.context["object_list"]}
    assert (rows[project.pk].zone_count, rows[project.pk].member_count, rows[project.pk].open_findings) == (1, 2, 1)
    assert rows[other.pk].zone_count == 0
    response = client_for(world.secretary1).get(reverse("activities:project_list") + "?q=滨江")
    assert [row.pk for row in response.context["object_list"]] == [other.pk]


def test_a_secretary_of_no_party_sees_no_project(client_for, world, agreement):
    make_project(world, agreement)
    response = client_for(world.secretary2).get(reverse("activities:project_list"))
    assert list(response.context["object_list"]) == []


def test_the_create_page_posts_a_project_under_the_given_agreement(client_for, world, agreement):
    url = reverse("activities:project_create") + f"?agreement={agreement.pk}"
    client = client_for(world.secretary1)
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "新工程", "owner": world.branch_a.pk, "is_joint": "on"})
    project = KeyProject.objects.get(name="新工程")
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert project.agreement == agreement


def test_the_create_page_without_an_agreement_offers_the_users_agreements(client_for, world, agreement):
    other = make_agreement(world, number="GJ-B", parties=[world.branch_b, world.partner])
    response = client_for(world.secretary1).get(reverse("activities:project_create"))
    choices = list(response.context["form"].fields["agreement"].queryset)
    assert choices == [agreement] and other not in choices
    response = client_for(world.secretary1).post(
        reverse("activities:project_create"),
        {"agreement": agreement.pk, "name": "无参数新工程", "owner": world.branch_a.pk},
    )
    assert response.status_code == 302
    assert KeyProject.objects.filter(name="无参数新工程", agreement=agreement).exists()


def test_the_create_page_shows_refusals_next_to_their_fields(client_for, world, agreement):
    url = reverse("activities:project_create") + f"?agreement={agreement.pk}"
    response = client_for(world.secretary1).post(
        url, {"name": "倒序工程", "owner": world.branch_a.pk, "starts_on": "2025-05-01", "ends_on": "2025-04-01"}
    )
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert not KeyProject.objects.exists()


def test_the_create_page_is_refused_to_those_who_may_not_create(client_for, world, agreement):
    url = reverse("activities:project_create")
    assert client_for(world.committee).get(url).status_code == 403
    assert client_for(world.secretary2).get(url).status_code == 403
    assert client_for(world.secretary2).get(url + f"?agreement={agreement.pk}").status_code == 404
    assert client_for(world.secretary1).get(url + "?agreement=x").status_code == 404


def test_the_detail_page_shows_zones_by_party_findings_posts_and_teams(client_for, world, agreement):
    project = make_project(world, agreement)
    zone = make_zone(project, world)
    ours, theirs = roster(world)
    claim(zone, ours[0], "leader", "安全监督岗")
    claim(zone, theirs[0])
    open_finding(zone, fix_due_on=days(-1))
    PioneerPostFactory(
        organization=world.branch_a, member=ours[1], post="质量先锋岗", project=project, starts_on=days(-3)
    )
    TeamFactory(name="盾构突击队", purpose="攻坚", organization=world.branch_a, project=project, starts_on=days(-3))
    response = client_for(world.liaison1).get(project.get_absolute_url())
    assert response.status_code == 200
    [card] = response.context["zones"]
    assert [group.party for group in card.groups] == [world.branch_a, world.partner]
    assert [finding.is_overdue for finding in response.context["findings"]] == [True]
    assert len(response.context["posts"]) == 1 and len(response.context["teams"]) == 1
    html = response.content.decode()
    assert 'data-overdue="1"' in html and "质量先锋岗" in html and "盾构突击队" in html
    # liaison1 reads but does not edit.
    assert response.context["can_edit"] is False and 'data-testid="zone-create"' not in html


def test_the_owner_sees_the_editing_actions(client_for, world, agreement):
    project = make_project(world, agreement)
    html = client_for(world.secretary1).get(project.get_absolute_url()).content.decode()
    assert 'data-testid="zone-create"' in html and 'data-testid="project-edit"' in html


def test_the_update_page_saves_and_shows_errors(client_for, world, agreement):
    project = make_project(world, agreement)
    url = reverse("activities:project_update", args=[project.pk])
    client = client_for(world.secretary1)
    data = {"name": project.name, "owner": world.branch_a.pk, "status": "under_way", "supervision_phone": "abc"}
    response = client.post(url, data)
    assert response.status_code == 200 and "supervision_phone" in response.context["form"].errors
    response = client.post(url, {**data, "supervision_phone": "13900001111", "honours": "红色工地"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.honours == "红色工地"


# --- sections and the home panel ---------------------------------------------------------------------------------


def test_the_agreement_page_lists_its_projects_with_a_create_action_for_editors(client_for, world, agreement):
    project = make_project(world, agreement)
    make_zone(project, world)
    response = client_for(world.secretary1).get(agreement.get_absolute_url())
    [section] = [s for s in response.context["sections"] if s["template"].endswith("section_agreement.html")]
    assert [p.zone_count for p in section["projects"]] == [1]
    assert section["action_url"].endswith(f"?agreement={agreement.pk}")
    response = client_for(world.committee).get(agreement.get_absolute_url())
    [section] = [s for s in response.context["sections"] if s["template"].endswith("section_agreement.html")]
    assert "action_url" not in section


def test_the_organization_page_shows_only_what_the_viewer_may_see(client_for, world, agreement):
    project = make_project(world, agreement)
    ours, _theirs = roster(world)
    PioneerPostFactory(organization=world.branch_a, member=ours[0], post="安全先锋岗", starts_on=days(-3))
    url = world.branch_a.get_absolute_url()
    html = client_for(world.secretary1).get(url).content.decode()
    assert 'data-testid="org-projects-section"' in html and project.name in html and "安全先锋岗" in html
    # The directory page is everyone's; the posts and projects on it are not.
    html = client_for(world.outsider).get(url).content.decode()
    assert project.name not in html and "安全先锋岗" not in html


def test_the_panel_lists_open_findings_of_kept_zones_overdue_first(client_for, world, agreement):
    project = make_project(world, agreement)
    zone = make_zone(project, world)
    partner_zone = make_zone(project, world, name="社区侧责任区", lead=world.partner)
    late = open_finding(zone, fix_due_on=days(-2))
    soon = open_finding(partner_zone, fix_due_on=days(3))
    open_finding(zone, category="none", finding="")
    open_finding(zone, fixed_on=days(-1), fix="已整改")
    panel = kept_zone_findings(world.secretary1)
    assert [row.pk for row in panel["rows"]] == [late.pk, soon.pk]  # the owner keeps every zone of the project
    assert (panel["total"], panel["overdue"]) == (2, 1)
    html = client_for(world.secretary1).get(reverse("home")).content.decode()
    assert 'data-testid="count-open-findings"' in html and 'data-overdue="1"' in html


def test_the_panel_is_for_secretaries_and_lists_only_their_zones(client_for, world, agreement):
    project = make_project(world, agreement)
    open_finding(make_zone(project, world))
    assert kept_zone_findings(world.secretary2)["total"] == 0
    assert 'data-testid="count-open-findings"' not in client_for(world.liaison1).get(reverse("home")).content.decode()
    assert 'data-testid="count-open-findings"' not in client_for(world.committee).get(reverse("home")).content.decode()


def test_a_partner_secretary_keeps_the_zones_their_organization_leads(world, agreement):
    partner_secretary = UserFactory(username="partner_secretary")
    MembershipFactory(user=partner_secretary, organization=world.partner)
    project = make_project(world, agreement)
    led = open_finding(make_zone(project, world, name="社区侧", lead=world.partner))
    open_finding(make_zone(project, world, name="甲侧"))
    assert [row.pk for row in kept_zone_findings(partner_secretary)["rows"]] == [led.pk]


# --- query budgets ------------------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _bulk_project_rows(world, agreement, start: int, n: int) -> None:
    """n more projects, each with a zone, two claims, an open finding, a post and a team (bulk inserts)."""
    projects = KeyProject.objects.bulk_create(
        KeyProject(agreement=agreement, owner=world.branch_a, name=f"批量工程{start + i}") for i in range(n)
    )
    zones = ResponsibilityZone.objects.bulk_create(
        ResponsibilityZone(project=p, name="责任区", area="区段", lead=world.branch_a, dimensions=["safety"])
        for p in projects
    )
    org_a = world.branch_a
    members = Member.objects.bulk_create(
        Member(organization=org_a if i % 2 else world.partner, name=f"批量党员{start}-{i}", phone="")
        for i in range(2 * n)
    )
    ZoneAssignment.objects.bulk_create(
        ZoneAssignment(zone=zones[i // 2], member=member, role="leader" if i % 2 else "member")
        for i, member in enumerate(members)
    )
    ZoneCheck.objects.bulk_create(
        ZoneCheck(zone=z, checked_on=days(-2), category="safety", finding="隐患", fix_due_on=days(-1)) for z in zones
    )
    PioneerPost.objects.bulk_create(
        PioneerPost(organization=org_a, member=members[2 * i + 1], post="先锋岗", project=p, starts_on=days(-9))
        for i, p in enumerate(projects)
    )
    Team.objects.bulk_create(
        Team(name=f"突击队{start + i}", purpose="攻坚", organization=org_a, project=p, starts_on=days(-9))
        for i, p in enumerate(projects)
    )


def test_the_list_queries_do_not_grow_with_the_projects(django_assert_max_num_queries, client_for, world, agreement):
    client = client_for(world.secretary1)
    url = reverse("activities:project_list")
    _bulk_project_rows(world, agreement, 0, 5)
    at_five = _count_queries(client, url)
    _bulk_project_rows(world, agreement, 5, 95)
    with django_assert_max_num_queries(at_five):
        client.get(url)
    assert at_five <= 10


def test_the_organization_section_queries_do_not_grow(django_assert_max_num_queries, client_for, world, agreement):
    client = client_for(world.secretary1)
    url = world.branch_a.get_absolute_url()
    _bulk_project_rows(world, agreement, 0, 5)
    at_five = _count_queries(client, url)
    _bulk_project_rows(world, agreement, 5, 95)
    with django_assert_max_num_queries(at_five):
        client.get(url)


def test_the_detail_queries_do_not_grow_with_zones_claims_and_findings(
    django_assert_max_num_queries, client_for, world, agreement
):
    project = make_project(world, agreement)
    client = client_for(world.secretary1)

    def add(start, n):
        zones = ResponsibilityZone.objects.bulk_create(
            ResponsibilityZone(project=project, name=f"区{start + i}", area="区段", lead=world.branch_a)
            for i in range(n)
        )
        members = Member.objects.bulk_create(
            Member(organization=world.partner if i % 2 else world.branch_a, name=f"员{start}-{i}", phone="")
            for i in range(n)
        )
        ZoneAssignment.objects.bulk_create(
            ZoneAssignment(zone=z, member=m) for z, m in zip(zones, members, strict=True)
        )
        ZoneCheck.objects.bulk_create(
            ZoneCheck(zone=z, checked_on=days(-1), category="quality", finding="问题") for z in zones
        )
        PioneerPost.objects.bulk_create(
            PioneerPost(organization=m.organization, member=m, post="岗", project=project, starts_on=days(-1))
            for m in members
        )
        Team.objects.bulk_create(
            Team(name=f"队{start + i}", purpose="攻坚", organization=world.branch_a, project=project, starts_on=days(0))
            for i in range(n)
        )

    add(0, 5)
    at_five = _count_queries(client, project.get_absolute_url())
    add(5, 95)
    with django_assert_max_num_queries(at_five):
        client.get(project.get_absolute_url())
    # 15 with the 变更记录's predecessor lookup; +5 for the 党建+业务 card (milestones, monthly figures, and the
    # chart's three monthly series of joint work), the same at any size.
    assert at_five <= 20


def test_a_new_branch_under_a_party_does_not_see_projects_by_default(world, agreement):
    """Secretaries' scope is exact (issue 2): a branch under the partner is not a party and does not see the project."""
    child = OrganizationFactory(name="社区第一支部", parent=world.partner)
    secretary = UserFactory(username="child_secretary")
    MembershipFactory(user=secretary, organization=child)
    project = make_project(world, agreement)
    assert not KeyProject.objects.visible_to(secretary).filter(pk=project.pk).exists()


@pytest.mark.parametrize(
    "model", ["keyproject", "responsibilityzone", "zonecheck", "pioneerpost", "team"], ids=lambda name: name
)
def test_the_admin_lists_and_opens_the_projects_models(client_for, world, agreement, model):
    project = make_project(world, agreement)
    zone = make_zone(project, world)
    ours, theirs = roster(world)
    claim(zone, ours[0], "leader")
    check = open_finding(zone)
    post = PioneerPostFactory(organization=world.branch_a, member=ours[0], post="岗", starts_on=days(0))
    team = TeamFactory(name="队", purpose="攻坚", organization=world.branch_a, starts_on=days(0))
    objects = {"keyproject": project, "responsibilityzone": zone, "zonecheck": check, "pioneerpost": post, "team": team}
    client = client_for(world.admin)
    assert client.get(reverse(f"admin:activities_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:activities_{model}_change", args=[objects[model].pk])).status_code == 200


def test_a_project_is_not_made_joint_while_a_zone_has_one_party_only(world, agreement):
    project = make_project(world, agreement, is_joint=False)
    zone = make_zone(project, world)
    ours, theirs = roster(world)
    claim(zone, ours[0], "leader")
    errors = refused(services.key_project_update, actor=world.secretary1, project=project, is_joint=True)
    assert "is_joint" in errors
    project.refresh_from_db()
    assert not project.is_joint
    claim(zone, theirs[0])
    services.key_project_update(actor=world.secretary1, project=project, is_joint=True)
    project.refresh_from_db()
    assert project.is_joint
