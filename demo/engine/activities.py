"""Demo activities for ``manage.py seed_demo``: five quarters of activities (most logged with headcounts, participants
and photos), on the plans of ``demo.engine.plans``; ``demo.engine.projects`` adds the key project and its zones.

Built on ``ctx.data["partnerships"]`` (organizations, rosters, users, agreements). What it makes, all invented:

* **Plans**: a yearly plan for every agreement, for each year its term overlaps the demo window (``demo.engine.plans``).
* **Activities**: every plan row's sessions inside the window (a row may recur monthly or quarterly), the company
  branches' own activities (主题党日, 党课, 理论学习 …, no agreement), and a few fixed ones for ``secretary1``'s branch
  so its home page has work: held but not logged in the last week, planned in the current week. Past ones are
  mostly logged (summary, outcomes, headcount per participating organization, named participants from those
  organizations' rosters, 1–3 photos, sometimes a publicity note); some are held but not logged, a few cancelled
  with a reason, a few plan rows were never held. ``secretary2``'s branch has activities of its own (some
  co-organized with other head-office branches) and shares none with ``secretary1``'s branch or its partners.

Direct ORM writes (seed data, in bulk), every row within the models' constraints and the services' rules; timestamps
and history rows carry the story's dates. Deterministic and idempotent: dates follow ``ctx.clock``, random draws are
seeded per plan, row and activity, and rows are keyed on natural keys, so a second run creates nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    PlannedActivity,
)
from activities.photos import store_photo
from demo.engine import projects
from demo.engine.context import DemoContext
from demo.engine.plans import (
    DILIGENCE,
    FIXED_COMING,
    FIXED_HELD,
    HOME_PLACES,
    OWN,
    TIDY,
    PlanDraft,
    RowSpec,
    ensure_plans,
    in_force,
    month_range,
    parties_of,
)
from demo.engine.stories import plain, story
from demo.engine.world import SEED, Pictures, World, at, load_world
from partnerships.models import Agreement, Member, Organization

Status = Activity.Status


# --- what happens at an activity: text ------------------------------------------------------------------------

STORY = story("activities")  # demo/stories/activities.toml

# Start time and length in minutes, by type.
TIMES = plain(STORY["times"])
WEEKEND_TYPES = frozenset(STORY["weekend_types"])

# Share of an organization's roster named as participants, by type (the lead's share; co-organizers send fewer).
TURNOUT = plain(STORY["turnout"])
# People who are not on a roster but came (workers, residents, guests): the extra headcount on top of the named.
EXTRA = plain(STORY["extra"])

ARRANGEMENTS = plain(STORY["arrangements"])
DEFAULT_ARRANGEMENTS = plain(STORY["default_arrangements"])

BODIES = plain(STORY["bodies"])
OUTCOMES = plain(STORY["outcomes"])
CAPTIONS = plain(STORY["captions"])
CANCEL_REASONS = plain(STORY["cancel_reasons"])


# --- the activities --------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """One activity the demo wants; ``status`` is set only for the fixed ones, the others draw their fate."""

    title: str
    type: str
    lead: Organization
    co: list[Organization]
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    agreement: Agreement | None = None
    plan_row: PlannedActivity | None = None
    status: str | None = None
    may_be_skipped: bool = False
    lead_key: str = ""
    content: str = ""
    theme: str = ""  # the title without the month of a recurring row

    @property
    def key(self) -> tuple:
        return (self.title, self.starts_at, self.lead.pk)

    def rng(self) -> random.Random:
        return random.Random(f"{SEED}|{self.title}|{self.starts_at:%Y%m%d%H%M}|{self.lead.name}")


def _pick_day(rng: random.Random, year: int, month: int, type_code: str, lo: dt.date, hi: dt.date) -> dt.date | None:
    first, last = month_range(year, month)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    days = [day for day in days if lo <= day <= hi]
    if not days:
        return None
    weekend = type_code in WEEKEND_TYPES and rng.random() < 0.6
    preferred = [day for day in days if (day.weekday() == 5 if weekend else day.weekday() < 5)]
    return rng.choice(preferred or days)


def _times(rng: random.Random, day: dt.date, type_code: str) -> tuple[dt.datetime, dt.datetime]:
    (hour, minute), length = TIMES[type_code]
    shift = rng.choice((0, 0, 0, 30, -30))
    starts_at = at(day, hour, minute) + dt.timedelta(minutes=shift)
    return starts_at, starts_at + dt.timedelta(minutes=length)


def _place(spec: RowSpec, lead_key: str) -> str:
    return spec.place or HOME_PLACES.get(lead_key, "党员活动室")


def _key_of(world: World) -> dict[int, str]:
    return {org.pk: key for key, org in world.orgs.items()}


def activity_drafts(world: World, plans: list[PlanDraft]) -> list[Draft]:
    """Every activity the demo wants, computed without looking at what exists."""
    drafts = [*_plan_drafts(world, plans), *_own_drafts(world), *_fixed_drafts(world)]
    unique = {draft.key: draft for draft in drafts}
    return sorted(unique.values(), key=lambda d: (d.starts_at, d.title))


def _plan_drafts(world: World, plans: list[PlanDraft]) -> list[Draft]:
    """The sessions of every plan row inside the window (a row may recur monthly or quarterly)."""
    window_start, window_end = world.window
    keys = _key_of(world)
    drafts: list[Draft] = []
    for plan in plans:
        start, end = in_force(plan.agreement)
        lo, hi = max(start, window_start), min(end, window_end)
        for row in plan.rows:
            spec = row.spec
            months = [row.month] if not spec.every else [m for m in plan.months if m >= row.month]
            months = [m for m in months if not spec.every or (m - row.month) % spec.every == 0]
            for month in months:
                rng = random.Random(f"{SEED}|row|{plan.agreement.number}|{plan.year}|{spec.theme}|{month}")
                day = _pick_day(rng, plan.year, month, spec.type, lo, hi)
                if day is None:
                    continue
                starts_at, ends_at = _times(rng, day, spec.type)
                lead_key = keys.get(row.lead.pk, "")
                drafts.append(
                    Draft(
                        title=f"{spec.theme}（{month}月）" if spec.every else spec.theme,
                        type=spec.type,
                        lead=row.lead,
                        co=list(row.co),
                        starts_at=starts_at,
                        ends_at=ends_at,
                        place=_place(spec, lead_key),
                        agreement=plan.agreement,
                        plan_row=row.row,
                        may_be_skipped=True,
                        lead_key=lead_key,
                        content=spec.content,
                        theme=spec.theme,
                    )
                )
    return drafts


def _own_drafts(world: World) -> list[Draft]:
    """The branches' own recurring activities (no agreement) inside the window."""
    window_start, window_end = world.window
    drafts: list[Draft] = []
    for org_key, specs in OWN.items():
        org = world.orgs.get(org_key)
        if org is None:
            continue
        for spec in specs:
            hi = window_end if spec.until is None else min(window_end, world.today + dt.timedelta(days=spec.until))
            for year in range(window_start.year, window_end.year + 1):
                for month in range(1, 13):
                    if (spec.every and (month - spec.month) % spec.every) or (not spec.every and month != spec.month):
                        continue
                    rng = random.Random(f"{SEED}|own|{org_key}|{spec.theme}|{year}|{month}")
                    day = _pick_day(rng, year, month, spec.type, window_start, hi)
                    if day is None:
                        continue
                    starts_at, ends_at = _times(rng, day, spec.type)
                    drafts.append(
                        Draft(
                            title=f"{spec.theme}（{month}月）" if spec.every else spec.theme,
                            type=spec.type,
                            lead=org,
                            co=[world.orgs[key] for key in spec.co if key in world.orgs],
                            starts_at=starts_at,
                            ends_at=ends_at,
                            place=_place(spec, org_key),
                            lead_key=org_key,
                            content=spec.content,
                            theme=spec.theme,
                        )
                    )
    return drafts


