"""The dashboard's ranking rows: a subject's row, the distribution of totals (ranks, average, median, histogram)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Value
from django.urls import reverse

from assessments.models import CATEGORY_FIELDS, QuarterRollup
from assessments.selectors.subjects import bytewise, code_expr, name_expr, short_expr

ZERO = Decimal(0)
TENTH = Decimal("0.1")


def one_place(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _average(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return one_place(sum(values, ZERO) / len(values)) if values else None


PAGE_SIZE = 20  # ranking rows on one page; a scope this small shows every row and every bar
EDGE_COUNT = 5  # the best and the last N of a larger scope, beside the page
OVERDUE_TOP = 20  # subjects on the overdue chart and table, most overdue first
HISTOGRAM_STEP = 10  # points per bar of the distribution of totals
SORTS = ("rank", "-rank", "name", "change", "-change")


@dataclass(eq=False)
class SubjectRow:
    """One subject's result in the selected quarter, with what the dashboard shows beside it."""

    rollup_id: int
    subject: str
    subject_pk: int
    name: str
    subject_url: str
    total: Decimal
    status: str
    status_label: str
    rank: int = 0
    previous: Decimal | None = None
    previous_rank: int | None = None
    categories: dict[str, Decimal] = field(default_factory=dict)
    overdue: Decimal | None = None
    trend: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    heat: list[dict] = field(default_factory=list)
    short: str = ""  # the chart label (``short_expr``); the full name is ``name``
    code: str = ""  # an agreement's number

    @cached_property
    def url(self) -> str:
        return reverse("assessments:rollup_detail", args=[self.rollup_id])

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.total - self.previous

    @property
    def change_abs(self) -> Decimal | None:
        return None if self.change is None else abs(self.change)

    @property
    def category_cells(self) -> list[Decimal | None]:
        return [self.categories.get(key) for key in self._category_keys]

    _category_keys: tuple = ()


@dataclass
class Distribution:
    """A quarter's totals in the scope as (total, how many) pairs, best first: one row per distinct total (at most
    1,001 with one decimal between 0 and 100), whatever the number of subjects. Ranks, average, median and the
    histogram all come from it."""

    counts: list[tuple[Decimal, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(n for _total, n in self.counts)

    @property
    def average(self) -> Decimal | None:
        count = self.count
        return one_place(sum((t * n for t, n in self.counts), ZERO) / count) if count else None

    @property
    def median(self) -> Decimal | None:
        count = self.count
        if not count:
            return None
        values = []
        seen = 0
        for total, n in reversed(self.counts):  # lowest first
            for position in ((count - 1) // 2, count // 2):
                if seen <= position < seen + n:
                    values.append(total)
            seen += n
        return one_place(sum(values, ZERO) / len(values))

    def rank_of(self, total: Decimal | None) -> int | None:
        """Competition rank (1, 2, 2, 4): one more than the number of results with a higher total."""
        if total is None:
            return None
        return 1 + sum(n for t, n in self.counts if t > total)

    def histogram(self, step: int = HISTOGRAM_STEP) -> list[dict]:
        """Bars of ``step`` points from 0 to 100 (a total outside goes to the nearest end bar)."""
        bins = [{"low": low, "high": low + step, "count": 0} for low in range(0, 100, step)]
        for total, n in self.counts:
            index = min(max(int(total // step), 0), len(bins) - 1)
            bins[index]["count"] += n
        return bins


ROW_VALUES = (
    "pk",
    "subject",
    "total",
    "status",
    "organization_id",
    "agreement_id",
    "name",
    "short",
    "code",
    "previous",
)
STORED_VALUES = (*CATEGORY_FIELDS.values(), "overdue_items")  # what a result keeps for the dashboard


def with_row_values(qs, previous: tuple[int, int] | None, view: str | None = None):
    """Annotate the subject's name and its previous quarter's total (one index lookup per row; with ``previous``
    None the total is left empty, for the caller to read for the few rows it shows)."""
    labels = {"name": name_expr(view=view), "short": short_expr(view=view), "code": code_expr(view=view)}
    if previous is None:
        return qs.annotate(**labels, previous=Value(None, output_field=DecimalField()))
    before = QuarterRollup.objects.filter(subject=OuterRef("subject"), year=previous[0], quarter=previous[1])
    return qs.annotate(**labels, previous=Subquery(before.values("total")[:1]))


def subject_row(values: dict, status_labels: dict) -> SubjectRow:
    if values["organization_id"]:
        pk, url_name = values["organization_id"], "partnerships:organization_detail"
    else:
        pk, url_name = values["agreement_id"], "partnerships:agreement_detail"
    return SubjectRow(
        rollup_id=values["pk"],
        subject=values["subject"],
        subject_pk=pk,
        name=values["name"],
        short=values.get("short") or values["name"],
        code=(values.get("code") or "") if values["agreement_id"] else "",
        subject_url=reverse(url_name, args=[pk]),
        total=values["total"],
        status=values["status"],
        status_label=status_labels.get(values["status"], values["status"]),
        previous=values["previous"],
        # The result's stored subtotals: a category without an indicator in its scheme stays out.
        categories={key: values[f] for key, f in CATEGORY_FIELDS.items() if values.get(f) is not None},
        overdue=values.get("overdue_items"),
    )


def sort_order(sort: str) -> list:
    """The ranking's order for ``sort``, ties broken by the subject key (a stable page boundary)."""
    if sort == "-rank":
        return [F("total").asc(), bytewise("subject").desc()]
    if sort == "name":
        return [F("name").asc(), bytewise("subject").asc()]
    if sort in ("change", "-change"):
        change = ExpressionWrapper(F("total") - F("previous"), output_field=DecimalField())
        first = change.desc(nulls_last=True) if sort == "change" else change.asc(nulls_last=True)
        return [first, F("total").desc(), bytewise("subject").asc()]
    return ranking_order()


def ranking_order() -> list:
    """The ranking's order: the highest total first, ties by the subject key."""
    return [F("total").desc(), bytewise("subject").asc()]
