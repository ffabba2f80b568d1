"""Composed reads of action items: the ledger (督办台账), the liaison workspace (我的督办) and its counts."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from partnerships.models import (
    ActionItem,
    ActionItemQuerySet,
    ActionItemUpdate,
    Agreement,
    AgreementParty,
    Evidence,
    Organization,
)
from partnerships.rules import WORKING
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope

DUE_SOON_DAYS = 7
RECENTLY_CLOSED_DAYS = 30
WORKSPACE_TABS = ("open", "due_soon", "overdue", "awaiting", "closed")


def with_latest_update(queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Annotate the newest update's note, kind and time (``latest_note``, ``latest_kind``, ``latest_at``)."""
    newest = ActionItemUpdate.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-pk")
    return queryset.annotate(
        latest_note=Subquery(newest.values("note")[:1]),
        latest_kind=Subquery(newest.values("kind")[:1]),
        latest_at=Subquery(newest.values("created_at")[:1]),
    )


def _rows(queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    return with_latest_update(
        queryset.select_related("agreement", "decision__meeting", "responsible_party", "responsible_person")
    )


def action_item_list(user) -> QuerySet[ActionItem]:
    """Every item the user may see, with what a ledger row shows joined or annotated (no query per row)."""
    return _rows(ActionItem.objects.visible_to(user)).order_by("due_on", "priority", "pk")


# The ledger's tabs. It opens on the items still being worked on, earliest due first, so the overdue ones (worked
# on and due before today) lead; closures waiting for the other side, and closed or cancelled items, have their own
# tabs. Every order is read off ``actionitem_ledger_order_idx`` (due_on, priority, id), forwards or backwards.
LEDGER_TABS = ("open", "awaiting", "closed", "all")


def ledger_tab(queryset: QuerySet[ActionItem], tab: str) -> QuerySet[ActionItem]:
    """One tab of the ledger over ``queryset`` (already scoped and filtered). ``tab`` is one of ``LEDGER_TABS``."""
    if tab == "open":
        return queryset.filter(status__in=WORKING).order_by("due_on", "priority", "pk")
    if tab == "awaiting":
        return queryset.filter(status=ActionItem.Status.AWAITING_CONFIRMATION).order_by("due_on", "priority", "pk")
    if tab == "closed":
        closed = (ActionItem.Status.DONE, ActionItem.Status.CANCELLED)
        return queryset.filter(status__in=closed).order_by("-due_on", "-priority", "-pk")
    return queryset.order_by("due_on", "priority", "pk")


def with_viewer_confirms(queryset: QuerySet[ActionItem], user) -> QuerySet[ActionItem]:
    """Annotate ``viewer_confirms``: the item awaits a confirmation that this user gives (a row's 查看并确认 link)."""
    confirmable = ActionItem.objects.confirmable_by(user).filter(pk=OuterRef("pk"))
    return queryset.annotate(viewer_confirms=Exists(confirmable))


def my_organization_ids(user) -> set[int]:
    """Organizations whose items are "mine": where the user is secretary or liaison."""
    return get_scope(user).org_ids(ROLE_SECRETARY, ROLE_LIAISON)


def _workspace_conditions(user, today: dt.date, now: dt.datetime) -> dict[str, Q]:
    mine = Q(responsible_party_id__in=sorted(my_organization_ids(user)))
    working = Q(status__in=WORKING)
    return {
        "open": mine & Q(status__in=ActionItemQuerySet.OPEN),
        "due_soon": mine & working & Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS)),
        "overdue": mine & working & Q(due_on__lt=today),
        "awaiting": Q(pk__in=ActionItem.objects.confirmable_by(user).values("pk")),
        "closed": mine & Q(status=ActionItem.Status.DONE, closed_at__gte=now - dt.timedelta(days=RECENTLY_CLOSED_DAYS)),
    }


def my_action_items(user, tab: str, today: dt.date | None = None) -> QuerySet[ActionItem]:
    """One tab of 我的督办. ``tab`` is one of ``WORKSPACE_TABS``."""
    today = today or timezone.localdate()
    condition = _workspace_conditions(user, today, timezone.now())[tab]
    queryset = _rows(ActionItem.objects.visible_to(user).filter(condition))
    if tab == "closed":
        return queryset.order_by("-closed_at", "-pk")
    if tab == "open":
        # Overdue first (worked on, due before today; an item awaiting confirmation is not overdue), then by due
        # date. The tab holds one person's organizations' open items, a few hundred at most: sorting them is cheap.
        overdue = Case(When(status__in=WORKING, due_on__lt=today, then=Value(0)), default=Value(1))
        return queryset.order_by(overdue, "due_on", "priority", "pk")
    return queryset.order_by("due_on", "priority", "pk")


def workspace_counts(user, today: dt.date | None = None) -> dict[str, int]:
    """The 我的督办 counts (open, due in 7 days, overdue, awaiting my confirmation, closed in 30 days): one query."""
    today = today or timezone.localdate()
    conditions = _workspace_conditions(user, today, timezone.now())
    scope = get_scope(user)
    if scope.is_anonymous:
        return dict.fromkeys(WORKSPACE_TABS, 0)
    any_of = Q(pk__in=[])
    for condition in conditions.values():
        any_of |= condition
    return ActionItem.objects.filter(any_of).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in conditions.items()}
    )


def item_timeline(item: ActionItem) -> list[ActionItemUpdate]:
    """The item's updates, newest first, with authors and evidence (two queries)."""
    return list(
        item.updates.select_related("author").prefetch_related(Prefetch("evidence")).order_by("-created_at", "-pk")
    )


def closure_request(item: ActionItem) -> ActionItemUpdate | None:
    """The closure the other side rules on: the item's newest closure request, with its author and its evidence
    (two queries). None for an item never submitted for closure."""
    return (
        item.updates.filter(kind=ActionItemUpdate.Kind.CLOSE_REQUEST)
        .select_related("author")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
        .first()
    )


EARLIER_EVIDENCE_LIMIT = 20


def earlier_evidence(item: ActionItem, closure: ActionItemUpdate | None) -> list[Evidence]:
    """Evidence posted with the item's earlier updates (progress, earlier closure requests), newest first, at most
    ``EARLIER_EVIDENCE_LIMIT`` files (one query); the item's timeline holds them all."""
    files = Evidence.objects.filter(update__item=item).select_related("update")
    if closure is not None:
        files = files.exclude(update=closure)
    return list(files.order_by("-update__created_at", "-pk")[:EARLIER_EVIDENCE_LIMIT])


def raisable_agreements(user) -> QuerySet[Agreement]:
    """Agreements visible to the user (the ledger's agreement filter)."""
    return Agreement.objects.visible_to(user).order_by("-term_start", "-pk")


def party_organizations(user) -> QuerySet[Organization]:
    """Organizations that are parties of agreements the user may see (the ledger's responsible-party filter)."""
    parties = AgreementParty.objects.visible_to(user).values("organization_id")
    return Organization.objects.filter(pk__in=parties).order_by("path")
