"""Demo assessments for ``manage.py seed_demo``: five quarters of results, self-assessments and reviews.

Built on what the partnerships and activities seeders made (their activities, meetings, action items and zones are
what the automatic indicators measure). What it makes, all invented:

* **Results**: ``rollup_compute`` for the quarters of the demo's clock (``ctx.clock.quarters``): the four closed
  quarters before today (final) and the open one (provisional), from the oldest; a quarter that already has results is left alone, so a second run changes
  nothing.
* **Self-assessments**: for every branch under the group committee and every agreement it reviews, for each closed
  quarter: a narrative written from the subject's own figures (meetings held, logging, items closed on time,
  turnout), self scores on the manual indicators, submitted a few days after the quarter — a few are missing or
  late, as in real life.
* **Reviews**: the committee's points on the manual indicators (usually a little below the self scores; lower for
  the weaker subjects), 闪光点 drawn from the subject's best indicators and 薄弱点 from its weakest.
* **Publication**: the three oldest closed quarters are published; the latest closed quarter is left submitted and
  mostly unreviewed — ``REVIEWED_WAITING`` of its results are reviewed but not published — so the committee's
  review queue has results to review (已提交), to publish (已评审) and with manual scores missing.

No historical activities are added: the activities seeder already covers the past year, and its invariants (every
logged activity has photos, headcounts…) are its own. Weak quarters (held but not logged, nobody named as taking
part) stay weak — the dashboard shows believable differences between the diligent project branches and the rest.

Direct ORM writes (seed data, inside the command's transaction), every row within the services' rules: scores
between 0 and the indicator's points, final points by ``final_points_of``, totals by ``rollup_totals_refresh``.
Deterministic: random draws from ``random.Random`` seeded per subject and quarter.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from assessments import metrics
from assessments.models import IndicatorScore, QuarterRollup, Review, SelfAssessment
from assessments.rules import MANUAL
from assessments.scoring import final_points_of
from assessments.selectors import subjects as selectors
from assessments.services.rollup_totals import rollup_totals_refresh
from assessments.services.rollups import rollup_compute
from demo.engine.context import DemoContext
from demo.engine.stories import plain, story
from partnerships.models import AgreementParty, Organization
from portal.models import Membership

SEED = 20261121
PUBLISHED_QUARTERS = 3
# In the latest closed quarter (waiting for the committee), this many submitted self-assessments are reviewed already
# — every manual indicator scored, not published — so the review queue shows 已评审 results beside 已提交 ones.
REVIEWED_WAITING = 3
HALF = Decimal("0.5")

STORY = story("assessments")  # demo/stories/assessments.toml

# What a subject did well (闪光点) or not (薄弱点), by the metric of its best / weakest indicator.
HIGHLIGHTS = plain(STORY["highlights"])
WEAKNESSES = plain(STORY["weaknesses"])
PLANS = plain(STORY["plans"])
BRAND = plain(STORY["brand"])


def _end_day(year: int, quarter: int) -> dt.date:
    return metrics.quarter_bounds(year, quarter)[1]


def _at(day: dt.date, hour: int, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59))))


def _submitted_at(end: dt.date, days: int, now: dt.datetime, rng: random.Random) -> dt.datetime:
    """When a self-assessment was submitted: ``days`` after its quarter (``end`` is the first day after it), or —
    when that day has not come yet, early in the next quarter — at a moment between the quarter's close and ``now``."""
    drawn = _at(end + dt.timedelta(days=days), 10, rng)
    if drawn < now:
        return drawn
    closed = min(timezone.make_aware(dt.datetime.combine(end, dt.time())), now)
    return closed + (now - closed) * rng.uniform(0.2, 0.9)


def _round_half(value: float) -> Decimal:
    return (Decimal(str(value)) / HALF).quantize(Decimal(1)) * HALF


def _subjects(committee_org: Organization) -> Q:
    """Results the committee reviews: its subtree's organizations and the agreements they are party to."""
    in_tree = AgreementParty.objects.filter(organization__path__startswith=committee_org.path).values("agreement_id")
    return Q(organization__path__startswith=committee_org.path) | Q(agreement_id__in=in_tree)


def _authors(rollups) -> dict[int, object]:
    """Who submits each self-assessment: a secretary of the branch, or of one of the agreement's parties."""
    secretaries = {}
    for membership in (
        Membership.objects.filter(role__in=(Membership.Role.SECRETARY, Membership.Role.LIAISON))
        .select_related("user")
        .order_by("role", "pk")
    ):
        secretaries.setdefault(membership.organization_id, membership.user)
    parties: dict[int, list[int]] = {}
    for agreement_id, org_id in AgreementParty.objects.order_by("role", "pk").values_list(
        "agreement_id", "organization_id"
    ):
        parties.setdefault(agreement_id, []).append(org_id)
    found = {}
    for rollup in rollups:
        orgs = [rollup.organization_id] if rollup.organization_id else parties.get(rollup.agreement_id, [])
        found[rollup.pk] = next((secretaries[o] for o in orgs if o in secretaries), None)
    return found


