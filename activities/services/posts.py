"""Every write to party-member pioneer posts (党员先锋岗), by the secretary of the member's organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
    PioneerPost,
)
from activities.rules import is_admin, secretary_org_ids
from activities.services._common import _check_period, _check_project_org, _full_clean, _merge
from partnerships.models import Member
from portal.scoping import ensure_editable

POST_FIELDS = ("post", "duties", "starts_on", "ends_on")


def _check_post_member(actor, member: Member | None) -> dict[str, list]:
    if member is None:
        return {"member": [_("Choose a party member.")]}
    if not is_admin(actor) and member.organization_id not in secretary_org_ids(actor):
        return {"member": [_("Choose a member from the roster of an organization where you are secretary.")]}
    return {}


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
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
