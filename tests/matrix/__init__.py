"""Rows of the access matrix (tests/test_access_matrix.py), one module per product area.

A module defines ``CASES: dict[str, Case]`` keyed by URL name and ``objects(world) -> dict`` creating the objects
its URL builders use (merged into the ``objs`` dict every URL builder receives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import World


@dataclass
class Case:
    url: Callable[[World, dict], str]
    owner: str
    owner_post: Callable[[World, dict], dict] | None = None  # a valid POST for the owner (expects a redirect)
    read_only: tuple[str, ...] = ()  # may look, may not write: 403 on POST
    outsider_status: int | None = 404  # outsider's GET: 404 objects, 403 create-only pages, 200 shared pages
    outsider_must_not_see: Callable[[World, dict], str] | None = None
    get_ok: bool = True  # False for POST-only endpoints
    extra: dict = field(default_factory=dict)
