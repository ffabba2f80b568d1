"""The quarterly rollup (``rollup_compute``: read, score, persist) and its runs, scheduled or on demand.

The rollup is set-based: a fixed number of statements per quarter whatever the number of organizations, agreements
or records — one aggregate per metric and subject kind, then one upsert of the results and one of the scores
(``INSERT … ON CONFLICT DO UPDATE``, ``portal.bulk``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import AssessmentScheme, IndicatorScore, QuarterRollup, RollupRun, subject_key
from assessments.rules import ROLLUP_DEAD_AFTER, ROLLUP_RECOVER_AFTER, may_request_rollup
from assessments.scoring import result_rows, score_subjects
from assessments.selectors.rollups import rollup_existing, rollup_metric_values, rollup_previous_scores, rollup_subjects
from assessments.services.rollup_sql import (
    SUBTOTAL_FIELDS,
    SUBTOTALS_EMPTY,
    changed_scores_select,
    scores_drop,
    scores_in_sql,
    subtotals_refresh_from_scores,
)
from assessments.services.rollup_totals import rollup_subtotals_refresh
from assessments.services.schemes import scheme_create_default
from portal.bulk import among, upsert_select_with_history, upsert_with_history


def rollup_compute(*, year: int, quarter: int, final: bool = False, now: dt.datetime | None = None) -> dict:
    """Compute (or recompute) the quarter's results for every branch and agreement; return a summary.

    Idempotent: a second run leaves identical rows. Published results are never touched; manual scores
    (self, reviewer, adjustment) are kept. ``final`` marks the results final (at quarter close).

    Three steps: read the quarter (``_read``), score it (``assessments.scoring``, pure; or in SQL), persist what
    changed (``_persist``). Written set-based and as plain rows, not model instances (10,000 subjects make 240,000
    scores; see ``portal.bulk.upsert_with_history``):

    * only the scores that are new or whose values changed are upserted (``INSERT … ON CONFLICT DO UPDATE``): a
      score keeps the ``computed_at`` of the run that last changed it, and a run over a quiet quarter writes no
      score at all;
    * each row written, and only those, gets a history row (type ``~``, reason ``rollup``) — in the same statement
      on PostgreSQL; the manual edits keep their own history (``_save_score``);
    * every result computed gets this run's ``computed_at`` (the unchanged ones by one ``UPDATE``, no history):
      the evidence pages list the records as measured at the result's ``computed_at``.

    The scores are computed in one of two equivalent ways (same rows, same history; ``tests/assessments``
    compares them): on PostgreSQL in the database (``rollup_sql.scores_in_sql``: the metric aggregates, points,
    manual scores and totals never travel to Python, and the score upsert reads them from a temporary table);
    elsewhere in Python (``scoring.score_subjects``, the portable path, from the metric values and the quarter's
    previous scores).

    Not durable: the demo seeders compute quarters inside their own transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _jit_off()
        run = _read(year, quarter, now)
        score_rows = subtotals = None
        if _scores_in_database():
            totals, subtotals = scores_in_sql(run.subjects, run.existing, run.indicators, run.period)
        else:
            old_scores = rollup_previous_scores(year, quarter)
            values = rollup_metric_values(run.indicators, run.period)
            totals, score_rows = score_subjects(run.subjects, run.existing, run.indicators, old_scores, values)
        rows = result_rows(run.subjects, run.existing, totals, final=final, scheme_id=run.scheme.pk)
        removed = _persist(run, rows, score_rows, subtotals, now)
    return {
        "year": year,
        "quarter": quarter,
        "scheme": run.scheme.pk,
        "final": final,
        "organizations": sum(1 for s in run.subjects if s[0] == metrics.ORG),
        "agreements": sum(1 for s in run.subjects if s[0] == metrics.AGR),
        "published_skipped": len(run.published),
        "scores": len(run.subjects) * len(run.indicators),
        "stale_scores_removed": removed,
    }


def _jit_off() -> None:
    if connection.vendor == "postgresql":
        # JIT compiling an aggregate costs 50–130 ms here, more than it saves on statements of a fraction of a
        # second (measured at 1M activities: the 20 aggregates take 10% less time without).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


