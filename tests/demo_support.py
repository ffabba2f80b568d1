"""The demo in tests: ``seed_demo`` runs the command and returns what it printed; ``rolled_back`` is the body of a
module-scoped fixture that seeds once for the module and rolls everything back after its last test."""

from __future__ import annotations

import contextlib
import io

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings


def seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """The database open to a module-scoped fixture (DEBUG on, as the demo wants), in one transaction that is
    rolled back at the end."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
