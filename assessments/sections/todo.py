"""The committee's to-do (待办) at the top of its 工作台: self-assessments waiting for review, reviews missing manual
scores, results ready to publish, action items escalated to it (督办升级) and agreements of its scope about to expire
— each a count linking to its list. A fixed number of queries (six), whatever the size of the subtree."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from assessments.selectors import review_queue as queue_selectors
from partnerships.rules import AGREEMENT_EXPIRING_DAYS
from partnerships.selectors import escalations
from portal.home import register_panel
from portal.pagination import CheapCountPaginator
from portal.scoping import get_scope

TODO_LIST = 5  # escalated items and expiring agreements named on the panel (the rest behind the link)


def _queue(state: str) -> str:
    return f"{reverse('assessments:review_queue')}?{urlencode({'state': state})}"


@register_panel(1)
def committee_todo(user) -> dict | None:
    """Reviewers (and admins): what needs the committee now."""
    scope = get_scope(user)
    if not scope.reviewer_paths and not scope.is_superuser:
        return None
    today = timezone.localdate()
    counts = queue_selectors.queue_counts(user, published=False)
    due_by = escalations.escalated_before(today)
    escalated = escalations.escalated_items(user, due_by=due_by)
    expiring = escalations.expiring_agreements(user, today)
    ledger = reverse("partnerships:action_item_list")
    # Counted like every list's count: exact up to COUNT_LIMIT rows, "10,000+" past it (a 10k-branch subtree).
    escalated_counter = CheapCountPaginator(escalated, 1)
    expiring_counter = CheapCountPaginator(expiring, 1)
    return {
        "template": "assessments/review/home_todo.html",
        "title": _("To do"),
        "cards": [
            {
                "key": "submitted",
                "label": _("Self-assessments to review"),
                "count": counts["submitted"],
                "url": _queue("submitted"),
            },
            {
                "key": "in_review",
                "label": _("Reviews in progress"),
                "count": counts["in_review"],
                "url": _queue("in_review"),
            },
            {
                "key": "unscored",
                "label": _("Results missing manual scores"),
                "count": counts["unscored"],
                "url": _queue("unscored"),
                "warn": True,
            },
            {
                "key": "reviewed",
                "label": _("Reviewed, to publish"),
                "count": counts["reviewed"],
                "url": _queue("reviewed"),
            },
        ],
        "escalated_count": escalated_counter.count,
        "escalated_capped": escalated_counter.capped,
        "escalated": list(escalated[:TODO_LIST]),
        "escalated_url": f"{ledger}?{urlencode({'overdue': 'on', 'due_to': due_by.isoformat()})}",
        "expiring_count": expiring_counter.count,
        "expiring_capped": expiring_counter.capped,
        "expiring": list(expiring[:TODO_LIST]),
        "expiring_url": f"{reverse('partnerships:agreement_list')}?{urlencode({'expiring': 'on'})}",
        "expiring_days": AGREEMENT_EXPIRING_DAYS,
        "today": today,
        "queue_url": reverse("assessments:review_queue"),
    }
