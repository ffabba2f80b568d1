"""A per-user whole-page cache for the busiest list pages (督办台账, 我的督办, 活动台账, 共建协议, 党员名册).

A warm list page costs ~100 ms of Python (templates, forms) plus its SQL, where ``/healthz`` costs ~2 ms; with a
person paging back and forth through a ledger, most of those renderings repeat one already made. A view with
``CachedPageMixin`` keeps its rendered 200 response in a small per-process store and serves it again only when
*nothing it could show has changed*. The key carries:

- the user, their session key and their CSRF secret (the page embeds a token masked from that secret, valid only
  with it; a rotated secret or a new session is a new key);
- the full path with its query string, the active language;
- the current minute in the site's time zone (so the date, and anything a page derives from the clock such as
  "overdue" or "not yet logged", is never older than the minute it was rendered in: activity times are whole
  minutes, due dates whole days);
- the **data version** (portal/dataversion.py), read once per request *before* the page is built: a number that
  every committed write to any table of the database moves on — a service, a bulk ``UPDATE``, raw SQL in a rollup,
  the admin, a worker on another host, a ``psql`` session — kept by a statement-level trigger on every table, and
  unknown (nothing cached) while a write is in progress. Every query of the page runs after it was read and sees at
  least the writes it counts, so a stored page is never older than its key. No signal handler or list of write paths
  is involved: none can be missed.

Nothing is cached (the view runs as usual) when: the database is not PostgreSQL (the SQLite demo), the request runs
inside a transaction (the tests' TestCase), a write is in progress, the method is not GET, the user is
anonymous, it is an htmx request, there is no session or CSRF cookie yet, or messages are waiting to be shown. A
rendering is stored only if it is a 200 that set no cookie, left the session and the CSRF secret as they were, queued
no message and used no CSP nonce (a nonce must be new in every response).

The store is per process, bounded in bytes (``PAGE_CACHE_MB``, 0 turns it off), least recently used first out. An
entry that can no longer be reached (an older data version or minute) simply ages out; there is nothing to invalidate.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import partial

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from portal import dataversion

# Response headers a stored page keeps; the outer middleware (security headers, Cache-Control, gzip, language) adds
# the rest on every response, hit or not.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "X-Frame-Options")


class PageStore:
    """A thread-safe least-recently-used map of key → (status, headers, body), bounded by the bodies' bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, tuple[int, tuple[tuple[str, str], ...], bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[2])
            self.entries[key] = (status, headers, body)
            self.size += len(body)
            while self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped[2])

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


store = PageStore(settings.PAGE_CACHE_MB * 1024 * 1024)


def _messages_waiting(request) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    # Reading the stored messages without iterating them leaves them in place for the page that shows them.
    return bool(storage._queued_messages) or bool(storage._loaded_messages)


def page_key(request) -> str | None:
    """The key of this request's page, or None when it must not come from (or go into) the store."""
    if store.max_bytes <= 0 or request.method != "GET" or request.headers.get("HX-Request"):
        return None
    if settings.READ_REPLICA:
        # A standby's copy of the version sequence moves in WAL-logged steps of 32, not with every write it replays,
        # so its number cannot tell a page read there from a newer one: with a replica, pages are always rendered.
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session_key = request.session.session_key
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not session_key or not csrf_secret or _messages_waiting(request):
        return None
    version = dataversion.current(connection)
    if version is None:
        return None
    minute = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    parts = (str(user.pk), session_key, csrf_secret, translation.get_language() or "", minute, str(version))
    return hashlib.sha256("\n".join((*parts, request.get_full_path())).encode()).hexdigest()


def _keep(request, key: str, csrf_secret: str, response) -> None:
    """Post-render: store the page if nothing about it was particular to this one rendering."""
    storage = getattr(request, "_messages", None)
    if (
        response.status_code != 200
        or response.cookies
        or request.META.get("CSRF_COOKIE") != csrf_secret
        or request.session.modified
        or (storage is not None and storage._queued_messages)
        or getattr(getattr(request, "csp_nonce", None), "value", None) is not None
    ):
        return
    headers = tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name))
    store.put(key, response.status_code, headers, response.content)


class CachedPageMixin:
    """First among a list view's bases: its GET pages come from the per-user page store when nothing they show can
    have changed (see the module's docstring), else are rendered as usual and stored."""

    def dispatch(self, request, *args, **kwargs):
        key = page_key(request)
        if key is None:
            return super().dispatch(request, *args, **kwargs)
        found = store.get(key)
        if found is not None:
            status, headers, body = found
            # As a rendering would: the page's forms use the CSRF secret, so its cookie is sent again (renewed).
            get_token(request)
            return HttpResponse(body, status=status, headers=dict(headers))
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200 and hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(partial(_keep, request, key, request.META["CSRF_COOKIE"]))
        return response