def _fixed_drafts(world: World) -> list[Draft]:
    """Branch A's recent and coming work, so ``secretary1``'s home page has something to log and to prepare."""
    orgs, agreements = world.orgs, world.agreements
    branch_a = orgs.get("branch_a")
    if branch_a is None:
        return []
    today = world.today
    held = [
        (spec.day, spec.start, spec.length, spec.type, spec.title, agreements.get(spec.agreement), spec.place)
        for spec in FIXED_HELD
    ]
    # Planned in the current week (Monday to Sunday): today and the days left, at most three.
    days_left = 6 - today.weekday()
    coming_days = [0, *range(1, days_left + 1)][:3]
    coming = [
        (spec.type, spec.title, agreements.get(spec.agreement), spec.place, spec.start, spec.length)
        for spec in FIXED_COMING
    ]
    fixed = []
    for offset, (hour, minute), length, type_code, title, agreement, place in held:
        starts_at = at(today + dt.timedelta(days=offset), hour, minute)
        fixed.append((title, type_code, agreement, place, starts_at, length, Status.HELD))
    for offset, (type_code, title, agreement, place, (hour, minute), length) in zip(coming_days, coming, strict=False):
        starts_at = at(today + dt.timedelta(days=offset), hour, minute)
        # Already over when seeding late in the day: secretary1 logged it at once (its fate decides).
        status = None if starts_at + dt.timedelta(minutes=length) <= world.now else Status.PLANNED
        fixed.append((title, type_code, agreement, place, starts_at, length, status))
    drafts = []
    for title, type_code, agreement, place, starts_at, length, status in fixed:
        if agreement is not None and agreement.status != Agreement.Status.ACTIVE:
            agreement = None
        co = [org for org in parties_of(agreement) if org != branch_a] if agreement is not None else []
        ends_at = starts_at + dt.timedelta(minutes=length)
        if status == Status.HELD and ends_at > world.now:
            status = Status.PLANNED
        drafts.append(
            Draft(
                title=title,
                type=type_code,
                lead=branch_a,
                co=co,
                starts_at=starts_at,
                ends_at=ends_at,
                place=place,
                agreement=agreement,
                status=status,
                lead_key="branch_a",
            )
        )
    return drafts


