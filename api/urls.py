"""/api/v1/: the operations authenticate by token themselves (401 JSON, never the sign-in page), and the schema and
its docs describe no one's data, so every URL here is exempt from the site's LoginRequiredMiddleware."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from api.main import api

patterns, app_name, namespace = api.urls
for pattern in patterns:
    pattern.callback = login_not_required(pattern.callback)

urlpatterns = [path("v1/", (patterns, app_name, namespace))]