def _narrative(rollup: QuarterRollup, scores: list[IndicatorScore], rng: random.Random) -> str:
    name = selectors.subject_name(rollup)
    value = {s.indicator.metric: s.metric_value for s in scores if s.indicator.metric}
    lines = [f"{rollup.year}年第{rollup.quarter}季度，{name}紧紧围绕年度共建计划，扎实推进各项共建工作。"]
    facts = []
    if value.get("joint_meetings"):
        facts.append(f"召开联席会议{int(value['joint_meetings'])}次")
    if value.get("plan_completion") is not None:
        facts.append(f"年度计划活动完成率{value['plan_completion']:.0f}%")
    if value.get("logged_in_time") is not None:
        facts.append(f"活动按时记录率{value['logged_in_time']:.0f}%")
    if value.get("items_on_time") is not None:
        facts.append(f"督办事项按期办结率{value['items_on_time']:.0f}%")
    if value.get("participation") is not None:
        facts.append(f"党员参与率{value['participation']:.0f}%")
    if facts:
        lines.append("本季度" + "，".join(facts) + "。")
    ranked = sorted((s for s in scores if s.indicator.metric), key=lambda s: s.points / s.indicator.points)
    best, worst = ranked[-1], ranked[0]
    lines.append("主要做法：" + HIGHLIGHTS[best.indicator.metric] + rng.choice(BRAND))
    if worst.points < worst.indicator.points:
        lines.append("存在不足：" + WEAKNESSES[worst.indicator.metric])
    lines.append(rng.choice(PLANS))
    return "\n\n".join(lines)


def _comments(scores: list[IndicatorScore], rng: random.Random) -> tuple[str, str]:
    ranked = sorted(
        (s for s in scores if s.indicator.metric and not s.indicator.is_deduction),
        key=lambda s: (s.points / s.indicator.points, rng.random()),
    )
    good = [s for s in reversed(ranked) if s.points >= s.indicator.points * Decimal("0.8")][:2]
    weak = [s for s in ranked if s.points < s.indicator.points * Decimal("0.7")][:2]
    overdue = [s for s in scores if s.indicator.metric == "overdue_items" and s.points < 0]
    highlights = "\n".join(HIGHLIGHTS[s.indicator.metric] for s in good) or "各项工作按计划推进，基础工作较为扎实。"
    weaknesses = "\n".join(WEAKNESSES[s.indicator.metric] for s in [*overdue, *weak][:2]) or (
        "共建特色品牌的提炼还不够，经验做法有待总结推广。"
    )
    return highlights, weaknesses


def _compute_results(ctx: DemoContext, quarters: list[tuple[int, int]]) -> None:
    """The quarter results of every quarter the demo shows that has none yet (all final but the open one)."""
    computed = 0
    for index, (year, quarter) in enumerate(quarters):
        if QuarterRollup.objects.filter(year=year, quarter=quarter).exists():
            continue
        rollup_compute(year=year, quarter=quarter, final=index < len(quarters) - 1)
        computed += 1
    (first_year, first_quarter), (year, quarter) = quarters[0], quarters[-1]
    ctx.step(f"quarter results: {computed} quarters computed ({first_year}Q{first_quarter}–{year}Q{quarter})")


def _rollups_to_seed(committee_org: Organization, closed: list[tuple[int, int]]) -> list[QuarterRollup]:
    """The committee's results in the closed quarters nobody has worked on yet."""
    # A quarter that already has self-assessments, reviews or published results was seeded (or worked on): skip it.
    started = {
        *SelfAssessment.objects.values_list("rollup__year", "rollup__quarter"),
        *Review.objects.values_list("rollup__year", "rollup__quarter"),
        *QuarterRollup.objects.filter(status=QuarterRollup.Status.PUBLISHED).values_list("year", "quarter"),
    }
    todo = [quarter for quarter in closed if quarter not in started]
    return list(
        QuarterRollup.objects.filter(_subjects(committee_org))
        .filter(Q(*[Q(year=y, quarter=q) for y, q in todo], _connector=Q.OR) if todo else Q(pk__in=[]))
        .select_related("organization", "agreement")
        .order_by("year", "quarter", "subject")
    )


def _self_assess(rollup, scores, manual, strength: float, now: dt.datetime, author, rng: random.Random) -> None:
    """The subject's self-assessment, submitted within the due window, with its self-scored manual points."""
    end = _end_day(rollup.year, rollup.quarter)
    for score in manual:
        score.self_points = min(score.indicator.points, _round_half(rng.uniform(3.5, 5.0)))
    submitted_at = _submitted_at(end, rng.randint(1, 12 if strength < 0.6 else 8), now, rng)
    sa = SelfAssessment(
        rollup=rollup,
        narrative=_narrative(rollup, scores, rng),
        status=SelfAssessment.Status.SUBMITTED,
        submitted_at=submitted_at,
        submitted_by=author,
    )
    sa._history_user = author
    sa._history_date = submitted_at
    sa.save()
    SelfAssessment.objects.filter(pk=sa.pk).update(created_at=submitted_at, updated_at=submitted_at)


