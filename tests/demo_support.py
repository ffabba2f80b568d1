"""The demo in tests: ``seed_demo`` runs the command and returns what it printed; ``rolled_back`` is the body of a
module-scoped fixture that seeds once for the module and rolls everything back after its last test."""

from __future__ import annotations

import contextlib
import io

from django.core.management import call_command
from django.test import override_settings

from tests import rollback


def seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """The database open to a module-scoped fixture (DEBUG on, as the demo wants), in one transaction that is
    rolled back at the end (``tests.rollback``: marked like a TestCase's, so the durable services run inside it)."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), rollback.rolled_back():
        yield
