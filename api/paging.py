"""Keyset (cursor) pagination and the list filters every list endpoint shares.

A page is ordered on (key, id) and the cursor carries the last row's (key, id): the next page is "rows after that
pair", read off an index, so it costs the same on page 1 and page 10,000 and stays stable while rows are inserted or
deleted (a row never shows twice, an older row is never skipped). The cursor is opaque to clients (base64 of JSON)
but is only a position: it is applied to the caller's scoped queryset, so a forged one can reveal nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Exists, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from api.errors import BadParameter
from partnerships.models import Organization
from portal.dates import DATE_MAX, DATE_MIN

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ID = 2**31 - 1


class ListParams(Schema):
    """What every list takes: where to continue, how many, and the optional filters."""

    cursor: str | None = Field(None, max_length=200, description="The `next` cursor of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–200).")
    date_from: dt.date | None = Field(
        None, alias="from", description="Only rows on or after this day (YYYY-MM-DD, 2000-01-01 … 2100-12-31)."
    )
    date_to: dt.date | None = Field(None, alias="to", description="Only rows on or before this day (YYYY-MM-DD).")
    organization: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only rows of this organization (an id from /organizations; else 404)."
    )


@dataclass(frozen=True)
class Order:
    """A list's order: ``key`` (a field name, None for the id alone) ascending or descending, then the id."""

    key: str | None
    descending: bool = False
    kind: str = "int"  # how the key is written in the cursor: "int", "date", "datetime" or "str"

    def fields(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [f"{sign}{self.key}", f"{sign}pk"] if self.key else [f"{sign}pk"]


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _parse_key(kind: str, value):
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
        return value
    if not isinstance(value, str):
        raise ValueError
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "datetime":
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    return value


def decode_cursor(raw: str, order: Order) -> tuple:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != (2 if order.key else 1):
            raise ValueError
        pk = values[-1]
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_ID:
            raise ValueError
        key = _parse_key(order.kind, values[0]) if order.key else None
    except (ValueError, UnicodeError, binascii.Error, json.JSONDecodeError, OverflowError):
        raise BadParameter("cursor", _("Not a cursor of this list: use the `next` link as it was given.")) from None
    return key, pk


def _after(order: Order, key, pk) -> Q:
    op = "lt" if order.descending else "gt"
    if not order.key:
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"{order.key}__{op}": key}) | Q(**{order.key: key, f"pk__{op}": pk})


def _cursor_value(order: Order, row) -> list:
    if not order.key:
        return [row.pk]
    value = getattr(row, order.key)
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return [value, row.pk]


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def keyset_page(queryset: QuerySet, order: Order, params: ListParams) -> Page:
    """One page of ``queryset`` (already scoped and filtered) in ``order`` after ``params.cursor``."""
    if params.cursor:
        key, pk = decode_cursor(params.cursor, order)
        queryset = queryset.filter(_after(order, key, pk))
    rows = list(queryset.order_by(*order.fields())[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page(rows=rows, next_cursor=encode_cursor(_cursor_value(order, rows[-1])) if more and rows else None)


def check_params(params: ListParams, order: Order) -> None:
    """Refuse a bad cursor or date range (400) before anything is looked up, so a bad request is a 400 whatever
    else it names."""
    if params.cursor:
        decode_cursor(params.cursor, order)
    date_range(params)


def next_link(request, page: Page) -> str | None:
    """The absolute URL of the next page: the same filters, the new cursor."""
    if not page.next_cursor:
        return None
    query = {k: v for k, v in request.GET.items() if k != "cursor"}
    query["cursor"] = page.next_cursor
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


def date_range(params: ListParams) -> tuple[dt.date | None, dt.date | None]:
    """The validated ``from``/``to`` pair: each within DATE_MIN…DATE_MAX and ``from`` not after ``to``."""
    for name, value in (("from", params.date_from), ("to", params.date_to)):
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            raise BadParameter(
                name,
                _("The date must lie between %(lower)s and %(upper)s.")
                % {"lower": DATE_MIN.isoformat(), "upper": DATE_MAX.isoformat()},
            )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise BadParameter("from", _("`from` is after `to`."))
    return params.date_from, params.date_to


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the portal's time zone (Asia/Shanghai): dates mean local days."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def filter_dates(queryset: QuerySet, params: ListParams, field: str, *, instant: bool = False) -> QuerySet:
    """Rows whose ``field`` falls on ``from`` … ``to`` (local days; ``instant`` for a date-time field)."""
    lower, upper = date_range(params)
    if lower:
        queryset = queryset.filter(**{f"{field}__gte": day_start(lower) if instant else lower})
    if upper:
        end = upper + dt.timedelta(days=1)
        queryset = queryset.filter(**{f"{field}__lt": day_start(end)} if instant else {f"{field}__lte": upper})
    return queryset


def organization_filter(user, params: ListParams) -> Organization | None:
    """The ``organization`` asked for: one the user sees in the directory, else 404 (like any id out of scope)."""
    if params.organization is None:
        return None
    return get_object_or_404(Organization.objects.visible_to(user).only("pk", "path"), pk=params.organization)


# A row's organization, for the ``organization`` filter: the name of the field holding its id (``"lead_id"``), or a
# function of the Organization giving the condition (its subtree, a party of the row's agreement).
OrgFilter = str | Callable[[Organization], Q | Exists]


def for_organization(user, queryset: QuerySet, params: ListParams, org_filter: OrgFilter) -> QuerySet:
    """``queryset`` narrowed to the ``organization`` asked for (404 when it is not in the user's directory)."""
    org = organization_filter(user, params)
    if org is None:
        return queryset
    return queryset.filter(org_filter(org) if callable(org_filter) else Q(**{org_filter: org.pk}))


def list_page(
    request, queryset: QuerySet, order: Order, params: ListParams, serialize, *, org_filter: OrgFilter
) -> dict:
    """A list endpoint's body: ``queryset`` (the user's scope, date-filtered) narrowed to the ``organization`` asked
    for, one keyset page of it in ``order``, each row as ``serialize(request, row)``, and the next page's link.

    The endpoint runs ``check_params`` before it builds ``queryset``, so a bad cursor or date range is a 400 before
    anything is looked up."""
    page = keyset_page(for_organization(request.auth, queryset, params, org_filter), order, params)
    return {"results": [serialize(request, row) for row in page.rows], "next": next_link(request, page)}
