"""Demo world for ``manage.py seed_demo``: a fictional central-SOE regional company's party tree, its
external partners, a roster of about two hundred members, and the demo users with their roles.

Everything here is invented: company, city, people and phone numbers.

* ``group_committee``: 中衡建工集团华东建设有限公司党委, reviewed by ``committee``. Under it four 党总支
  (机关, 轨道交通, 市政与房建, 设备物资与检测) and ten branches, one of them a 联合党支部 on the
  科创城 project (``joint_branch``); branch A has two 党小组.
* ``branch_a``: 中衡华东公司临江地铁5号线项目部党支部, secretary ``secretary1``, the company's branch on
  the key project 临江市轨道交通5号线一期工程 (``KEY_PROJECT``). ``secretary1`` is also its liaison: on a
  project branch the secretary is the one who keeps in touch with the partners.
* ``branch_b``: 中衡华东公司机关第二党支部 (finance, audit and contracts at head office), secretary
  ``secretary2``, under another 党总支 and far from any project.
* External partners, each the root of its own tree: the general contractor's line-5 project branch
  (``contractor_branch``, liaison ``liaison1``); 望江社区党委 on the line's route (``street_committee``,
  with one grid branch); the high-tech zone's 党工委 (``dev_zone_committee``, with its office branch); a
  private technology supplier's branch (``private_branch``); the district construction bureau's 机关党委
  (``local_committee``).

Pairing rules for later demo data (agreements, meetings, activities, zones, assessments):

* Branch A pairs with ``contractor_branch``, ``street_committee`` and ``dev_zone_committee`` (in that
  order in ``branch_a_partners``): agreements, joint meetings, shared activities, the key project's red
  responsibility zones.
* Branch B gets only activities of its own: never an agreement, activity or zone shared with branch A or
  with branch A's partners, so that ``secretary1`` and ``secretary2`` never see each other's data.
* ``joint_branch``, ``private_branch`` and ``local_committee`` are free for other examples.

``seed(ctx)`` leaves in ``ctx.data["partnerships"]``: every organization by key under ``"organizations"``,
the named ones above as top-level keys, ``"branch_a_partners"``, ``"key_project"`` and ``"users"``
(username → User). Branch A's two 党小组 have no roster of their own: a Member has one organization, and
a party group is part of its branch, so the group members (and leaders) stay on branch A's roster.

Re-running changes nothing: organizations are found by their unique name, users by username, members by
(organization, name). Missing rows are created; existing ones are left alone, passwords included.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

from django.core.management.base import CommandError

from demo.engine import joint_work, lists
from demo.engine.context import DemoContext, ensure_users
from demo.engine.stories import build, plain, story
from partnerships.models import Member, Organization
from partnerships.services.directory import member_import, member_update, organization_create
from portal.models import Membership
from portal.services import membership_grant

SEED = 20261120

Kind = Organization.Kind
Sector = Organization.Sector
Status = Member.Status
Role = Membership.Role

STORY = story("partnerships")  # demo/stories/partnerships.toml

KEY_PROJECT = plain(STORY["key_project"])


class OrgSpec(NamedTuple):
    """One demo organization; ``roster`` is the number of members on it, ``profile`` picks their posts."""

    key: str
    parent: str | None
    kind: str
    sector: str
    name: str
    short_name: str
    unit_name: str
    secretary: str
    contact: str
    phone: str
    address: str
    description: str
    roster: int = 0
    profile: str = ""


# In tree order: a parent always comes before its children.
ORGANIZATIONS: tuple[OrgSpec, ...] = build(tuple[OrgSpec, ...], STORY["organizations"])

SPECS = {spec.key: spec for spec in ORGANIZATIONS}


class Profile(NamedTuple):
    """How a unit's roster looks: share of men, years joined, one-off posts first, then repeated posts."""

    male_share: float
    joined_years: tuple[int, int]
    leads: tuple[str, ...]
    posts: tuple[str, ...]


PROFILES: dict[str, Profile] = build(dict[str, Profile], STORY["profiles"])


class FixedMember(NamedTuple):
    """A named person on a roster: an organization's secretary or contact, or a demo user's own row."""

    org: str
    name: str
    gender: str
    title: str
    username: str | None = None


# The names match the secretary and contact columns above, so the directory and the rosters agree.
FIXED_MEMBERS: tuple[FixedMember, ...] = build(tuple[FixedMember, ...], STORY["fixed_members"])


class UserSpec(NamedTuple):
    """A demo login: who it is and the roles it holds, as (organization key, role) pairs."""

    username: str
    last_name: str
    first_name: str
    email: str
    superuser: bool
    roles: tuple[tuple[str, str], ...]


