"""Demo yearly joint plans (党建共建活动计划) for ``demo.engine.activities``: the row pools by agreement, how many rows a
plan takes and in which months, the lead unit rotating among the parties, and the plans written through the ORM.

The story's texts are in ``demo/stories/activities.toml``."""

import calendar
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from activities.models import (
    Activity,
    ActivityPlan,
    PlannedActivity,
)
from demo.clock import as_of
from demo.engine.context import DemoContext
from demo.engine.stories import build, plain, story
from demo.engine.world import SEED, World, at
from partnerships.models import Agreement, AgreementParty, Organization

Status = Activity.Status


STORY = story("activities")  # demo/stories/activities.toml


# --- plans, as data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSpec:
    """A plan row (or, in ``OWN``, a branch's own recurring activity).

    ``lead`` indexes the agreement's parties (initiator first); ``None`` rotates the lead among them (轮流举办).
    ``every`` is the recurrence in months (0: once). ``place`` empty: the lead's own place. ``movable``: not tied
    to a season, so a plan whose term misses its month may hold it in another. ``co`` and ``until`` (days from
    today) are for a branch's own activities only.
    """

    month: int
    type: str
    theme: str
    content: str = ""
    lead: int | None = None
    every: int = 0
    place: str = ""
    co: tuple[str, ...] = ()
    until: int | None = None
    movable: bool = False


HOME_PLACES = plain(STORY["home_places"])
JOINT_ROWS: tuple[RowSpec, ...] = build(tuple[RowSpec, ...], STORY["joint_rows"])
CENTRAL_LOCAL_ROWS: tuple[RowSpec, ...] = build(tuple[RowSpec, ...], STORY["central_local_rows"])
PRIVATE_ROWS: tuple[RowSpec, ...] = build(tuple[RowSpec, ...], STORY["private_rows"])
KCC_ROWS: tuple[RowSpec, ...] = build(tuple[RowSpec, ...], STORY["kcc_rows"])

# Plan pools by the agreement's key in ``ctx.data["partnerships"]["agreements"]``.
POOLS = {
    "joint": JOINT_ROWS,
    "central_local": CENTRAL_LOCAL_ROWS,
    "private_old": PRIVATE_ROWS,
    "private": PRIVATE_ROWS,
    "terminated": KCC_ROWS,
}

# Branches' own activities (no agreement). Branch B keeps to head-office partners: never branch A or its partners.
OWN: dict[str, tuple[RowSpec, ...]] = build(dict[str, tuple[RowSpec, ...]], STORY["own"])

# How promptly a lead organization records its activities: <1 logs quickly, >1 leaves more unlogged and late.
DILIGENCE = plain(STORY["diligence"])

# Branches whose secretary logs in to the demo: nothing of theirs is left unlogged past the 30-day edit lock, so every
# activity on their "to log" list can still be logged.
TIDY = frozenset(STORY["tidy"])


@dataclass(frozen=True)
class FixedSpec:
    """One of branch A's fixed activities: held ``day`` days from today (the coming ones take the days left in the
    week), starting at ``start`` (hour, minute), ``length`` minutes long, under the agreement keyed ``agreement``
    (empty: none)."""

    type: str
    title: str
    place: str
    start: tuple[int, int]
    length: int
    agreement: str = ""
    day: int = 0


# Branch A's recent and coming work, so ``secretary1``'s home page has something to log and to prepare.
FIXED_HELD: tuple[FixedSpec, ...] = build(tuple[FixedSpec, ...], STORY["fixed_held"])
FIXED_COMING: tuple[FixedSpec, ...] = build(tuple[FixedSpec, ...], STORY["fixed_coming"])


# --- the plans -----------------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    spec: RowSpec
    month: int
    order: int
    lead: Organization
    co: list[Organization]
    row: PlannedActivity | None = None


@dataclass
class PlanDraft:
    key: str
    agreement: Agreement
    year: int
    months: list[int]
    rows: list[PlanRow]
    plan: ActivityPlan | None = None
    created: bool = False


def in_force(agreement: Agreement) -> tuple[dt.date, dt.date]:
    return agreement.term_start, agreement.terminated_on or agreement.term_end


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _plan_months(world: World, agreement: Agreement, year: int) -> list[int]:
    """Months of ``year`` the agreement is in force; for a past year, only those inside the demo window."""
    start, end = in_force(agreement)
    window_start, _ = world.window
    months = []
    for month in range(1, 13):
        first, last = month_range(year, month)
        if last < start or first > end:
            continue
        if year < world.today.year and last < window_start:
            continue
        months.append(month)
    return months


def _plan_size(rng: random.Random, months: list[int], recurring: int) -> int:
    """How many rows a plan of ``months`` in force has: 11–14 for a full year, 8–10 from four months, else few."""
    if len(months) >= 4:
        return rng.randint(11, 14) if len(months) >= 10 else rng.randint(8, 10)
    return recurring + len(months)


