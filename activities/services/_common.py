"""Checks shared by the writes of key projects, zones, posts and teams (private to the services package)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
)
from activities.selectors.projects import party_for, party_organizations
from partnerships.models import Organization


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
