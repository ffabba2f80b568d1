"""Co-construction agreements (共建协议), their parties and dimensions, and the agreement scope helpers."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models.directory import (
    Organization,
)
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, date_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope


def _party_q(scope: UserScope, *roles: str) -> Q:
    condition = scope.in_orgs_q("organization_id", *roles)
    if not roles:
        condition |= scope.subtree_q("organization__path")
    return condition


def agreement_ids_for(scope: UserScope, *roles: str):
    """Agreement ids where one of the user's organizations (with ``roles``) or their reviewed subtree is a party."""
    return AgreementParty.objects.filter(_party_q(scope, *roles)).values("agreement_id")


def in_scope_agreements(scope: UserScope, field: str, *roles: str):
    """Rows whose agreement (reached through ``field``, e.g. ``"agreement_id"``) has one of the user's parties, as
    ``agreement_ids_for`` does, but shaped to be OR-ed with other conditions: for a broad scope an ``EXISTS`` probe of
    the row's own agreement (indexed, per row), for a narrow one a semi-join on the user's few agreements (to be used
    as one arm of ``portal.scoping.any_of``'s union)."""
    if scope.is_broad:
        return Exists(AgreementParty.objects.filter(_party_q(scope, *roles), agreement_id=OuterRef(field)))
    return Q(**{f"{field}__in": agreement_ids_for(scope, *roles)})


class Dimension(models.Model):
    """A co-construction dimension (思想共建, 组织共建, 活动联办 …): data, editable by admins."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("co-construction dimension")
        verbose_name_plural = _("co-construction dimensions")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class AgreementQuerySet(ScopedQuerySet):
    def expiring_within(self, days: int, today=None):
        today = today or timezone.localdate()
        return self.filter(
            status=Agreement.Status.ACTIVE, term_end__gte=today, term_end__lte=today + timezone.timedelta(days=days)
        )


class Agreement(models.Model):
    """A co-construction agreement (共建协议) between two or more party organizations of different trees."""

    class Status(ColouredChoices, models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

        colours = Colours(draft="secondary", active="success", expired="warning", terminated="dark")

    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    brand = models.CharField(_("party-building brand"), max_length=60, blank=True)
    dimensions = models.ManyToManyField(Dimension, verbose_name=_("co-construction dimensions"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    signed_on = UserDateField(_("signed on"), null=True, blank=True)
    term_start = UserDateField(_("term starts"))
    term_end = UserDateField(_("term ends"))
    document = models.FileField(_("signed agreement scan"), upload_to="agreements/%Y/", blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    predecessor = models.OneToOneField(
        "self", verbose_name=_("renews"), null=True, blank=True, on_delete=models.SET_NULL, related_name="successor"
    )
    created_by = user_ref(_("created by"), blank=False)
    created_at, updated_at = timestamps()

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[dimensions])

    class Meta:
        verbose_name = _("co-construction agreement")
        verbose_name_plural = _("co-construction agreements")
        ordering = ["-term_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")),
                name="agreement_term_end_after_start",
                violation_error_message=_("The term cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True) | Q(signed_on__lte=models.F("term_end")),
                name="agreement_signed_by_term_end",
                violation_error_message=_("An agreement cannot be signed after its term ends."),
            ),
            date_range_check("agreement", "signed_on", null=True),
            date_range_check("agreement", "term_start"),
            date_range_check("agreement", "term_end"),
            models.CheckConstraint(
                condition=~Q(status="terminated") | ~Q(termination_reason=""),
                name="agreement_termination_has_reason",
                violation_error_message=_("A terminated agreement needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("partnerships:agreement_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(pk__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # Any party's secretary or liaison keeps the agreement's record; reviewers only read it.
        return Q(pk__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))


class AgreementParty(models.Model):
    """One party of an agreement: its role, signatory, liaison officer and commitments."""

    class Role(models.TextChoices):
        INITIATOR = "initiator", _("Initiating party")
        PARTNER = "partner", _("Co-building party")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="parties"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="agreement_parties"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PARTNER)
    signatory = models.CharField(_("signatory"), max_length=40, blank=True)
    liaison = user_ref(_("liaison officer"), related_name="liaison_parties")
    commitments = models.TextField(_("commitments"), blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement party")
        verbose_name_plural = _("agreement parties")
        ordering = ["agreement", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization"],
                name="agreement_party_unique",
                violation_error_message=_("The same organization cannot be a party twice."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))
