"""Every write to key projects, red responsibility zones, zone checks, pioneer posts and teams.

Errors are ``ValidationError``s keyed by the form field they belong to (``owner``, ``lead``, ``ends_on``,
``finding``, ``photos`` …), or by ``assignments`` / ``members`` for rules about a whole list of people, so the pages
can show each one next to what it is about; a refused call writes nothing.

Who may write (the models' ``scope_editable_q``): a project by its owner's secretary; a zone, its claims and its
checks by the zone lead's or the project owner's secretary; a post or a team by its organization's secretary.
Admins may do everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from activities.photos import check_photos, store_photo
from activities.rules import CLOSED_AGREEMENT, is_admin, may_create_project, secretary_org_ids
from activities.selectors.projects import assignment_errors, party_for, party_organizations, team_member_errors
from partnerships.models import Agreement, Member, Organization
from portal.scoping import ensure_editable

PROJECT_FIELDS = (
    "name",
    "code",
    "location",
    "description",
    "starts_on",
    "ends_on",
    "is_joint",
    "honours",
    "supervision_phone",
    "status",
)
ZONE_FIELDS = ("name", "area", "pledges", "supervision_phone", "order")
POST_FIELDS = ("post", "duties", "starts_on", "ends_on")
TEAM_FIELDS = ("name", "kind", "purpose", "starts_on", "ends_on")


# --- helpers shared with forms and selectors ------------------------------------------------------------------


def _merge(*groups: dict[str, list]) -> dict[str, list]:
    merged: dict[str, list] = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(messages if isinstance(messages, list) else [messages])
    return merged


def _full_clean(obj, errors: dict[str, list], exclude: Sequence[str] = (), skip_constraints: bool = False) -> None:
    """Run the model's validation and raise it together with what the service found, field by field."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=not skip_constraints)
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _check_period(starts_on, ends_on, field: str = "ends_on") -> dict[str, list]:
    # Checked here as well as by the CheckConstraint so the message sits under the end date, not above the form.
    if starts_on and ends_on and ends_on < starts_on:
        return {field: [_("The period cannot end before it starts.")]}
    return {}


def _check_owner(actor, agreement: Agreement, owner: Organization | None) -> dict[str, list]:
    if owner is None:
        return {"owner": [_("Choose the responsible organization.")]}
    if not agreement.parties.filter(organization=owner).exists():
        return {"owner": [_("The responsible organization must be a party of the agreement.")]}
    if not is_admin(actor) and owner.pk not in secretary_org_ids(actor):
        return {"owner": [_("You can only make a party where you are secretary responsible for the project.")]}
    return {}


# --- key projects -------------------------------------------------------------------------------------------------


@transaction.atomic
def key_project_create(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    owner: Organization,
    name: str,
    code: str = "",
    location: str = "",
    description: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    is_joint: bool = True,
    honours: str = "",
    supervision_phone: str = "",
    status: str = KeyProject.Status.UNDER_WAY,
) -> KeyProject:
    """Record a key project (重点项目) under an agreement.

    The actor is a secretary of a party of the agreement (or an admin); the responsible organization (``owner``) is a
    party where the actor is secretary (admins: any party). Refuses an agreement no longer in force, a duplicate
    name and a project ending before it starts.
    """
    if not may_create_project(actor, agreement):
        if agreement.status in CLOSED_AGREEMENT:
            raise ValidationError(
                {NON_FIELD_ERRORS: [_("Key projects cannot be added under an agreement that is no longer in force.")]}
            )
        raise PermissionDenied
    project = KeyProject(
        agreement=agreement,
        owner=owner,
        name=(name or "").strip(),
        code=code or "",
        location=location or "",
        description=description or "",
        starts_on=starts_on,
        ends_on=ends_on,
        is_joint=is_joint,
        honours=honours or "",
        supervision_phone=supervision_phone or "",
        status=status,
    )
    period = _check_period(starts_on, ends_on)
    errors = _merge(_check_owner(actor, agreement, owner), period)
    _full_clean(project, errors, exclude=["owner"] if "owner" in errors else (), skip_constraints=bool(period))
    project._history_user = actor
    project.save()
    ensure_editable(actor, project)
    return project


