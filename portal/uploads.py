"""Uploaded files: the type is judged by content (magic bytes), never by the name, and the size is capped."""

from __future__ import annotations

from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Families of accepted content, by the MIME type ``filetype`` detects.
IMAGES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
PDF = {"application/pdf": ".pdf"}
OFFICE = {
    # .docx/.xlsx/.pptx are zip containers; filetype recognises them by their parts.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}
DOCUMENTS = {**PDF, **IMAGES}
EVIDENCE = {**PDF, **IMAGES, **OFFICE}

MB = 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    file: object
    content_type: str
    extension: str
    size: int
    original_name: str


def check_upload(upload, *, allowed: dict[str, str], max_bytes: int) -> CheckedUpload:
    """Return what the file really is, or raise a ValidationError in the user's language.

    Refuses files larger than ``max_bytes`` and files whose content is not one of ``allowed`` — a renamed .exe is
    refused even when it is called scan.pdf.
    """
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s."),
            code="too_large",
            params={"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    head = upload.read(8192)
    upload.seek(position)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in allowed:
        accepted = "、".join(sorted(set(allowed.values())))
        raise ValidationError(
            _("“%(name)s” is not an accepted file: its content must be one of %(types)s."),
            code="bad_type",
            params={"name": upload.name, "types": accepted},
        )
    return CheckedUpload(
        file=upload, content_type=kind.mime, extension=allowed[kind.mime], size=upload.size, original_name=upload.name
    )
