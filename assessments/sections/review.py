"""Self-assessment and review on other pages: the card on a result's page (and its print version), and the
secretary's home panel "this quarter's self-assessment"."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics, rules
from assessments.models import QuarterRollup, SelfAssessment, self_assessor_q
from assessments.selectors import rollups as rollup_selectors
from assessments.selectors import subjects as subject_selectors
from portal.home import register_panel
from portal.scoping import get_scope


def result_url(rollup: QuarterRollup) -> str:
    """The result's page (the dashboard's detail page), else its self-assessment page."""
    try:
        return reverse("assessments:rollup_detail", args=[rollup.pk])
    except NoReverseMatch:
        return reverse("assessments:self_assessment", args=[rollup.pk])


def rollup_review_context(user, rollup) -> dict:
    """Context for templates/assessments/includes/rollup_review_card.html and rollup_review_print.html.

    Everything sits under one key, ``review_card``, so it never collides with the page's own context. The
    self-assessment's content is shown to its authors always and to everyone else once submitted (or published);
    the review's comments to reviewers always and to everyone else once published. Three or four queries."""
    sa = rollup_selectors.related_or_none(rollup, "self_assessment")
    review = rollup_selectors.related_or_none(rollup, "review")
    published = rollup.status == QuarterRollup.Status.PUBLISHED
    author = rules.may_self_assess(user, rollup)
    reviewer = rules.may_review(user, rollup)
    show_sa = rules.self_assessment_shown(sa, rollup, author=author)
    opens_on, due_on = rules.self_assessment_window(rollup.year, rollup.quarter)
    return {
        "review_card": {
            "rollup": rollup,
            "self_assessment": sa,
            "status": sa.get_status_display() if sa else _("Not started"),
            "status_key": sa.status if sa else "none",
            "show_self_assessment": show_sa,
            "attachments": list(sa.attachments.all()) if show_sa else [],
            "review": review,
            "show_review": bool(review) and (reviewer or published),
            "published": published,
            "opens_on": opens_on,
            "due_on": due_on,
            "can_self_assess": author and rules.self_assessment_is_open(rollup),
            "can_review": reviewer and not published,
            "can_publish": reviewer and rollup.status == QuarterRollup.Status.FINAL,
            "self_assessment_url": reverse("assessments:self_assessment", args=[rollup.pk]),
            "review_url": reverse("assessments:review", args=[rollup.pk]),
            "publish_url": reverse("assessments:rollup_publish", args=[rollup.pk]),
        }
    }


@register_panel(6)
def self_assessment_panel(user) -> dict | None:
    """Secretaries (and agreement liaisons): the self-assessment of the current and the last quarter for each of
    their subjects, its state and a link. One query (plus the cached scope)."""
    scope = get_scope(user)
    if scope.is_anonymous or scope.is_superuser or not scope.roles:
        return None
    today = timezone.localdate()
    current = metrics.current_quarter(today)
    previous = metrics.previous_quarter(*current)
    rollups = list(
        QuarterRollup.objects.filter(self_assessor_q(scope))
        .filter(year__in={current[0], previous[0]}, quarter__in={current[1], previous[1]})
        .select_related("organization", "agreement", "self_assessment")
        .order_by("-year", "-quarter", "subject")
    )
    rollups = [r for r in rollups if (r.year, r.quarter) in (current, previous)]
    if not rollups:
        return None
    rows = []
    for rollup in rollups:
        sa = rollup_selectors.related_or_none(rollup, "self_assessment")
        opens_on, due_on = rules.self_assessment_window(rollup.year, rollup.quarter)
        rows.append(
            {
                "rollup": rollup,
                "subject": subject_selectors.subject_name(rollup),
                "status": sa.get_status_display() if sa else _("Not started"),
                "status_key": sa.status if sa else "none",
                "open": rules.self_assessment_is_open(rollup, today),
                "opens_on": opens_on,
                "due_on": due_on,
                "overdue": today > due_on and not (sa and sa.status == SelfAssessment.Status.SUBMITTED),
                "published": rollup.status == QuarterRollup.Status.PUBLISHED,
                "url": reverse("assessments:self_assessment", args=[rollup.pk]),
            }
        )
    # A quarter whose self-assessment has not opened yet is one line, not a row per subject.
    waiting = [r for r in rows if not r["open"] and r["status_key"] == "none" and r["opens_on"] > today]
    upcoming = {}
    for row in waiting:
        entry = upcoming.setdefault(
            (row["rollup"].year, row["rollup"].quarter), {"count": 0, "opens_on": row["opens_on"]}
        )
        entry["count"] += 1
    return {
        "template": "assessments/review/home_panel.html",
        "title": _("This quarter's self-assessment"),
        "rows": [r for r in rows if r not in waiting],
        "upcoming": [{"year": y, "quarter": q, **entry} for (y, q), entry in sorted(upcoming.items())],
        "action_url": reverse("assessments:self_assessment_list"),
        "action_label": _("My self-assessments"),
    }
