"""Access-matrix row for the search-as-you-type endpoint (portal/search.py).

Like every list, it answers the outsider (secretary of an unrelated tree) with their own scope only: 200, and none
of secretary1's organizations. A signed-in user with no role anywhere gets 404 (tests/portal/test_search.py).
"""

from __future__ import annotations

from django.urls import reverse

from tests.matrix import Case


def objects(world) -> dict:
    return {}


CASES = {
    "search": Case(
        lambda w, o: reverse("search", args=["organizations"]) + "?purpose=roster&q=甲项目",
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: "甲项目",
    ),
}
