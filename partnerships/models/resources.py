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

from partnerships.models.agreements import AgreementParty, Dimension, agreement_ids_for
from partnerships.models.directory import Organization
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField
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
        OPEN = "open", _("Open")
        MATCHED = "matched", _("Matched")
        MET = "met", _("Met")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        colours = Colours(open="warning", matched="info", met="success", withdrawn="secondary")

    wanted_by = UserDateField(_("wanted by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

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