USERS: tuple[UserSpec, ...] = build(tuple[UserSpec, ...], STORY["users"])

# Repeats weight the draw: common surnames come up more often, as on a real roster.
SURNAMES = plain(STORY["surnames"])
MALE_GIVEN = plain(STORY["male_given"])
FEMALE_GIVEN = plain(STORY["female_given"])
MOBILE_PREFIXES = plain(STORY["mobile_prefixes"])


# --- the roster plan: pure and deterministic ------------------------------------------------------------


def _person_name(rng: random.Random, gender: str, taken: set[str]) -> str:
    """A surname and a one- or two-character given name that nobody in ``taken`` has yet."""
    chars = MALE_GIVEN if gender == "m" else FEMALE_GIVEN
    while True:
        given = rng.choice(chars)
        if rng.random() < 0.7:
            second = rng.choice(chars)
            if second == given:
                continue
            given += second
        name = rng.choice(SURNAMES) + given
        if name not in taken:
            taken.add(name)
            return name


def _mobile(rng: random.Random, used: set[str]) -> str:
    """An 11-digit mobile number not handed out before in this plan."""
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


def _joined(rng: random.Random, years: tuple[int, int]) -> dt.date:
    """A day in a year drawn from ``years`` (inclusive)."""
    return dt.date(rng.randint(*years), 1, 1) + dt.timedelta(days=rng.randrange(365))


def _status_and_joined(rng: random.Random, years: tuple[int, int], today: dt.date) -> tuple[str, dt.date | None]:
    """Mostly full members. A probationary member joined within the year before ``today``; an activist has not."""
    draw = rng.random()
    if draw < 0.06:
        return Status.ACTIVIST, None
    if draw < 0.15:
        return Status.PROBATIONARY, today - dt.timedelta(days=rng.randrange(20, 360))
    return (Status.TRANSFERRED_OUT if draw < 0.17 else Status.FULL), _joined(rng, years)


def roster_plan(today: dt.date) -> dict[str, list[dict]]:
    """Member rows per organization key, identical on every run from the same story day (the demo clock's
    ``today``, which a re-run resumes); ``username`` names a demo user's own row."""
    rng = random.Random(SEED)
    # The directory's mobile numbers belong to their contacts; no one else may draw them.
    contact_mobiles = {spec.contact: spec.phone for spec in ORGANIZATIONS if spec.phone.startswith("1")}
    used_phones = set(contact_mobiles.values())
    plan: dict[str, list[dict]] = {}
    for spec in ORGANIZATIONS:
        if not spec.roster:
            continue
        profile = PROFILES[spec.profile]
        fixed = [person for person in FIXED_MEMBERS if person.org == spec.key]
        taken = {person.name for person in fixed}
        # Secretaries and leads are seasoned members: they joined at least eight years ago.
        senior_years = (profile.joined_years[0], profile.joined_years[1] - 8)
        rows = [
            {
                "name": person.name,
                "gender": person.gender,
                "title": person.title,
                "status": Status.FULL,
                "joined_party_on": _joined(rng, senior_years),
                "phone": contact_mobiles.get(person.name) or _mobile(rng, used_phones),
                "username": person.username,
            }
            for person in fixed
        ]
        # A post a fixed person already holds (say 项目经理) must not turn up twice on the same roster.
        leads = [lead for lead in profile.leads if not any(lead in person.title for person in fixed)]
        while len(rows) < spec.roster:
            gender = "m" if rng.random() < profile.male_share else "f"
            name = _person_name(rng, gender, taken)
            if leads:
                title, status, joined = leads.pop(0), Status.FULL, _joined(rng, senior_years)
            else:
                title = rng.choice(profile.posts)
                status, joined = _status_and_joined(rng, profile.joined_years, today)
            rows.append(
                {
                    "name": name,
                    "gender": gender,
                    "title": title,
                    "status": status,
                    "joined_party_on": joined,
                    "phone": _mobile(rng, used_phones),
                    "username": None,
                }
            )
        plan[spec.key] = rows
    return plan


# --- writing it -----------------------------------------------------------------------------------------


def _ensure_users(ctx: DemoContext) -> dict:
    """Create the missing demo users; an existing account, its password included, is left as it is."""
    users, created = ensure_users(
        ctx,
        USERS,
        lambda spec: dict(
            last_name=spec.last_name,
            first_name=spec.first_name,
            email=spec.email,
            is_superuser=spec.superuser,
            is_staff=spec.superuser,
        ),
    )
    if not users["admin"].is_superuser:
        raise CommandError("The user 'admin' exists but is not a superuser; the demo needs it to grant roles.")
    ctx.step(f"users: {created} created, {len(users) - created} already there")
    return users


