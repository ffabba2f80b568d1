"""下载年度台账 in the browser, with a real worker (issue 16, point 3).

secretary1 opens 甲项目党支部's page, picks last year in the 年度台账 card and clicks 下载年度台账; the job's page polls
its status while a real Celery worker on the ``exports`` queue (PostgreSQL + Redis, tests/workers_support.py) builds
the bundle, the bar reaches 100 % and the download link appears; the downloaded ZIP holds every section. At 1366 px
and 375 px, axe-core on both pages. Run it with DATABASE_URL and REDIS_URL set, as the worker tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from portal import exports
from portal.models import ExportJob
from tests.archive.ledger_world import build_ledger, check_bundle
from tests.e2e.conftest import assert_accessible, sign_in
from tests.portal import conftest as portal_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SHOTS = "test-artifacts"
harness = portal_fixtures.harness  # the real-worker harness of the worker tests


class _Publisher:
    """The portal's send of a job (``exports.enqueue``), published through the harness's producer: the same task
    name and routing, under the test's own broker prefix, so the harness's worker — and only it — takes it."""

    def __init__(self, harness) -> None:
        self.harness = harness

    def apply_async(self, args, retry=False):
        return self.harness.producer.send_task("portal.tasks.run_export", args=list(args))


@pytest.fixture
def worker(harness, settings, tmp_path, monkeypatch):
    settings.EXPORTS_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    harness.producer.conf.task_routes = django_settings.CELERY_TASK_ROUTES
    started = harness.start_worker(
        "exports", queues="exports", EXPORTS_DIR=str(settings.EXPORTS_DIR), GJ_TEST_MEDIA_ROOT=str(settings.MEDIA_ROOT)
    )
    monkeypatch.setattr(exports, "_job_task", [_Publisher(harness)])
    return started


def test_secretary_downloads_the_branch_yearly_ledger(page, world, worker, tmp_path):
    ledger = build_ledger(world)
    sign_in(page, "secretary1")
    page.goto(reverse("partnerships:organization_detail", args=[world.branch_a.pk]))
    card = page.get_by_test_id("archive-start")
    expect(card).to_be_visible()
    card.get_by_label("年度").select_option(str(ledger.year))
    assert_accessible(page)
    card.get_by_role("button", name="下载年度台账").click()
    page.wait_for_url("**/exports/*/")
    status = page.get_by_test_id("export-status")
    expect(status).to_have_attribute("data-status", "done", timeout=150_000)
    expect(status.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("export-rows")).to_contain_text("7 个部分中已完成 7 个")
    assert_accessible(page)
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/archive-done-{page.viewport_width}.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    job = ExportJob.objects.get(requester=world.secretary1)
    assert download.value.suggested_filename == job.filename == f"甲项目党支部{ledger.year}年度台账.zip"
    saved = tmp_path / "bundle.zip"
    download.value.save_as(saved)
    check_bundle(Path(saved).read_bytes(), ledger, world)