@transaction.atomic
def key_project_update(
    *, actor: AbstractBaseUser, project: KeyProject, owner: Organization | None = None, **fields: Any
) -> KeyProject:
    """Edit a project (its owner's secretary): any of ``PROJECT_FIELDS``, and the responsible organization.

    The agreement is fixed. A new owner must be a party where the actor is secretary too, so an editor never hands
    the project to someone else by mistake (an admin may). A project made joint must not have zones claimed by one
    party only.
    """
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    ensure_editable(actor, project)
    project = KeyProject.objects.select_for_update().select_related("agreement").get(pk=project.pk)
    was_joint = project.is_joint
    for key, value in fields.items():
        setattr(project, key, value.strip() if key == "name" and isinstance(value, str) else value)
    errors: dict[str, list] = {}
    if owner is not None and owner.pk != project.owner_id:
        errors = _check_owner(actor, project.agreement, owner)
        project.owner = owner
    period = _check_period(project.starts_on, project.ends_on)
    errors = _merge(errors, period)
    if project.is_joint and not was_joint:
        errors = _merge(errors, _single_party_zones(project))
    _full_clean(project, errors, skip_constraints=bool(period))
    project._history_user = actor
    project.save()
    ensure_editable(actor, project)
    return project


def _single_party_zones(project: KeyProject) -> dict[str, list]:
    """Making a project joint: every zone already claimed must have members of at least two parties."""
    parties = party_organizations(project.agreement)
    present: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    for assignment in ZoneAssignment.objects.filter(zone__project=project).select_related(
        "member__organization", "zone"
    ):
        party = party_for(assignment.member.organization, parties)
        present.setdefault(assignment.zone_id, set()).add(party.pk if party else 0)
        names[assignment.zone_id] = assignment.zone.name
    lonely = [names[zone_id] for zone_id, found in present.items() if len(found - {0}) < 2]
    if not lonely:
        return {}
    return {
        "is_joint": [
            _("These zones are claimed by one party only; add members of another party first: %(zones)s.")
            % {"zones": "、".join(sorted(lonely))}
        ]
    }


# --- zones --------------------------------------------------------------------------------------------------------


def _clean_dimensions(dimensions: Iterable[str]) -> tuple[list[str], dict[str, list]]:
    values = list(dimensions or ())
    unknown = [value for value in values if value not in ZoneDimension.values]
    if unknown:
        return [], {"dimensions": [_("Unknown responsibility dimension: %(values)s.") % {"values": "、".join(unknown)}]}
    # Stored in the canonical order (安全, 质量, 投资 …) whatever order they were ticked in.
    return [value for value in ZoneDimension.values if value in values], {}


def _check_lead(project: KeyProject, lead: Organization | None) -> dict[str, list]:
    if lead is None:
        return {"lead": [_("Choose the organization that keeps the zone.")]}
    if not project.agreement.parties.filter(organization=lead).exists():
        return {"lead": [_("The zone's lead organization must be a party of the project's agreement.")]}
    return {}


@transaction.atomic
def zone_create(
    *,
    actor: AbstractBaseUser,
    project: KeyProject,
    name: str,
    area: str,
    lead: Organization,
    dimensions: Iterable[str] = (),
    pledges: str = "",
    supervision_phone: str = "",
    order: int = 0,
) -> ResponsibilityZone:
    """Divide a project into a new red responsibility zone (红旗责任区) — the project owner's secretary.

    The lead organization (whose secretary keeps the zone with the owner) is a party of the agreement; dimensions
    are ``ZoneDimension`` values; the name is unique within the project. Members claim it afterwards.
    """
    ensure_editable(actor, project)
    project = KeyProject.objects.select_related("agreement").get(pk=project.pk)
    values, dimension_errors = _clean_dimensions(dimensions)
    zone = ResponsibilityZone(
        project=project,
        name=(name or "").strip(),
        area=area or "",
        lead=lead,
        dimensions=values,
        pledges=pledges or "",
        supervision_phone=supervision_phone or "",
        order=order or 0,
    )
    errors = _merge(_check_lead(project, lead), dimension_errors)
    _full_clean(zone, errors, exclude=["lead"] if "lead" in errors else ())
    zone._history_user = actor
    zone.save()
    ensure_editable(actor, zone)
    return zone


