"""Demo key project for ``manage.py seed_demo`` (called by ``demo.engine.activities.seed``): the metro line's first phase under
the three-party 联建 agreement, four red responsibility zones claimed by members of the parties, a routine check of
every zone each month since it was divided and, over the last months, checks with findings (most fixed in time,
three open, one of them overdue), pioneer posts, a commando and a vanguard team.

Idempotent like the rest of the demo: the project is found by name, zones by (project, name) — a zone already there
is left with its members and checks —, posts by (organization, member, post, start), teams by name. Member picks are
computed in full before anything is written, so the same people are picked whatever already exists.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import NamedTuple

from activities.models import (
    KeyProject,
    PioneerPost,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
    ZoneDimension,
)
from activities.photos import store_photo
from demo.clock import as_of
from demo.engine import business
from demo.engine.context import DemoContext
from demo.engine.stories import build, plain, story
from demo.engine.world import SEED, World, at
from partnerships.models import Member

Category = ZoneCheck.Category
Dim = ZoneDimension

STORY = story("projects")  # demo/stories/projects.toml

PROJECT = plain(STORY["project"])


DIVIDED = -335  # story day the zones were divided and claimed
ROUTINE_FROM, ROUTINE_EVERY = DIVIDED + 25, 30


@dataclass(frozen=True)
class Check:
    """A zone check ``day`` days from today; a finding is due ``due`` days after the check and fixed ``fixed``
    days after it (None: still open)."""

    day: int
    category: str = Category.NONE
    finding: str = ""
    fix: str = ""
    due: int = 0
    fixed: int | None = None


@dataclass(frozen=True)
class ZoneSpec:
    name: str
    area: str
    dimensions: tuple[str, ...]
    pledges: str
    lead: str  # organization key; its members are picked first and the first of them is 责任人
    phone: str
    claims: tuple[tuple[str, int, tuple[str, ...]], ...]  # (organization key, how many, title hints)
    posts: tuple[str, ...]
    inspectors: str
    checks: tuple[Check, ...]


ZONES: tuple[ZoneSpec, ...] = build(tuple[ZoneSpec, ...], STORY["zones"])


class PostSpec(NamedTuple):
    """A pioneer post: whose member holds it (picked by title hints), on the project or not, from and until (days
    from today; ``None``: open-ended)."""

    org: str
    hints: tuple[str, ...]
    post: str
    duties: str
    on_project: bool
    starts: int
    ends: int | None = None


POSTS: tuple[PostSpec, ...] = build(tuple[PostSpec, ...], STORY["posts"])

TEAMS = plain(STORY["teams"])

ZONE_PHOTO_COLOURS = {
    Category.NONE: "#7f8c8d",
    Category.SAFETY: "#e67e22",
    Category.QUALITY: "#1f5f8b",
    Category.CIVILIZED: "#2e8b57",
    Category.PROGRESS: "#8e44ad",
    Category.STABILITY: "#6a4c93",
    Category.OTHER: "#b5651d",
}


def _pick(rng: random.Random, roster: list[Member], count: int, hints: tuple[str, ...], used: set[int]):
    """``count`` full or probationary members not yet used, those whose post matches a hint first."""
    pool = [m for m in roster if m.pk not in used and m.status != Member.Status.ACTIVIST]
    rng.shuffle(pool)
    pool.sort(key=lambda m: 0 if any(hint in m.title for hint in hints) else 1)
    chosen = pool[:count]
    used.update(m.pk for m in chosen)
    return chosen


def seed_projects(ctx: DemoContext, world: World) -> dict:
    """The key project under the joint agreement, with zones, checks, posts and teams; returns them by name."""
    agreement = world.agreements.get("joint")
    branch_a = world.orgs.get("branch_a")
    if agreement is None or branch_a is None:
        ctx.step("key project: skipped (no joint agreement)")
        return {}
    spec = ctx.data["partnerships"].get("key_project") or {}
    name = spec.get("name", "临江市轨道交通5号线一期工程")
    project = KeyProject.objects.filter(name=name).first()
    created = project is None
    if created:
        project = KeyProject(
            agreement=agreement,
            owner=branch_a,
            name=name,
            location=spec.get("location", ""),
            starts_on=world.clock.story_day(-520),
            ends_on=world.clock.story_day(900),
            is_joint=True,
            **PROJECT,
        )
        project._history_user = world.secretaries.get(branch_a.pk)
        with as_of(at(agreement.term_start + dt.timedelta(days=20), 10)):
            project.full_clean()
            project.save()
    zones = _ensure_zones(ctx, world, project)
    posts = _ensure_posts(world, project)
    teams = _ensure_teams(world, project)
    ctx.step(
        f"key project: {'created' if created else 'already there'}; zones: {len(zones)}; "
        f"zone checks: {ZoneCheck.objects.filter(zone__project=project).count()}; "
        f"pioneer posts: {len(posts)}; teams: {len(teams)}"
    )
    made = {"key_project": project, "zones": zones, "posts": posts, "teams": teams}
    # 党建+业务: the project's milestones and monthly figures, and the depot beside it (demo/engine/business.py).
    return {**made, **business.seed_business(ctx, world, made)}


def _ensure_zones(ctx: DemoContext, world: World, project: KeyProject) -> list[ResponsibilityZone]:
    rng = random.Random(f"{SEED}|zones")
    used: set[int] = set()
    claims = [
        [
            (member, key)
            for key, count, hints in zone.claims
            for member in _pick(rng, world.rosters.get(world.orgs[key].pk, []), count, hints, used)
        ]
        for zone in ZONES
    ]
    existing = {zone.name: zone for zone in project.zones.all()}
    zones = []
    for order, (zone_spec, members) in enumerate(zip(ZONES, claims, strict=True), start=1):
        zone = existing.get(zone_spec.name)
        if zone is None:
            zone = _create_zone(world, project, zone_spec, members, order)
        zones.append(zone)
        ctx.progress("zones", order, len(ZONES))
    return zones


def _create_zone(world: World, project: KeyProject, spec: ZoneSpec, members, order: int) -> ResponsibilityZone:
    lead = world.orgs[spec.lead]
    keeper = world.keepers.get(lead.pk) or world.secretaries.get(project.owner_id)
    divided = world.clock.story_day(DIVIDED)
    zone = ResponsibilityZone(
        project=project,
        name=spec.name,
        area=spec.area,
        dimensions=list(spec.dimensions),
        pledges=spec.pledges,
        lead=lead,
        supervision_phone=spec.phone,
        order=order,
    )
    zone._history_user = keeper
    with as_of(at(divided, 10)):
        zone.full_clean()
        zone.save()
    with as_of(at(divided + dt.timedelta(days=5), 15)):
        for index, (member, _key) in enumerate(members):
            assignment = ZoneAssignment(
                zone=zone,
                member=member,
                role=ZoneAssignment.Role.LEADER if index == 0 else ZoneAssignment.Role.MEMBER,
                post=spec.posts[index % len(spec.posts)],
            )
            assignment._history_user = keeper
            assignment.save()
    for check_spec in (*_routine_checks(spec, order), *spec.checks):
        _create_check(world, zone, spec, check_spec, keeper)
    return zone


def _routine_checks(spec: ZoneSpec, order: int) -> tuple[Check, ...]:
    """A routine check (nothing found) about once a month, from soon after the zones were divided up to the months the
    zone's own checks tell: the zone is checked in every quarter the demo shows since it exists."""
    first_told = min(check.day for check in spec.checks)
    return tuple(Check(day) for day in range(ROUTINE_FROM + 3 * order, first_told - 20, ROUTINE_EVERY))


