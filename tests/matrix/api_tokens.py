"""Access-matrix rows for the profile page's API tokens: make one, see it once, revoke it.

Tokens are personal: each user makes their own (so the outsider may open the form: 200), and anyone else's token
is a 404 (the outsider's GET of secretary1's token page, their POST to revoke it). The read API itself (/api/v1/,
namespace ``api``) authenticates by token rather than by session and is exempt from this matrix like the admin;
tests/api/ hold its scope tests (every list and detail for secretary1, secretary2 and the outsider, 401 without a
token) and test_api_urls_answer_401_without_a_token in tests/test_access_matrix.py checks every URL of it.
"""

from __future__ import annotations

from django.urls import reverse

from api.services.tokens import api_token_create
from tests.matrix import Case


def objects(world) -> dict:
    token, _secret = api_token_create(actor=world.secretary1, name="矩阵令牌")
    return {"api_token": token}


CASES: dict[str, Case] = {
    "api_token_create": Case(
        lambda w, o: reverse("api_token_create"),
        owner="secretary1",
        owner_post=lambda w, o: {"name": "矩阵新令牌"},
        outsider_status=200,
    ),
    "api_token_created": Case(lambda w, o: reverse("api_token_created", args=[o["api_token"].pk]), owner="secretary1"),
    "api_token_revoke": Case(
        lambda w, o: reverse("api_token_revoke", args=[o["api_token"].pk]),
        owner="secretary1",
        get_ok=False,
        owner_post=lambda w, o: {},
        outsider_status=405,
    ),
}