@transaction.atomic
def zone_update(
    *,
    actor: AbstractBaseUser,
    zone: ResponsibilityZone,
    lead: Organization | None = None,
    dimensions: Iterable[str] | None = None,
    **fields: Any,
) -> ResponsibilityZone:
    """Edit a zone (the zone lead's or the project owner's secretary): ``ZONE_FIELDS``, lead and dimensions."""
    unknown = set(fields) - set(ZONE_FIELDS)
    if unknown:
        raise TypeError(f"unknown zone fields: {sorted(unknown)}")
    ensure_editable(actor, zone)
    zone = ResponsibilityZone.objects.select_for_update().select_related("project__agreement").get(pk=zone.pk)
    for key, value in fields.items():
        setattr(zone, key, value.strip() if key == "name" and isinstance(value, str) else value)
    errors: dict[str, list] = {}
    if dimensions is not None:
        zone.dimensions, errors = _clean_dimensions(dimensions)
    if lead is not None and lead.pk != zone.lead_id:
        errors = _merge(errors, _check_lead(zone.project, lead))
        keeps = is_admin(actor) or {lead.pk, zone.project.owner_id} & secretary_org_ids(actor)
        if not errors.get("lead") and not keeps:
            # The owner's secretary stays an editor whoever leads; a lead's secretary would hand the zone away.
            errors["lead"] = [_("Only the project's responsible organization can hand the zone to another party.")]
        zone.lead = lead
    _full_clean(zone, errors)
    zone._history_user = actor
    zone.save()
    ensure_editable(actor, zone)
    return zone


@transaction.atomic
def zone_set_members(*, actor: AbstractBaseUser, zone: ResponsibilityZone, assignments: Sequence[dict]) -> list:
    """Replace the zone's claims (``ZoneAssignment``) with ``assignments`` — dicts of ``member``, ``role``, ``post``.

    The whole list is checked first (``assignment_errors``) and written in one transaction: members who stay keep
    their row (and its claim date) with the new role and post, the others are removed or added.
    """
    ensure_editable(actor, zone)
    zone = ResponsibilityZone.objects.select_for_update().select_related("project__agreement").get(pk=zone.pk)
    rows = [
        {"member": row.get("member"), "role": row.get("role") or ZoneAssignment.Role.MEMBER, "post": row.get("post")}
        for row in assignments
    ]
    general, by_row = assignment_errors(zone.project, rows)
    errors: dict[str, list] = {}
    if general:
        errors["assignments"] = general
    for fields in by_row.values():
        errors = _merge(errors, fields)
    if any(row["member"] is None for row in rows):
        errors = _merge(errors, {"member": [_("Choose a member for every row.")]})
    if errors:
        raise ValidationError(errors)
    existing = {assignment.member_id: assignment for assignment in zone.assignments.all()}
    wanted = {row["member"].pk for row in rows}
    for member_id, assignment in existing.items():
        if member_id not in wanted:
            assignment._history_user = actor
            assignment.delete()
    result = []
    for row in rows:
        assignment = existing.get(row["member"].pk) or ZoneAssignment(zone=zone, member=row["member"])
        post = (row["post"] or "").strip()
        if assignment.pk and assignment.role == row["role"] and assignment.post == post:
            result.append(assignment)
            continue
        assignment.role = row["role"]
        assignment.post = post
        assignment.full_clean(exclude=["zone", "member"], validate_unique=False, validate_constraints=False)
        assignment._history_user = actor
        assignment.save()
        result.append(assignment)
    zone._history_user = actor
    zone.save(update_fields=["updated_at"])
    ensure_editable(actor, zone)
    return result