@dataclass
class _Quarter:
    """What a run reads before scoring: the scheme and its indicators, the subjects to compute (published ones
    left out), the existing results by subject key ``(id, status, total, scheme id)``."""

    year: int
    quarter: int
    scheme: AssessmentScheme
    indicators: list
    subjects: list[tuple[str, int, str]]
    existing: dict[str, tuple]
    published: set[str]
    period: metrics.Period


def _read(year: int, quarter: int, now: dt.datetime) -> _Quarter:
    scheme = AssessmentScheme.objects.filter(year=year).first() or scheme_create_default(year)
    org_ids, agreement_ids = rollup_subjects(year, quarter)
    subjects = [(metrics.ORG, pk, subject_key(organization_id=pk)) for pk in org_ids] + [
        (metrics.AGR, pk, subject_key(agreement_id=pk)) for pk in agreement_ids
    ]
    existing = rollup_existing(year, quarter)
    published = {key for key, (_pk, status, *_rest) in existing.items() if status == QuarterRollup.Status.PUBLISHED}
    return _Quarter(
        year=year,
        quarter=quarter,
        scheme=scheme,
        indicators=list(scheme.indicators.all()),
        subjects=[s for s in subjects if s[2] not in published],
        existing=existing,
        published=published,
        period=metrics.Period(year, quarter, now),
    )


ROLLUP_FIELDS = ["organization_id", "agreement_id", "subject", "year", "quarter", "scheme_id", "status", "total"]
ROLLUP_FIELDS += ["computed_at"]
SCORE_FIELDS = ["rollup_id", "indicator_id", "metric_value", "points", "final_points"]
SCORE_FIELDS += ["self_points", "review_points", "adjustment", "adjustment_reason", "computed_at"]


def _persist(
    run: _Quarter, rollup_rows: list[tuple], score_rows: list[tuple] | None, subtotals: dict | None, now: dt.datetime
) -> int:
    """Write the new or changed results and scores (``score_rows`` None: the SQL path's temporary table holds
    them, and ``subtotals`` the results' stored subtotals by subject key, written with them), date the unchanged
    results, remove the scores of indicators that left the scheme, store the results' subtotals; return how many
    scores were removed."""
    year, quarter = run.year, run.quarter
    fields, update = ROLLUP_FIELDS, ["scheme_id", "status", "total", "computed_at"]
    rows = [(o, a, key, year, quarter, run.scheme.pk, st, total, now) for key, o, a, st, total in rollup_rows]
    if subtotals is not None:
        # Inserted with their subtotals: a first run does not update every result it has just written.
        fields, update = [*fields, *SUBTOTAL_FIELDS], [*update, *SUBTOTAL_FIELDS]
        rows = [(*row, *subtotals.get(row[2], SUBTOTALS_EMPTY)) for row in rows]
    upsert_with_history(
        QuarterRollup, fields, rows, conflict=["subject", "year", "quarter"], update=update, now=now, reason="rollup"
    )
    ids = {key: old[0] for key, old in run.existing.items()}
    if any(key not in ids for key, *_rest in rollup_rows):
        ids = dict(QuarterRollup.objects.filter(year=year, quarter=quarter).values_list("subject", "pk"))
    removed = _touch_earlier(run, now)
    score_write = {"conflict": ["rollup_id", "indicator_id"], "now": now, "reason": "rollup"}
    score_write["update"] = ["metric_value", "points", "final_points", "computed_at"]
    if score_rows is None:
        upsert_select_with_history(IndicatorScore, SCORE_FIELDS, *changed_scores_select(ids, now), **score_write)
        # The computed results not written above (their total unchanged) may have new subtotals; those written got
        # theirs (none left on a first run); the quarter's other results (published, or no longer computed) keep
        # their scores, and so their subtotals.
        written = {key for key, *_rest in rollup_rows}
        unwritten = [key for _kind, _pk, key in run.subjects if key not in written]
        if run.indicators and unwritten:
            subtotals_refresh_from_scores(year, quarter, run.indicators, unwritten)
        scores_drop()
        if run.indicators:
            return removed
    else:
        rows = [(ids[key], indicator_id, *rest, now) for key, indicator_id, *rest in score_rows]
        upsert_with_history(IndicatorScore, SCORE_FIELDS, rows, **score_write)
    rollup_subtotals_refresh(year=year, quarter=quarter)
    return removed


