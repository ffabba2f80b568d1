"""Composed reads for agreements: the list (and its Excel ledger) and the detail page's tabs."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import ActionItem, ActionItemQuerySet, Agreement, AgreementParty, JointMeeting, Organization
from portal.models import Membership
from portal.names import display_name


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) over ``queryset`` (already filtered on ``agreement=OuterRef("pk")``), 0 when none."""
    counted = queryset.order_by().values("agreement_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def parties_prefetch() -> Prefetch:
    return Prefetch(
        "parties",
        queryset=AgreementParty.objects.select_related("organization", "liaison").order_by("role", "pk"),
    )


def with_figures(queryset: QuerySet[Agreement], today=None) -> QuerySet[Agreement]:
    """Annotate ``meetings_held``, ``open_items`` and ``overdue_items``: subqueries, not a query per row."""
    today = today or timezone.localdate()
    items = ActionItem.objects.filter(agreement=OuterRef("pk"))
    return queryset.annotate(
        meetings_held=_count(JointMeeting.objects.filter(agreement=OuterRef("pk"), starts_at__lte=timezone.now())),
        open_items=_count(items.filter(status__in=ActionItemQuerySet.OPEN)),
        overdue_items=_count(items.filter(status__in=("open", "in_progress"), due_on__lt=today)),
    )


def agreement_list(user, today=None) -> QuerySet[Agreement]:
    """The agreements the user may see, with parties and dimensions prefetched and the meeting/item figures."""
    return with_figures(Agreement.objects.visible_to(user), today).prefetch_related(parties_prefetch(), "dimensions")


def agreement_party_organizations(user) -> QuerySet[Organization]:
    """Organizations that are a party of an agreement the user sees (the list's "party" filter)."""
    visible = Agreement.objects.visible_to(user).values("pk")
    return Organization.objects.filter(
        pk__in=AgreementParty.objects.filter(agreement_id__in=visible).values("organization_id")
    )


def agreement_meetings(agreement: Agreement) -> QuerySet[JointMeeting]:
    return agreement.meetings.select_related("host").order_by("-starts_at", "-pk")


def agreement_action_items(agreement: Agreement) -> QuerySet[ActionItem]:
    return agreement.action_items.select_related("responsible_party", "responsible_person").order_by(
        "due_on", "priority", "pk"
    )


def agreement_history(agreement: Agreement, limit: int = 60) -> list:
    """The agreement's 变更记录 with its parties' (who joined, left, changed liaison), newest first; each history read
    in one bounded query."""
    records = []
    for history in (agreement.history.all(), AgreementParty.history.filter(agreement_id=agreement.pk)):
        records += history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]
    records.sort(key=lambda record: (record.history_date, record.history_id), reverse=True)
    return records[:limit]


def liaison_candidates() -> QuerySet:
    """Users who hold the liaison role in some organization (the parties form's liaison choices)."""
    User = get_user_model()
    return User.objects.filter(
        pk__in=Membership.objects.filter(role=Membership.Role.LIAISON).values("user_id")
    ).order_by("last_name", "first_name", "username")


def party_errors(parties: Sequence[dict]) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """Check a list of parties; return (errors about the list as a whole, {index: {field: [errors]}}).

    The service raises these; the parties formset calls the same function so each error lands next to its row.
    """
    general: list[str] = []
    by_row: dict[int, dict[str, list[str]]] = {}
    organizations = [party.get("organization") for party in parties]
    if len([org for org in organizations if org is not None]) < 2:
        general.append(_("An agreement needs at least two parties."))
    seen: set[int] = set()
    for index, org in enumerate(organizations):
        if org is None:
            continue
        if org.pk in seen:
            by_row.setdefault(index, {}).setdefault("organization", []).append(
                _("%(org)s is already a party of this agreement; each organization may be a party only once.")
                % {"org": org.name}
            )
        seen.add(org.pk)
    # One query for every liaison named, whatever the number of parties.
    liaison_ids = {party["liaison"].pk for party in parties if party.get("liaison") is not None}
    liaison_roles = set(
        Membership.objects.filter(user_id__in=liaison_ids, role=Membership.Role.LIAISON).values_list(
            "user_id", "organization_id"
        )
    )
    for index, party in enumerate(parties):
        liaison, org = party.get("liaison"), party.get("organization")
        if liaison is not None and org is not None and (liaison.pk, org.pk) not in liaison_roles:
            by_row.setdefault(index, {}).setdefault("liaison", []).append(
                _("%(user)s is not a liaison officer of %(org)s; choose a user who holds that role there.")
                % {"user": display_name(liaison), "org": org.name}
            )
    return general, by_row