# --- zone checks ----------------------------------------------------------------------------------------------------


def _photos(photos, errors: dict[str, list], field: str = "photos") -> tuple[list, dict[str, list]]:
    try:
        return check_photos(photos, field=field), errors
    except ValidationError as exc:
        return [], _merge(errors, exc.message_dict)


@transaction.atomic
def zone_check_create(
    *,
    actor: AbstractBaseUser,
    zone: ResponsibilityZone,
    checked_on: dt.date,
    category: str = ZoneCheck.Category.NONE,
    finding: str = "",
    inspectors: str = "",
    fix_due_on: dt.date | None = None,
    photos: Sequence = (),
) -> ZoneCheck:
    """Record a periodic check of a zone (the zone lead's or project owner's secretary), with photos.

    A category other than "no problem found" needs a description of the finding; a fix date cannot be before the
    check, nor the check in the future. With no problem found there is nothing to fix, so no fix date is kept.
    """
    ensure_editable(actor, zone)
    finding = (finding or "").strip()
    errors: dict[str, list] = {}
    if checked_on and checked_on > timezone.localdate():
        errors["checked_on"] = [_("A check cannot be recorded before it has taken place.")]
    if category != ZoneCheck.Category.NONE and not finding:
        errors["finding"] = [_("Describe what was found.")]
    if category == ZoneCheck.Category.NONE:
        fix_due_on = None
    if fix_due_on and checked_on and fix_due_on < checked_on:
        errors["fix_due_on"] = [_("The fix cannot be due before the check.")]
    checked, errors = _photos(photos, errors)
    check = ZoneCheck(
        zone=zone,
        checked_on=checked_on,
        inspectors=(inspectors or "").strip(),
        category=category,
        finding=finding,
        fix_due_on=fix_due_on,
        checked_by=actor,
    )
    _full_clean(check, errors, exclude=["fixed_by"], skip_constraints="finding" in errors)
    check._history_user = actor
    check.save()
    for upload in checked:
        store_photo(ZoneCheckPhoto, upload=upload, uploaded_by=actor, zone_check=check)
    ensure_editable(actor, check)
    return check


@transaction.atomic
def zone_check_fix(
    *, actor: AbstractBaseUser, check: ZoneCheck, fix: str, fixed_on: dt.date, photos: Sequence = ()
) -> ZoneCheck:
    """Record how an open finding was fixed and when, with photos of the result. Only open findings are fixed.

    The fix date is neither before the check nor in the future. Photos of the fix are captioned as such.
    """
    ensure_editable(actor, check)
    # Lock the row so two people closing the same finding at once cannot both record a fix.
    check = ZoneCheck.objects.select_for_update().get(pk=check.pk)
    if not check.is_open:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only an open finding can be fixed.")]}, code="state")
    fix = (fix or "").strip()
    errors: dict[str, list] = {}
    if not fix:
        errors["fix"] = [_("Describe how the finding was fixed.")]
    if fixed_on is None:
        errors["fixed_on"] = [_("Enter the date of the fix.")]
    elif fixed_on < check.checked_on:
        errors["fixed_on"] = [_("A finding cannot be fixed before the check found it.")]
    elif fixed_on > timezone.localdate():
        errors["fixed_on"] = [_("The fix date cannot be in the future.")]
    checked, errors = _photos(photos, errors)
    if errors:
        raise ValidationError(errors)
    check.fix = fix
    check.fixed_on = fixed_on
    check.fixed_by = actor
    _full_clean(check, {}, exclude=["checked_by"])
    check._history_user = actor
    check.save(update_fields=["fix", "fixed_on", "fixed_by", "updated_at"])
    caption = _("After the fix")
    for upload in checked:
        store_photo(ZoneCheckPhoto, upload=upload, uploaded_by=actor, caption=caption, zone_check=check)
    ensure_editable(actor, check)
    return check


