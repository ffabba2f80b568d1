"""``rolled_back()``: a transaction undone at its end, for a module's seeded demo or a test's scratch writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the enclosed writes in a transaction that is rolled back at the end.

    The services' outermost transactions are durable, which Django refuses inside another atomic block except one
    that ``django.test.TestCase`` opened (it marks its blocks ``_from_testcase``); this block is marked the same way,
    so the services run in it as they do in a test's own transaction.
    """
    atomic = transaction.atomic()
    atomic._from_testcase = True
    with atomic:
        yield
        transaction.set_rollback(True)
