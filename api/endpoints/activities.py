"""Activities with their headcounts, and red responsibility zones with their checks. Reads only, through
``visible_to`` and the activities selectors (the ledger's annotated rows)."""

from __future__ import annotations

from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router
from ninja.decorators import decorate_view

from activities.models import Activity, ResponsibilityZone, ZoneCheck
from activities.selectors import activities as activity_selectors
from api import schemas
from api.conditional import etagged
from api.endpoints.common import MAX_ID, page_url, responses
from api.errors import known_query
from api.paging import ListParams, Order, check_params, date_range, filter_dates, list_page
from portal.replica import use_replica

router = Router()
ZONE_ORDER = Order(None)
ACTIVITY_ORDER = Order("starts_at", descending=True, kind="datetime")

# A zone in a list carries its latest checks; its own page more. Both bounded, however long the zone has existed.
CHECKS_IN_LIST = 5
CHECKS_IN_DETAIL = 50


def _activity_out(request, activity: Activity) -> dict:
    return {
        "id": activity.pk,
        "title": activity.title,
        "type": activity.type.code,
        "type_name": activity.type.name,
        "agreement_id": activity.agreement_id,
        "lead_id": activity.lead_id,
        "lead_name": activity.lead.name,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "place": activity.place,
        "status": activity.status,
        "status_label": activity.get_status_display(),
        "total_headcount": activity.total_headcount,
        "participant_count": activity.participant_count,
        "photo_count": activity.photo_count,
        "headcounts": [
            {"organization_id": h.organization_id, "organization_name": h.organization.name, "headcount": h.headcount}
            for h in activity.headcounts
        ],
        "url": page_url(request, activity),
    }


def _activities(user):
    return activity_selectors.ledger_rows(Activity.objects.visible_to(user))


@router.get("/activities", response=responses(schemas.ActivityPage), tags=["activities"])
@decorate_view(known_query, etagged, use_replica())
def activity_list(request, params: Query[ListParams]):
    """Activities the user sees, latest first, with headcounts per organization. ``from``/``to``: the day it
    starts; ``organization``: the lead organization."""
    check_params(params, ACTIVITY_ORDER)
    queryset = filter_dates(_activities(request.auth), params, "starts_at", instant=True)
    return list_page(request, queryset, ACTIVITY_ORDER, params, _activity_out, org_filter="lead_id")


@router.get("/activities/{id}", response=responses(schemas.ActivityOut), tags=["activities"])
@decorate_view(known_query, etagged, use_replica())
def activity_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    return _activity_out(request, get_object_or_404(_activities(request.auth), pk=id))


def _checks_prefetch(count: int, lower=None, upper=None) -> Prefetch:
    """Each zone's latest ``count`` checks (in the date range), one query for the whole page: a window function
    numbers every zone's checks and keeps the first ``count`` of each."""
    checks = ZoneCheck.objects.all()
    if lower:
        checks = checks.filter(checked_on__gte=lower)
    if upper:
        checks = checks.filter(checked_on__lte=upper)
    numbered = checks.annotate(
        position=Window(RowNumber(), partition_by=F("zone_id"), order_by=[F("checked_on").desc(), F("pk").desc()])
    ).filter(position__lte=count)
    return Prefetch("checks", queryset=numbered.order_by("-checked_on", "-pk"), to_attr="latest_checks")


def _zone_out(request, zone: ResponsibilityZone) -> dict:
    return {
        "id": zone.pk,
        "name": zone.name,
        "project_id": zone.project_id,
        "project_name": zone.project.name,
        "lead_id": zone.lead_id,
        "dimensions": [str(d) for d in zone.dimensions or []],
        "checks": [
            {
                "id": c.pk,
                "checked_on": c.checked_on,
                "category": c.category,
                "category_label": c.get_category_display(),
                "finding": c.finding,
                "fix_due_on": c.fix_due_on,
                "fixed_on": c.fixed_on,
            }
            for c in zone.latest_checks
        ],
        "url": page_url(request, zone),
    }


def _zones(user):
    return ResponsibilityZone.objects.visible_to(user).select_related("project")


@router.get("/zones", response=responses(schemas.ZonePage), tags=["zones"])
@decorate_view(known_query, etagged, use_replica())
def zone_list(request, params: Query[ListParams]):
    """Red responsibility zones the user sees, by id, each with its latest 5 checks. ``from``/``to``: which checks
    (by the day of the check); ``organization``: the zone's lead organization."""
    check_params(params, ZONE_ORDER)
    lower, upper = date_range(params)
    queryset = _zones(request.auth).prefetch_related(_checks_prefetch(CHECKS_IN_LIST, lower, upper))
    return list_page(request, queryset, ZONE_ORDER, params, _zone_out, org_filter="lead_id")


@router.get("/zones/{id}", response=responses(schemas.ZoneOut), tags=["zones"])
@decorate_view(known_query, etagged, use_replica())
def zone_detail(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """A zone with its latest 50 checks."""
    zone = get_object_or_404(_zones(request.auth).prefetch_related(_checks_prefetch(CHECKS_IN_DETAIL)), pk=id)
    return _zone_out(request, zone)
