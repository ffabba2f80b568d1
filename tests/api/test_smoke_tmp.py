import pytest
from django.urls import reverse
from api.services.tokens import api_token_create

@pytest.mark.django_db
def test_smoke(client, world):
    token, secret = api_token_create(actor=world.secretary1, name="x")
    for url in ["organizations","agreements","meetings","action-items","activities","zones","results","dashboard"]:
        r = client.get(f"/api/v1/{url}", HTTP_AUTHORIZATION=f"Bearer {secret}")
        print(url, r.status_code, r.content[:300])
    r = client.get("/api/v1/activities?limit=500&from=2020-13-01", HTTP_AUTHORIZATION=f"Bearer {secret}")
    print(r.status_code, r.content.decode()[:400])
    r = client.get("/api/v1/activities")
    print(r.status_code, r.content.decode()[:400])
    r = client.get("/api/v1/docs")
    print(r.status_code, r.content.decode()[:100], r.get("Content-Security-Policy"))
    client.force_login(world.secretary1)
    r = client.get(reverse("profile")); print(r.status_code, "api-tokens" in r.content.decode())
    r = client.post(reverse("api_token_create"), {"name": "OA"}); print(r.status_code, r["Location"])
    r = client.get(r["Location"]); print(r.status_code, "gj_" in r.content.decode())
