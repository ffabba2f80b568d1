"""Celery tasks of the activities app: thin wrappers that call services."""

from celery import shared_task

from activities.services.activities import activities_mark_held


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def mark_held() -> int:
    """Every 15 minutes: planned activities whose end has passed become held (awaiting their log)."""
    return activities_mark_held()
