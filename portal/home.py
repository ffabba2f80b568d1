"""The home-page (工作台) panel registry.

Domain apps register a function ``panel(user) -> dict | None`` with ``@register_panel(order)``; the home view
renders what they return. A panel dict has ``template`` (an include) and whatever context that template needs.
portal itself never imports a domain app; each app's ``home`` module is imported by ``autodiscover``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import autodiscover_modules

_PANELS: list[tuple[int, Callable]] = []


def register_panel(order: int):
    def decorator(func: Callable):
        _PANELS.append((order, func))
        _PANELS.sort(key=lambda item: item[0])
        return func

    return decorator


def autodiscover() -> None:
    autodiscover_modules("home")


def panels_for(user) -> list[dict]:
    panels = []
    for _order, func in _PANELS:
        panel = func(user)
        if panel:
            panels.append(panel)
    return panels
