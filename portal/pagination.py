"""One paginator for every list: its count never costs more than reading ``COUNT_LIMIT`` rows.

Django's paginator runs ``SELECT COUNT(*)`` over the whole filtered queryset on every page view; at group scale the
committee's 活动台账 counted ~833k visible activities through the scope filter on each request (seconds, and a 503
under the web ``statement_timeout``). Here the count reads at most ``COUNT_LIMIT + 1`` primary keys —
``SELECT COUNT(*) FROM (SELECT id … LIMIT 10001)`` without the ordering, joins or annotations of the page query —
so it costs the same at 20k rows as at 1M. Past the limit the list says "more than 10,000" and pages through the
first 10,000 rows only (filters narrow it down); the OFFSET of the deepest page is bounded too.

Why not the planner's estimate (``pg_class.reltuples`` or ``EXPLAIN``)? It is only right for an unfiltered table, and
every list here is scoped and filtered, so the estimate would be wrong for everyone but a superuser; the LIMITed count
is exact below the limit and bounded above it, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_LIMIT = 10_000


class CheapCountPaginator(Paginator):
    """A paginator whose count is exact up to ``count_limit`` rows and capped past it (``capped`` is then true)."""

    count_limit = COUNT_LIMIT

    @cached_property
    def _capped_count(self) -> int:
        limit = self.count_limit + 1
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            if object_list.query.combinator or object_list.query.distinct_fields:
                rows = object_list.order_by()[:limit] if not object_list.query.distinct_fields else object_list[:limit]
            else:
                # Only the keys: no ordering, no select_related joins, no annotations the filters do not need.
                rows = object_list.order_by().values("pk")[:limit]
            return rows.count()
        return len(object_list[:limit]) if hasattr(object_list, "__getitem__") else len(object_list)

    @cached_property
    def capped(self) -> bool:
        """True when the list holds more rows than the count reads: the count shows "more than …"."""
        return self._capped_count > self.count_limit

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.count_limit)


@dataclass(frozen=True)
class ListTab:
    """One tab of a list page (我的督办, 督办台账, 活动台账): its key, label and row count, capped like the paginator's."""

    key: str
    label: str
    count: int
    capped: bool = False
    alert: bool = False  # shown in red when it holds rows (overdue items)


def list_tabs(
    labels: dict[str, str],
    querysets: dict[str, QuerySet],
    *,
    current: str,
    paginator: CheapCountPaginator | None = None,
    total: str | None = None,
) -> list[ListTab]:
    """The tabs of a list, each with its cheap count: the current tab's comes from the page's paginator, every other
    tab's reads at most ``COUNT_LIMIT + 1`` keys (one query per tab), so the tab bar costs the same at 1M rows.

    ``total`` names a tab that holds the union of the others (全部, when the others split the rows without overlap):
    unless it is the current tab, its count is their sum, capped the same way, at no query."""
    counts: dict[str, tuple[int, bool]] = {}
    for key in labels:
        if key == total and key != current:
            continue
        counter = paginator if key == current and paginator is not None else CheapCountPaginator(querysets[key], 1)
        counts[key] = (counter.count, counter.capped)
    if total in labels and total not in counts:
        limit = CheapCountPaginator.count_limit
        summed = sum(count for count, _ in counts.values())
        counts[total] = (min(summed, limit), summed > limit or any(capped for _, capped in counts.values()))
    return [
        ListTab(key=key, label=str(label), count=counts[key][0], capped=counts[key][1]) for key, label in labels.items()
    ]
