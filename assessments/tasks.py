"""Celery tasks of the assessments app: thin wrappers that call services."""

from celery import shared_task

from assessments import metrics, rules
from assessments.services import rollups as services


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rollup_quarter(year: int, quarter: int, run_id: int | None = None) -> dict:
    """On demand (a reviewer's request, by run id) or by hand: compute one quarter."""
    return services.rollup_run(year=year, quarter=quarter, run_id=run_id).summary


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rollup_open_quarter() -> dict:
    """Nightly: provisional results for the quarter under way."""
    year, quarter = metrics.current_quarter()
    return services.rollup_run(year=year, quarter=quarter, final=False).summary


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rollup_close_quarter() -> dict | None:
    """Just after midnight, in the first days of a quarter: the quarter that has just closed, final."""
    due = rules.rollup_close_due()
    return services.rollup_run(year=due[0], quarter=due[1], final=True).summary if due else None


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def rollup_recover() -> dict:
    """Every 5 minutes: requested runs whose task never came (the broker was down) are run here."""
    return services.rollup_recover()
