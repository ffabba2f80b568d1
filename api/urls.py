"""/api/v1/ and the profile page's token pages.

The API's operations authenticate by token themselves (401 JSON, never the sign-in page) and its schema and docs
describe no one's data, so every URL under /api/v1/ is exempt from the site's LoginRequiredMiddleware; the token
pages are ordinary signed-in pages."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from api.main import api
from api.views import tokens as token_views

_patterns, _app, _namespace = api.urls
for pattern in _patterns:
    pattern.callback = login_not_required(pattern.callback)

urlpatterns = [
    path("api/v1/", (_patterns, _app, _namespace)),
    path("me/tokens/new/", token_views.ApiTokenCreateView.as_view(), name="api_token_create"),
    path("me/tokens/<int:pk>/", token_views.ApiTokenCreatedView.as_view(), name="api_token_created"),
    path("me/tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
]
