"""The read replica (portal/replica.py): which connection each read takes.

A second alias, ``replica``, points at the same test database (TEST MIRROR, tests/settings.py); each test here turns
it on with ``READ_REPLICA = "replica"``. The tests are transactional: inside a test transaction every read stays on
``default`` by design, so the two connections can only be told apart outside one.
"""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import Agreement
from portal import exports
from portal.models import ExportJob
from portal.replica import ReplicaRouter, reading_from, use_replica
from tests.activities.test_activities import at, make_activity, make_agreement
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA = "replica"
    return settings


class Captured:
    """The SQL each connection ran while the block was open."""

    def __enter__(self):
        self._default = CaptureQueriesContext(connections["default"])
        self._replica = CaptureQueriesContext(connections["replica"])
        self._default.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc):
        self._replica.__exit__(*exc)
        self._default.__exit__(*exc)

    def on(self, alias: str) -> list[str]:
        context = self._default if alias == "default" else self._replica
        return [query["sql"] for query in context.captured_queries]

    def reads_of(self, alias: str, table: str) -> list[str]:
        return [sql for sql in self.on(alias) if sql.lstrip().upper().startswith("SELECT") and f'"{table}"' in sql]

    def writes_on(self, alias: str) -> list[str]:
        return [sql for sql in self.on(alias) if sql.lstrip().upper().startswith(WRITES)]


def test_without_a_replica_everything_reads_from_default(world, settings):
    settings.READ_REPLICA = None
    with use_replica():
        assert reading_from() == "default"
        with Captured() as sql:
            assert Agreement.objects.count() == 0
    assert sql.on("replica") == [] and len(sql.on("default")) == 1


def test_reads_go_to_the_replica_only_inside_use_replica(world, replica):
    assert reading_from() == "default"
    with Captured() as sql:
        Agreement.objects.count()
        with use_replica():
            Agreement.objects.count()
    assert len(sql.reads_of("default", "partnerships_agreement")) == 1
    assert len(sql.reads_of("replica", "partnerships_agreement")) == 1


def test_inside_a_transaction_reads_stay_on_default(world, replica):
    with use_replica(), Captured() as sql:
        with transaction.atomic():
            Agreement.objects.count()
        Agreement.objects.count()
    assert len(sql.reads_of("default", "partnerships_agreement")) == 1
    assert len(sql.reads_of("replica", "partnerships_agreement")) == 1


def test_after_a_write_the_block_reads_from_default(world, replica):
    agreement = make_agreement(world)
    with use_replica(), Captured() as sql:
        Agreement.objects.count()
        Agreement.objects.filter(pk=agreement.pk).update(title="改过的协议")
        assert Agreement.objects.get(pk=agreement.pk).title == "改过的协议"
    assert len(sql.reads_of("replica", "partnerships_agreement")) == 1
    assert len(sql.reads_of("default", "partnerships_agreement")) == 1
    assert len(sql.writes_on("default")) == 1 and sql.writes_on("replica") == []
    with use_replica():  # a new block starts clean
        assert reading_from() == "replica"


def test_the_router_writes_and_migrates_on_default_only(replica):
    router = ReplicaRouter()
    with use_replica():
        assert router.db_for_write(Agreement) == "default"
    assert router.allow_migrate("replica", "partnerships") is False
    assert router.allow_migrate("default", "partnerships") is True


@pytest.mark.parametrize(
    ("name", "user", "table"),
    [
        ("assessments:dashboard", "committee", "assessments_quarterrollup"),
        ("activities:activity_list", "secretary1", "activities_activity"),
        ("partnerships:action_item_list", "secretary1", "partnerships_actionitem"),
    ],
    ids=["dashboard", "activity_ledger", "action_item_ledger"],
)
def test_dashboard_and_ledgers_read_from_the_replica(world, replica, client_for, name, user, table):
    agreement = make_agreement(world)
    make_activity(world, agreement=agreement, title="副本上的活动", starts=at(-3))
    ActionItemFactory(agreement=agreement, title="副本上的督办")
    client = client_for(world.user(user))
    with Captured() as sql:
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert sql.reads_of("replica", table), f"{table} was not read from the replica"
    assert not sql.reads_of("default", table)
    # The session and the signed-in user come from default (a lagging replica never signs anyone out).
    assert sql.reads_of("default", "django_session") and not sql.reads_of("replica", "django_session")
    assert sql.writes_on("replica") == []
    if "activity" in table:
        assert "副本上的活动".encode() in response.content
    if "actionitem" in table:
        assert "副本上的督办".encode() in response.content


def test_a_page_that_edits_never_reads_from_the_replica(world, replica, client_for):
    agreement = make_agreement(world)
    activity = make_activity(world, agreement=agreement, title="编辑页的活动", starts=at(-3))
    with Captured() as sql:
        response = client_for(world.secretary1).get(reverse("activities:activity_update", args=[activity.pk]))
    assert response.status_code == 200
    assert sql.on("replica") == []


def test_an_export_job_reads_its_rows_from_the_replica_and_writes_its_status_on_default(
    world, replica, settings, tmp_path
):
    settings.EXPORTS_DIR = tmp_path / "exports"
    agreement = make_agreement(world)
    for i in range(3):
        make_activity(world, agreement=agreement, title=f"导出活动{i}", starts=at(-i - 1))
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities", params={})
    with Captured() as sql:
        assert exports.job_run(job.pk) == {"job": job.pk, "rows": 3}
    assert sql.reads_of("replica", "activities_activity")
    # Until the job is marked done, default saw no activity read (afterwards the "export ready" notice runs its
    # reminder sweep, which is not part of the export).
    on_default = sql.on("default")
    done = next(i for i, q in enumerate(on_default) if q.startswith('UPDATE "portal_exportjob"') and "'done'" in q)
    assert done and not [q for q in on_default[:done] if '"activities_activity"' in q]
    assert sql.writes_on("replica") == []
    status_writes = [s for s in sql.writes_on("default") if '"portal_exportjob"' in s]
    assert len(status_writes) >= 3  # the claim, the total, the end (and progress)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and exports.job_file_open(job) is not None
