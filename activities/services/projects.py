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
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
    ZoneAssignment,
)
from activities.rules import CLOSED_AGREEMENT, is_admin, may_create_project, secretary_org_ids
from activities.selectors.projects import party_for, party_organizations
from activities.services._common import _check_period, _full_clean, _merge
from partnerships.models import Agreement, Organization
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


# --- helpers shared with forms and selectors ------------------------------------------------------------------


def _check_owner(actor, agreement: Agreement, owner: Organization | None) -> dict[str, list]:
    if owner is None:
        return {"owner": [_("Choose the responsible organization.")]}
    if not agreement.parties.filter(organization=owner).exists():
        return {"owner": [_("The responsible organization must be a party of the agreement.")]}
    if not is_admin(actor) and owner.pk not in secretary_org_ids(actor):
        return {"owner": [_("You can only make a party where you are secretary responsible for the project.")]}
    return {}


# --- key projects -------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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
