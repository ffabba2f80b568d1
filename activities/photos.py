"""Photos of activities and zone checks: images only (judged by content), size-limited, stored with a thumbnail.

Pillow must be able to decode the image (a truncated or forged file is refused even when its first bytes look
right); the thumbnail is a JPEG at most ``THUMB_SIZE`` pixels on its long side, turned upright from the camera's
EXIF orientation, so a phone photo lists quickly on a phone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.uploads import IMAGES, MB, THUMB_SIZE, CheckedUpload, check_upload, jpeg_thumbnail, serve_upload, upright

PHOTO_MAX_BYTES = 10 * MB
PHOTO_MAX_FILES = 12
# Refuse decompression bombs: a phone photo is ~12-50 megapixels.
MAX_PIXELS = 80_000_000


def check_photos(files: Sequence[UploadedFile], field: str = "photos") -> list[CheckedUpload]:
    """Check every file (count, size, image content); all problems at once under ``field``."""
    files = [f for f in files or () if f]
    if len(files) > PHOTO_MAX_FILES:
        raise ValidationError({field: _("Attach at most %(n)s photos at a time.") % {"n": PHOTO_MAX_FILES}})
    checked, problems = [], []
    for upload in files:
        try:
            # check_upload decodes the whole image within the pixel cap.
            checked.append(check_upload(upload, allowed=IMAGES, max_bytes=PHOTO_MAX_BYTES, max_pixels=MAX_PIXELS))
        except ValidationError as exc:
            problems.extend(exc.error_list)
    if problems:
        raise ValidationError({field: problems})
    return checked


def _decode(upload) -> Image.Image:
    upload.seek(0)
    try:
        image = Image.open(upload)
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("“%(name)s” is too large an image."), params={"name": upload.name}, code="pixels")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("“%(name)s” could not be read as an image."), params={"name": upload.name}, code="bad_image"
        ) from exc
    finally:
        upload.seek(0)
    return image


def store_photo(model, *, upload: CheckedUpload, uploaded_by, caption: str = "", **owner):
    """Save one checked photo as a ``model`` row (ActivityPhoto, ZoneCheckPhoto) with its thumbnail."""
    image = upright(_decode(upload.file))
    thumbnail = jpeg_thumbnail(image, THUMB_SIZE)
    stem = uuid.uuid4().hex
    photo = model(
        original_name=(upload.original_name or "photo")[-200:],
        size=upload.size,
        width=image.width,
        height=image.height,
        caption=caption[:120],
        uploaded_by=uploaded_by,
        **owner,
    )
    upload.file.seek(0)
    photo.image.save(f"{stem}{upload.extension}", upload.file, save=False)
    photo.thumbnail.save(f"{stem}.jpg", ContentFile(thumbnail), save=False)
    photo.save()
    return photo


def photo_response(photo, *, thumbnail: bool = False) -> FileResponse:
    """Stream a photo the caller has already found through a scoped queryset."""
    field = photo.thumbnail if thumbnail else photo.image
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    content_type = "image/jpeg" if thumbnail else _content_type(field.name)
    response = serve_upload(handle, filename=photo.original_name, content_type=content_type, max_pixels=MAX_PIXELS)
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _content_type(name: str) -> str:
    extension = "." + name.rsplit(".", 1)[-1].lower()
    return next((mime for mime, ext in IMAGES.items() if ext == extension), "application/octet-stream")
