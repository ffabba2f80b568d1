"""What the partnerships story left, read back once for the activities and key-project stories (``World``), and the
generated photos both of them attach (``Pictures``).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from activities.models import ActivityType
from demo.clock import DemoClock
from demo.engine.context import DemoContext
from partnerships.models import Agreement, Member, Organization
from portal.models import Membership
from portal.uploads import CheckedUpload

SEED = 20261122
FUTURE_DAYS = 90

ACTIVE_MEMBERS = (Member.Status.FULL, Member.Status.PROBATIONARY, Member.Status.ACTIVIST)


# --- story times ----------------------------------------------------------------------------------------------


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# --- the world the seeders share ------------------------------------------------------------------------------


@dataclass
class World:
    """What the partnerships demo made, loaded once, plus the demo's clock."""

    clock: DemoClock
    orgs: dict[str, Organization]
    agreements: dict[str, Agreement]
    users: dict
    types: dict[str, ActivityType]
    secretaries: dict[int, object]  # organization pk -> its secretary's user
    keepers: dict[int, object]  # organization pk -> its secretary's or liaison's user
    rosters: dict[int, list[Member]]  # organization pk -> active members, by name
    pictures: Pictures

    @property
    def today(self) -> dt.date:
        return self.clock.today

    @property
    def now(self) -> dt.datetime:
        return self.clock.now

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """From the first day of the oldest quarter the demo shows to ``FUTURE_DAYS`` ahead."""
        return self.clock.start, self.clock.today + dt.timedelta(days=FUTURE_DAYS)

    def user(self, username: str):
        return self.users.get(username)


def load_world(ctx: DemoContext, pictures: Pictures) -> World:
    """Read back what the partnerships seeder left: organizations, agreements, users by role, active rosters."""
    data = ctx.data["partnerships"]
    orgs: dict[str, Organization] = data["organizations"]
    agreements: dict[str, Agreement] = data.get("agreements", {})
    User = get_user_model()
    users = {user.username: user for user in User.objects.all()}
    secretaries: dict[int, object] = {}
    keepers: dict[int, object] = {}
    for membership in Membership.objects.select_related("user").order_by("pk"):
        if membership.role == Membership.Role.SECRETARY:
            secretaries.setdefault(membership.organization_id, membership.user)
        if membership.role in (Membership.Role.SECRETARY, Membership.Role.LIAISON):
            keepers.setdefault(membership.organization_id, membership.user)
    rosters: dict[int, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(organization__in=list(orgs.values()), status__in=ACTIVE_MEMBERS).order_by(
        "organization", "name", "pk"
    ):
        rosters[member.organization_id].append(member)
    return World(
        clock=ctx.clock,
        orgs=orgs,
        agreements=agreements,
        users=users,
        types=ActivityType.objects.in_bulk(field_name="code"),
        secretaries=secretaries,
        keepers=keepers,
        rosters=dict(rosters),
        pictures=pictures,
    )


# --- generated photos --------------------------------------------------------------------------------------------


class Pictures:
    """A few small JPEGs standing in for site photos, drawn once per run and reused (seeding stays fast)."""

    SIZE = (640, 480)

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], bytes] = {}

    def jpeg(self, colour: str, variant: int) -> bytes:
        key = (colour, variant)
        if key not in self._cache:
            self._cache[key] = self._draw(colour, variant)
        return self._cache[key]

    def upload(self, colour: str, variant: int, name: str) -> CheckedUpload:
        content = self.jpeg(colour, variant)
        return CheckedUpload(
            file=ContentFile(content, name=name),
            content_type="image/jpeg",
            extension=".jpg",
            size=len(content),
            original_name=name,
        )

    def _draw(self, colour: str, variant: int) -> bytes:
        rng = random.Random(f"{SEED}|picture|{colour}|{variant}")
        base = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        width, height = self.SIZE
        image = Image.new("RGB", self.SIZE)
        draw = ImageDraw.Draw(image)
        # Sky: the type's colour fading to white; ground: a darker band.
        horizon = int(height * rng.uniform(0.55, 0.7))
        for y in range(horizon):
            t = y / horizon
            draw.line([(0, y), (width, y)], fill=tuple(int(c + (255 - c) * (0.35 + 0.6 * t)) for c in base))
        draw.rectangle((0, horizon, width, height), fill=tuple(int(c * 0.55) for c in base))
        # A banner, a board and a few "people" standing in a row.
        left = rng.randrange(40, 200)
        draw.rectangle((left, 40, left + rng.randrange(240, 380), 100), fill=(200, 22, 29), outline=(250, 220, 80))
        board = rng.randrange(20, width - 160)
        draw.rectangle((board, horizon - 150, board + 130, horizon - 10), fill=(245, 245, 240), outline=(60, 60, 60))
        x = rng.randrange(10, 40)
        for _ in range(rng.randrange(5, 10)):
            x += rng.randrange(50, 75)
            if x > width - 40:
                break
            y = horizon + rng.randrange(-40, 10)
            shirt = rng.choice([(200, 22, 29), (30, 60, 120), (240, 240, 240), (230, 150, 30)])
            draw.ellipse((x, y - 60, x + 30, y - 30), fill=(235, 200, 170))
            draw.rectangle((x - 5, y - 30, x + 35, y + 40), fill=shirt)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=78)
        return buffer.getvalue()
