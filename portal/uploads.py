"""Uploaded files: the type is judged by content, never by the name, and the size is capped.

The magic bytes only say what a file claims to be; ``check_upload`` then opens it as that: every image is decoded
by Pillow within a pixel cap (its dimensions are read from the header and refused before a single pixel is
unpacked), a PDF must parse with ``pypdf`` (not encrypted, at least one page, at most ``PDF_MAX_PAGES``), an Office
document must be a sound zip with its main part, within a cap on entries and unpacked size. What fails is refused
with a message naming the file, and nothing is saved.

``serve_upload`` streams a stored file back: inline only a PDF or an image whose header is within the pixel cap,
everything else as an attachment, always with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass

import filetype
import pypdf
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

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

# An A4 page scanned at 600 dpi is 35 megapixels; nothing a user means to upload as a document is larger.
MAX_IMAGE_PIXELS = 40_000_000
PDF_MAX_PAGES = 500
OFFICE_MAX_ENTRIES = 2_000
OFFICE_MAX_UNPACKED = 100 * MB

_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_OFFICE_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "ppt/presentation.xml",
}
# What a decoder may raise on a forged or truncated file (UnidentifiedImageError is an OSError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, zlib.error)


@dataclass(frozen=True)
class CheckedUpload:
    file: object
    content_type: str
    extension: str
    size: int
    original_name: str


def check_upload(
    upload, *, allowed: dict[str, str], max_bytes: int, max_pixels: int = MAX_IMAGE_PIXELS
) -> CheckedUpload:
    """Return what the file really is, or raise a ValidationError in the user's language.

    Refuses files larger than ``max_bytes``, files whose content is not one of ``allowed`` — a renamed .exe is
    refused even when it is called scan.pdf — and files that do not open as what they claim to be.
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
    try:
        if kind.mime in IMAGES:
            _check_image(upload, kind.mime, max_pixels)
        elif kind.mime in PDF:
            _check_pdf(upload)
        elif kind.mime in OFFICE:
            _check_office(upload, kind.mime)
    finally:
        upload.seek(position)
    return CheckedUpload(
        file=upload, content_type=kind.mime, extension=allowed[kind.mime], size=upload.size, original_name=upload.name
    )


def _check_image(upload, mime: str, max_pixels: int) -> None:
    """Decode the whole image; refuse it when it is larger than ``max_pixels`` or does not decode."""
    too_large = ValidationError(
        _("“%(name)s” is too large an image: at most %(limit)s megapixels."),
        code="pixels",
        params={"name": upload.name, "limit": max_pixels // 1_000_000},
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard only warns below twice its limit; here any warning of it is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload, formats=[_PILLOW_FORMATS[mime]]) as image:
                if image.width * image.height > max_pixels:
                    raise too_large
                image.verify()
            upload.seek(0)
            with Image.open(upload, formats=[_PILLOW_FORMATS[mime]]) as image:
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_large from exc
        except _DECODE_ERRORS as exc:
            raise ValidationError(
                _("“%(name)s” could not be read as an image."), code="bad_image", params={"name": upload.name}
            ) from exc


def _check_pdf(upload) -> None:
    """Parse the PDF's structure and page tree (not its content streams); refuse encrypted and broken files."""
    params = {"name": upload.name}
    upload.seek(0)
    try:
        reader = pypdf.PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("“%(name)s” is a password-protected PDF; upload it without a password."),
                code="pdf_encrypted",
                params=params,
            )
        # The declared count first, so a forged tree of a million pages is refused before it is walked.
        declared = int(reader.trailer["/Root"]["/Pages"]["/Count"])
        if declared > PDF_MAX_PAGES:
            raise ValidationError(
                _("“%(name)s” has %(count)s pages; at most %(limit)s are accepted."),
                code="pdf_pages",
                params={**params, "count": declared, "limit": PDF_MAX_PAGES},
            )
        pages = 0
        for page in reader.pages:
            page.mediabox  # noqa: B018 — every page must be a real page object with a size
            pages += 1
            if pages > PDF_MAX_PAGES:
                break
        if not 1 <= pages <= PDF_MAX_PAGES:
            raise ValueError(pages)
    except ValidationError:
        raise
    except (pypdf.errors.PyPdfError, RecursionError, AttributeError, *_DECODE_ERRORS) as exc:
        raise ValidationError(_("“%(name)s” could not be read as a PDF."), code="bad_pdf", params=params) from exc


def _check_office(upload, mime: str) -> None:
    """An Office document is a zip: it must open, hold its main part and unpack (CRC-checked) within the caps."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            sound = (
                len(entries) <= OFFICE_MAX_ENTRIES
                and sum(entry.file_size for entry in entries) <= OFFICE_MAX_UNPACKED
                and {"[Content_Types].xml", _OFFICE_MAIN_PARTS[mime]} <= names
                and not any(entry.flag_bits & 0x1 for entry in entries)  # encrypted entries
                # Each entry unpacks at most to its declared size, so this is bounded by the cap above.
                and archive.testzip() is None
            )
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, *_DECODE_ERRORS):
        sound = False
    if not sound:
        raise ValidationError(
            _("“%(name)s” could not be opened as an Office document."), code="bad_office", params={"name": upload.name}
        )


THUMB_SIZE = 480  # pixels on a thumbnail's long side: a phone lists photos and evidence with it


def upright(image: Image.Image) -> Image.Image:
    """The decoded image turned as the camera's EXIF orientation says it was held."""
    return ImageOps.exif_transpose(image)


def jpeg_thumbnail(image: Image.Image, size: int = THUMB_SIZE) -> bytes:
    """An upright decoded image as a JPEG at most ``size`` pixels on its long side: what a list or a confirmation
    page shows instead of a phone's multi-megabyte original."""
    thumb = image.convert("RGB")
    thumb.thumbnail((size, size))
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def image_header_ok(handle, content_type: str, max_pixels: int = MAX_IMAGE_PIXELS) -> bool:
    """Whether a stored image's header says what it is and is within the pixel cap (reads the header only)."""
    position = handle.tell()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle, formats=[_PILLOW_FORMATS[content_type]]) as image:
                return image.width * image.height <= max_pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, *_DECODE_ERRORS):
        return False
    finally:
        handle.seek(position)


def serve_upload(handle, *, filename: str, content_type: str, max_pixels: int = MAX_IMAGE_PIXELS) -> FileResponse:
    """Stream a stored upload the caller has already found through a scoped queryset.

    Inline (shown in the browser) only for a PDF and for an image within the pixel cap; anything else — an Office
    document, an image stored before uploads were decoded that is too large — is a download.
    """
    if content_type in IMAGES:
        inline = image_header_ok(handle, content_type, max_pixels)
    else:
        inline = content_type in PDF
    response = FileResponse(handle, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def content_type_for(name: str) -> str:
    """The MIME type of a stored upload, from the extension ``check_upload`` gave it when it was saved."""
    extension = "." + name.rsplit(".", 1)[-1].lower()
    return next((mime for mime, ext in EVIDENCE.items() if ext == extension), "application/octet-stream")