def _review(rollup, scores, manual, strength: float, reviewer, rng: random.Random, now=None) -> None:
    """The committee's review: manual points cut from the self-scored ones, comments, reviewed and published — or,
    with ``now`` (the latest closed quarter), reviewed by then and left unpublished."""
    end = _end_day(rollup.year, rollup.quarter)
    for score in manual:
        cut = rng.choice((0, 0.5, 0.5, 1, 1.5)) + (1.5 if strength < 0.55 else 0)
        base = float(score.self_points) if score.self_points is not None else rng.uniform(2, 4)
        score.review_points = max(Decimal(0), min(score.indicator.points, _round_half(base - cut)))
    highlights, weaknesses = _comments(scores, rng)
    reviewed_at = _at(end + dt.timedelta(days=rng.randint(14, 18)), 15, rng)
    published_at = _at(end + dt.timedelta(days=20), 9, random.Random(f"{SEED}:{rollup.year}Q{rollup.quarter}"))
    if now is not None:  # waiting for publication: reviewed after the self-assessment came in, before now
        submitted = rollup.self_assessment.submitted_at
        reviewed_at = min(reviewed_at, submitted + (now - submitted) * 0.8)
        published_at = None
    review = Review(
        rollup=rollup,
        highlights=highlights,
        weaknesses=weaknesses,
        reviewer=reviewer,
        reviewed_at=reviewed_at,
        published_at=published_at,
        published_by=reviewer if published_at else None,
    )
    review._history_user = reviewer
    review._history_date = published_at or reviewed_at
    review.save()


def _publish(rollups: list[QuarterRollup], to_publish: set[tuple[int, int]], reviewer) -> int:
    published = 0
    for rollup in rollups:
        if (rollup.year, rollup.quarter) in to_publish:
            rollup.refresh_from_db(fields=["total"])
            rollup.status = QuarterRollup.Status.PUBLISHED
            rollup._history_user = reviewer
            rollup.save(update_fields=["status"])
            published += 1
    return published


def seed(ctx: DemoContext) -> None:
    data = ctx.data["partnerships"]
    committee_org, reviewer = data["group_committee"], data["users"]["committee"]
    clock = ctx.clock
    quarters = clock.quarters
    _compute_results(ctx, quarters)

    closed = quarters[:-1]
    rollups = _rollups_to_seed(committee_org, closed)
    if not rollups:
        ctx.step("self-assessments and reviews: 0 created (already there)")
        return
    authors = _authors(rollups)
    scores_of: dict[int, list[IndicatorScore]] = {}
    for score in (
        IndicatorScore.objects.filter(rollup__in=rollups).select_related("indicator").order_by("indicator__order")
    ):
        scores_of.setdefault(score.rollup_id, []).append(score)

    to_publish = set(closed[:PUBLISHED_QUARTERS])
    waiting_quarter, reviewed_waiting = closed[-1], 0
    made_sa = made_reviews = 0
    changed_scores: list[IndicatorScore] = []
    for rollup in rollups:
        rng = random.Random(f"{SEED}:{rollup.subject}:{rollup.year}Q{rollup.quarter}")
        scores = scores_of.get(rollup.pk, [])
        automatic = [s for s in scores if s.indicator.source != MANUAL]
        strength = float(sum((s.points for s in automatic), Decimal(0))) / 90  # 0 … 1: how the records look
        manual = [s for s in scores if s.indicator.source == MANUAL]
        # A weak subject sometimes never writes its self-assessment; the others submit within the due window.
        submitted = rng.random() < 0.6 + 0.4 * strength or not manual
        if submitted:
            _self_assess(rollup, scores, manual, strength, clock.now, authors.get(rollup.pk), rng)
            made_sa += 1
        if (rollup.year, rollup.quarter) in to_publish:
            _review(rollup, scores, manual, strength, reviewer, rng)
            made_reviews += 1
        elif submitted and (rollup.year, rollup.quarter) == waiting_quarter and reviewed_waiting < REVIEWED_WAITING:
            _review(rollup, scores, manual, strength, reviewer, rng, now=clock.now)
            made_reviews += 1
            reviewed_waiting += 1
        for score in manual:
            score.final_points = final_points_of(
                score.indicator,
                points=score.points,
                self_points=score.self_points,
                review_points=score.review_points,
                adjustment=score.adjustment,
            )
            changed_scores.append(score)

    IndicatorScore.objects.bulk_update(changed_scores, ["self_points", "review_points", "final_points"])
    rollup_totals_refresh([r.pk for r in rollups])
    published = _publish(rollups, to_publish, reviewer)
    ctx.step(
        f"self-assessments: {made_sa} created; reviews: {made_reviews}; results published: {published} "
        f"({', '.join(f'{y}Q{q}' for y, q in closed[:PUBLISHED_QUARTERS])}); "
        f"{closed[-1][0]}Q{closed[-1][1]} awaits review ({reviewed_waiting} reviewed, not published)"
    )
