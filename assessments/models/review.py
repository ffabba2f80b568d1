"""A subject's self-assessment (with attachments) and the committee's review of a quarter result."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assessments.models.rollups import QuarterRollup
from partnerships.models import agreement_ids_for
from portal.choices import ColouredChoices, Colours
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope


def self_assessor_q(scope: UserScope, prefix: str = "") -> Q:
    """Quarter results (reached through ``prefix``, e.g. ``"rollup__"``) whose self-assessment the user writes."""
    return scope.in_orgs_q(f"{prefix}organization_id", ROLE_SECRETARY) | Q(
        **{f"{prefix}agreement_id__in": agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON)}
    )


def _rollups_visible(scope: UserScope, prefix: str = "rollup") -> Q:
    return Q(**{f"{prefix}__in": QuarterRollup.objects.filter(QuarterRollup.scope_visible_q(scope)).values("pk")})


def _rollups_reviewed(scope: UserScope, prefix: str = "rollup") -> Q:
    return Q(**{f"{prefix}__in": QuarterRollup.objects.filter(QuarterRollup.scope_editable_q(scope)).values("pk")})


class SelfAssessment(models.Model):
    """A subject's self-assessment (自评) of one quarter: a narrative, self scores on the manual indicators (kept on
    ``IndicatorScore.self_points``) and attachments; drafted, submitted, possibly returned by the reviewer."""

    class Status(ColouredChoices, models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")

        colours = Colours(draft="info", submitted="success", returned="warning")

    rollup = models.OneToOneField(
        QuarterRollup, verbose_name=_("result"), on_delete=models.CASCADE, related_name="self_assessment"
    )
    narrative = models.TextField(_("self-assessment"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = user_ref(_("submitted by"))
    return_reason = models.TextField(_("reason for returning"), blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["-rollup__year", "-rollup__quarter", "pk"]
        indexes = [models.Index(fields=["status"], name="self_assessment_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="self_assessment_submitted_has_time",
                violation_error_message=_("A submitted self-assessment needs its submission time."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="self_assessment_returned_has_reason",
                violation_error_message=_("Returning a self-assessment needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.rollup)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _rollups_visible(scope)

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return self_assessor_q(scope, "rollup__")


class SelfAssessmentAttachment(models.Model):
    """A supporting file of a self-assessment (佐证材料); type checked by content, size limited, served only through
    the scoped download view."""

    self_assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("self-assessment"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="self-assessments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = user_ref(_("uploaded by"), blank=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("self-assessment attachment")
        verbose_name_plural = _("self-assessment attachments")
        ordering = ["self_assessment", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _rollups_visible(scope, "self_assessment__rollup")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return self_assessor_q(scope, "self_assessment__rollup__")


class Review(models.Model):
    """The reviewer's review (评审) of one quarter result: highlights (闪光点), weak points (薄弱点), publication."""

    rollup = models.OneToOneField(
        QuarterRollup, verbose_name=_("result"), on_delete=models.CASCADE, related_name="review"
    )
    highlights = models.TextField(_("highlights"), blank=True)
    weaknesses = models.TextField(_("weak points"), blank=True)
    reviewer = user_ref(_("reviewer"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = user_ref(_("published by"))

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-rollup__year", "-rollup__quarter", "pk"]
        indexes = [models.Index(fields=["published_at"], name="review_published_idx")]

    def __str__(self) -> str:
        return str(self.rollup)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _rollups_visible(scope)

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return _rollups_reviewed(scope)
