"""Organizations (the directory), agreements with their parties, joint meetings with published minutes and decisions,
action items with their progress. Reads only, through ``visible_to`` and the partnerships selectors."""

from __future__ import annotations

from functools import partial

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Path, Query, Router
from ninja.decorators import decorate_view

from api import schemas
from api.conditional import etagged
from api.endpoints.common import MAX_ID, page_url, responses
from api.errors import known_query
from api.paging import (
    ListParams,
    Order,
    check_params,
    date_range,
    filter_dates,
    for_organization,
    keyset_page,
    list_page,
    next_link,
)
from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    AgreementParty,
    Decision,
    JointMeeting,
    MinutesVersion,
    Organization,
)
from partnerships.selectors import action_items as item_selectors
from partnerships.selectors import agreements as agreement_selectors
from portal.replica import use_replica

router = Router()
ACTION_ITEM_ORDER = Order("due_on", kind="date")
MEETING_ORDER = Order("starts_at", descending=True, kind="datetime")
AGREEMENT_ORDER = Order("term_start", descending=True, kind="date")
ORGANIZATION_ORDER = Order(None)

# A detail page lists at most this many progress updates, newest first.
ITEM_UPDATES_SHOWN = 50
DECISIONS_SHOWN = 200


def _party_of(organization: Organization | None, field: str = "pk"):
    """Rows an organization is a party to (their agreement has it among its parties)."""
    return Exists(AgreementParty.objects.filter(agreement_id=OuterRef(field), organization_id=organization.pk))


def _party_of_agreement(organization: Organization):
    """Rows whose agreement (``agreement_id``) has the organization among its parties."""
    return _party_of(organization, "agreement_id")


# Organizations -------------------------------------------------------------------------------------------------


def _organization_out(request, org: Organization, parents: dict[str, int]) -> dict:
    parent_path = org.path[: -Organization.steplen] if org.depth > 1 else None
    return {
        "id": org.pk,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "sector": org.sector,
        "sector_label": org.get_sector_display(),
        "unit_name": org.unit_name,
        "depth": org.depth,
        "parent_id": parents.get(parent_path) if parent_path else None,
        "url": page_url(request, org),
    }


def _subtree_of(root: Organization) -> Q:
    return Q(path__startswith=root.path)


def _parents(rows) -> dict[str, int]:
    paths = {org.path[: -Organization.steplen] for org in rows if org.depth > 1}
    return dict(Organization.objects.filter(path__in=paths).values_list("path", "pk")) if paths else {}


@router.get("/organizations", response=responses(schemas.OrganizationPage), tags=["organizations"])
@decorate_view(known_query, etagged, use_replica())
def organization_list(request, params: Query[ListParams]):
    """The directory (every signed-in user's, DESIGN §4), in tree order by id. ``organization``: that organization's
    subtree. ``from``/``to`` take the day the organization was recorded."""
    check_params(params, ORGANIZATION_ORDER)
    user = request.auth
    queryset = filter_dates(Organization.objects.visible_to(user), params, "created_at", instant=True)
    queryset = for_organization(user, queryset, params, _subtree_of)
    page = keyset_page(queryset, ORGANIZATION_ORDER, params)
    parents = _parents(page.rows)  # the whole page's parents at once, so not through list_page's row by row
    return {"results": [_organization_out(request, o, parents) for o in page.rows], "next": next_link(request, page)}


@router.get("/organizations/{id}", response=responses(schemas.OrganizationOut), tags=["organizations"])
@decorate_view(known_query, etagged, use_replica())
def organization_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    org = get_object_or_404(Organization.objects.visible_to(request.auth), pk=id)
    return _organization_out(request, org, _parents([org]))


# Agreements ----------------------------------------------------------------------------------------------------


def _agreement_out(request, agreement) -> dict:
    return {
        "id": agreement.pk,
        "number": agreement.number,
        "title": agreement.title,
        "brand": agreement.brand,
        "status": agreement.status,
        "status_label": agreement.get_status_display(),
        "signed_on": agreement.signed_on,
        "term_start": agreement.term_start,
        "term_end": agreement.term_end,
        "dimensions": [d.name for d in agreement.dimensions.all()],
        "parties": [
            {
                "organization_id": party.organization_id,
                "organization_name": party.organization.name,
                "role": party.role,
                "role_label": party.get_role_display(),
                "signatory": party.signatory,
            }
            for party in agreement.parties.all()
        ],
        "meetings_held": agreement.meetings_held,
        "open_items": agreement.open_items,
        "overdue_items": agreement.overdue_items,
        "url": page_url(request, agreement),
    }


@router.get("/agreements", response=responses(schemas.AgreementPage), tags=["agreements"])
@decorate_view(known_query, etagged, use_replica())
def agreement_list(request, params: Query[ListParams]):
    """Agreements the user sees, newest term first. ``from``/``to``: the term overlaps those days;
    ``organization``: it is a party."""
    check_params(params, AGREEMENT_ORDER)
    queryset = agreement_selectors.agreement_list(request.auth)
    lower, upper = date_range(params)
    if lower:
        queryset = queryset.filter(term_end__gte=lower)
    if upper:
        queryset = queryset.filter(term_start__lte=upper)
    return list_page(request, queryset, AGREEMENT_ORDER, params, _agreement_out, org_filter=_party_of)


