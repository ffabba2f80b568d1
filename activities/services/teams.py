"""Every write to teams (突击队 and the like) and their members, by the lead organization's secretary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
    Team,
    TeamMember,
)
from activities.rules import is_admin, secretary_org_ids
from activities.selectors.projects import team_member_errors
from activities.services._common import _check_period, _check_project_org, _full_clean, _merge
from partnerships.models import Organization
from portal.scoping import ensure_editable

TEAM_FIELDS = ("name", "kind", "purpose", "starts_on", "ends_on")


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


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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
