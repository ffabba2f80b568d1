"""Playwright driving the system Chromium against the live test server."""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# axe-core comes from the npm registry (package.json devDependencies, installed by `make assets`).
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The rules run: WCAG 2.1 A and AA plus axe's best practices (landmarks, headings, labels of regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP = (1366, 768)
PHONE = (375, 740)

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require(os.path.exists(CHROMIUM) or shutil.which("chromium"), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone-375"])
def page(request, browser, live_server):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.viewport_width = width
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        os.makedirs("test-artifacts", exist_ok=True)
        page.screenshot(path=f"test-artifacts/{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def sign_in(page, username, password="pass-for-tests"):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def axe_violations(page, *, exclude=()):
    """Run axe-core in the page as it is now and return its violations (a list of dicts).

    The script is evaluated through the DevTools protocol, so the page's Content-Security-Policy does not
    block it and the page's own markup stays untouched.
    """
    require(AXE_SOURCE.exists(), f"axe-core is missing at {AXE_SOURCE}: run `make assets`")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    context = {"exclude": [[selector] for selector in exclude]} if exclude else "document"
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate(
        "async ([context, options]) => (await window.axe.run(context === 'document' ? document : context, options))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary}))}))",
        [context, options],
    )


def assert_accessible(page, *, exclude=()):
    """0 axe-core violations on the page as it is shown now (call it after the page has settled)."""
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page, exclude=exclude)
    assert not violations, f"axe-core on {page.url}:\n" + json.dumps(violations, ensure_ascii=False, indent=1)
