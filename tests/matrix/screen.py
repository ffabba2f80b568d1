"""Access-matrix rows for the committee's big screen (大屏): the screen and its JSON for a signed-in reviewer, the
display links' page (make one) and revoking one.

The screen is the group committee's (``committee`` reviews it); everyone else gets 404, the outsider included, as
the screen shows the whole subtree. The display link URLs themselves are public (their token is the credential) and
listed in PUBLIC; tests/assessments/test_screen.py covers them.
"""

from __future__ import annotations

from django.urls import reverse

from assessments.services import screen as services
from tests.matrix import Case


def objects(world) -> dict:
    link, _token = services.display_link_create(actor=world.committee, committee=world.group, name="矩阵会议室")
    return {"display_link": link}


def _group(name):
    return lambda w, o: reverse(f"assessments:{name}", args=[w.group.pk])


CASES: dict[str, Case] = {
    "assessments:screen": Case(_group("screen"), owner="committee"),
    "assessments:screen_data": Case(_group("screen_data"), owner="committee"),
    "assessments:display_links": Case(
        _group("display_links"), owner="committee", owner_post=lambda w, o: {"name": "党委会议室"}
    ),
    "assessments:display_link_revoke": Case(
        lambda w, o: reverse("assessments:display_link_revoke", args=[o["display_link"].pk]),
        owner="committee",
        get_ok=False,
        owner_post=lambda w, o: {},
        outsider_status=405,
    ),
}
