"""Every write to the partners' lists (三张清单): needs, resources, and the pairings that turn them into joint
projects (共建项目).

An organization's secretary or liaison publishes, edits and withdraws its needs (需求清单) and resources (资源清单).
A partner — an organization sharing an agreement that is not closed — offers one of its resources against a need
(资源对接) or claims the need without one (认领需求); the need's organization accepts, which creates the joint project
in the same transaction (an ``ActionItem`` of kind project: owner, partner, goal, due date, then the action-item
machinery — progress with evidence, closure confirmed by the other side), or declines with a reason. The need is
matched on acceptance and met when its project's closure is confirmed (``services.action_items``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import ActionItem, Agreement, Dimension, Need, Organization, Pairing, Resource
from partnerships.rules import may_decide_pairing, may_publish_lists, offering_organizations, shared_agreements
from partnerships.services import notices
from partnerships.services.action_items import _action_item_create
from portal.scoping import ensure_editable

NEED_FIELDS = ("title", "details", "dimension", "contact_name", "wanted_by")
RESOURCE_FIELDS = (
    "kind",
    "title",
    "details",
    "dimension",
    "contact_name",
    "is_paid",
    "terms",
    "capacity",
    "opening_hours",
    "address",
)


def _save(entry, actor, fields=None) -> None:
    entry.full_clean(exclude=["created_by"])
    entry._history_user = actor
    if fields is None:
        entry.save()
    else:
        entry.save(update_fields=[*fields, "updated_at"])


def _lock(entry):
    list(type(entry).objects.select_for_update().filter(pk=entry.pk).values_list("pk", flat=True))
    entry.refresh_from_db()
    return entry


def _check_publisher(actor, organization: Organization) -> None:
    if organization is None or not may_publish_lists(actor, organization):
        raise PermissionDenied


# --- needs ---------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def need_create(
    *,
    actor: AbstractBaseUser,
    organization: Organization,
    title: str,
    details: str = "",
    dimension: Dimension | None = None,
    contact_name: str = "",
    wanted_by: dt.date | None = None,
) -> Need:
    """Publish a need of the organization (its secretary or liaison): what it wants help with, by when."""
    _check_publisher(actor, organization)
    need = Need(
        organization=organization,
        title=(title or "").strip(),
        details=details or "",
        dimension=dimension,
        contact_name=contact_name or "",
        wanted_by=wanted_by,
        created_by=actor,
    )
    _save(need, actor)
    return need


@transaction.atomic(durable=True)
def need_update(*, actor: AbstractBaseUser, need: Need, **fields) -> Need:
    """Edit an open or matched need's title, details, dimension, contact or date (the organization's own people)."""
    ensure_editable(actor, need)
    need = _lock(need)
    if need.status not in (Need.Status.OPEN, Need.Status.MATCHED):
        raise ValidationError(_("A met or withdrawn need can no longer be changed."), code="state")
    changed = [name for name in NEED_FIELDS if name in fields and getattr(need, name) != fields[name]]
    for name in changed:
        setattr(need, name, fields[name])
    if changed:
        _save(need, actor, changed)
    return need


@transaction.atomic(durable=True)
def need_withdraw(*, actor: AbstractBaseUser, need: Need) -> Need:
    """Take an open need off the list; the proposals waiting on it are declined with that reason."""
    ensure_editable(actor, need)
    need = _lock(need)
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("Only an open need can be withdrawn."), code="state")
    need.status = Need.Status.WITHDRAWN
    _save(need, actor, ["status"])
    _decline_others(actor, need, reason=_("The need was withdrawn."))
    return need


# --- resources -----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def resource_create(
    *, actor: AbstractBaseUser, organization: Organization, kind: str, title: str, **fields
) -> Resource:
    """List a resource the organization can share (its secretary or liaison): free or paid, with its terms."""
    _check_publisher(actor, organization)
    resource = Resource(organization=organization, kind=kind, title=(title or "").strip(), created_by=actor)
    for name in RESOURCE_FIELDS:
        if name in fields and fields[name] is not None:
            setattr(resource, name, fields[name])
    if resource.kind != Resource.Kind.VENUE:
        resource.capacity = None
    _save(resource, actor)
    return resource


@transaction.atomic(durable=True)
def resource_update(*, actor: AbstractBaseUser, resource: Resource, **fields) -> Resource:
    """Edit an available resource (the organization's own people)."""
    ensure_editable(actor, resource)
    resource = _lock(resource)
    if resource.status != Resource.Status.OPEN:
        raise ValidationError(_("A withdrawn resource can no longer be changed."), code="state")
    changed = []
    for name in RESOURCE_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if value is None and name not in ("dimension", "capacity"):
            value = "" if name != "is_paid" else False
        if getattr(resource, name) != value:
            setattr(resource, name, value)
            changed.append(name)
    if resource.kind != Resource.Kind.VENUE and resource.capacity is not None:
        resource.capacity = None
        changed.append("capacity")
    if changed:
        _save(resource, actor, sorted(set(changed)))
    return resource


@transaction.atomic(durable=True)
def resource_withdraw(*, actor: AbstractBaseUser, resource: Resource) -> Resource:
    """Take a resource off the list; open offers of it are withdrawn with it (accepted ones stand)."""
    ensure_editable(actor, resource)
    resource = _lock(resource)
    if resource.status != Resource.Status.OPEN:
        raise ValidationError(_("This resource is already withdrawn."), code="state")
    resource.status = Resource.Status.WITHDRAWN
    _save(resource, actor, ["status"])
    Pairing.objects.filter(resource=resource, status=Pairing.Status.PROPOSED).update(
        status=Pairing.Status.WITHDRAWN, decided_by=actor, decided_at=timezone.now()
    )
    return resource


# --- pairings ------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def pairing_offer(
    *,
    actor: AbstractBaseUser,
    need: Need,
    offered_by: Organization,
    agreement: Agreement | None = None,
    resource: Resource | None = None,
    note: str = "",
) -> Pairing:
    """A partner offers one of its resources against a need (资源对接), or claims it without one (认领需求).

    The offering organization is one of the actor's (secretary or liaison), a party with the need's organization of
    ``agreement`` (not closed; when they share only one, it is taken); the resource is its own and available; the
    need is open; one open proposal per need and offering organization (the database refuses a second)."""
    locked = list(Need.objects.select_for_update().filter(pk=need.pk))
    if not locked:
        raise PermissionDenied
    need = locked[0]
    if offered_by is None or not offering_organizations(actor, need).filter(pk=offered_by.pk).exists():
        raise PermissionDenied
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("This need is no longer open for offers."), code="state")
    shared = shared_agreements(need.organization_id, offered_by.pk)
    if agreement is None:
        candidates = list(shared[:2])
        if len(candidates) != 1:
            raise ValidationError(
                {"agreement": _("Choose the agreement this offer is made under.")}, code="agreement_required"
            )
        agreement = candidates[0]
    elif not shared.filter(pk=agreement.pk).exists():
        raise ValidationError(
            {"agreement": _("Both organizations must be parties of an agreement in force.")}, code="not_shared"
        )
    if resource is not None and (resource.organization_id != offered_by.pk or resource.status != Resource.Status.OPEN):
        raise ValidationError(
            {"resource": _("Offer an available resource of the offering organization.")}, code="not_own"
        )
    pairing = Pairing(
        need=need,
        resource=resource,
        agreement=agreement,
        offered_by=offered_by,
        note=(note or "").strip(),
        created_by=actor,
    )
    if Pairing.objects.filter(need=need, offered_by=offered_by, status=Pairing.Status.PROPOSED).exists():
        raise ValidationError(
            _("Your organization already has an open proposal for this need."), code="pairing_one_live_proposal"
        )
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as exc:  # a second proposal sent at the same moment
        raise ValidationError(
            _("Your organization already has an open proposal for this need."), code="pairing_one_live_proposal"
        ) from exc
    notices.pairing_proposed(actor=actor, pairing=pairing)
    return pairing


