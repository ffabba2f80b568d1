"""Fixtures shared by the portal's test modules."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.conftest import require
from tests.workers_support import WorkerHarness, postgres_url, redis_available


@pytest.fixture
def harness(transactional_db, tmp_path):
    """Workers on the test database and Redis; stopped (and their Redis keys deleted) before the tables are
    flushed, whatever the test did."""
    require(connection.vendor == "postgresql", "real workers need PostgreSQL (DATABASE_URL=postgres://…)")
    redis_url = os.environ.get("REDIS_URL")
    require(redis_available(redis_url), "real workers need a reachable Redis (REDIS_URL=redis://…)")
    harness = WorkerHarness(database_url=postgres_url(connection.settings_dict), redis_url=redis_url, tmp_path=tmp_path)
    try:
        yield harness
    finally:
        harness.close()