@router.get("/agreements/{id}", response=responses(schemas.AgreementOut), tags=["agreements"])
@decorate_view(known_query, etagged, use_replica())
def agreement_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _agreement_out(request, get_object_or_404(agreement_selectors.agreement_list(request.auth), pk=id))


# Joint meetings ------------------------------------------------------------------------------------------------


def _meeting_out(request, meeting: JointMeeting) -> dict:
    return {
        "id": meeting.pk,
        "agreement_id": meeting.agreement_id,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "host_id": meeting.host_id,
        "host_name": meeting.host.name,
        "cancelled": meeting.is_cancelled,
        "minutes_published": meeting.minutes_version > 0,
        "minutes_version": meeting.minutes_version,
        "published_at": meeting.published_at,
        "url": page_url(request, meeting),
    }


def _meetings(user):
    return JointMeeting.objects.visible_to(user).select_related("host")


@router.get("/meetings", response=responses(schemas.MeetingPage), tags=["meetings"])
@decorate_view(known_query, etagged, use_replica())
def meeting_list(request, params: Query[ListParams]):
    """Joint meetings the user sees, latest first. ``from``/``to``: the meeting's day; ``organization``: a party of
    its agreement. Minutes and decisions are on a meeting's own page, and only once published."""
    check_params(params, MEETING_ORDER)
    queryset = filter_dates(_meetings(request.auth), params, "starts_at", instant=True)
    return list_page(request, queryset, MEETING_ORDER, params, _meeting_out, org_filter=_party_of_agreement)


@router.get("/meetings/{id}", response=responses(schemas.MeetingDetailOut), tags=["meetings"])
@decorate_view(known_query, etagged, use_replica())
def meeting_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """A meeting with its latest published minutes and their decisions; a draft is never shown (``minutes`` null,
    no decisions) — corrections being drafted leave the published version in place."""
    meeting = get_object_or_404(_meetings(request.auth), pk=id)
    out = _meeting_out(request, meeting)
    published = MinutesVersion.objects.filter(meeting=meeting).order_by("-number").first()
    out["minutes"] = published.body if published else None
    out["decisions"] = []
    if published:
        decisions = (
            Decision.objects.filter(meeting=meeting)
            .prefetch_related(Prefetch("items", queryset=ActionItem.objects.only("pk", "decision_id").order_by("pk")))
            .order_by("order", "pk")[:DECISIONS_SHOWN]
        )
        out["decisions"] = [
            {
                "id": d.pk,
                "order": d.order,
                "text": d.text,
                "outcome": d.outcome,
                "outcome_label": d.get_outcome_display(),
                "action_item_ids": [item.pk for item in d.items.all()],
            }
            for d in decisions
        ]
    return out


# Action items --------------------------------------------------------------------------------------------------


def _item_out(request, item: ActionItem, today) -> dict:
    return {
        "id": item.pk,
        "agreement_id": item.agreement_id,
        "decision_id": item.decision_id,
        "kind": item.kind,
        "title": item.title,
        "responsible_party_id": item.responsible_party_id,
        "responsible_party_name": item.responsible_party.name,
        "due_on": item.due_on,
        "priority": item.priority,
        "status": item.status,
        "status_label": item.get_status_display(),
        "progress": item.progress,
        "overdue": item.days_overdue(today) > 0,
        "closed_at": item.closed_at,
        "latest_note": item.latest_note,
        "latest_at": item.latest_at,
        "url": page_url(request, item),
    }


def _items(user):
    return item_selectors.with_latest_update(ActionItem.objects.visible_to(user).select_related("responsible_party"))


@router.get("/action-items", response=responses(schemas.ActionItemPage), tags=["action items"])
@decorate_view(known_query, etagged, use_replica())
def action_item_list(request, params: Query[ListParams]):
    """Action items the user sees, soonest due first. ``from``/``to``: the due day; ``organization``: the
    responsible party."""
    check_params(params, ACTION_ITEM_ORDER)
    queryset = filter_dates(_items(request.auth), params, "due_on")
    item_out = partial(_item_out, today=timezone.localdate())
    return list_page(request, queryset, ACTION_ITEM_ORDER, params, item_out, org_filter="responsible_party_id")


@router.get("/action-items/{id}", response=responses(schemas.ActionItemDetailOut), tags=["action items"])
@decorate_view(known_query, etagged, use_replica())
def action_item_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """An item with its progress history (newest first, the latest 50), evidence files stay on the portal."""
    item = get_object_or_404(_items(request.auth), pk=id)
    out = _item_out(request, item, timezone.localdate())
    out["description"] = item.description
    updates = ActionItemUpdate.objects.filter(item=item).order_by("-created_at", "-pk")[:ITEM_UPDATES_SHOWN]
    out["updates"] = [
        {
            "kind": u.kind,
            "kind_label": u.get_kind_display(),
            "note": u.note,
            "percent": u.percent,
            "created_at": u.created_at,
        }
        for u in updates
    ]
    return out