def _create_check(world: World, zone: ResponsibilityZone, spec: ZoneSpec, check: Check, keeper) -> None:
    checked_on = world.clock.story_day(check.day)
    colour = ZONE_PHOTO_COLOURS[check.category]
    variant = abs(check.day) % 3
    row = ZoneCheck(
        zone=zone,
        checked_on=checked_on,
        inspectors=spec.inspectors,
        category=check.category,
        finding=check.finding,
        fix_due_on=checked_on + dt.timedelta(days=check.due) if check.category != Category.NONE else None,
        fix=check.fix if check.fixed is None else "",
        checked_by=keeper,
    )
    row._history_user = keeper
    with as_of(at(checked_on, 16, 30)):
        row.full_clean()
        row.save()
        if check.category != Category.NONE or variant != 0:
            name = "隐患照片.jpg" if check.category != Category.NONE else "巡查照片.jpg"
            store_photo(
                ZoneCheckPhoto,
                upload=world.pictures.upload(colour, variant, name),
                uploaded_by=keeper,
                caption="检查发现的问题" if check.category != Category.NONE else "日常巡查",
                zone_check=row,
            )
    if check.fixed is None:
        return
    fixed_on = checked_on + dt.timedelta(days=check.fixed)
    with as_of(at(fixed_on, 17, 0)):
        row.fix = check.fix
        row.fixed_on = fixed_on
        row.fixed_by = keeper
        row._history_user = keeper
        row.full_clean()
        row.save()
        store_photo(
            ZoneCheckPhoto,
            upload=world.pictures.upload("#2e8b57", variant, "整改后照片.jpg"),
            uploaded_by=keeper,
            caption="整改后现场",
            zone_check=row,
        )


