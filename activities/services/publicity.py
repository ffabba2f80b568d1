"""Every write to publicity items (宣传) and branch brands (一支部一特色).

A logged activity becomes a draft item in one click (``publicity_item_create``: title, text and photos taken from
the log); its author edits it and submits it; the reviewing organization approves it or returns it with a reason;
a returned item is edited and submitted again. Only approved items count in the assessment and show on brand pages.
Submitting notifies the reviewers, a ruling notifies the author (``activities/reminders.py`` registers the kinds).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import notices
from activities.models import Activity, ActivityPhoto, PublicityItem
from activities.rules import may_edit_branch_brand, may_publicize, may_review_publicity
from activities.selectors.publicity import brand_reviewer
from activities.services._common import _full_clean
from partnerships.models import Organization
from portal.scoping import ensure_editable

Status = PublicityItem.Status
# Photos pre-chosen from the log when an item is made (the author adds or drops the rest).
PREFILL_PHOTOS = 9


def _lock(item: PublicityItem) -> PublicityItem:
    """A fresh, locked copy: two people acting at once cannot both move the item from the same state."""
    return PublicityItem.objects.select_for_update().select_related("reviewer_org").get(pk=item.pk)


def _brand_of(activity: Activity) -> dict:
    if activity.agreement_id:
        return {"agreement": activity.agreement, "branch": None}
    return {"agreement": None, "branch": activity.lead}


@transaction.atomic(durable=True)
def publicity_item_create(*, actor: AbstractBaseUser, activity: Activity) -> PublicityItem:
    """Make a draft item from a logged activity: its title, its summary and outcomes as text, its first photos,
    credited to its agreement (or to its lead branch for the branch's own activity)."""
    activity = Activity.objects.select_related("agreement", "lead").get(pk=activity.pk)
    if not may_publicize(actor, activity):
        if (
            activity.status != Activity.Status.LOGGED
            and Activity.objects.editable_by(actor).filter(pk=activity.pk).exists()
        ):
            raise ValidationError(_("Log the activity before turning it into a publicity item."), code="not_logged")
        raise PermissionDenied
    text = activity.summary
    if activity.outcomes:
        text = f"{text}\n\n{activity.outcomes}"
    item = PublicityItem(
        activity=activity,
        title=activity.title,
        text=text,
        reviewer_org=brand_reviewer(activity),
        created_by=actor,
        **_brand_of(activity),
    )
    _full_clean(item, {}, exclude=["created_by", "reviewed_by"])
    item._history_user = actor
    item.save()
    item.photos.set(list(activity.photos.order_by("pk").values_list("pk", flat=True)[:PREFILL_PHOTOS]))
    return item


@transaction.atomic(durable=True)
def publicity_item_update(
    *,
    actor: AbstractBaseUser,
    item: PublicityItem,
    title: str,
    text: str,
    link: str = "",
    photos: Sequence[ActivityPhoto] = (),
) -> PublicityItem:
    """Edit a draft or returned item: title, text, link, and which of the activity's photos it shows."""
    ensure_editable(actor, item)
    item = _lock(item)
    if not item.editable_status:
        raise ValidationError(_("Only a draft or a returned item can be changed."), code="state")
    errors: dict[str, list] = {}
    photos = list(photos or ())
    if any(photo.activity_id != item.activity_id for photo in photos):
        errors["photos"] = [_("Choose photos of this activity only.")]
    item.title = (title or "").strip()
    item.text = (text or "").strip()
    item.link = (link or "").strip()
    if not item.title:
        errors.setdefault("title", []).append(_("Enter a title."))
    if not item.text:
        errors.setdefault("text", []).append(_("Write the text of the item."))
    _full_clean(item, errors, exclude=["created_by", "reviewed_by"], skip_constraints=bool(errors))
    item._history_user = actor
    item.save()
    item.photos.set(photos)
    return item


@transaction.atomic(durable=True)
def publicity_item_submit(*, actor: AbstractBaseUser, item: PublicityItem) -> PublicityItem:
    """Send a draft or returned item for review; the reviewing organization is fixed now (the agreement's host may
    have changed since the draft) and its reviewers are told."""
    ensure_editable(actor, item)
    item = _lock(item)
    if not item.editable_status:
        raise ValidationError(_("Only a draft or a returned item can be submitted."), code="state")
    activity = Activity.objects.select_related("lead").get(pk=item.activity_id)
    item.reviewer_org = brand_reviewer(activity)
    item.status = Status.SUBMITTED
    item.submitted_at = timezone.now()
    item._history_user = actor
    item.save(update_fields=["reviewer_org", "status", "submitted_at", "updated_at"])
    notices.publicity_submitted(actor=actor, item=item)
    return item


def _rule(actor, item: PublicityItem) -> PublicityItem:
    if not PublicityItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise PermissionDenied
    item = _lock(item)
    if not may_review_publicity(actor, item):
        raise PermissionDenied
    if item.status != Status.SUBMITTED:
        raise ValidationError(_("Only an item awaiting review can be approved or returned."), code="state")
    return item


@transaction.atomic(durable=True)
def publicity_item_approve(*, actor: AbstractBaseUser, item: PublicityItem) -> PublicityItem:
    """Approve a submitted item (its reviewing organization's reviewer): it now counts and shows on the brand page."""
    item = _rule(actor, item)
    item.status = Status.APPROVED
    item.reviewed_by = actor
    item.reviewed_at = timezone.now()
    item.return_reason = ""
    item._history_user = actor
    item.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_reason", "updated_at"])
    notices.publicity_ruled(actor=actor, item=item)
    return item


@transaction.atomic(durable=True)
def publicity_item_return(*, actor: AbstractBaseUser, item: PublicityItem, reason: str) -> PublicityItem:
    """Return a submitted item to its author with a reason (required); they may edit it and submit it again."""
    item = _rule(actor, item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the item is returned.")]}, code="required")
    item.status = Status.RETURNED
    item.return_reason = reason
    item.reviewed_by = actor
    item.reviewed_at = timezone.now()
    item._history_user = actor
    item.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_reason", "updated_at"])
    notices.publicity_ruled(actor=actor, item=item)
    return item


@transaction.atomic(durable=True)
def branch_brand_update(
    *, actor: AbstractBaseUser, organization: Organization, brand: str, brand_description: str = ""
) -> Organization:
    """Set a branch's 特色品牌 (name and a short description): its secretary, its committee's reviewers, admins."""
    if not may_edit_branch_brand(actor, organization):
        raise PermissionDenied
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    organization.brand = (brand or "").strip()
    organization.brand_description = (brand_description or "").strip()
    organization.full_clean()
    organization._history_user = actor
    organization.save(update_fields=["brand", "brand_description", "updated_at"])
    return organization
