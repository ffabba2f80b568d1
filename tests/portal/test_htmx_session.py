"""A part of a page that refreshes itself through htmx, once the session has ended: a 401 (htmx swaps none), never
the sign-in page put inside the part; a plain request is still sent to the sign-in page (portal/middleware.py). The
browser side (the notice, the page kept): tests/e2e/test_checkin.py."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import ActivityFactory, cast_agreement

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_htmx_request_without_a_session_gets_401_and_a_page_request_the_sign_in_page(client, world):
    activity = ActivityFactory(lead=world.branch_a, agreement=cast_agreement(world, number="GJ-HX-1"))
    for url in (
        reverse("activities:activity_checkin_count", args=[activity.pk]),
        reverse("partnerships:organization_tree_level") + f"?parent={world.branch_a.pk}",
    ):
        response = client.get(url, **HTMX)
        assert response.status_code == 401
        assert response.content.decode() == "登录已过期，请重新登录。"
        assert "Location" not in response
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def test_signed_in_the_htmx_request_is_answered_and_the_page_carries_the_notice(client_for, world):
    activity = ActivityFactory(lead=world.branch_a, agreement=cast_agreement(world, number="GJ-HX-2"))
    client = client_for(world.secretary1)
    count = client.get(reverse("activities:activity_checkin_count", args=[activity.pk]), **HTMX)
    assert count.status_code == 200 and 'data-testid="checkin-count"' in count.content.decode()
    page = client.get(reverse("activities:activity_checkin_code", args=[activity.pk])).content.decode()
    notice = page.split('data-testid="session-ended"')[1].split("</div>")[0]
    assert "登录已过期" in notice
    assert f'href="{reverse("login")}?next=/activities/{activity.pk}/checkin/"' in notice.replace("%2F", "/")


def test_pages_for_anyone_keep_no_notice(client):
    assert 'data-testid="session-ended"' not in client.get(reverse("login")).content.decode()
