"""Response headers (CSP, Permissions-Policy, Cache-Control for signed-in users) and the health probe."""

import re
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse

from portal.middleware import content_security_policy

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def _directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_carries_the_content_security_policy(client_for, world):
    response = client_for(world.secretary1).get(reverse("home"))
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'self'" and policy["img-src"] == "'self' data: blob:"
    assert policy["font-src"] == "'self' data:"  # FullCalendar's icon font
    assert policy["style-src"] == "'self'"  # no nonce: the page asked for none


def test_the_login_page_and_the_probe_carry_it_too(client, db):
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in client.get(reverse("healthz"))["Content-Security-Policy"]


def test_the_calendar_allows_fullcalendars_stylesheet_by_the_pages_nonce(client_for, world):
    response = client_for(world.secretary1).get(reverse("activities:calendar"))
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', response.content.decode()).group(1)
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in _directives(response["Content-Security-Policy"])["style-src"]
    again = client_for(world.secretary1).get(reverse("activities:calendar"))
    assert nonce not in again["Content-Security-Policy"]  # a fresh nonce per response


def test_the_nonce_never_reaches_script_src():
    policy = _directives(content_security_policy("abc"))
    assert policy["script-src"] == "'self'" and "'nonce-abc'" in policy["style-src"]


def test_no_template_holds_inline_script_or_event_handlers():
    offenders = []
    # The yearly archive's PDF templates are rendered by WeasyPrint in a worker and never reach a browser: their
    # stylesheet is inline (no CSP applies to a PDF), but no script or handler either.
    pdf_templates = TEMPLATES_DIR / "archive" / "pdf"
    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text()
        if pdf_templates in path.parents:
            text = re.sub(r"<style\b.*?</style>", "", text, flags=re.S)
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{path}: {match.group(0)}")
        if re.search(r"<style\b", text):
            offenders.append(f"{path}: <style>")
        offenders += [f"{path}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text)]
    assert offenders == []


def test_permissions_policy_turns_off_the_powerful_features(client, db):
    header = client.get(reverse("login"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in header


# --- Cache-Control ----------------------------------------------------------------------------------------------


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "url_name", ["home", "profile", "notifications", "partnerships:agreement_list", "activities:calendar"]
)
def test_signed_in_pages_are_private_and_not_stored(client_for, world, url_name):
    response = client_for(world.secretary1).get(reverse(url_name))
    assert response.status_code == 200
    assert {"private", "no-store"} <= _cache_control(response)


def test_personal_downloads_are_private_and_not_stored(client_for, world):
    response = client_for(world.secretary1).get(reverse("partnerships:agreement_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert {"private", "no-store"} <= _cache_control(response)


def test_anonymous_responses_are_left_to_their_views(client, db):
    assert not client.get(reverse("healthz")).has_header("Cache-Control")


def test_a_response_with_its_own_cache_header_keeps_it_but_private(rf, world):
    from django.http import HttpResponse

    from portal.middleware import PrivateCacheMiddleware

    def view(request):
        response = HttpResponse(b"photo")
        response["Cache-Control"] = "public, max-age=86400"
        return response

    request = rf.get("/")
    request.user = world.secretary1
    directives = _cache_control(PrivateCacheMiddleware(view)(request))
    assert directives == {"private", "max-age=86400"}


# --- /healthz ---------------------------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_does(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"


@pytest.fixture
def unreachable_database(db):
    """The default connection swapped for a real one whose database cannot be reached (a PostgreSQL port nothing
    listens on, or an SQLite file in a folder that does not exist); the test database is put back afterwards."""
    original = connections["default"]
    broken = connections.create_connection("default")
    broken.settings_dict = dict(original.settings_dict)
    if broken.vendor == "sqlite":
        broken.settings_dict["NAME"] = "/nonexistent-gongjian-folder/db.sqlite3"
    else:
        broken.settings_dict.update(HOST="127.0.0.1", PORT="1")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = original


def test_healthz_answers_503_when_the_database_is_down(client, unreachable_database):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.content == b"database unavailable"
    assert response["Content-Type"].startswith("text/plain")
