"""Composed reads of the partners' lists (三张清单): needs, resources, a need's pairings, the joint projects (项目清单)
and an agreement's section. Every list is scoped by ``visible_to`` and joins or annotates what its rows show (no
query per row)."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from partnerships.models import ActionItem, Agreement, Need, Organization, Pairing, Resource, partner_org_ids
from partnerships.selectors.action_items import with_latest_update
from portal.scoping import get_scope

SECTION_ROWS = 6  # needs and resources shown on an agreement's page (each list links to the rest)


def _open_offers() -> Coalesce:
    counted = (
        Pairing.objects.filter(need=OuterRef("pk"), status=Pairing.Status.PROPOSED)
        .order_by()
        .values("need_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# Open needs first (they wait for an offer), then matched, met and withdrawn ones.
_STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Need.Status.values)),
    default=Value(9),
    output_field=IntegerField(),
)


def need_list(user) -> QuerySet[Need]:
    """Every need the user may see, with its organization, dimension and open offers (one query per page)."""
    return (
        Need.objects.visible_to(user)
        .select_related("organization", "dimension")
        .annotate(open_offers=_open_offers(), status_rank=_STATUS_RANK)
        .order_by("status_rank", "wanted_by", "pk")
    )


def resource_list(user) -> QuerySet[Resource]:
    """Every resource the user may see, with its organization and dimension."""
    return Resource.objects.visible_to(user).select_related("organization", "dimension").order_by("kind", "title", "pk")


def project_list(user) -> QuerySet[ActionItem]:
    """项目清单: the joint projects (action items of kind project) under the user's agreements."""
    return with_latest_update(
        ActionItem.objects.visible_to(user)
        .projects()
        .select_related(
            "agreement", "responsible_party", "partner", "confirmed_by", "pairing__need", "pairing__resource"
        )
    ).order_by("due_on", "priority", "pk")


def list_organizations(user) -> QuerySet[Organization]:
    """Organizations whose lists the user may read (the lists' organization filter): the user's own, their reviewed
    subtree and the other parties of their agreements."""
    scope = get_scope(user)
    if scope.is_anonymous:
        return Organization.objects.none()
    if scope.is_superuser:
        return Organization.objects.order_by("path")
    condition = scope.in_orgs_q("pk") | scope.subtree_q("path") | Q(pk__in=partner_org_ids(scope))
    return Organization.objects.filter(condition).order_by("path")


def need_pairings(need: Need, user) -> list[Pairing]:
    """The need's pairings the user may see, newest first, with what each row shows."""
    return list(
        Pairing.objects.visible_to(user)
        .filter(need=need)
        .select_related("offered_by", "resource", "agreement", "action_item", "created_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def resource_pairings(resource: Resource, user) -> list[Pairing]:
    """Where the resource was offered (the pairings the user may see), newest first."""
    return list(
        Pairing.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("need__organization", "agreement", "action_item")
        .order_by("-created_at", "-pk")[:50]
    )


def agreement_lists(agreement: Agreement) -> dict:
    """The parties' open needs and available resources, a few of each, with how many there are."""
    parties = agreement.parties.values("organization_id")
    needs = Need.objects.open().filter(organization_id__in=parties).select_related("organization", "dimension")
    resources = Resource.objects.open().filter(organization_id__in=parties).select_related("organization")
    projects = ActionItem.objects.projects().filter(agreement=agreement)
    return {
        "needs": list(needs.order_by("wanted_by", "pk")[:SECTION_ROWS]),
        "resources": list(resources.order_by("kind", "title", "pk")[:SECTION_ROWS]),
        "project_count": projects.count(),
        "open_project_count": projects.open().count(),
    }
