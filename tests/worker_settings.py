"""Settings for the real Celery worker processes started by tests/portal/test_workers.py.

The test settings, with tasks really going through the broker and emails recorded to a file. Each test run isolates
itself on a shared Redis with a key prefix of its own (queues, unacknowledged messages and bindings all live under
it), so no stale message of an earlier run, and no other test's message, ever reaches these workers.

Environment (set by tests/workers_support.py): GJ_WORKER_QUEUE, GJ_WORKER_KEYPREFIX, GJ_MAIL_RECORD, GJ_MAIL_DELAY,
and GJ_VISIBILITY_TIMEOUT to make a restarted worker take back the messages a killed one left unacknowledged.
"""

import os
import time

import time_machine

from tests.settings import *  # noqa: F403
from tests.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("GJ_WORKER_QUEUE", "celery")
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": os.environ.get("GJ_WORKER_KEYPREFIX", ""),
}
if os.environ.get("GJ_VISIBILITY_TIMEOUT"):
    # Take back unacknowledged messages older than this, at start-up and then every second.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        visibility_timeout=int(os.environ["GJ_VISIBILITY_TIMEOUT"]),
        unacked_restore_interval=1,
        unacked_restore_throttle=1,
    )

EMAIL_BACKEND = "tests.workers_support.RecordingBackend"

if os.environ.get("GJ_TEST_CLOCK_OFFSET"):
    # The suite runs on another date (GJ_TEST_NOW, tests/conftest.py): this worker's clock is the suite's, to the
    # second, so what a test makes due now is due for the worker too.
    time_machine.travel(time.time() + float(os.environ["GJ_TEST_CLOCK_OFFSET"]), tick=True).start()
