"""Page-section registries: the home page (工作台) panels and the sections other pages borrow from domain apps.

Domain apps register a function with ``@register_panel(order)`` (home page: ``panel(user) -> dict | None``) or
``@register_section(page, order)`` (any other page: ``section(user, obj) -> dict | None``, where ``obj`` is the page's
object or ``None``). The page renders what they return: a dict with ``template`` (an include), ``title`` and whatever
that template needs. portal and partnerships never import a later app; each app's ``sections`` package (one module
per area, imported by the package) is imported by ``autodiscover``. Pages that take sections: ``"home"``, ``"profile"``, ``"organization_detail"``,
``"agreement_detail"``, ``"meeting_detail"``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils.module_loading import autodiscover_modules

_SECTIONS: dict[str, list[tuple[int, Callable]]] = {}


def register_section(page: str, order: int):
    def decorator(func: Callable):
        entries = _SECTIONS.setdefault(page, [])
        entries.append((order, func))
        entries.sort(key=lambda item: item[0])
        return func

    return decorator


_DEFERRED: dict[str, tuple[Callable, Callable]] = {}  # key → (panel, shown_to)


def register_panel(order: int, *, deferred: str = "", title="", shown_to: Callable | None = None):
    """A home-page panel: ``panel(user) -> dict | None``.

    ``deferred`` (a key) for a panel whose queries cost as much as the rest of the page at a group's scale (a
    committee over ten thousand branches): the page then carries its ``title`` and a placeholder that fetches the
    panel from ``/panels/<key>/`` as soon as the page is shown, so the to-do at the top is not held back by it.
    ``shown_to(user)`` says, without a query, whether to place it at all (the fetched panel may still turn out empty,
    and the placeholder then goes)."""

    def decorator(func: Callable):
        if deferred:
            shown = shown_to or (lambda user: True)
            _DEFERRED[deferred] = (func, shown)
            register_section("home", order)(
                lambda user, obj=None: _placeholder(deferred, title) if shown(user) else None
            )
        else:
            register_section("home", order)(lambda user, obj=None: func(user))
        return func

    return decorator


def _placeholder(key: str, title) -> dict:
    return {"template": "portal/panel_loading.html", "title": title, "deferred_url": reverse("home_panel", args=[key])}


def deferred_panel(key: str, user) -> Callable | None:
    """The deferred panel ``key`` if it is placed for ``user`` (else None: the page never asks for it)."""
    func, shown = _DEFERRED.get(key, (None, None))
    return func if func is not None and shown(user) else None


def autodiscover() -> None:
    autodiscover_modules("sections")


def sections_for(page: str, user, obj=None) -> list[dict]:
    sections = []
    for _order, func in _SECTIONS.get(page, ()):
        section = func(user, obj)
        if section:
            sections.append(section)
    return sections


def panels_for(user) -> list[dict]:
    return sections_for("home", user)
