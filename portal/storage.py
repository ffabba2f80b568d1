"""Where files live: uploads in the ``default`` storage, generated files (export jobs, bundles) in ``exports``.

Without ``MEDIA_STORAGE_URL`` both are local folders (``MEDIA_ROOT``, ``EXPORTS_DIR``); with it both are prefixes of
one S3-compatible bucket (``settings.STORAGES``, built by ``storages_setting``), so every web and worker host sees
the same files. Either way a file is only ever served by a view that found its row through a scoped queryset and
streams it (``FileResponse`` over the storage's file): the bucket stays private, no object address reaches a
browser, and the portal's own headers (``Content-Disposition``, ``nosniff``, ``Cache-Control: private``) hold for S3
as for the disk.

Generated files are written to a local temporary file first (openpyxl and WeasyPrint want a path) and handed to the
storage whole by ``save_generated``, so a reader never sees half a file in either backend.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

S3_BACKEND = "storages.backends.s3.S3Storage"
GENERATED = "exports"  # the STORAGES alias of generated files
# An S3 file is read into memory up to this size, into a temporary file beyond it, before it is streamed.
S3_MAX_MEMORY_SIZE = 8 * 1024 * 1024


class ExportsFileSystemStorage(FileSystemStorage):
    """The local folder of generated files: ``settings.EXPORTS_DIR``, read when used (never under MEDIA_ROOT), and
    no ``base_url``: a generated file has no public address."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.EXPORTS_DIR)

    @property
    def location(self):
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("generated files are served by their scoped view only")


def s3_options(options: dict, *, subfolder: str = "") -> dict:
    """django-storages options for one prefix of the bucket (``env.media_storage`` gives the bucket's).

    Private objects only: no ACL on upload (the bucket's own, private, applies), no ``custom_domain`` (which would
    make ``url()`` a public address), signed URLs short-lived should anything ever ask for one, and no file
    overwritten (a second upload of the same name gets a new name, as on disk)."""
    location = posixpath.join(options.get("location") or "", subfolder).strip("/")
    return {
        **options,
        "location": location,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "custom_domain": None,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "max_memory_size": S3_MAX_MEMORY_SIZE,
    }


def storages_setting(media: dict | None, *, debug: bool) -> dict:
    """``settings.STORAGES``: uploads, generated files and static files."""
    if media is None:
        files = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            GENERATED: {"BACKEND": "portal.storage.ExportsFileSystemStorage"},
        }
    else:
        files = {
            "default": {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(media)},
            GENERATED: {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(media, subfolder="exports")},
        }
    static = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if debug
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    return {**files, "staticfiles": {"BACKEND": static}}


def generated_storage() -> Storage:
    """The storage of generated files (export jobs, archive bundles)."""
    return storages[GENERATED]


def save_generated(name: str, source: Path) -> str:
    """Store the finished local file ``source`` as ``name`` (a relative, ``/``-separated name, e.g.
    ``"12/34-ab12.xlsx"``); returns the name it was stored under. The caller removes ``source``."""
    with open(source, "rb") as handle:
        return generated_storage().save(name, File(handle, name=posixpath.basename(name)))


def open_generated(name: str) -> File | None:
    """The stored generated file opened for reading, or None when it is gone (or the name is unsafe)."""
    if not name:
        return None
    storage = generated_storage()
    try:
        if not storage.exists(name):
            return None
        return storage.open(name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        # A name escaping the storage's folder is never opened.
        return None


def delete_generated(name: str) -> None:
    if name:
        generated_storage().delete(name)
