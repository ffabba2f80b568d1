"""The demo's publicity (宣传, 品牌联创): branch brands (一支部一特色) and publicity items in every state.

The activities seeder writes a publicity note into about a third of the logged activities' records (as logs did
before publicity items existed); this step turns each such note into a ``PublicityItem`` of the activity, as the
data migration does for real data, and clears the note. Per lead organization the newest item waits for review,
and in the branches whose secretaries sign in to the demo (``tidy``) the next one has been returned with a reason and
the one after is still a draft; all the others were approved a day or three after the log. Idempotent: an activity
that has items is left alone, and a cleared note is not turned again.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from activities.models import Activity, ActivityPhoto, PublicityItem
from activities.selectors.publicity import brand_reviewer
from demo.engine.context import DemoContext
from partnerships.models import Organization

PHOTOS = 3  # photos chosen per item
Status = PublicityItem.Status


def seed_publicity(ctx: DemoContext, world, story: dict, tidy: list[str]) -> None:
    _branch_brands(world, story.get("branch_brands", {}))
    made = _items(world, story.get("return_reasons", ["请补充活动成效。"]), tidy)
    ctx.step(f"publicity: {made} items")


def _branch_brands(world, brands: dict) -> None:
    for key, (brand, description) in brands.items():
        org = world.orgs.get(key)
        if org is not None and not org.brand:
            Organization.objects.filter(pk=org.pk).update(brand=brand, brand_description=description)
            org.brand, org.brand_description = brand, description


def _items(world, reasons: list[str], tidy: list[str]) -> int:
    notes = list(
        Activity.objects.filter(status=Activity.Status.LOGGED)
        .filter(~Q(publicity_title="") | ~Q(publicity_text=""))
        .exclude(publicity_items__isnull=False)
        .select_related("lead", "agreement")
        .order_by("-logged_at", "-pk")
    )
    if not notes:
        return 0
    rng = random.Random(1405)
    now = timezone.now()
    tidy_ids = {world.orgs[key].pk for key in tidy if key in world.orgs}
    photos = defaultdict(list)
    for photo in ActivityPhoto.objects.filter(activity__in=[a.pk for a in notes]).order_by("pk"):
        if len(photos[photo.activity_id]) < PHOTOS:
            photos[photo.activity_id].append(photo.pk)
    seen: dict[int, int] = defaultdict(int)
    items, chosen = [], []
    reviewers: dict[tuple, Organization] = {}
    for activity in notes:
        rank = seen[activity.lead_id]
        seen[activity.lead_id] += 1
        key = (activity.agreement_id, activity.lead_id)
        if key not in reviewers:
            reviewers[key] = brand_reviewer(activity)
        status = _status(rank, activity.lead_id in tidy_ids)
        items.append(_item(world, rng, activity, reviewers[key], status, reasons, now))
        chosen.append(photos.get(activity.pk, []))
    PublicityItem.objects.bulk_create(items)
    through = PublicityItem.photos.through
    through.objects.bulk_create(
        [
            through(publicityitem_id=item.pk, activityphoto_id=pk)
            for item, pks in zip(items, chosen, strict=True)
            for pk in pks
        ]
    )
    PublicityItem.history.bulk_history_create(items, default_date=now)
    # The notes are now items: the log's old publicity columns are no longer written or read.
    Activity.objects.filter(pk__in=[a.pk for a in notes]).update(
        publicity_title="", publicity_text="", publicity_url=""
    )
    return len(items)


def _status(rank: int, tidy: bool) -> str:
    """The newest item of a lead waits for review; in the demo's signed-in branches the next was returned and the
    one after is a draft; the rest were approved."""
    if rank == 0:
        return Status.SUBMITTED
    if tidy and rank == 1:
        return Status.RETURNED
    if tidy and rank == 2:
        return Status.DRAFT
    return Status.APPROVED


def _item(world, rng, activity, reviewer, status, reasons, now) -> PublicityItem:
    submitted = min(activity.logged_at + dt.timedelta(hours=rng.randint(2, 30)), now)
    reviewed = min(submitted + dt.timedelta(days=rng.randint(1, 3)), now)
    ruled = status in (Status.APPROVED, Status.RETURNED)
    return PublicityItem(
        activity=activity,
        title=activity.publicity_title or activity.title,
        text=activity.publicity_text or activity.summary,
        link=activity.publicity_url,
        agreement=activity.agreement,
        branch=None if activity.agreement_id else activity.lead,
        reviewer_org=reviewer,
        status=status,
        created_by_id=activity.logged_by_id,
        submitted_at=None if status == Status.DRAFT else submitted,
        reviewed_at=reviewed if ruled else None,
        reviewed_by=world.secretaries.get(reviewer.pk) if ruled else None,
        return_reason=rng.choice(reasons) if status == Status.RETURNED else "",
    )