def _ensure_posts(world: World, project: KeyProject) -> list[PioneerPost]:
    rng = random.Random(f"{SEED}|posts")
    used: set[int] = set()
    wanted = []
    for key, hints, post, duties, on_project, starts, ends in POSTS:
        org = world.orgs[key]
        [member] = _pick(rng, world.rosters.get(org.pk, []), 1, hints, used) or [None]
        if member is None:
            continue
        starts_on = world.clock.story_day(starts)
        ends_on = world.clock.story_day(ends) if ends is not None else None
        wanted.append((org, member, post, duties, project if on_project else None, starts_on, ends_on))
    existing = {
        (p.organization_id, p.member_id, p.post, p.starts_on): p
        for p in PioneerPost.objects.filter(organization__in=[w[0] for w in wanted])
    }
    posts = []
    for org, member, post, duties, on_project, starts_on, ends_on in wanted:
        found = existing.get((org.pk, member.pk, post, starts_on))
        if found is None:
            found = PioneerPost(
                organization=org,
                member=member,
                post=post,
                duties=duties,
                project=on_project,
                starts_on=starts_on,
                ends_on=ends_on,
            )
            found._history_user = world.secretaries.get(org.pk) or world.keepers.get(org.pk)
            with as_of(at(min(starts_on, world.clock.story_day(-1)), 10)):
                found.full_clean()
                found.save()
        posts.append(found)
    return posts


def _ensure_teams(world: World, project: KeyProject) -> list[Team]:
    rng = random.Random(f"{SEED}|teams")
    teams = []
    for spec in TEAMS:
        used: set[int] = set()
        members = [
            member
            for key, count, hints in spec["members"]
            for member in _pick(rng, world.rosters.get(world.orgs[key].pk, []), count, hints, used)
        ]
        team = Team.objects.filter(name=spec["name"]).first()
        if team is None:
            org = world.orgs[spec["organization"]]
            starts_on = world.clock.story_day(spec["from"])
            team = Team(
                name=spec["name"],
                kind=spec["kind"],
                purpose=spec["purpose"],
                organization=org,
                project=project,
                starts_on=starts_on,
                ends_on=world.clock.story_day(spec["until"]),
            )
            team._history_user = world.secretaries.get(org.pk) or world.keepers.get(org.pk)
            with as_of(at(starts_on, 9)):
                team.full_clean()
                team.save()
            TeamMember.objects.bulk_create(
                [
                    TeamMember(
                        team=team,
                        member=member,
                        role=TeamMember.Role.LEADER if index == 0 else TeamMember.Role.MEMBER,
                    )
                    for index, member in enumerate(members)
                ]
            )
        teams.append(team)
    return teams