def _fate(world: World, draft: Draft, rng: random.Random) -> str | None:
    """Planned / held / logged / cancelled — or None when a plan row's session was never held."""
    if draft.status is not None:
        return draft.status
    diligence = DILIGENCE.get(draft.lead_key, 1.0)
    draw = rng.random()
    if draft.ends_at > world.now:
        return Status.CANCELLED if draw < 0.02 else Status.PLANNED
    if draft.may_be_skipped and draw < 0.04:
        return None
    if rng.random() < 0.06:
        return Status.CANCELLED
    age = (world.now - draft.ends_at).days
    if draft.lead_key == "branch_a" or (age > 30 and draft.lead_key in TIDY):
        return Status.LOGGED  # secretary1's "to log" list is exactly the fixed activities of the last week
    held = (0.4 if age <= 7 else 0.2 if age <= 30 else 0.05) * diligence
    draw = rng.random()
    if draw < held:
        return Status.HELD
    if age > 20 and draw < held + 0.015 * diligence:
        return Status.PLANNED  # held, but nobody ever marked it
    return Status.LOGGED


@dataclass
class Built:
    activity: Activity
    co: list[Organization]
    participations: list[tuple[Organization, int]] = field(default_factory=list)
    participants: list[Member] = field(default_factory=list)
    photos: list[tuple[str, int, str]] = field(default_factory=list)  # colour, variant, caption
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def _build(world: World, draft: Draft, status: str, rng: random.Random) -> Built:
    author = world.secretaries.get(draft.lead.pk)
    # Scheduled one to three weeks ahead; the coming days' activities were scheduled before today.
    created_at = min(
        draft.starts_at - dt.timedelta(days=rng.randint(5, 20), hours=rng.randint(0, 8)),
        world.now - dt.timedelta(minutes=rng.randint(5, 600)),
    )
    activity = Activity(
        title=draft.title,
        type=world.types[draft.type],
        agreement=draft.agreement,
        plan_row=draft.plan_row,
        lead=draft.lead,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        place=draft.place,
        description="\n\n".join(
            filter(None, [draft.content, ARRANGEMENTS.get(draft.type) or rng.choice(DEFAULT_ARRANGEMENTS)])
        ),
        status=status,
        created_by=author,
    )
    built = Built(activity=activity, co=draft.co, created_at=created_at, updated_at=created_at)
    if status == Status.CANCELLED:
        activity.cancel_reason = rng.choice(CANCEL_REASONS)
        cancelled = draft.starts_at - dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
        built.updated_at = min(max(cancelled, created_at + dt.timedelta(hours=1)), world.now)
    elif status == Status.HELD:
        built.updated_at = min(draft.ends_at + dt.timedelta(hours=rng.randint(1, 30)), world.now)
    elif status == Status.LOGGED:
        _log(world, draft, built, rng)
    return built


