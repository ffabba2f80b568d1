"""What one story's seeder hands the next: ``DemoContext`` (shared rows, the clock, progress output).

``seed_demo`` runs the seeders in ``SEEDERS`` order (partnerships → activities → assessments), so each builds on
what the previous ones made. The demo's clock (``DemoClock``, on ``ctx.clock``) is the one notion of time every
seeder reads: see ``demo.clock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
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


def ensure_users(ctx: DemoContext, specs, fields) -> tuple[dict, int]:
    """The demo users of ``specs`` by username, and how many were created: the missing ones are created with
    ``fields(spec)`` as their User fields and the demo password (or an unusable one); an existing account, its
    password included, is left as it is."""
    User = get_user_model()
    existing = {user.username: user for user in User.objects.filter(username__in=[s.username for s in specs])}
    missing = [spec for spec in specs if spec.username not in existing]
    # Hashing is the slow part of seeding: hash once, and only when someone needs it. Sharing one salt is
    # harmless for a password printed in the README.
    password = make_password(DEMO_PASSWORD) if missing and ctx.create_passwords else None
    users = dict(existing)
    for spec in missing:
        user = User(username=spec.username, **fields(spec))
        if password:
            user.password = password
        else:
            user.set_unusable_password()
        user.save()
        users[spec.username] = user
    return users, len(missing)
