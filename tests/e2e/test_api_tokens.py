"""A secretary makes an API token on her account page, copies it from the page that shows it once, reads with it,
revokes it; the API's Swagger docs load under the portal's Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from tests.e2e.conftest import assert_accessible, sign_in
from tests.e2e.test_content_security_policy import (
    _visit,
    watched_page,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_makes_reads_with_and_revokes_a_token(page, world):
    sign_in(page, "secretary1")
    page.goto("/me/")
    page.get_by_role("link", name="新建令牌").click()
    page.get_by_label("令牌名称").fill("集团大屏")
    assert_accessible(page)
    page.get_by_role("button", name="创建令牌").click()
    secret_box = page.get_by_test_id("api-token-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("gj_")
    assert_accessible(page)
    page.screenshot(path=f"test-artifacts/api-token-created-{page.viewport_width}.png", full_page=True)

    headers = {"Authorization": f"Bearer {secret}"}
    assert page.request.get("/api/v1/organizations", headers=headers).status == 200

    # Shown once: coming back to the page shows the prefix only.
    page.reload()
    expect(page.get_by_test_id("api-token-secret")).to_have_count(0)

    page.goto("/me/")
    tokens = page.get_by_test_id("api-token-list")
    expect(tokens).to_contain_text("集团大屏")
    expect(tokens).to_contain_text(secret[:8])
    assert secret not in page.content()
    assert_accessible(page)
    tokens.get_by_role("button", name="作废").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("api-token-list")).to_contain_text("已作废")
    assert ApiToken.objects.get(user=world.secretary1).revoked_at is not None
    assert page.request.get("/api/v1/organizations", headers=headers).status == 401


def test_the_api_docs_load_under_the_content_security_policy(watched_page, world):  # noqa: F811
    _visit(watched_page, "/api/v1/docs")
    expect(watched_page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(watched_page.locator(".swagger-ui")).to_contain_text("/api/v1/activities")
    watched_page.screenshot(path="test-artifacts/api-docs.png")
