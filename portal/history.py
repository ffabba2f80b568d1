"""The 变更记录: what changed in a record, field by field, read from its django-simple-history rows.

``entries(records)`` turns history rows (newest first, of one model or several) into ``Entry`` objects: who, when,
created / changed / deleted, and for a change each field's old and new value as the users read them — a choice by
its label, a foreign key by the related object's name, a date as a date, a yes/no as 是 / 否. The work is bounded
whatever the length of the history: each row's predecessor comes from the same list or, for the oldest rows of a
page, from one query per history model (its id found by a correlated subquery), and related objects' names from one
query per related model. ``page(records, number)`` does the same for one page of a history.

Fields that change on every save (timestamps, counters kept for the lists) are left out: they would bury the change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from portal.names import display_name

PER_PAGE = 20
EXPORT_LIMIT = 5000  # history rows in one export (a record edited more often than that is exported up to it)
# Bookkeeping fields: they change with every save and say nothing a reader needs.
SKIPPED = {"id", "created_at", "updated_at", "modified_at", "search_vector", "path", "depth"}
TEXT_LIMIT = 200  # characters of a long text shown in a cell


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    record: object
    kind: str  # "created" / "changed" / "deleted"
    changes: list[Change] = field(default_factory=list)
    what: str = ""  # which record, when a history mixes several (a scheme's with its indicators')

    @property
    def when(self) -> dt.datetime:
        return self.record.history_date

    @property
    def user(self):
        return self.record.history_user

    @property
    def kind_label(self) -> str:
        return {"created": _("created"), "deleted": _("deleted")}.get(self.kind, _("changed"))


KINDS = {"+": "created", "-": "deleted", "~": "changed"}


def tracked_fields(history_model) -> list[models.Field]:
    """The fields a reader compares: the tracked ones without bookkeeping."""
    return [f for f in history_model.tracked_fields if f.name not in SKIPPED and not f.primary_key]


def _instance_key(record) -> tuple:
    return (type(record), getattr(record, record.instance_type._meta.pk.attname))


def _predecessors(records: Sequence) -> dict[int, object]:
    """Each record's previous history row (same object, earlier), by ``id(record)``: from the list itself when it
    holds it, else from one query per history model on the page. That query is asked for every history model on the
    page whether or not its oldest rows were creations, so a page costs the same whatever the length of the history."""
    found: dict[int, object] = {}
    oldest: dict[type, list] = defaultdict(list)
    by_instance: dict[tuple, list] = defaultdict(list)
    for record in records:
        by_instance[_instance_key(record)].append(record)
    for rows in by_instance.values():
        rows.sort(key=lambda r: (r.history_date, r.history_id), reverse=True)
        for newer, older in zip(rows, rows[1:], strict=False):
            found[id(newer)] = older
        oldest[type(rows[-1])].append(rows[-1])
    for history_model, rows in oldest.items():
        pk_name = history_model.instance_type._meta.pk.attname
        earlier = history_model.objects.filter(**{pk_name: OuterRef(pk_name)}).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        previous_ids = history_model.objects.filter(history_id__in=[r.history_id for r in rows]).values(
            previous_id=Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1])
        )
        # One row per object at most: only each object's oldest row on the page looks for its predecessor.
        olders = {getattr(row, pk_name): row for row in history_model.objects.filter(history_id__in=previous_ids)}
        for record in rows:
            older = olders.get(getattr(record, pk_name))
            if older is not None and record.history_type != "+":
                found[id(record)] = older
    return found


def _changed(record, older) -> list[tuple[models.Field, object, object]]:
    out = []
    for f in tracked_fields(type(record)):
        old, new = getattr(older, f.attname), getattr(record, f.attname)
        if old != new:
            out.append((f, old, new))
    return out


def _names(diffs: Iterable[tuple[models.Field, object, object]]) -> dict[tuple[type, object], str]:
    """The names of every related object the diffs point to: one query per related model."""
    wanted: dict[type, set] = defaultdict(set)
    for f, old, new in diffs:
        if f.is_relation and f.related_model is not None:
            wanted[f.related_model].update(v for v in (old, new) if v is not None)
    names = {}
    user_model = get_user_model()
    for model, ids in wanted.items():
        for pk, obj in model._base_manager.in_bulk(list(ids)).items():
            names[(model, pk)] = display_name(obj) if model is user_model else str(obj)
    return names


def display(f: models.Field, value, names: dict) -> str:
    """A value as the users read it."""
    if value is None or value == "":
        return "—"
    if f.is_relation and f.related_model is not None:
        return names.get((f.related_model, value), _("(deleted) #%(pk)s") % {"pk": value})
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value) or "—"
    text = strip_tags(str(value)) if isinstance(f, models.TextField) else str(value)  # rich text read as words
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def entries(records: Iterable) -> list[Entry]:
    """``records`` (history rows, newest first) as entries with their field-by-field changes."""
    records = list(records)
    previous = _predecessors(records)
    diffs = {id(r): _changed(r, previous[id(r)]) for r in records if r.history_type == "~" and id(r) in previous}
    names = _names(d for changes in diffs.values() for d in changes)
    out = []
    for record in records:
        kind = KINDS.get(record.history_type, "changed")
        changes = [
            Change(label=str(f.verbose_name), old=display(f, old, names), new=display(f, new, names))
            for f, old, new in diffs.get(id(record), [])
        ]
        if kind == "changed" and not changes and id(record) in previous:
            continue  # a save that changed only bookkeeping fields
        out.append(Entry(record=record, kind=kind, changes=changes))
    if len({type(entry.record) for entry in out}) > 1:
        for entry in out:
            entry.what = _what(entry.record)
    return out


def _what(record) -> str:
    """Which record a row of a mixed history is about: its kind and, when it has one, its own name or title (read
    from the row itself: a ``__str__`` that follows relations would cost a query per row)."""
    kind = record.instance_type._meta.verbose_name
    label = getattr(record, "name", None) or getattr(record, "title", None)
    return f"{kind}“{label}”" if isinstance(label, str) and label else str(kind)


def unlimited(records):
    """A history queryset without the slice a view may have put on it (or the list itself)."""
    if isinstance(records, QuerySet) and records.query.is_sliced:
        records = records._chain()
        records.query.clear_limits()
    return records


def page(records, number, per_page: int = PER_PAGE):
    """One page of a history (a queryset or a list, newest first), its ``object_list`` turned into entries."""
    records = unlimited(records)
    if isinstance(records, QuerySet):
        records = records.select_related("history_user")
    history_page = Paginator(records, per_page).get_page(number)
    history_page.object_list = entries(history_page.object_list)
    return history_page


def export_key(records) -> tuple[str, object] | None:
    """(``app_label.model_name``, pk) of the record a history belongs to, for its export link; None when empty."""
    first = next(iter(unlimited(records)[:1]), None)
    if first is None:
        return None
    model = first.instance_type
    return model._meta.label_lower, getattr(first, model._meta.pk.attname)


def rows(records) -> list[list]:
    """The export's rows: one per changed field (one for a creation or deletion)."""
    out = []
    for entry in entries(unlimited(records)[:EXPORT_LIMIT]):
        who = _person(entry.user)
        when = timezone.localtime(entry.when).replace(tzinfo=None)
        if not entry.changes:
            out.append([when, who, entry.kind_label, "", "", ""])
        for change in entry.changes:
            out.append([when, who, entry.kind_label, change.label, change.old, change.new])
    return out


def _person(user) -> str:
    return _("system") if user is None else display_name(user)
