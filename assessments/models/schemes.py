"""Yearly assessment schemes and their indicators."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.fields import timestamps
from portal.scoping import ScopedQuerySet, UserScope


def reviewer_q(scope: UserScope) -> Q:
    """Everything for reviewers (admins pass through ``ScopedQuerySet``), nothing for anyone else."""
    return Q() if scope.reviewer_paths else Q(pk__in=[])


class AssessmentScheme(models.Model):
    """The assessment scheme (考核方案) of one year: its indicators and their points."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("in force"), default=False)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="assessment_scheme_year_range",
                violation_error_message=_("Enter a year between 2000 and 2100."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q()

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return reviewer_q(scope)


class Indicator(models.Model):
    """One indicator (指标) of a scheme: points, target, and where its value comes from."""

    class Category(models.TextChoices):
        THOUGHT = "thought", _("Joint ideological building")
        ORGANIZATION = "organization", _("Joint organizational building")
        ACTIVITIES = "activities", _("Joint activities")
        AFFAIRS = "affairs", _("Joint consultation and problem solving")
        RESOURCES = "resources", _("Resource sharing")
        BRAND = "brand", _("Joint brand building")
        PARTICIPATION = "participation", _("Member participation")
        ZONES = "zones", _("Responsibility zones")

    class Source(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic (from the records)")
        MANUAL = "manual", _("Manual (scored by the reviewer)")

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="indicators"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=1, help_text=_("Full marks, or the largest deduction.")
    )
    is_deduction = models.BooleanField(_("deduction"), default=False)
    target = models.DecimalField(
        _("target"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The value that earns full marks; for a deduction, the points taken per unit."),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.AUTOMATIC)
    metric = models.CharField(_("metric"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"],
                name="indicator_name_unique_in_scheme",
                violation_error_message=_("The scheme already has an indicator with this name."),
            ),
            models.CheckConstraint(
                condition=(Q(source="automatic") & ~Q(metric="")) | (Q(source="manual") & Q(metric="")),
                name="indicator_metric_iff_automatic",
                violation_error_message=_("An automatic indicator needs a metric; a manual one has none."),
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0),
                name="indicator_points_positive",
                violation_error_message=_("Points must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gt=0),
                name="indicator_target_positive",
                violation_error_message=_("The target must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q()

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return reviewer_q(scope)