def _choose_rows(rng: random.Random, pool: tuple[RowSpec, ...], months: list[int]) -> list[tuple[RowSpec, int]]:
    """The rows of one plan and their months: recurring rows always, one-off rows to fill 8–14 (fewer when short)."""
    recurring = [spec for spec in pool if spec.every]
    once = [spec for spec in pool if not spec.every]
    wanted = max(_plan_size(rng, months, len(recurring)) - len(recurring), 0)
    inside = [spec for spec in once if spec.month in months]
    # 春节, 清明 or 七一 themes stay in their month; only the others move into a short term.
    outside = [spec for spec in once if spec.month not in months and spec.movable]
    if len(inside) > wanted:
        keep = set(rng.sample(range(len(inside)), wanted))
        inside = [spec for index, spec in enumerate(inside) if index in keep]
    chosen = [(spec, spec.month) for spec in inside]
    for spec in outside[: max(wanted - len(inside), 0)]:
        # A theme whose usual month is outside the term goes to the least busy month in force.
        counts = Counter(month for _, month in chosen)
        chosen.append((spec, min(months, key=lambda m, s=spec: (counts[m], abs(m - s.month), m))))
    for spec in recurring:
        first = next((m for m in months if m >= spec.month), months[0])
        chosen.append((spec, first))
    return sorted(chosen, key=lambda pair: (pair[1], pool.index(pair[0])))


def parties_of(agreement: Agreement) -> list[Organization]:
    parties = sorted(agreement.parties.all(), key=lambda p: (p.role != AgreementParty.Role.INITIATOR, p.pk))
    return [party.organization for party in parties]


def plan_drafts(world: World) -> list[PlanDraft]:
    """Every plan the demo wants, with its rows, computed without looking at what exists."""
    window_start, window_end = world.window
    wanted = []
    for key, pool in POOLS.items():
        agreement = world.agreements.get(key)
        if agreement is None or agreement.status == Agreement.Status.DRAFT:
            continue
        parties = parties_of(agreement)
        for year in range(window_start.year, window_end.year + 1):
            months = _plan_months(world, agreement, year)
            if len(months) < 2:
                continue
            rng = random.Random(f"{SEED}|plan|{agreement.number}|{year}")
            rows = []
            turn = 0
            for order, (spec, month) in enumerate(_choose_rows(rng, pool, months), start=1):
                if spec.lead is None:
                    lead = parties[turn % len(parties)]
                    turn += 1
                else:
                    lead = parties[spec.lead % len(parties)]
                co = [org for org in parties if org != lead]
                rows.append(PlanRow(spec=spec, month=month, order=order, lead=lead, co=co))
            wanted.append(PlanDraft(key=key, agreement=agreement, year=year, months=months, rows=rows))
    return wanted


def _plan_title(agreement: Agreement, year: int) -> str:
    if agreement.brand:
        return f"{year}年“{agreement.brand}”党建共建活动计划"
    return f"{year}年党建共建活动计划"


def ensure_plans(ctx: DemoContext, world: World) -> list[PlanDraft]:
    """Create the missing plans (with their rows); link every wanted row to its row in the database."""
    drafts = plan_drafts(world)
    existing = {
        (plan.agreement_id, plan.year): plan
        for plan in ActivityPlan.objects.filter(agreement__in=[d.agreement for d in drafts]).prefetch_related("rows")
    }
    through = PlannedActivity.co_organizers.through
    created = 0
    for draft in drafts:
        plan = existing.get((draft.agreement.pk, draft.year))
        if plan is None:
            plan = _create_plan(world, draft)
            rows = PlannedActivity.objects.bulk_create(
                [
                    PlannedActivity(
                        plan=plan,
                        month=row.month,
                        theme=row.spec.theme,
                        content=row.spec.content,
                        type=world.types[row.spec.type],
                        lead=row.lead,
                        order=row.order,
                    )
                    for row in draft.rows
                ]
            )
            through.objects.bulk_create(
                [
                    through(plannedactivity_id=db_row.pk, organization_id=org.pk)
                    for db_row, row in zip(rows, draft.rows, strict=True)
                    for org in row.co
                ]
            )
            for db_row, row in zip(rows, draft.rows, strict=True):
                row.row = db_row
            draft.created = True
            created += 1
        else:
            by_theme = {row.theme: row for row in plan.rows.all()}
            for row in draft.rows:
                row.row = by_theme.get(row.spec.theme)
        draft.plan = plan
    ctx.step(f"activity plans: {created} created, {len(drafts) - created} already there")
    return drafts


def _create_plan(world: World, draft: PlanDraft) -> ActivityPlan:
    agreement = draft.agreement
    # Agreed at a joint meeting early in the year, or soon after signing; next year's in the last weeks.
    adopted = max(dt.date(draft.year, 1, 1) - dt.timedelta(days=25), agreement.term_start + dt.timedelta(days=12))
    moment = min(at(adopted, 10, 0), world.now - dt.timedelta(days=3))
    parties = parties_of(agreement)
    # Whoever keeps the initiator's record; the admin typed in the plans of partners without an account.
    author = world.secretaries.get(parties[0].pk) or world.keepers.get(parties[0].pk) or world.user("admin")
    plan = ActivityPlan(
        agreement=agreement,
        year=draft.year,
        title=_plan_title(agreement, draft.year),
        notes=(
            "经联席会议审议通过。活动由各方轮流牵头举办：牵头单位负责方案、通知和活动记录，配合单位做好人员组织；"
            "确需调整的，提前一周在联建工作群通报。"
        ),
        created_by=author,
    )
    plan._history_user = author
    with as_of(moment):
        plan.full_clean()
        plan.save()
    return plan
