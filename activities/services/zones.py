"""Every write to red responsibility zones (红旗责任区): the zone, its claims (责任人 and members) and its checks.

A zone, its claims and its checks are written by the zone lead's or the project owner's secretary (admins: all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
    ResponsibilityZone,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
    ZoneDimension,
)
from activities.photos import check_photos, store_photo
from activities.rules import is_admin, secretary_org_ids
from activities.selectors.projects import assignment_errors
from activities.services._common import _full_clean, _merge
from partnerships.models import Organization
from portal.scoping import ensure_editable

ZONE_FIELDS = ("name", "area", "pledges", "supervision_phone", "order")


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


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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


def _photos(photos, errors: dict[str, list], field: str = "photos") -> tuple[list, dict[str, list]]:
    try:
        return check_photos(photos, field=field), errors
    except ValidationError as exc:
        return [], _merge(errors, exc.message_dict)


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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
