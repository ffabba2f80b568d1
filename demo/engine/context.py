"""What one story's seeder hands the next: ``DemoContext`` (shared rows, the clock, progress output).

``seed_demo`` runs the seeders in ``SEEDERS`` order (partnerships → activities → assessments), so each builds on
what the previous ones made. The demo's clock (``DemoClock``, on ``ctx.clock``) is the one notion of time every
seeder reads: see ``demo.clock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import OutputWrapper

from demo.clock import DemoClock

DEMO_PASSWORD = "gongjian-demo"


@dataclass
class DemoContext:
    """Shared state handed from one app's seeder to the next, plus progress output."""

    stdout: OutputWrapper
    style: Any
    create_passwords: bool
    data: dict[str, Any] = field(default_factory=dict)
    clock: DemoClock = field(default_factory=DemoClock.current)

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