def _decide_checks(actor, pairing: Pairing) -> Pairing:
    if not Pairing.objects.visible_to(actor).filter(pk=pairing.pk).exists():
        raise PermissionDenied
    if not may_decide_pairing(actor, pairing):
        raise PermissionDenied
    list(Pairing.objects.select_for_update().filter(pk=pairing.pk).values_list("pk", flat=True))
    pairing.refresh_from_db()
    if pairing.status != Pairing.Status.PROPOSED:
        raise ValidationError(_("This proposal has already been decided or withdrawn."), code="state")
    return pairing


def _decline_others(actor, need: Need, *, reason: str, keep: Pairing | None = None) -> None:
    others = Pairing.objects.filter(need=need, status=Pairing.Status.PROPOSED).select_related("need", "offered_by")
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    now = timezone.now()
    for other in others:
        other.status = Pairing.Status.DECLINED
        other.decline_reason = reason
        other.decided_by = actor
        other.decided_at = now
        other.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
        notices.pairing_decided(actor=actor, pairing=other)


@transaction.atomic(durable=True)
def pairing_accept(
    *,
    actor: AbstractBaseUser,
    pairing: Pairing,
    due_on: dt.date,
    owner: Organization | None = None,
    title: str = "",
    description: str = "",
) -> Pairing:
    """Accept a proposal (the need's organization): the joint project (共建项目) starts in the same transaction.

    The owner — the party doing the work — is the offering partner unless the need's organization takes it on
    itself; the partner is the other of the two. The need becomes matched; other open proposals for it are declined.
    """
    pairing = _decide_checks(actor, pairing)
    need = Need.objects.select_for_update().get(pk=pairing.need_id)
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("This need is no longer open for offers."), code="state")
    sides = {pairing.offered_by_id: pairing.offered_by, need.organization_id: need.organization}
    owner = owner or pairing.offered_by
    if owner.pk not in sides:
        raise ValidationError({"owner": _("The owner is the need's organization or the offering partner.")})
    partner = sides[need.organization_id if owner.pk == pairing.offered_by_id else pairing.offered_by_id]
    goal = (description or "").strip() or need.details
    if pairing.resource_id:
        goal = f"{goal}\n{_('Resource')}: {pairing.resource.title}".strip()
    item = _action_item_create(
        actor=actor,
        agreement=pairing.agreement,
        title=(title or "").strip() or need.title,
        responsible_party=owner,
        due_on=due_on,
        description=goal,
        kind=ActionItem.Kind.PROJECT,
        partner=partner,
    )
    pairing.status = Pairing.Status.ACCEPTED
    pairing.action_item = item
    pairing.decided_by = actor
    pairing.decided_at = timezone.now()
    pairing.save(update_fields=["status", "action_item", "decided_by", "decided_at"])
    need.status = Need.Status.MATCHED
    _save(need, actor, ["status"])
    _decline_others(actor, need, reason=_("The need was matched with another offer."), keep=pairing)
    notices.pairing_decided(actor=actor, pairing=pairing)
    return pairing


