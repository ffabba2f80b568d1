"""The partners' lists (三张清单): what an organization needs help with (需求清单) and what it can offer
(资源清单: venues, lecturers, volunteer teams, equipment, funds or services, free or paid).

An organization's lists are seen by its own people, by the organizations that review it, and by the other parties of
any agreement it is in — never by outsiders. Only the organization's own secretary or liaison edits them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models.action_items import ActionItem
from partnerships.models.agreements import Agreement, AgreementParty, Dimension, agreement_ids_for
from partnerships.models.directory import Organization
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, date_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope


def partner_org_ids(scope: UserScope):
    """Organizations that are a party of an agreement one of the user's organizations (or their reviewed subtree) is
    a party of: the partners whose lists the user may read."""
    return AgreementParty.objects.filter(agreement_id__in=agreement_ids_for(scope)).values("organization_id")


class OrganizationListQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=self.model.Status.OPEN)


class _OrganizationListEntry(models.Model):
    """What needs and resources share: the publishing organization, a title, details, a dimension and scope rules."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=120)
    details = models.TextField(_("details"), blank=True)
    dimension = models.ForeignKey(
        Dimension, verbose_name=_("co-construction dimension"), null=True, blank=True, on_delete=models.SET_NULL
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    created_by = user_ref(_("created by"))
    created_at, updated_at = timestamps()

    objects = OrganizationListQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return (
            scope.in_orgs_q("organization_id")
            | scope.subtree_q("organization__path")
            | Q(organization_id__in=partner_org_ids(scope))
        )

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id", ROLE_SECRETARY, ROLE_LIAISON)


class Need(_OrganizationListEntry):
    """A need (需求): what an organization wants help with, by when (需求清单)."""

    class Status(ColouredChoices, models.TextChoices):
        OPEN = "open", _("Awaiting a match")
        MATCHED = "matched", _("Matched")
        MET = "met", _("Met")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        colours = Colours(open="warning", matched="info", met="success", withdrawn="secondary")

    wanted_by = UserDateField(_("wanted by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # When its joint project's closure was confirmed: the 资源共享 metric counts needs met in a quarter.
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["wanted_by", "id"]
        default_related_name = "needs"
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["status", "wanted_by"]),
        ]
        constraints = [date_range_check("need", "wanted_by", null=True)]

    def get_absolute_url(self) -> str:
        return reverse("partnerships:need_detail", args=[self.pk])


class Resource(_OrganizationListEntry):
    """A resource (资源) an organization can share: a venue, lecturers, a volunteer team, equipment, funds or a
    service; free (无偿资助) or paid (有偿支援). Venues carry a capacity and opening hours and can be booked."""

    class Kind(ColouredChoices, models.TextChoices):
        VENUE = "venue", _("Venue")
        LECTURER = "lecturer", _("Lecturer")
        VOLUNTEERS = "volunteers", _("Volunteer team")
        EQUIPMENT = "equipment", _("Equipment")
        FUNDS = "funds", _("Funds")
        SERVICE = "service", _("Service")

        colours = Colours(
            venue="primary",
            lecturer="info",
            volunteers="success",
            equipment="secondary",
            funds="warning",
            service="dark",
        )

    class Status(ColouredChoices, models.TextChoices):
        OPEN = "open", _("Available")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        colours = Colours(open="success", withdrawn="secondary")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    is_paid = models.BooleanField(
        _("paid"), default=False, help_text=_("Paid support (有偿支援) rather than free (无偿资助).")
    )
    terms = models.CharField(_("terms"), max_length=200, blank=True, help_text=_("Price or conditions, if any."))
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    opening_hours = models.CharField(
        _("opening hours"), max_length=120, blank=True, help_text=_("For example 工作日 9:00–17:00.")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["kind", "title", "id"]
        default_related_name = "resources"
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["kind", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="venue") | Q(capacity__isnull=True),
                name="resource_capacity_only_for_venues",
                violation_error_message=_("Only a venue has a capacity."),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("partnerships:resource_detail", args=[self.pk])

    @property
    def is_venue(self) -> bool:
        return self.kind == self.Kind.VENUE


class PairingQuerySet(ScopedQuerySet):
    def proposed(self):
        return self.filter(status=Pairing.Status.PROPOSED)


class Pairing(models.Model):
    """A partner's answer to a need (资源对接 / 认领需求): it offers one of its resources against the need, or claims
    the need without a listed resource, under an agreement both organizations are party to. The need's organization
    accepts — the pairing becomes a joint project (共建项目, an ``ActionItem`` of kind project) — or declines with a
    reason; the offering side may withdraw its proposal while it is open."""

    class Status(ColouredChoices, models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        colours = Colours(proposed="warning", accepted="success", declined="danger", withdrawn="secondary")

    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="pairings")
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("resource"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
        help_text=_("Leave empty to claim the need without a listed resource."),
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="pairings"
    )
    offered_by = models.ForeignKey(
        Organization, verbose_name=_("offered by"), on_delete=models.PROTECT, related_name="pairings_offered"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    note = models.TextField(_("note"), blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    action_item = models.OneToOneField(
        ActionItem,
        verbose_name=_("co-construction project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pairing",
    )
    created_by = user_ref(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = user_ref(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "decided_at"]),
            models.Index(fields=["offered_by", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["need", "offered_by"],
                condition=Q(status="proposed"),
                name="pairing_one_live_proposal",
                violation_error_message=_("Your organization already has an open proposal for this need."),
            ),
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status="accepted"),
                name="pairing_one_accepted_per_need",
                violation_error_message=_("This need has already been matched."),
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="pairing_decline_has_reason",
                violation_error_message=_("Declining needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offered_by} → {self.need}"

    def get_absolute_url(self) -> str:
        return self.need.get_absolute_url()

    @property
    def is_claim(self) -> bool:
        return self.resource_id is None

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        # The parties of the agreement it is made under (and their reviewers), as everything under an agreement.
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # The offering organization's secretary or liaison (withdraw); accepting is the need's side (rules).
        return scope.in_orgs_q("offered_by_id", ROLE_SECRETARY, ROLE_LIAISON)
