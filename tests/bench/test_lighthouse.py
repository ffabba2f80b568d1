"""Lighthouse (mobile profile) on the app as production serves it — gunicorn, DEBUG off, static files collected and
compressed by WhiteNoise — signed in: the 工作台 of a secretary and of the committee, and the committee's 考核看板,
each at least at its targets (accessibility 98, best practices 100, performance 90 on the 工作台 and 80 on the
dashboard). bench/lighthouse.py does the work; this runs it once (about three minutes: migrate, collectstatic, the
demo, then three audits)."""

import os
import shutil

import pytest

from bench import lighthouse
from tests.conftest import require

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_workbench_and_the_dashboard_meet_the_lighthouse_targets():
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    require(os.path.exists(chrome) or shutil.which("chromium"), f"Chromium is not installed at {chrome}")
    require(lighthouse.LIGHTHOUSE.exists(), "Lighthouse is missing from node_modules: run `make assets`")

    results = lighthouse.run()

    table = lighthouse.format_table(results)
    print(table)
    assert [r.target.name for r in results] == [t.name for t in lighthouse.TARGETS]
    assert not [r for r in results if r.missed], table
