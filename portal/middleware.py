"""Request-level guards and headers: the Content-Security-Policy, the Permissions-Policy, ``Cache-Control: private,
no-store`` on what a signed-in user is shown, and a clear page for a query cancelled by ``statement_timeout``.

The policy is ours rather than django-csp's: it is one fixed string plus a per-request nonce, which is less than
django-csp's configuration surface, and it needs no further dependency until Django ships its own CSP support.
"""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth import middleware as auth_middleware
from django.db.utils import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Scripts only from our own static files: no inline <script>, no on…= handlers, no eval. Stylesheets likewise, plus
# <style> elements that carry the page's nonce: FullCalendar injects its stylesheet at run time and stamps it with
# the nonce it finds in <meta name="csp-nonce">. Style *attributes* stay allowed (style-src-attr): ECharts writes its
# tooltips as HTML with style attributes, and our templates size progress bars and tree indents with them; a style
# attribute cannot run script.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data: blob:",
    # FullCalendar's stylesheet carries its small icon font (the toolbar's arrows) as a data: URI.
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Powerful features no page of ours uses. The camera stays off too: QR scanning belongs to other apps.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


class CspNonce:
    """A per-request nonce made on first use: only a page that asks for it gets one in its policy."""

    def __init__(self):
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = secrets.token_urlsafe(18)
        return self.value


def content_security_policy(nonce: str | None = None) -> str:
    directives = dict(CONTENT_SECURITY_POLICY)
    if nonce:
        directives["style-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response; ``request.csp_nonce`` for templates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = CspNonce()
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request.csp_nonce.value)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response


class PrivateCacheMiddleware:
    """What a signed-in user is shown is theirs: pages and downloads get ``Cache-Control: private, no-store`` so
    neither a shared proxy nor the browser's disk keeps a copy after they sign out. A response that sets its own
    Cache-Control keeps its choice but is made ``private`` all the same (the scope-checked photos are private with a
    max-age so a page of thumbnails loads once); static files never reach this middleware (WhiteNoise answers them
    first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)
            else:
                patch_cache_control(response, private=True, no_store=True)
        return response


QUERY_CANCELED = "57014"  # PostgreSQL's query_canceled: statement_timeout (or a cancel request) stopped the query


def is_query_timeout(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    return any(getattr(error, "pgcode", None) == QUERY_CANCELED for error in (exc, exc.__cause__))


class QueryTimeoutMiddleware:
    """Turns a query cancelled by the web connections' ``statement_timeout`` (DB_STATEMENT_TIMEOUT_MS) into a clear
    503 page instead of a bare server error: the worker is free again and the user is told to narrow the range.

    The page is rendered without the request's context processors, which would query a connection that may sit in
    an aborted transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_query_timeout(exception):
            return None
        logger.warning("Query cancelled by statement_timeout: %s %s", request.method, request.path)
        response = HttpResponse(render_to_string("query_timeout.html"), status=503)
        response["Retry-After"] = "30"
        return response


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's: every view needs a signed-in user unless marked ``login_not_required``; the answer is a redirect to
    the sign-in page. Except for an htmx request (a live count, a progress poll, a tree level): there the answer is
    a 401, because htmx would follow the redirect and put the whole sign-in page inside the part it refreshes. htmx
    swaps no 4xx answer, so the page keeps what it showed (a check-in code stays on the organizer's screen), and
    static/js/gongjian.js shows that the session has ended, with a link to sign in again and come back. A poll that
    succeeds later (signed in again in another tab) hides the notice."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(
                _("Your session has ended. Sign in again."), status=401, content_type="text/plain; charset=utf-8"
            )
        return super().handle_no_permission(request, view_func)
