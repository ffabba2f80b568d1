"""Quarter results (one per subject and quarter), their indicator scores, and the runs that compute them."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assessments.models.schemes import AssessmentScheme, Indicator, reviewer_q
from partnerships.models import AgreementParty, in_scope_agreements
from portal.choices import ColouredChoices, Colours
from portal.fields import user_ref
from portal.scoping import ScopedQuerySet, UserScope, any_of


def subject_key(*, organization_id: int | None = None, agreement_id: int | None = None) -> str:
    """The plain unique key of a rollup's subject, e.g. ``org:12`` or ``agr:5``.

    Upserts (``INSERT … ON CONFLICT``) need a plain unique constraint as their conflict target on both SQLite and
    PostgreSQL; the conditional unique constraints on the two nullable foreign keys cannot be one.
    """
    return f"org:{organization_id}" if organization_id is not None else f"agr:{agreement_id}"


def _organization_results_q(scope: UserScope) -> Q:
    """Branch results the user sees: their own organizations' and, for reviewers, their subtrees'."""
    return scope.in_orgs_q("organization_id") | scope.subtree_q("organization__path")


# The metric whose value a result keeps as ``overdue_items`` (the dashboard's overdue chart).
OVERDUE_METRIC = "overdue_items"
# A result's stored points by indicator category: category key -> QuarterRollup column.
CATEGORY_FIELDS = {key: f"{key}_points" for key in Indicator.Category.values}
SUBTOTAL = {"max_digits": 6, "decimal_places": 1, "null": True, "blank": True, "editable": False}


class RollupHistory(HistoricalRecords):
    """The history of a table the quarterly rollup writes in bulk (a history row per result and per score it
    changes: 20,000 and 240,000 on a first run at 10k branches). These history rows are read by the recorded row's
    id only (``rollup.history``, ``score.history``), so their date carries no index, and their user column no
    database constraint: a deferred check queued for each row and run at commit, for rows that have no user (Django
    still empties the column when a user is deleted). Measured in bench/README.md (the rollup lane)."""

    @property
    def _date_indexing(self):
        return False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("user_db_constraint", False)
        super().__init__(*args, **kwargs)


def _subject(model: str, verbose_name) -> models.ForeignKey:
    """One of a result's two possible subjects (exactly one is set); the subject's results go with it."""
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quarter_rollups",
    )


class QuarterRollup(models.Model):
    """The quarter's result (季度考核) of one subject: a branch or an agreement."""

    class Status(ColouredChoices, models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional")
        FINAL = "final", _("Final")
        PUBLISHED = "published", _("Published")

        colours = Colours(provisional="secondary", final="primary", published="success")

    organization = _subject("partnerships.Organization", _("organization"))
    agreement = _subject("partnerships.Agreement", _("agreement"))
    subject = models.CharField(_("subject key"), max_length=24, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="rollups"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=1, default=0)
    computed_at = models.DateTimeField(_("computed at"))
    # What the dashboard aggregates over thousands of results, stored with the result so that its page and export
    # read result rows only, never the indicator scores (twelve per result): the points by category (empty when the
    # result has no indicator of the category) and the overdue action items at the quarter's end. Derived from the
    # scores by ``assessments.services.rollup_totals.rollup_subtotals_refresh`` whenever they change; no history of their own.
    thought_points = models.DecimalField(Indicator.Category.THOUGHT.label, **SUBTOTAL)
    organization_points = models.DecimalField(Indicator.Category.ORGANIZATION.label, **SUBTOTAL)
    activities_points = models.DecimalField(Indicator.Category.ACTIVITIES.label, **SUBTOTAL)
    affairs_points = models.DecimalField(Indicator.Category.AFFAIRS.label, **SUBTOTAL)
    resources_points = models.DecimalField(Indicator.Category.RESOURCES.label, **SUBTOTAL)
    brand_points = models.DecimalField(Indicator.Category.BRAND.label, **SUBTOTAL)
    participation_points = models.DecimalField(Indicator.Category.PARTICIPATION.label, **SUBTOTAL)
    zones_points = models.DecimalField(Indicator.Category.ZONES.label, **SUBTOTAL)
    overdue_items = models.DecimalField(
        _("Overdue action items"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    # How many manual indicators still lack the reviewer's points: what the review queue sorts results by
    # (评审中 / 已评审 / 缺人工评分), read from this column so that the committee's counts are one pass over its open
    # results, not a probe of twelve scores each. Derived from the scores with the subtotals above.
    manual_unscored = models.PositiveSmallIntegerField(_("manual scores missing"), db_default=0, editable=False)

    objects = ScopedQuerySet.as_manager()
    # Nothing reads the results' history by subject or scheme (only by result id): those links carry no index.
    history = RollupHistory(
        excluded_fields=[*CATEGORY_FIELDS.values(), "overdue_items", "manual_unscored"],
        no_db_index=["organization", "agreement", "scheme"],
    )

    class Meta:
        verbose_name = _("quarter result")
        verbose_name_plural = _("quarter results")
        ordering = ["-year", "-quarter", "-total", "pk"]
        indexes = [
            models.Index(fields=["year", "quarter", "status"], name="quarter_rollup_period_idx"),
            # The review queue's open work (not yet published): read without scanning years of published results.
            models.Index(fields=["year", "quarter"], condition=~Q(status="published"), name="quarter_rollup_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(agreement__isnull=True))
                | (Q(organization__isnull=True) & Q(agreement__isnull=False)),
                name="quarter_rollup_one_subject",
                violation_error_message=_("A result is for an organization or an agreement, not both."),
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="quarter_rollup_quarter_range",
                violation_error_message=_("The quarter is between 1 and 4."),
            ),
            models.UniqueConstraint(fields=["subject", "year", "quarter"], name="quarter_rollup_subject_unique"),
            models.UniqueConstraint(
                fields=["organization", "year", "quarter"],
                condition=Q(organization__isnull=False),
                name="quarter_rollup_org_unique",
            ),
            models.UniqueConstraint(
                fields=["agreement", "year", "quarter"],
                condition=Q(agreement__isnull=False),
                name="quarter_rollup_agreement_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization or self.agreement} {self.year}Q{self.quarter}"

    def save(self, *args, **kwargs):
        self.subject = subject_key(organization_id=self.organization_id, agreement_id=self.agreement_id)
        super().save(*args, **kwargs)

    @property
    def subject_object(self):
        return self.organization if self.organization_id else self.agreement

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return any_of(scope, cls, _organization_results_q(scope), in_scope_agreements(scope, "agreement_id"))

    @classmethod
    def scope_visible_kind_q(cls, scope: UserScope, kind: str) -> Q:
        """The visible results of one kind of subject, ``"organization"`` or ``"agreement"``: the same rows as
        ``scope_visible_q`` restricted to that kind. Pages about one kind (the dashboard) filter on this, as the other
        kind's condition never matches their rows yet costs a subplan (every agreement party) in each statement."""
        if kind == "organization":
            return Q(organization__isnull=False) & _organization_results_q(scope)
        return Q(agreement__isnull=False) & in_scope_agreements(scope, "agreement_id")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # Reviewers score and publish what lies in their subtree; secretaries' self-assessment has its own rule.
        if not scope.reviewer_paths:
            return Q(pk__in=[])
        reviewed_agreements = AgreementParty.objects.filter(
            scope.subtree_q("organization__path"), agreement_id=OuterRef("agreement_id")
        )
        return scope.subtree_q("organization__path") | Exists(reviewed_agreements)


class IndicatorScore(models.Model):
    """One indicator's score in a quarter result: the metric value and automatic points, or manual scores."""

    rollup = models.ForeignKey(QuarterRollup, verbose_name=_("result"), on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    metric_value = models.DecimalField(_("metric value"), max_digits=12, decimal_places=2, null=True, blank=True)
    points = models.DecimalField(_("automatic points"), max_digits=5, decimal_places=1, default=0)
    self_points = models.DecimalField(_("self-assessed points"), max_digits=5, decimal_places=1, null=True, blank=True)
    review_points = models.DecimalField(_("reviewer's points"), max_digits=5, decimal_places=1, null=True, blank=True)
    adjustment = models.DecimalField(_("adjustment"), max_digits=5, decimal_places=1, default=0)
    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)
    final_points = models.DecimalField(_("points"), max_digits=5, decimal_places=1, default=0)
    computed_at = models.DateTimeField(_("computed at"))

    objects = ScopedQuerySet.as_manager()
    # The rollup writes a history row per score it changes (240,000 on a first run at 10k branches); nothing reads
    # the score history by result or indicator (only by score id, ``score.history``), so those two copied foreign
    # keys carry no index — two index insertions fewer per row (see bench/README.md, the rollup lane).
    history = RollupHistory(no_db_index=["rollup", "indicator"])

    class Meta:
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        ordering = ["rollup", "indicator__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rollup", "indicator"], name="indicator_score_once"),
            models.CheckConstraint(
                condition=Q(adjustment=0) | ~Q(adjustment_reason=""),
                name="indicator_score_adjustment_has_reason",
                violation_error_message=_("An adjustment needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.final_points}"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(rollup__in=QuarterRollup.objects.filter(QuarterRollup.scope_visible_q(scope)).values("pk"))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(rollup__in=QuarterRollup.objects.filter(QuarterRollup.scope_editable_q(scope)).values("pk"))


class RollupRun(models.Model):
    """One computation of a quarter's results, scheduled or requested by a reviewer."""

    class Status(ColouredChoices, models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

        colours = Colours(queued="info", running="info", done="success", failed="danger")

    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    final = models.BooleanField(_("final"), default=False)
    requested_by = user_ref(_("requested by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("result computation")
        verbose_name_plural = _("result computations")
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["year", "quarter", "-queued_at"], name="rollup_run_period_idx")]

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter} {self.get_status_display()}"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return reviewer_q(scope)

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return reviewer_q(scope)


# --- self-assessment (自评) and review (评审) -------------------------------------------------------------------
#
# Who writes a self-assessment (one clear rule): for a branch's result, the secretaries of that branch; for an
# agreement's result, the secretaries and liaison officers of any of its parties (the people who run the joint
# work). Reviewers over the subject (``QuarterRollup.scope_editable_q``) write the review and publish; everyone who
# sees the result sees the self-assessment once it is submitted, and the review's comments once published.
