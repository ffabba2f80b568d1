"""Every write to organizations and the roster goes through these functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from partnerships.models import Member, Organization
from partnerships.roster_cache import roster_changed
from partnerships.rules import may_create_organization, may_write_roster
from portal.scoping import ensure_editable

ORGANIZATION_FIELDS = (
    "name",
    "short_name",
    "kind",
    "sector",
    "unit_name",
    "secretary_name",
    "contact_name",
    "contact_phone",
    "address",
    "description",
    "brand",
    "brand_description",
)
MEMBER_FIELDS = ("name", "gender", "title", "status", "joined_party_on", "phone", "user")


@transaction.atomic(durable=True)
def organization_create(*, actor: AbstractBaseUser, parent: Organization | None, **fields: Any) -> Organization:
    """Create an organization under ``parent`` (or a new root, for admins) after checking the actor may."""
    if not may_create_organization(actor, parent):
        raise PermissionDenied
    organization = Organization(**{key: fields[key] for key in ORGANIZATION_FIELDS if key in fields})
    # full_clean before the tree insert, so a bad row never takes a path.
    organization.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        return Organization.objects.add_root(instance=organization)
    # Fresh path/numchild: the parent may have gained children since the caller loaded it.
    parent.refresh_from_db()
    return Organization.objects.add_child(parent, instance=organization)


@transaction.atomic(durable=True)
def organization_update(*, actor: AbstractBaseUser, organization: Organization, **fields: Any) -> Organization:
    """Change an organization's directory entry (name, kind, contacts…); its place in the tree is unchanged."""
    ensure_editable(actor, organization)
    for key in ORGANIZATION_FIELDS:
        if key in fields:
            setattr(organization, key, fields[key])
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic(durable=True)
def member_create(*, actor: AbstractBaseUser, organization: Organization, **fields: Any) -> Member:
    """Add a member to an organization's roster; only that organization's secretary (or an admin) may."""
    if not may_write_roster(actor, organization):
        raise PermissionDenied
    member = Member(organization=organization, **{key: fields[key] for key in MEMBER_FIELDS if key in fields})
    member.full_clean()
    member.save()
    return member


@transaction.atomic(durable=True)
def member_update(
    *, actor: AbstractBaseUser, member: Member, organization: Organization | None = None, **fields: Any
) -> Member:
    """Edit a roster row; moving it to another organization needs the secretary role there as well."""
    ensure_editable(actor, member)
    if organization is not None and organization.pk != member.organization_id:
        if not may_write_roster(actor, organization):
            raise PermissionDenied
        member.organization = organization
    for key in MEMBER_FIELDS:
        if key in fields:
            setattr(member, key, fields[key])
    member.full_clean()
    member.save()
    # Re-check inside the transaction that the row is still the actor's to edit.
    ensure_editable(actor, member)
    return member


@transaction.atomic(durable=True)
def member_import(*, actor: AbstractBaseUser, organization: Organization, rows: Iterable[dict]) -> list[Member]:
    """Add many members at once: all rows or none.

    ``rows`` are dicts with ``row`` (the sheet's row number) and the member fields. Raises ``ValidationError``
    with one message per bad row (``{"row": n, "errors": {...}}`` in ``error_list``) and writes nothing then.
    """
    if not may_write_roster(actor, organization):
        raise PermissionDenied
    members: list[Member] = []
    problems: list[ValidationError] = []
    seen_phones: dict[str, int] = {}
    for data in rows:
        row_number = data.get("row")
        member = Member(organization=organization, **{key: data[key] for key in MEMBER_FIELDS if key in data})
        try:
            member.full_clean()
        except ValidationError as exc:
            problems.append(ValidationError(_row_message(row_number, exc), params={"row": row_number}))
            continue
        if member.phone:
            if member.phone in seen_phones:
                problems.append(
                    ValidationError(
                        _("Row %(row)s: phone %(phone)s repeats row %(first)s.")
                        % {"row": row_number, "phone": member.phone, "first": seen_phones[member.phone]}
                    )
                )
                continue
            seen_phones[member.phone] = row_number
        members.append(member)
    if problems:
        raise ValidationError(problems)
    created = bulk_create_with_history(members, Member, default_user=actor)
    transaction.on_commit(roster_changed)  # a bulk insert sends no post_save
    return created


def _row_message(row_number, exc: ValidationError) -> str:
    parts = []
    for field, messages in exc.message_dict.items():
        label = Member._meta.get_field(field).verbose_name if field != "__all__" else ""
        for message in messages:
            parts.append(f"{label}：{message}" if label else message)
    return _("Row %(row)s: %(errors)s") % {"row": row_number, "errors": "；".join(parts)}
