"""Access-matrix rows for key projects, zones (claims, checks, boards, photos), pioneer posts and teams — and the
builders the projects tests share.

An agreement in force between 甲项目党支部 (branch_a, secretary1) and the street community (partner, liaison1 its
liaison). branch_a owns the key project and leads its zone, so secretary1 writes; the committee (reviewer of
branch_a's tree), member1 (branch_a's member) and liaison1 (the other party) see everything and write nothing;
the outsider sees nothing (404 on objects).
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import KeyProject, ResponsibilityZone, TeamMember, ZoneAssignment, ZoneCheck
from activities.services.zones import zone_check_create
from partnerships.models import Agreement
from tests.factories import (
    KeyProjectFactory,
    MemberFactory,
    PioneerPostFactory,
    ResponsibilityZoneFactory,
    TeamFactory,
    TeamMemberFactory,
    ZoneAssignmentFactory,
    ZoneCheckFactory,
    cast_agreement,
)
from tests.matrix import Case

# --- builders shared with tests/activities/test_projects.py, test_zones.py, test_posts_teams.py ------------------


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def months_ago(n: int) -> dt.date:
    """The first day of the calendar month ``n`` months before this one (Shanghai): one per month on any date, where
    steps of 30 days put two in one month now and then (going back from 28 February, or from a 31st)."""
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return dt.date(year, month + 1, 1)


def png(name: str = "现场.png", size=(40, 30), color=(200, 22, 29)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_agreement(world, number: str = "GJ-PROJ-001", parties=None, status=Agreement.Status.ACTIVE) -> Agreement:
    """An agreement between branch_a (initiator) and the partner (liaison1), made directly (not through services)."""
    return cast_agreement(
        world,
        *(parties or ()),
        number=number,
        title="甲项目与和平街道党建联建协议",
        term_start=days(-60),
        term_end=days(300),
        status=status,
    )


def make_project(world, agreement=None, name: str = "地铁三号线共建工程", **extra) -> KeyProject:
    agreement = agreement or make_agreement(world)
    fields = {"owner": world.branch_a, "supervision_phone": "010-12345678", **extra}
    return KeyProjectFactory(agreement=agreement, name=name, **fields)


def make_zone(project, world, name: str = "一号站红旗责任区", lead=None, **extra) -> ResponsibilityZone:
    fields = {
        "area": "一号站主体结构及附属工程",
        "dimensions": ["safety", "quality", "progress"],
        "pledges": "安全第一，预防为主\n质量为本，精益求精",
        **extra,
    }
    return ResponsibilityZoneFactory(project=project, name=name, lead=lead or world.branch_a, **fields)


def roster(world, n_a: int = 2, n_partner: int = 2):
    """Members of branch_a and of the partner (the other party's roster)."""
    ours = [MemberFactory(organization=world.branch_a, name=f"甲支部党员{i}") for i in range(n_a)]
    theirs = [MemberFactory(organization=world.partner, name=f"社区党员{i}") for i in range(n_partner)]
    return ours, theirs


def claim(zone, member, role=ZoneAssignment.Role.MEMBER, post: str = "") -> ZoneAssignment:
    return ZoneAssignmentFactory(zone=zone, member=member, role=role, post=post)


def open_finding(zone, **extra) -> ZoneCheck:
    fields = {
        "checked_on": days(-5),
        "category": ZoneCheck.Category.SAFETY,
        "finding": "基坑临边防护缺失",
        "fix_due_on": days(5),
        **extra,
    }
    return ZoneCheckFactory(zone=zone, **fields)


# --- matrix ----------------------------------------------------------------------------------------------------


def objects(world) -> dict:
    project = make_project(world, name="矩阵共建工程")
    zone = make_zone(project, world, name="矩阵责任区")
    ours, theirs = roster(world)
    claim(zone, ours[0], ZoneAssignment.Role.LEADER, "安全监督岗")
    claim(zone, theirs[0])
    check = zone_check_create(
        actor=world.secretary1,
        zone=zone,
        checked_on=days(-3),
        category=ZoneCheck.Category.SAFETY,
        finding="脚手架连墙件缺失",
        fix_due_on=days(4),
        photos=[png()],
    )
    post = PioneerPostFactory(
        organization=world.branch_a, member=ours[1], post="质量先锋岗", project=project, starts_on=days(-30)
    )
    team = TeamFactory(
        name="盾构突击队", purpose="攻坚盾构始发", organization=world.branch_a, project=project, starts_on=days(-20)
    )
    TeamMemberFactory(team=team, member=ours[0], role=TeamMember.Role.LEADER)
    TeamMemberFactory(team=team, member=theirs[1])
    return {
        "proj_project": project,
        "proj_zone": zone,
        "proj_ours": ours,
        "proj_theirs": theirs,
        "proj_check": check,
        "proj_photo": check.photos.get(),
        "proj_post": post,
        "proj_team": team,
    }


READ_ONLY = ("committee", "member1", "liaison1")


def _url(name: str, key: str, query: str = ""):
    return lambda w, o: reverse(f"activities:{name}", args=[o[key].pk]) + query


def _project_post(w, o, name="矩阵新工程"):
    return {
        "name": name,
        "owner": w.branch_a.pk,
        "location": "滨江区",
        "starts_on": days(0).isoformat(),
        "ends_on": days(400).isoformat(),
        "is_joint": "on",
        "status": "under_way",
    }


def _zone_post(w, o, name="二号站红旗责任区"):
    return {
        "name": name,
        "area": "二号站",
        "dimensions": ["safety", "civilized"],
        "pledges": "文明施工",
        "lead": w.branch_a.pk,
        "order": 1,
    }


def _claims_post(w, o):
    return {
        "claims-TOTAL_FORMS": "2",
        "claims-INITIAL_FORMS": "0",
        "claims-MIN_NUM_FORMS": "0",
        "claims-MAX_NUM_FORMS": "1000",
        "claims-0-member": o["proj_ours"][1].pk,
        "claims-0-role": "leader",
        "claims-0-post": "进度监督岗",
        "claims-1-member": o["proj_theirs"][1].pk,
        "claims-1-role": "member",
    }


def _check_post(w, o):
    return {"checked_on": days(0).isoformat(), "category": "none", "inspectors": "联合检查组"}


def _fix_post(w, o):
    return {"fix": "已补设连墙件并复查", "fixed_on": days(0).isoformat()}


def _post_post(w, o):
    return {
        "member": o["proj_ours"][0].pk,
        "post": "安全先锋岗",
        "project": o["proj_project"].pk,
        "starts_on": days(0).isoformat(),
    }


def _team_post(w, o):
    return {
        "name": "雨季抢险先锋队",
        "kind": "vanguard",
        "purpose": "汛期抢险",
        "organization": w.branch_a.pk,
        "project": o["proj_project"].pk,
        "starts_on": days(0).isoformat(),
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-member": o["proj_ours"][0].pk,
        "members-0-role": "leader",
        "members-1-member": o["proj_theirs"][0].pk,
        "members-1-role": "member",
    }


def _team_update_post(w, o):
    data = _team_post(w, o)
    data["name"] = "盾构突击队（扩编）"
    return data


CASES: dict[str, Case] = {
    "activities:project_list": Case(
        lambda w, o: reverse("activities:project_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: o["proj_project"].name,
    ),
    # The agreement is the object here: the outsider cannot see it (404); those who see it but keep no party's
    # roster as secretary get 403.
    "activities:project_create": Case(
        lambda w, o: reverse("activities:project_create") + f"?agreement={o['proj_project'].agreement_id}",
        owner="secretary1",
        owner_post=_project_post,
        read_only=READ_ONLY,
    ),
    "activities:project_detail": Case(_url("project_detail", "proj_project"), owner="secretary1"),
    "activities:project_update": Case(
        _url("project_update", "proj_project"),
        owner="secretary1",
        owner_post=lambda w, o: _project_post(w, o, "矩阵共建工程"),
        read_only=READ_ONLY,
    ),
    "activities:zone_create": Case(
        _url("zone_create", "proj_project"), owner="secretary1", owner_post=_zone_post, read_only=READ_ONLY
    ),
    "activities:zone_detail": Case(_url("zone_detail", "proj_zone"), owner="secretary1"),
    "activities:zone_update": Case(
        _url("zone_update", "proj_zone"),
        owner="secretary1",
        owner_post=lambda w, o: _zone_post(w, o, "矩阵责任区"),
        read_only=READ_ONLY,
    ),
    "activities:zone_members": Case(
        _url("zone_members", "proj_zone"), owner="secretary1", owner_post=_claims_post, read_only=READ_ONLY
    ),
    "activities:zone_board": Case(_url("zone_board", "proj_zone"), owner="secretary1"),
    "activities:zone_check_create": Case(
        _url("zone_check_create", "proj_zone"), owner="secretary1", owner_post=_check_post, read_only=READ_ONLY
    ),
    "activities:zone_check_fix": Case(
        _url("zone_check_fix", "proj_check"), owner="secretary1", owner_post=_fix_post, read_only=READ_ONLY
    ),
    "activities:zone_check_photo": Case(_url("zone_check_photo", "proj_photo"), owner="secretary1"),
    "activities:zone_check_photo_thumb": Case(_url("zone_check_photo_thumb", "proj_photo"), owner="secretary1"),
    # With ?project= the project is the object (outsider 404); only a secretary under one of its parties may add.
    "activities:post_create": Case(
        lambda w, o: reverse("activities:post_create") + f"?project={o['proj_project'].pk}",
        owner="secretary1",
        owner_post=_post_post,
        read_only=READ_ONLY,
    ),
    "activities:post_update": Case(
        _url("post_update", "proj_post"),
        owner="secretary1",
        owner_post=lambda w, o: {**_post_post(w, o), "member": o["proj_ours"][1].pk, "ends_on": days(0).isoformat()},
        read_only=READ_ONLY,
    ),
    "activities:team_create": Case(
        lambda w, o: reverse("activities:team_create") + f"?project={o['proj_project'].pk}",
        owner="secretary1",
        owner_post=_team_post,
        read_only=READ_ONLY,
    ),
    "activities:team_detail": Case(_url("team_detail", "proj_team"), owner="secretary1"),
    "activities:team_update": Case(
        _url("team_update", "proj_team"), owner="secretary1", owner_post=_team_update_post, read_only=READ_ONLY
    ),
}
