"""The installable web app's shell: the service worker (``/sw.js``, root scope), the offline page it falls back
to, a fresh CSRF token for syncing offline drafts, and sign-out that clears the browser's copy of the user's data.

The worker precaches the shell's static files under a version made from their contents, so a deploy that changes
any of them installs a new worker and drops the old caches. Domain pages say themselves what the worker may keep for
offline use (``OFFLINE_PAGES``: patterns of paths); nothing else a user is shown is cached.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# The shell: what every page loads, and the scripts the log form and the 待同步 list need offline.
SHELL_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/tom-select/tom-select.bootstrap5.min.css",
    "vendor/tom-select/tom-select.complete.min.js",
    "vendor/htmx/htmx.min.js",
    "css/gongjian.css",
    "js/gongjian.js",
    "js/search-select.js",
    "js/offline.js",
    "js/offline-log.js",
    "js/outbox.js",
    "js/activity-log.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/manifest.webmanifest",
)

# Pages kept for use without a signal (network first, the last copy when offline): the workbench, the to-log list,
# an activity's log form and the 待同步 list. Regular expressions on the path, read by the worker.
OFFLINE_PAGES = (r"^/$", r"^/activities/to-log/$", r"^/activities/\d+/log/$", r"^/activities/outbox/$")


@cache
def shell_version() -> str:
    """A digest of the shell files' URLs and contents: a new one whenever a deploy changes any of them."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    digest.update(json.dumps(OFFLINE_PAGES).encode())
    return digest.hexdigest()[:16]


@login_not_required
@require_GET
def service_worker(request):
    """``/sw.js``: served from the root so its scope is the whole site; never cached by HTTP, so a new version is
    seen on the next visit."""
    config = {
        "version": shell_version(),
        "shell": [static(name) for name in SHELL_FILES],
        "offline": reverse("offline"),
        "pages": list(OFFLINE_PAGES),
        # The static prefix itself (``static("")`` has no entry in production's hashed-file manifest: a 500).
        "static": settings.STATIC_URL,
    }
    response = render(request, "pwa/sw.js", {"config": json.dumps(config)}, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def offline(request):
    """What the worker shows for a page it has no copy of while offline. It shows nothing of the user's (it is
    cached once for everyone who signs in on this browser)."""
    response = render(request, "pwa/offline.html")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def csrf_token(request):
    """A current CSRF token for the script that syncs offline drafts (the one in a cached page may have rotated)."""
    return JsonResponse({"token": get_token(request)})


class LogoutView(auth_views.LogoutView):
    """Sign out and ask the browser to drop what it keeps of this site: cached pages, offline drafts (already
    confirmed by the user when any were waiting: static/js/offline.js), the service worker."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
