"""The Celery application. Configuration lives in Django settings under the ``CELERY_`` prefix.

Every task enqueued by a write goes out after its commit with ``task.delay_on_commit(...)`` (or
``apply_async_on_commit``). The write is already committed by then, so a broker that cannot be reached must never
turn it into an error page: the send is tried once (settings keep the broker's timeouts short), a failure is logged
as a warning and swallowed, and the work is picked up later by whatever owns it — reminder rows by the next sweep
(portal/sweep.py), a requested rollup run by ``assessments.tasks.rollup_recover``, housekeeping by its nightly
run. So an enqueue after commit is a hint to start early, never the only record of the work: the work itself lives
in a row that a beat task finds.
"""

import logging
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import KombuError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """Every task of the project: ``delay_on_commit`` / ``apply_async_on_commit`` never raise for a down broker."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(lambda: self.send_or_log(args, kwargs))

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        transaction.on_commit(lambda: self.send_or_log(args, kwargs, **options))

    def send_or_log(self, args=None, kwargs=None, **options):
        """``apply_async`` now; if the broker cannot be reached, log a warning and return None instead of raising."""
        try:
            return self.apply_async(args, kwargs, **options)
        except broker_errors(self.app) as exc:
            logger.warning(
                "could not enqueue %s (the broker is unreachable: %s); it will be picked up later", self.name, exc
            )
            return None


def broker_errors(celery_app) -> tuple[type[BaseException], ...]:
    """What a send raises when the broker is down: kombu's wrapped errors and the transport's own connection
    errors (redis-py's, socket errors). Creating the connection object does not connect."""
    connection = celery_app.connection_for_write()
    return (KombuError, OSError, *connection.connection_errors, *connection.channel_errors)


app = Celery("portal", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
