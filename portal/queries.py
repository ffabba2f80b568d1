"""Query shapes shared by the apps' selectors."""

from __future__ import annotations

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def correlated_count(queryset: QuerySet, group_by: str, distinct: str | None = None) -> Coalesce:
    """A correlated ``COUNT`` over ``queryset`` (already filtered on an ``OuterRef``), 0 when there is none.

    Use it instead of ``Count`` across a join when a list annotates figures per row: a scalar subquery in the select
    list is evaluated (on PostgreSQL) only for the rows left after the sort and the limit, so a page of 50 costs the same
    whether the scope holds 50 rows or 10,000, and the list's count reads the listed table alone. A ``Count`` across
    the join groups every row of the scope first.
    """
    counted = queryset.order_by().values(group_by).annotate(n=Count(distinct or "pk", distinct=bool(distinct)))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))
