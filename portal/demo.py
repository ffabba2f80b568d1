"""The demo-data hook: each app contributes a ``demo.py`` with a ``seed(ctx)`` function.

portal does not import the domain apps; ``seed_demo`` discovers their ``demo`` modules in INSTALLED_APPS order
(partnerships → activities → assessments), so each app builds on what the previous ones made.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import OutputWrapper

DEMO_PASSWORD = "gongjian-demo"


@dataclass
class DemoContext:
    """Shared state handed from one app's seeder to the next, plus progress output."""

    stdout: OutputWrapper
    style: Any
    create_passwords: bool
    data: dict[str, Any] = field(default_factory=dict)

    def step(self, message: str) -> None:
        self.stdout.write(f"  · {message}")

    def progress(self, label: str, done: int, total: int) -> None:
        """A one-line progress bar, rewritten in place."""
        if not self.stdout.isatty() and done < total:
            return  # in logs and CI, only the finished line is useful
        width = 30
        filled = int(width * done / total) if total else width
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r    {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end)
        self.stdout.flush()


def seeders():
    """(app label, seed function) for every installed app that ships a demo module."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            found.append((config.label, module.seed))
    return found
