"""The committee's review queue (评审队列): the results it reviews, by where they stand, and what "publish all
reviewed" would publish.

A result's place in the queue is read from its rows (whether a manual indicator still lacks the reviewer's points from
the count stored with the result's subtotals, ``manual_unscored``), never stored itself:

* ``submitted`` (已提交) — its self-assessment is submitted and no review has been saved yet;
* ``in_review`` (评审中) — a review is saved but a manual indicator still lacks the reviewer's points;
* ``reviewed`` (已评审) — a review is saved and every manual indicator is scored: ready to publish once final;
* ``published`` (已发布) — published (locked);
* ``unscored`` (缺人工评分) — across the others: a closed quarter's final result, unpublished, with a manual indicator
  still unscored (whether or not its self-assessment came in).

The tab counts are two statements (the open work in one aggregate; the published, which grow every quarter, a
capped count) and every tab ONE page query, whatever the size of the scope and the years of history.
"""

from __future__ import annotations

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from assessments.models import QuarterRollup, SelfAssessment
from assessments.rules import PUBLISH_ALL_LIMIT
from portal.pagination import CheapCountPaginator
from portal.scoping import get_scope

QUEUE_STATES = ("submitted", "in_review", "reviewed", "published", "unscored")
PUBLISHED, FINAL = QuarterRollup.Status.PUBLISHED, QuarterRollup.Status.FINAL


def _reviewed() -> Q:
    # A result has at most one review and one self-assessment (one-to-one): joined, not probed per result.
    return Q(review__reviewed_at__isnull=False)


def _unscored() -> Q:
    # Stored with the result's subtotals whenever a score changes (``rollup_totals.rollup_subtotals_refresh``).
    return Q(manual_unscored__gt=0)


def _submitted() -> Q:
    return Q(self_assessment__status=SelfAssessment.Status.SUBMITTED)


def state_conditions() -> dict[str, Q]:
    """Each state of the queue as a condition on results."""
    open_ = ~Q(status=PUBLISHED)
    return {
        "submitted": open_ & _submitted() & ~_reviewed(),
        "in_review": open_ & _reviewed() & _unscored(),
        "reviewed": open_ & _reviewed() & ~_unscored(),
        "published": Q(status=PUBLISHED),
        "unscored": open_ & Q(status=FINAL) & _unscored(),
    }


def reviewed_results(user) -> QuerySet[QuarterRollup]:
    """The results the user reviews and publishes (reviewers over the subject; admins all)."""
    if get_scope(user).is_anonymous:
        return QuarterRollup.objects.none()
    return QuarterRollup.objects.editable_by(user)


def _in_quarter(queryset, quarter: tuple[int, int] | None):
    return queryset.filter(year=quarter[0], quarter=quarter[1]) if quarter else queryset


def queue_counts(user, quarter: tuple[int, int] | None = None, *, published: bool = True) -> dict[str, int]:
    """How many results are in each state of the queue, in two statements whatever the years of history: one
    aggregate over the results not yet published (the open work), and the published ones counted like every list's
    count — exact up to ``COUNT_LIMIT``, capped past it (``published_capped`` then says "10,000+"); not counted with
    ``published=False``."""
    conditions = state_conditions()
    results = _in_quarter(reviewed_results(user), quarter).order_by()
    found = results.exclude(status=PUBLISHED).aggregate(
        **{state: Count("pk", filter=condition) for state, condition in conditions.items() if state != "published"}
    )
    counts = {state: found.get(state) or 0 for state in QUEUE_STATES}
    if published:  # the queue's tab; the committee's to-do on its home page shows only the open work
        counter = CheapCountPaginator(results.filter(status=PUBLISHED).order_by("pk"), 1)
        counts["published"], counts["published_capped"] = counter.count, counter.capped
    return counts


def queue(user, state: str, quarter: tuple[int, int] | None = None) -> QuerySet[QuarterRollup]:
    """One tab of the queue: the results in ``state``, with their subject joined, when they were submitted, reviewed
    and published, and whether a manual score is missing (``unscored``); oldest submission first (the published:
    latest first). One statement per page."""
    rows = (
        _in_quarter(reviewed_results(user), quarter)
        .filter(state_conditions()[state])
        .select_related("organization", "agreement")
        .annotate(
            unscored=ExpressionWrapper(_unscored(), output_field=BooleanField()),
            submitted_at=F("self_assessment__submitted_at"),
            reviewed_at=F("review__reviewed_at"),
            published_at=F("review__published_at"),
        )
    )
    if state == "published":
        return rows.order_by("-year", "-quarter", "-review__published_at", "subject", "pk")
    return rows.order_by("-year", "-quarter", "self_assessment__submitted_at", "subject", "pk")


def next_to_review(user, after: QuarterRollup) -> QuarterRollup | None:
    """The next submitted result waiting for a review (the queue's first, other than ``after``)."""
    return queue(user, "submitted").exclude(pk=after.pk).first()


def publishable(user, quarter: tuple[int, int] | None = None) -> QuerySet[QuarterRollup]:
    """What "publish all reviewed" publishes: reviewed, final results, at most ``PUBLISH_ALL_LIMIT`` at a time (the
    confirmation page lists them all; the rest follow on the next round)."""
    rows = queue(user, "reviewed", quarter).filter(status=FINAL).order_by("year", "quarter", "subject", "pk")
    return rows[:PUBLISH_ALL_LIMIT]


def reviewed_not_final(user, quarter: tuple[int, int] | None = None) -> int:
    """Reviewed results that cannot be published yet: their quarter is still open (one statement)."""
    return (
        _in_quarter(reviewed_results(user), quarter)
        .filter(state_conditions()["reviewed"])
        .exclude(status=FINAL)
        .order_by()
        .count()
    )