@transaction.atomic(durable=True)
def pairing_decline(*, actor: AbstractBaseUser, pairing: Pairing, reason: str) -> Pairing:
    """Decline a proposal with a reason (the need's organization); the need stays open for other offers."""
    pairing = _decide_checks(actor, pairing)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the offer is declined.")}, code="required")
    pairing.status = Pairing.Status.DECLINED
    pairing.decline_reason = reason
    pairing.decided_by = actor
    pairing.decided_at = timezone.now()
    pairing.full_clean(exclude=["created_by", "decided_by"])
    pairing.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    notices.pairing_decided(actor=actor, pairing=pairing)
    return pairing


@transaction.atomic(durable=True)
def pairing_withdraw(*, actor: AbstractBaseUser, pairing: Pairing) -> Pairing:
    """The offering organization takes back its open proposal."""
    ensure_editable(actor, pairing)
    list(Pairing.objects.select_for_update().filter(pk=pairing.pk).values_list("pk", flat=True))
    pairing.refresh_from_db()
    if pairing.status != Pairing.Status.PROPOSED:
        raise ValidationError(_("Only an open proposal can be withdrawn."), code="state")
    pairing.status = Pairing.Status.WITHDRAWN
    pairing.decided_by = actor
    pairing.decided_at = timezone.now()
    pairing.save(update_fields=["status", "decided_by", "decided_at"])
    return pairing
