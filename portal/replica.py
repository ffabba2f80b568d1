"""Reads on a read replica, chosen explicitly: ``use_replica()`` around the reads that may be a moment behind.

With ``DATABASE_REPLICA_URL`` set, ``settings.READ_REPLICA`` names the ``replica`` database. Nothing goes there by
default: only code wrapped in ``use_replica()`` (a context manager and a decorator, for views and tasks) reads from
it — the committee's dashboard, the ledgers (活动台账, 督办台账), the export jobs, and the read API, which wraps its
reads the same way (``@replica_view`` on a view, ``@use_replica()`` on any function, or ``with use_replica():``). ``ReplicaRouter`` then sends a
read to the replica only while all of these hold, and to ``default`` otherwise:

- a ``use_replica()`` block is active (a context variable: per thread and per asyncio task);
- the ``default`` connection is not inside a transaction (``atomic``): reads that belong with writes see them;
- nothing has been written through the router in this block: after the first write every later read of the block
  stays on ``default`` (read-your-writes within a request).

Writes always go to ``default``, and migrations only run there. A replica lags its primary by a little: a page read
there may miss a change saved a moment ago in another request, which is acceptable for dashboards, ledgers and
exports, never for a page that edits.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import ContextDecorator
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@dataclass
class _State:
    wrote: bool = False


_active: contextvars.ContextVar[_State | None] = contextvars.ContextVar("gongjian_replica", default=None)


class use_replica(ContextDecorator):  # noqa: N801 - used as a function/decorator, like transaction.atomic
    """Within this block (or decorated function), reads go to the replica when one is configured."""

    def _recreate_cm(self):
        # A decorated function gets a fresh block on every call: one instance is shared by every thread calling it.
        return type(self)()

    def __enter__(self):
        self._token = _active.set(_State())
        return self

    def __exit__(self, *exc):
        _active.reset(self._token)
        return False


def replica_view(view):
    """A view whose reads may come from the replica: the whole request, its template rendered inside the block too
    (a ``TemplateResponse`` otherwise renders, and evaluates its querysets, after the view has returned). The
    signed-in user and the session are read before, from ``default``: a replica a moment behind must never sign
    someone out. For class-based views: ``@method_decorator(replica_view, name="dispatch")``."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        request.user.is_authenticated  # noqa: B018 - loads the session and the user from default
        with use_replica():
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                response = response.render()
        return response

    return wrapped


def replica_alias() -> str | None:
    """The replica's alias when one is configured (``settings.READ_REPLICA``), else None."""
    alias = getattr(settings, "READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else None


def reading_from() -> str:
    """Where a read issued now would go (for tests and logging)."""
    state, alias = _active.get(), replica_alias()
    if state is None or alias is None or state.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads inside ``use_replica()`` to the replica, everything else to ``default``."""

    def db_for_read(self, model, **hints):
        return reading_from()

    def db_for_write(self, model, **hints):
        state = _active.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as default: an object read there may be related to one read here.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
