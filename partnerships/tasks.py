"""Celery tasks of the partnerships app: thin wrappers that call services."""

from celery import shared_task

from partnerships.services.agreements import agreements_expire


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def expire_agreements() -> int:
    """Daily: agreements whose term has ended become 已到期."""
    return agreements_expire()