# --- pioneer posts ----------------------------------------------------------------------------------------------------


def _check_project_org(project: KeyProject | None, organization: Organization, field: str) -> dict[str, list]:
    if project is None:
        return {}
    if party_for(organization, party_organizations(project.agreement)) is None:
        return {
            field: [
                _("%(org)s is not a party (or under a party) of the agreement of %(project)s.")
                % {"org": organization.name, "project": project.name}
            ]
        }
    return {}


def _check_post_member(actor, member: Member | None) -> dict[str, list]:
    if member is None:
        return {"member": [_("Choose a party member.")]}
    if not is_admin(actor) and member.organization_id not in secretary_org_ids(actor):
        return {"member": [_("Choose a member from the roster of an organization where you are secretary.")]}
    return {}


@transaction.atomic
def pioneer_post_create(
    *,
    actor: AbstractBaseUser,
    member: Member,
    post: str,
    starts_on: dt.date,
    duties: str = "",
    project: KeyProject | None = None,
    ends_on: dt.date | None = None,
) -> PioneerPost:
    """Set up a party-member pioneer post (党员先锋岗) for a member of a roster the actor keeps.

    The post belongs to the member's organization; on a project, that organization is a party (or under a party) of
    the project's agreement.
    """
    if not (is_admin(actor) or secretary_org_ids(actor)):
        raise PermissionDenied
    errors = _check_post_member(actor, member)
    if not errors:
        errors = _check_project_org(project, member.organization, "project")
    period = _check_period(starts_on, ends_on)
    errors = _merge(errors, period)
    pioneer_post = PioneerPost(
        organization_id=member.organization_id if member else None,
        member=member,
        post=(post or "").strip(),
        duties=duties or "",
        project=project,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _full_clean(
        pioneer_post,
        errors,
        exclude=["organization", "member"] if "member" in errors else (),
        skip_constraints=bool(period),
    )
    pioneer_post._history_user = actor
    pioneer_post.save()
    ensure_editable(actor, pioneer_post)
    return pioneer_post


@transaction.atomic
def pioneer_post_update(
    *,
    actor: AbstractBaseUser,
    pioneer_post: PioneerPost,
    member: Member | None = None,
    project: KeyProject | None | object = ...,
    **fields: Any,
) -> PioneerPost:
    """Edit a pioneer post (its organization's secretary), including ending it by setting ``ends_on``.

    A new member comes from a roster the actor keeps; the post follows the member's organization. ``project``:
    leave out to keep, ``None`` to detach.
    """
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise TypeError(f"unknown post fields: {sorted(unknown)}")
    ensure_editable(actor, pioneer_post)
    pioneer_post = PioneerPost.objects.select_for_update().get(pk=pioneer_post.pk)
    for key, value in fields.items():
        setattr(pioneer_post, key, value.strip() if key == "post" and isinstance(value, str) else value)
    errors: dict[str, list] = {}
    if member is not None and member.pk != pioneer_post.member_id:
        errors = _check_post_member(actor, member)
        pioneer_post.member = member
        pioneer_post.organization_id = member.organization_id
    if project is not ...:
        pioneer_post.project = project
    if not errors:
        errors = _check_project_org(pioneer_post.project, pioneer_post.member.organization, "project")
    period = _check_period(pioneer_post.starts_on, pioneer_post.ends_on)
    errors = _merge(errors, period)
    _full_clean(pioneer_post, errors, skip_constraints=bool(period))
    pioneer_post._history_user = actor
    pioneer_post.save()
    ensure_editable(actor, pioneer_post)
    return pioneer_post


# --- teams ------------------------------------------------------------------------------------------------------------


def _check_team_members(organization, project, members: Sequence[dict]) -> dict[str, list]:
    general, by_row = team_member_errors(organization, project, members)
    errors: dict[str, list] = {"members": general} if general else {}
    for fields in by_row.values():
        errors = _merge(errors, fields)
    if any(row.get("member") is None for row in members):
        errors = _merge(errors, {"member": [_("Choose a member for every row.")]})
    return errors


def _check_team_organization(actor, organization: Organization | None) -> dict[str, list]:
    if organization is None:
        return {"organization": [_("Choose the lead organization.")]}
    if not is_admin(actor) and organization.pk not in secretary_org_ids(actor):
        return {"organization": [_("The lead organization must be one where you are secretary.")]}
    return {}


def _write_team_members(team: Team, members: Sequence[dict]) -> None:
    existing = {row.member_id: row for row in team.memberships.all()}
    wanted = {row["member"].pk for row in members}
    TeamMember.objects.filter(team=team).exclude(member_id__in=wanted).delete()
    for row in members:
        current = existing.get(row["member"].pk)
        if current is None:
            TeamMember.objects.create(team=team, member=row["member"], role=row["role"])
        elif current.role != row["role"]:
            current.role = row["role"]
            current.save(update_fields=["role"])


@transaction.atomic
def team_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    purpose: str,
    organization: Organization,
    starts_on: dt.date,
    members: Sequence[dict],
    kind: str = Team.Kind.COMMANDO,
    project: KeyProject | None = None,
    ends_on: dt.date | None = None,
) -> Team:
    """Form a commando or vanguard team (突击队 / 先锋队) led by an organization where the actor is secretary.

    ``members`` is the full list of dicts with ``member`` and ``role`` (队长/队员). On a project the lead
    organization is a party (or under a party) of its agreement and members come from the parties' rosters.
    """
    if not (is_admin(actor) or secretary_org_ids(actor)):
        raise PermissionDenied
    errors = _check_team_organization(actor, organization)
    if not errors and organization is not None:
        errors = _check_project_org(project, organization, "project")
    period = _check_period(starts_on, ends_on)
    errors = _merge(errors, period, _check_team_members(organization, project, members))
    team = Team(
        name=(name or "").strip(),
        kind=kind,
        purpose=purpose or "",
        organization=organization,
        project=project,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _full_clean(
        team, errors, exclude=["organization"] if "organization" in errors else (), skip_constraints=bool(period)
    )
    team._history_user = actor
    team.save()
    _write_team_members(team, members)
    ensure_editable(actor, team)
    return team


@transaction.atomic
def team_update(
    *,
    actor: AbstractBaseUser,
    team: Team,
    organization: Organization | None = None,
    project: KeyProject | None | object = ...,
    members: Sequence[dict] | None = None,
    **fields: Any,
) -> Team:
    """Edit a team (its lead organization's secretary): ``TEAM_FIELDS``, lead organization, project and, when given,
    the full member list (same rules as ``team_create``)."""
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown team fields: {sorted(unknown)}")
    ensure_editable(actor, team)
    team = Team.objects.select_for_update().get(pk=team.pk)
    pool_before = (team.organization_id, team.project_id)
    for key, value in fields.items():
        setattr(team, key, value.strip() if key == "name" and isinstance(value, str) else value)
    errors: dict[str, list] = {}
    if organization is not None and organization.pk != team.organization_id:
        errors = _check_team_organization(actor, organization)
        team.organization = organization
    if project is not ...:
        team.project = project
    if not errors:
        errors = _check_project_org(team.project, team.organization, "project")
    period = _check_period(team.starts_on, team.ends_on)
    errors = _merge(errors, period)
    if members is None and (team.organization_id, team.project_id) != pool_before:
        # A new lead organization or project changes who may be in the team: the current members are checked again.
        current = [
            {"member": row.member, "role": row.role} for row in team.memberships.select_related("member__organization")
        ]
        errors = _merge(errors, _check_team_members(team.organization, team.project, current))
    elif members is not None:
        errors = _merge(errors, _check_team_members(team.organization, team.project, members))
    _full_clean(team, errors, skip_constraints=bool(period))
    team._history_user = actor
    team.save()
    if members is not None:
        _write_team_members(team, members)
    ensure_editable(actor, team)
    return team
