"""The committee's to-do from the partnerships side: action items escalated to it (督办升级) and agreements of its
scope about to expire. Each read is one statement (a count, or a short list), whatever the size of the subtree."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from partnerships.models import ActionItem, Agreement
from partnerships.rules import AGREEMENT_EXPIRING_DAYS, ESCALATE_AFTER_DAYS, WORKING
from portal.models import ReminderRule
from portal.scoping import get_scope

ESCALATED_KIND = "action_item.escalated"


def escalate_after_days() -> int:
    """Days overdue after which an item is escalated: the reminder rule as admins set it, else the default (one
    query)."""
    days = ReminderRule.objects.filter(kind=ESCALATED_KIND).values_list("offset_days", flat=True).first()
    return max(days if days is not None else ESCALATE_AFTER_DAYS, 1)


def escalated_before(today: dt.date | None = None, days: int | None = None) -> dt.date:
    """Items due on or before this day and still open are escalated."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=escalate_after_days() if days is None else days)


def escalated_items(user, *, due_by: dt.date) -> QuerySet[ActionItem]:
    """Open items of the user's committee subtree (the responsible party in it) due on or before ``due_by``, the
    longest overdue first — what the ``action_item.escalated`` reminder sends this committee's reviewers. Empty for
    users who review nothing; every item for admins."""
    scope = get_scope(user)
    if not (scope.reviewer_paths or scope.is_superuser):
        return ActionItem.objects.none()
    items = ActionItem.objects.filter(status__in=WORKING, due_on__lte=due_by)
    if not scope.is_superuser:
        items = items.filter(scope.subtree_q("responsible_party__path"))
    return items.select_related("agreement", "responsible_party").order_by("due_on", "pk")


def expiring_agreements(user, today: dt.date | None = None) -> QuerySet[Agreement]:
    """Active agreements the user sees whose term ends within ``AGREEMENT_EXPIRING_DAYS``, the soonest first."""
    today = today or timezone.localdate()
    return (
        Agreement.objects.visible_to(user)
        .expiring_within(AGREEMENT_EXPIRING_DAYS, today=today)
        .order_by("term_end", "pk")
    )
