"""Access-matrix rows for the installable app (issue 14, part 1): the fresh CSRF token the offline sync asks for and
the 待同步 page. Both hold nothing of anyone's (the drafts live in the browser), so every signed-in user gets them.
The service worker and the offline page are public (PUBLIC in tests/test_access_matrix.py; tests/portal/test_pwa.py)."""

from __future__ import annotations

from django.urls import reverse

from tests.matrix import Case


def objects(world) -> dict:
    return {}


CASES: dict[str, Case] = {
    "csrf_token": Case(lambda w, o: reverse("csrf_token"), owner="secretary1", outsider_status=200),
    "activities:activity_outbox": Case(
        lambda w, o: reverse("activities:activity_outbox"), owner="secretary1", outsider_status=200
    ),
}
