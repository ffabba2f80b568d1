"""Orphaned uploads: files under the upload folders that no row (live or historical) names any more.

Part of the nightly housekeeping (``portal.services.housekeeping_run``). The file fields are discovered from the
installed models, so a new ``FileField`` / ``ImageField`` is covered without touching this module. Only the top
folders of the fields' ``upload_to`` are walked, never anything else in the storage; a file younger than the grace
period is kept, so an upload whose row is not committed yet is never removed.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.apps import apps
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

GRACE_PERIOD = timedelta(hours=24)

# Rows that hold files only for a while (a photo uploaded ahead of its form): each domain app registers a function
# ``expire(*, now) -> int`` deleting its stale rows; housekeeping runs them before the orphan sweep, which then
# removes their files (portal never imports the domain apps).
_EXPIRIES: list[Callable[..., int]] = []


def register_expiry(expire: Callable[..., int]) -> Callable[..., int]:
    if expire not in _EXPIRIES:
        _EXPIRIES.append(expire)
    return expire


def expire_temporary_rows(*, now: datetime) -> int:
    """Run every registered expiry (inside the caller's transaction); returns how many rows they deleted."""
    return sum(expire(now=now) for expire in _EXPIRIES)


def _file_fields(model) -> list[models.FileField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.FileField)]


def _is_historical(model) -> bool:
    """A django-simple-history copy model (it carries ``instance_type``, the tracked model, and ``history_id``)."""
    return getattr(model, "instance_type", None) is not None and hasattr(model, "history_id")


def _upload_top_folder(field: models.FileField) -> str | None:
    """``"photos/%Y/%m/"`` → ``"photos"``; None when it cannot be told safely (callable or dated top folder)."""
    upload_to = field.upload_to
    if callable(upload_to) or not upload_to:
        return None
    top = str(upload_to).strip("/").split("/")[0]
    if not top or "%" in top or top in (".", ".."):
        return None
    return top


def _referencing_columns() -> Iterator[tuple[type[models.Model], str]]:
    """(model, field name) for every file field, and the same column of each model's historical copy.

    django-simple-history stores a tracked ``FileField`` as a text column of the same name on the historical model;
    a name kept there still counts as referenced (reverting a record must find its file).
    """
    for model in apps.get_models():
        if _is_historical(model):
            historical_names = {field.name for field in model._meta.concrete_fields}
            for field in _file_fields(model.instance_type):
                if field.name in historical_names:
                    yield model, field.name
            continue
        for field in _file_fields(model):
            yield model, field.name


def referenced_names() -> set[str]:
    """Every stored file name any row names; one flat ``values_list`` query per column, nothing else loaded."""
    names: set[str] = set()
    for model, field_name in _referencing_columns():
        values = (
            model._base_manager.exclude(**{f"{field_name}__isnull": True})
            .exclude(**{field_name: ""})
            .order_by()
            .values_list(field_name, flat=True)
            .distinct()
        )
        names.update(values.iterator())
    return names


def _upload_roots() -> list[tuple[object, str]]:
    """Distinct (storage, top folder) pairs of all file fields on concrete, non-historical models."""
    roots: dict[tuple[int, str], tuple[object, str]] = {}
    for model in apps.get_models():
        if _is_historical(model):
            continue
        for field in _file_fields(model):
            top = _upload_top_folder(field)
            if top is None:
                logger.warning("Orphan sweep skips %s.%s: no fixed upload folder", model._meta.label, field.name)
                continue
            roots.setdefault((id(field.storage), top), (field.storage, top))
    return list(roots.values())


def _walk(storage, folder: str) -> Iterator[str]:
    directories, files = storage.listdir(folder)
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from _walk(storage, posixpath.join(folder, directory))


def _present(names: Iterator[str]) -> Iterator[str]:
    """The walk, or nothing when the folder is missing. Not ``storage.exists(folder)``: an object store has no
    folders, so S3 answers False for a prefix that holds files."""
    try:
        yield from names
    except FileNotFoundError:
        return


def remove_orphaned_files(*, now: datetime | None = None, grace: timedelta = GRACE_PERIOD) -> int:
    """Delete unreferenced files older than ``grace`` under the upload folders; returns how many were removed."""
    now = now or timezone.now()
    cutoff = now - grace
    referenced = referenced_names()
    removed = 0
    for storage, top in _upload_roots():
        for name in _present(_walk(storage, top)):
            if name in referenced:
                continue
            try:
                modified = storage.get_modified_time(name)
            except FileNotFoundError:  # gone meanwhile
                continue
            if timezone.is_naive(modified):
                modified = timezone.make_aware(modified)
            if modified >= cutoff:
                continue
            storage.delete(name)
            removed += 1
            logger.info("Removed orphaned upload %s (last modified %s)", name, modified.isoformat())
    return removed