def _log(world: World, draft: Draft, built: Built, rng: random.Random) -> None:
    activity = built.activity
    diligence = DILIGENCE.get(draft.lead_key, 1.0)
    delay = dt.timedelta(hours=rng.uniform(2, 30) if rng.random() < 0.7 / diligence else rng.uniform(30, 24 * 12))
    activity.logged_at = min(draft.ends_at + delay, world.now - dt.timedelta(minutes=rng.randint(5, 120)))
    activity.logged_at = max(activity.logged_at, draft.ends_at)
    built.updated_at = activity.logged_at
    activity.logged_by = world.secretaries.get(draft.lead.pk)

    low, high = TURNOUT[draft.type]
    total = 0
    for org in [draft.lead, *draft.co]:
        roster = world.rosters.get(org.pk, [])
        share = rng.uniform(low, high) * (1 if org == draft.lead else 0.6)
        named = rng.sample(roster, min(len(roster), max(1, round(len(roster) * share)))) if roster else []
        lo_extra, hi_extra = EXTRA.get(draft.type, (0, 3))
        headcount = len(named) + rng.randint(lo_extra, hi_extra) + (0 if roster else rng.randint(2, 6))
        built.participations.append((org, headcount))
        built.participants.extend(named)
        total += headcount

    lead_name = draft.lead.display_name
    co_names = "、".join(org.display_name for org in draft.co)
    day = timezone.localtime(draft.starts_at)
    opening = f"{day.month}月{day.day}日，{lead_name}" + (f"联合{co_names}" if co_names else "")
    theme = draft.theme or draft.title
    phrase = theme if "“" in theme else f"“{theme}”"
    opening += f"在{draft.place}开展{phrase}活动，共{total}人参加。"
    bodies = rng.sample(BODIES[draft.type], min(2, len(BODIES[draft.type])))
    speaker = draft.lead.secretary_name or "支部书记"
    activity.summary = "\n\n".join([opening, "".join(bodies).format(speaker=speaker)])
    activity.outcomes = rng.choice(OUTCOMES[draft.type]).format(
        k=rng.randint(3, 12), m=rng.randint(1, 4), money=rng.choice((6000, 8000, 10000, 12000))
    )
    if rng.random() < 0.3:
        activity.publicity_title = f"{lead_name}开展{phrase}活动"[:120]
        activity.publicity_text = f"{opening}{bodies[0].format(speaker=speaker)}"
        if rng.random() < 0.4:
            activity.publicity_url = (
                f"https://www.hd-zhongheng.example.com/news/{day:%Y%m%d}-{rng.randint(100, 999)}.html"
            )
    colour = world.types[draft.type].color
    captions = CAPTIONS[draft.type]
    for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
        built.photos.append((colour, rng.randrange(2), captions[index % len(captions)]))


