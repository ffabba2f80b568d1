"""The installable app's shell (issue 14, part 1): the manifest, the service worker at the root with its shell list
and version, the offline page, the fresh CSRF token, and sign-out clearing the browser's copy."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from portal.views import pwa

pytestmark = pytest.mark.django_db


def _config(body: str) -> dict:
    return json.loads(re.search(r"^var CONFIG = (.*);$", body, re.MULTILINE).group(1))


def test_the_service_worker_is_served_at_the_root_to_anyone_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    config = _config(response.content.decode())
    assert config["offline"] == reverse("offline")
    assert "/static/css/gongjian.css" in config["shell"] and "/static/js/offline.js" in config["shell"]
    assert config["version"] == pwa.shell_version()
    assert any(re.match(pattern, "/activities/12/log/") for pattern in config["pages"])
    assert not any(re.match(pattern, "/activities/12/") for pattern in config["pages"])


def test_the_shell_version_follows_the_shell_files_contents(monkeypatch, tmp_path):
    first = pwa.shell_version()
    changed = tmp_path / "gongjian.css"
    changed.write_text("body { color: red }")
    real_find = pwa.finders.find
    monkeypatch.setattr(
        pwa.finders, "find", lambda name: str(changed) if name == "css/gongjian.css" else real_find(name)
    )
    pwa.shell_version.cache_clear()
    try:
        assert pwa.shell_version() != first
    finally:
        pwa.shell_version.cache_clear()


def test_the_offline_page_is_public_and_shows_nothing_of_the_user(client, client_for, world):
    assert client.get(reverse("offline")).status_code == 200
    body = client_for(world.secretary1).get(reverse("offline")).content.decode()
    assert 'data-testid="offline-page"' in body
    assert world.secretary1.username not in body and "csrfmiddlewaretoken" not in body
    assert reverse("activities:activity_outbox") in body


def test_the_manifest_makes_the_portal_installable():
    with open(pwa.finders.find("icons/manifest.webmanifest"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    assert manifest["short_name"] == "共建" and manifest["display"] == "standalone" and manifest["scope"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_signed_in_pages_register_the_worker_and_link_the_outbox(client_for, world):
    body = client_for(world.secretary1).get(reverse("home")).content.decode()
    assert 'data-sw="/sw.js"' in body and "js/offline.js" in body
    assert f'data-user="{world.secretary1.pk}"' in body
    assert reverse("activities:activity_outbox") in body
    assert "data-gj-logout" in body


def test_the_outbox_page_is_rendered_for_the_script_to_fill(client_for, world):
    response = client_for(world.secretary1).get(reverse("activities:activity_outbox"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "待同步" in body and "立即同步" in body and "js/outbox.js" in body


def test_the_sync_gets_a_fresh_csrf_token(client_for, world):
    response = client_for(world.secretary1).get(reverse("csrf_token"))
    assert response.status_code == 200 and len(response.json()["token"]) >= 32


def test_signing_out_asks_the_browser_to_clear_its_copy(client_for, world):
    response = client_for(world.secretary1).post(reverse("logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
