"""Photos uploaded from the log form as soon as they are picked (``PendingPhoto``), so a validation error never
loses them: the upload, attaching them to the activity when the log is saved, and their nightly expiry.

A pending photo is its uploader's alone: another user's id is refused as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityPhoto, PendingPhoto
from activities.photos import PHOTO_MAX_FILES, check_photos, store_photo
from activities.rules import may_create_activities
from portal import housekeeping_files

# A pending photo not attached within a day is dropped (its files go with the orphan sweep of the same run).
PENDING_PHOTO_TTL = dt.timedelta(hours=24)


@transaction.atomic(durable=True)
def pending_photo_create(*, actor: AbstractBaseUser, upload: UploadedFile) -> PendingPhoto:
    """Check one picked photo (images only, 10 MB, decoded within the pixel cap) and keep it for its uploader.

    Only those who may log activities (secretaries, admins) upload; errors are keyed ``photos``.
    """
    if not may_create_activities(actor):
        raise PermissionDenied
    checked = check_photos([upload])
    if not checked:
        raise ValidationError({"photos": [_("Choose a photo to upload.")]})
    return store_photo(PendingPhoto, upload=checked[0], uploaded_by=actor)


def pending_photos_for(actor: AbstractBaseUser, ids: Iterable) -> list[PendingPhoto]:
    """The actor's own pending photos among ``ids`` (in upload order); raises when any id is not theirs."""
    wanted = {photo.pk if isinstance(photo, PendingPhoto) else int(photo) for photo in ids or ()}
    if not wanted:
        return []
    if len(wanted) > PHOTO_MAX_FILES:
        raise ValidationError({"photos": [_("Attach at most %(n)s photos at a time.") % {"n": PHOTO_MAX_FILES}]})
    found = list(PendingPhoto.objects.filter(pk__in=wanted, uploaded_by_id=actor.pk).order_by("pk"))
    if len(found) != len(wanted):
        raise ValidationError({"photos": [_("A photo uploaded earlier is no longer available; pick it again.")]})
    return found


def attach_pending_photos(*, actor: AbstractBaseUser, activity: Activity, photos: Iterable[PendingPhoto]) -> int:
    """Turn checked pending photos into the activity's photos (same stored files), inside the caller's transaction."""
    photos = list(photos)
    fields = ("image", "thumbnail", "original_name", "size", "width", "height", "caption")
    ActivityPhoto.objects.bulk_create(
        ActivityPhoto(activity=activity, uploaded_by=actor, **{name: getattr(photo, name) for name in fields})
        for photo in photos
    )
    PendingPhoto.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
    return len(photos)


@housekeeping_files.register_expiry
def pending_photos_expire(*, now: dt.datetime) -> int:
    """Delete pending photos older than ``PENDING_PHOTO_TTL`` (run by the nightly housekeeping, in its transaction)."""
    return PendingPhoto.objects.filter(created_at__lt=now - PENDING_PHOTO_TTL).delete()[0]
