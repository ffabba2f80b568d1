"""The roster version: the committee overview's cached head counts are keyed on it, and every roster or organization
change moves it on (the signal handlers in apps.py, and ``services.directory.member_import`` for bulk inserts).

Its own module, importing no model, so ``apps.py`` can import it at the top (it loads before the models do).
"""

from __future__ import annotations

from django.core.cache import cache

# The committee overview's head counts span a whole group's roster (200,000 rows at 10,000 branches), so they are
# cached per reviewed subtree under a version that every roster or organization change moves on (partnerships/apps.py);
# the timeout only bounds how long an unused entry stays.
ROSTER_VERSION_KEY = "gj:roster-version"


def roster_version() -> int:
    return cache.get_or_set(ROSTER_VERSION_KEY, 1, timeout=None)


def roster_changed() -> None:
    """Called after a roster or organization change commits: cached head counts are recomputed on next read."""
    try:
        cache.incr(ROSTER_VERSION_KEY)
    except ValueError:  # no version yet (or evicted): the next read starts one, nothing cached is stale
        cache.add(ROSTER_VERSION_KEY, 2, timeout=None)
