"""Demo 扫码签到 for ``manage.py seed_demo``: secretary1's branch's activities of the last week that are still to be
logged get a check-in code and the check-ins made with it — part of each participating roster (members of the lead
and of the co-organizers) and a guest or two — so the log form opens with them ticked and the headcounts filled in,
and the activity's page shows its 签到名单.

Deterministic and idempotent: draws are seeded per activity, and an activity that has check-ins is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random

from activities.models import Activity, ActivityCheckIn, ActivityCheckInCode
from demo.engine.context import DemoContext
from demo.engine.stories import plain, story
from demo.engine.world import ACTIVE_MEMBERS, SEED
from partnerships.models import Member
from partnerships.services.checkins import new_token
from portal.models import Membership

STORY = plain(story("activities")["checkin"])


def seed(ctx: DemoContext) -> None:
    """The hook (after the activities seeder): check-ins at secretary1's branch's activities still to log."""
    branch_a = ctx.data.get("partnerships", {}).get("organizations", {}).get("branch_a")
    if branch_a is None:
        ctx.step("check-ins: skipped (no partnerships demo data)")
        return
    now = ctx.clock.now
    secretary = Membership.objects.filter(organization=branch_a, role=Membership.Role.SECRETARY).order_by("pk").first()
    recent = Activity.objects.filter(
        lead=branch_a,
        status=Activity.Status.HELD,
        ends_at__gte=now - dt.timedelta(days=7),
        ends_at__lte=now,
    ).order_by("starts_at", "pk")
    made = 0
    for activity in recent.prefetch_related("co_organizers"):
        if ActivityCheckIn.objects.filter(activity=activity).exists():
            continue
        rng = random.Random(f"{SEED}:checkin:{activity.title}:{activity.starts_at.isoformat()}")
        ActivityCheckInCode.objects.get_or_create(
            activity=activity,
            defaults={
                "token": new_token(),
                "created_by": secretary.user if secretary else None,
                "created_at": activity.starts_at - dt.timedelta(hours=2),
            },
        )
        low, high = STORY["member_share"]
        rows = []
        for org in [activity.lead, *activity.co_organizers.all()]:
            roster = list(Member.objects.filter(organization=org, status__in=ACTIVE_MEMBERS).order_by("name", "pk"))
            share = rng.uniform(low, high) * (1 if org == activity.lead else 0.5)
            for member in rng.sample(roster, min(len(roster), round(len(roster) * share))):
                rows.append(ActivityCheckIn(activity=activity, member=member, name=member.name, organization=org))
        for name, unit in rng.sample(STORY["guests"], rng.randint(1, 2)):
            rows.append(ActivityCheckIn(activity=activity, name=name, unit=unit))
        # Scanned from half an hour before the start to twenty minutes after it, in arrival order.
        offsets = sorted(rng.randint(-30 * 60, 20 * 60) for _ in rows)
        for row, seconds in zip(rows, offsets, strict=True):
            row.created_at = activity.starts_at + dt.timedelta(seconds=seconds)
        ActivityCheckIn.objects.bulk_create(rows)
        made += len(rows)
    ctx.step(f"check-ins: {made} created")
