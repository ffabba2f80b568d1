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

from django.utils.module_loading import autodiscover_modules

_SECTIONS: dict[str, list[tuple[int, Callable]]] = {}


def register_section(page: str, order: int):
    def decorator(func: Callable):
        entries = _SECTIONS.setdefault(page, [])
        entries.append((order, func))
        entries.sort(key=lambda item: item[0])
        return func

    return decorator


def register_panel(order: int):
    """A home-page panel: ``panel(user) -> dict | None``."""

    def decorator(func: Callable):
        register_section("home", order)(lambda user, obj=None: func(user))
        return func

    return decorator


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