def _touch_earlier(run: _Quarter, now: dt.datetime) -> int:
    """Results that existed before this run (the new ones were just written with this run's time, and have no
    score yet; on a first run, none): dated now, and their scores of indicators no longer in the scheme removed."""
    earlier_ids = [run.existing[key][0] for _kind, _pk, key in run.subjects if key in run.existing]
    if not earlier_ids:
        return 0
    # The unchanged results were computed now too (the evidence pages measure at the result's computed_at).
    among(QuarterRollup.objects, "id", earlier_ids).exclude(computed_at=now).update(computed_at=now)
    # Scores of indicators that left the scheme (the scheme was edited) no longer count.
    stale = among(IndicatorScore.objects, "rollup_id", earlier_ids)
    return stale.exclude(indicator__in=[i.pk for i in run.indicators]).delete()[0]


def _scores_in_database() -> bool:
    """Whether the rollup computes its scores in SQL (PostgreSQL) rather than in Python (the portable path)."""
    return connection.vendor == "postgresql"


def _is_closed(year: int, quarter: int, today: dt.date) -> bool:
    return metrics.quarter_bounds(year, quarter)[1] <= today


@transaction.atomic(durable=True)
def rollup_request(*, actor, year: int, quarter: int) -> RollupRun:
    """Queue a computation of a quarter (reviewers and admins); a closed quarter is computed final."""
    if not may_request_rollup(actor):
        raise PermissionDenied
    today = timezone.localdate()
    if not 1 <= quarter <= 4:
        raise ValidationError({"quarter": _("The quarter is between 1 and 4.")})
    if not 2000 <= year <= 2100 or metrics.quarter_bounds(year, quarter)[0] > today:
        raise ValidationError({"year": _("This quarter has not started yet.")})
    run = RollupRun.objects.create(
        year=year, quarter=quarter, final=_is_closed(year, quarter, today), requested_by=actor
    )
    from assessments.tasks import rollup_quarter  # noqa: PLC0415 (a service queueing its own task)

    rollup_quarter.delay_on_commit(year, quarter, run_id=run.pk)
    return run


def rollup_run(*, year: int, quarter: int, final: bool | None = None, run_id: int | None = None) -> RollupRun:
    """Run a computation and record it (a requested run by id, or a scheduled one, recorded here)."""
    today = timezone.localdate()
    if run_id is None:
        run = RollupRun.objects.create(
            year=year, quarter=quarter, final=_is_closed(year, quarter, today) if final is None else final
        )
    else:
        run = RollupRun.objects.get(pk=run_id)
    # Claimed with a conditional update: a redelivered task does not run the same request twice at once.
    if not RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.QUEUED).update(
        status=RollupRun.Status.RUNNING, started_at=timezone.now()
    ):
        return run
    try:
        summary = rollup_compute(year=run.year, quarter=run.quarter, final=run.final)
    except Exception as exc:
        RollupRun.objects.filter(pk=run.pk).update(
            status=RollupRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    RollupRun.objects.filter(pk=run.pk).update(
        status=RollupRun.Status.DONE, finished_at=timezone.now(), summary=summary
    )
    run.refresh_from_db()
    return run


def rollup_recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat, every 5 minutes: run the requested runs left ``queued`` (oldest first), and record the runs whose
    worker died as failed, so a run never stays queued or running for ever. Returns the counts."""
    now = now or timezone.now()
    dead = RollupRun.objects.filter(status=RollupRun.Status.RUNNING, started_at__lt=now - ROLLUP_DEAD_AFTER).update(
        status=RollupRun.Status.FAILED, finished_at=now, error="The worker stopped before the run finished."
    )
    stale = RollupRun.objects.filter(status=RollupRun.Status.QUEUED, queued_at__lt=now - ROLLUP_RECOVER_AFTER)
    done = failed = 0
    for run_id, year, quarter in list(stale.order_by("queued_at", "pk").values_list("pk", "year", "quarter")):
        try:
            run = rollup_run(year=year, quarter=quarter, run_id=run_id)
        except Exception:  # recorded on the run by rollup_run; the next stale run still gets its turn
            failed += 1
            continue
        done += run.status == RollupRun.Status.DONE
    return {"done": done, "failed": failed, "dead": dead}
