"""Celery tasks of the portal: thin wrappers that call services."""

from celery import shared_task

from portal import services


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def housekeeping() -> dict:
    return services.housekeeping_run()


@shared_task(acks_late=True, soft_time_limit=240, time_limit=290)
def sweep_reminders() -> dict:
    """Every 5 minutes: create, cancel, claim and send due reminders (portal/reminders.py)."""
    from portal import reminders

    return reminders.sweep()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def send_digests() -> dict:
    """Daily at 08:15: each user's digest email (portal/notifications.py)."""
    from portal import notifications

    return notifications.digest_send_all()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def send_webhook_test(delivery_id: int) -> dict:
    """On demand, from a robot's page: post its test message (portal/webhooks.py)."""
    from portal import webhooks

    return webhooks.deliver_test(delivery_id)


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3660)
def run_export(job_id: int) -> dict:
    """On demand, from an export page with more rows than EXPORT_ROW_THRESHOLD: write the file (portal/exports.py)."""
    from portal import exports

    return exports.job_run(job_id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def requeue_exports() -> dict:
    """Every 5 minutes: send again export jobs left queued, take back those a dead worker abandoned."""
    from portal import exports

    return exports.requeue_stale()
