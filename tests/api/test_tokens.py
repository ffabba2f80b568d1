"""Personal API tokens: made on the profile page and shown once, kept as a hash, revoked → 401."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.rules import MAX_ACTIVE_TOKENS
from api.services.tokens import api_token_create
from tests.api.conftest import ApiClient


def _create(client, name="集团大屏"):
    response = client.post(reverse("api_token_create"), {"name": name})
    assert response.status_code == 302, response.content.decode()[:1000]
    return response["Location"]


def _secret_on(page: str) -> str:
    marker = 'data-testid="api-token-secret"'
    assert marker in page
    tag = page[page.index("<input", page.index(marker) - 200) : page.index(marker)]
    return tag.split('value="')[1].split('"')[0]


def test_it_shows_a_new_token_once_and_keeps_only_its_hash(client_for, world):
    client = client_for(world.secretary1)
    created_url = _create(client)
    page = client.get(created_url).content.decode()
    secret = _secret_on(page)
    assert secret.startswith("gj_") and len(secret) > 40
    token = ApiToken.objects.get(user=world.secretary1)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.name, token.prefix, token.digest) and secret.startswith(token.prefix)
    # A second look shows the prefix and says the token cannot be shown again.
    again = client.get(created_url).content.decode()
    assert secret not in again and 'data-testid="api-token-secret"' not in again
    assert token.prefix in again
    # The profile page lists it by its prefix only.
    profile = client.get(reverse("profile")).content.decode()
    assert token.prefix in profile and secret not in profile


def test_the_token_reads_and_is_stamped_as_used(client, world):
    token, secret = api_token_create(actor=world.secretary1, name="OA")
    assert token.last_used_at is None
    assert ApiClient(client, secret).get("/api/v1/organizations").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_gets_401(client_for, world):
    token, secret = api_token_create(actor=world.secretary1, name="OA")
    api = ApiClient(client_for(world.secretary1), secret)
    assert api.get("/api/v1/activities").status_code == 200
    response = api.client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = api.get("/api/v1/activities")
    assert refused.status_code == 401
    assert refused["Content-Type"].startswith("application/json") and refused.json()["detail"]
    assert refused["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer gj_not-a-real-token-at-all-000000000000000000", "Basic c2VjcmV0YXJ5MTp4", "Token gj_x"],
)
def test_missing_or_unknown_token_gets_401_json_not_the_sign_in_page(client, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/agreements", **extra)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_session_is_no_token(client_for, world):
    assert client_for(world.secretary1).get("/api/v1/agreements").status_code == 401


def test_token_of_a_deactivated_user_gets_401(client, world):
    _token, secret = api_token_create(actor=world.secretary1, name="OA")
    world.secretary1.is_active = False
    world.secretary1.save(update_fields=["is_active"])
    assert ApiClient(client, secret).get("/api/v1/agreements").status_code == 401


def test_nobody_revokes_or_sees_another_users_token(client_for, world):
    token, _secret = api_token_create(actor=world.secretary1, name="OA")
    client = client_for(world.secretary2)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("api_token_created", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_needs_a_name_and_a_free_one(client_for, world):
    client = client_for(world.secretary1)
    response = client.post(reverse("api_token_create"), {"name": "  "})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    _create(client, "OA")
    response = client.post(reverse("api_token_create"), {"name": "OA"})
    assert response.status_code == 200
    assert "同名的令牌" in response.content.decode()
    assert ApiToken.objects.filter(user=world.secretary1).count() == 1


def test_active_tokens_are_bounded(client_for, world):
    for n in range(MAX_ACTIVE_TOKENS):
        api_token_create(actor=world.secretary1, name=f"系统{n}")
    response = client_for(world.secretary1).post(reverse("api_token_create"), {"name": "再来一个"})
    assert response.status_code == 200
    assert "请先作废" in response.content.decode()
    assert ApiToken.objects.filter(user=world.secretary1).count() == MAX_ACTIVE_TOKENS