def _ensure_organizations(ctx: DemoContext, admin) -> dict[str, Organization]:
    """Create the missing organizations, parents first, and return every demo organization by key."""
    existing = {org.name: org for org in Organization.objects.filter(name__in=[s.name for s in ORGANIZATIONS])}
    orgs: dict[str, Organization] = {}
    created = 0
    for done, spec in enumerate(ORGANIZATIONS, start=1):
        org = existing.get(spec.name)
        if org is None:
            org = organization_create(
                actor=admin,
                parent=orgs[spec.parent] if spec.parent else None,
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                sector=spec.sector,
                unit_name=spec.unit_name,
                secretary_name=spec.secretary,
                contact_name=spec.contact,
                contact_phone=spec.phone,
                address=spec.address,
                description=spec.description,
            )
            created += 1
        orgs[spec.key] = org
        ctx.progress("organizations", done, len(ORGANIZATIONS))
    ctx.step(f"organizations: {created} created, {len(ORGANIZATIONS) - created} already there")
    return orgs


def _ensure_roster(ctx: DemoContext, admin, orgs: dict[str, Organization], users: dict) -> None:
    """Import the planned members that are missing, one organization at a time, through the roster service."""
    plan = roster_plan(ctx.clock.today)
    present = set(
        Member.objects.filter(organization__in=[orgs[key] for key in plan]).values_list("organization_id", "name")
    )
    linked = set(Member.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    created = 0
    for done, (key, rows) in enumerate(plan.items(), start=1):
        org = orgs[key]
        missing = [row for row in rows if (org.pk, row["name"]) not in present]
        if missing:
            member_import(
                actor=admin,
                organization=org,
                rows=[
                    {**row, "row": number, "user": _free_user(users, row["username"], linked)}
                    for number, row in enumerate(missing, start=1)
                ],
            )
            created += len(missing)
        ctx.progress("roster", done, len(plan))
    total = sum(len(rows) for rows in plan.values())
    ctx.step(f"members: {created} created, {total - created} already there")
    _relink_users(admin, orgs, users, linked)


def _free_user(users: dict, username: str | None, linked: set[int]):
    """The demo user for a roster row, marked as linked, unless already on a roster (the link is one-to-one)."""
    if username is None or users[username].pk in linked:
        return None
    linked.add(users[username].pk)
    return users[username]


def _relink_users(admin, orgs: dict[str, Organization], users: dict, linked: set[int]) -> None:
    """Link a demo user to their existing roster row when the link was lost (say the user was recreated)."""
    for person in FIXED_MEMBERS:
        if person.username is None or users[person.username].pk in linked:
            continue
        member = Member.objects.filter(organization=orgs[person.org], name=person.name, user=None).first()
        if member is not None:
            member_update(actor=admin, member=member, user=users[person.username])
            linked.add(users[person.username].pk)


def _ensure_roles(ctx: DemoContext, admin, orgs: dict[str, Organization], users: dict) -> None:
    """Grant every demo user's roles (``membership_grant`` does nothing when the role is already held)."""
    before = Membership.objects.count()
    for spec in USERS:
        for key, role in spec.roles:
            membership_grant(actor=admin, user=users[spec.username], organization=orgs[key], role=role)
    ctx.step(f"roles: {Membership.objects.count() - before} granted")


def seed(ctx: DemoContext) -> None:
    """Build or top up the partnerships demo world and publish it in ``ctx.data["partnerships"]``."""
    ctx.clock = joint_work.resume_clock(ctx.clock)
    users = _ensure_users(ctx)
    admin = users["admin"]
    orgs = _ensure_organizations(ctx, admin)
    _ensure_roster(ctx, admin, orgs, users)
    _ensure_roles(ctx, admin, orgs, users)
    named = (
        "group_committee",
        "branch_a",
        "branch_b",
        "joint_branch",
        "street_committee",
        "contractor_branch",
        "private_branch",
        "dev_zone_committee",
        "local_committee",
    )
    ctx.data["partnerships"] = {
        "organizations": orgs,
        **{key: orgs[key] for key in named},
        "branch_a_partners": [orgs["contractor_branch"], orgs["street_committee"], orgs["dev_zone_committee"]],
        "key_project": dict(KEY_PROJECT),
        "users": users,
    }
    joint_work.seed(ctx)
    lists.seed(ctx)
