"""Celery tasks of the portal: thin wrappers that call services.

``sweep_reminders`` and ``run_export`` register themselves with the module they run (``sweep.swept_by``,
``exports.run_by``), which asks for them after a commit without importing this module.
"""

from celery import shared_task

from portal import exports, notifications, services, sweep
from portal.webhooks import deliver


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def housekeeping() -> dict:
    return services.housekeeping_run()


@sweep.swept_by
@shared_task(acks_late=True, soft_time_limit=240, time_limit=290)
def sweep_reminders(helper: bool = False) -> dict:
    """Every 5 minutes: create, cancel, claim and send due reminders (portal/sweep.py); ``helper``: only claim and
    send, asked for by a sweep in a burst."""
    return sweep.sweep(helper=helper)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def send_digests() -> dict:
    """Daily at 08:15: each user's digest email (portal/notifications.py)."""
    return notifications.digest_send_all()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def send_webhook_test(delivery_id: int) -> dict:
    """On demand, from a robot's page: post its test message (portal/webhooks/deliver.py)."""
    return deliver.deliver_test(delivery_id)


@exports.run_by
@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3660)
def run_export(job_id: int) -> dict:
    """On demand, from an export page with more rows than EXPORT_ROW_THRESHOLD: write the file (portal/exports.py)."""
    return exports.job_run(job_id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def requeue_exports() -> dict:
    """Every 5 minutes: send again export jobs left queued, take back those a dead worker abandoned."""
    return exports.requeue_stale()