def ensure_activities(ctx: DemoContext, world: World, drafts: list[Draft]) -> dict:
    """Create the activities that are missing, with their headcounts, participants, photos and history."""
    if not drafts:
        return {"created": 0}
    starts = [draft.starts_at for draft in drafts]
    existing = set(
        Activity.objects.filter(starts_at__gte=min(starts), starts_at__lte=max(starts)).values_list(
            "title", "starts_at", "lead_id"
        )
    )
    new: list[Built] = []
    skipped = 0
    for draft in drafts:
        if draft.key in existing:
            continue
        rng = draft.rng()
        status = _fate(world, draft, rng)
        if status is None:
            skipped += 1
            continue
        new.append(_build(world, draft, status, rng))
    already = len(drafts) - len(new) - skipped
    if new:
        _write(ctx, world, new)
    counts = Counter(built.activity.status for built in new)
    ctx.step(
        f"activities: {len(new)} created ("
        + ", ".join(f"{status} {counts.get(status, 0)}" for status in Status.values)
        + f"), {already} already there; photos: {sum(len(b.photos) for b in new)}"
    )
    return {"created": len(new)}


def _write(ctx: DemoContext, world: World, new: list[Built]) -> None:
    activities = Activity.objects.bulk_create([built.activity for built in new], batch_size=200)
    # bulk_create stamps auto_now(_add) fields with the real time; put the story's back.
    for built, activity in zip(new, activities, strict=True):
        built.activity = activity
        activity.created_at, activity.updated_at = built.created_at, built.updated_at
    Activity.objects.bulk_update(activities, ["created_at", "updated_at"], batch_size=200)
    co_through = Activity.co_organizers.through
    co_through.objects.bulk_create(
        [co_through(activity_id=b.activity.pk, organization_id=org.pk) for b in new for org in b.co], batch_size=500
    )
    ActivityParticipation.objects.bulk_create(
        [
            ActivityParticipation(activity=b.activity, organization=org, headcount=headcount)
            for b in new
            for org, headcount in b.participations
        ],
        batch_size=500,
    )
    people = Activity.participants.through
    people.objects.bulk_create(
        [people(activity_id=b.activity.pk, member_id=member.pk) for b in new for member in b.participants],
        batch_size=500,
    )
    _history(new)
    photos = []
    total = len(new)
    for done, built in enumerate(new, start=1):
        activity = built.activity
        for number, (colour, variant, caption) in enumerate(built.photos, start=1):
            upload = world.pictures.upload(colour, variant, f"现场照片{number}.jpg")
            photo = store_photo(
                ActivityPhoto, upload=upload, uploaded_by=activity.logged_by, caption=caption, activity=activity
            )
            photo.created_at = activity.logged_at
            photos.append(photo)
        if done % 10 == 0 or done == total:
            ctx.progress("activities", done, total)
    ActivityPhoto.objects.bulk_update(photos, ["created_at"], batch_size=200)


def _history(new: list[Built]) -> None:
    """One history row when the activity was scheduled, one when it was held, logged or cancelled."""
    scheduled, changed = [], []
    for built in new:
        activity = built.activity
        first = copy.copy(activity)
        first.status = Status.PLANNED
        first.summary = first.outcomes = first.cancel_reason = ""
        first.publicity_title = first.publicity_text = first.publicity_url = ""
        first.logged_at, first.logged_by_id = None, None
        first.updated_at = activity.created_at
        first._history_date = activity.created_at
        first._history_user = activity.created_by
        scheduled.append(first)
        if activity.status != Status.PLANNED:
            activity._history_date = activity.updated_at
            activity._history_user = activity.logged_by or activity.created_by
            changed.append(activity)
    Activity.history.bulk_history_create(scheduled, batch_size=200)
    Activity.history.bulk_history_create(changed, batch_size=200, update=True)


# --- the hook ----------------------------------------------------------------------------------------------------


def seed(ctx: DemoContext) -> None:
    """Add the plans, activities, key project, zones, posts and teams; what exists already is left as it is."""
    if "partnerships" not in ctx.data:
        ctx.step("activities: skipped (no partnerships demo data)")
        return
    world = load_world(ctx, Pictures())
    plans = ensure_plans(ctx, world)
    ensure_activities(ctx, world, activity_drafts(world, plans))
    made = projects.seed_projects(ctx, world)
    ctx.data["activities"] = {
        "today": world.today,
        "plans": {(draft.key, draft.year): draft.plan for draft in plans},
        **made,
    }
