"""党建+业务 on key projects: a project's milestones (里程碑) and its monthly business figures.

Both are kept by the project's branch — the secretary of the project's responsible organization (``owner``);
everyone who sees the project sees them (the parties of its agreement, and reviewers above them)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models.projects import KeyProject, _project_visible_q
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, date_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_SECRETARY, ScopedQuerySet, UserScope


def _business_editable_q(scope: UserScope) -> Q:
    return scope.in_orgs_q("project__owner_id", ROLE_SECRETARY)


class ProjectMilestone(models.Model):
    """A milestone of a key project: planned on a date, reached (``actual_on``) on another — ahead or behind."""

    class Timing(ColouredChoices, models.TextChoices):
        """One milestone against its plan (computed, not stored: see ``activities.selectors.business``)."""

        AHEAD = "ahead", _("Reached early")
        ON_TIME = "on_time", _("Reached on time")
        LATE = "late", _("Reached late")
        OVERDUE = "overdue", _("Overdue")
        UPCOMING = "upcoming", _("Not yet due")

        colours = Colours(ahead="success", on_time="primary", late="warning", overdue="danger", upcoming="light")

    class Schedule(ColouredChoices, models.TextChoices):
        """A project's schedule status from its milestones (超前 / 按计划 / 滞后; computed, not stored)."""

        AHEAD = "ahead", _("Ahead of schedule")
        ON_SCHEDULE = "on_schedule", _("On schedule")
        BEHIND = "behind", _("Behind schedule")

        colours = Colours(ahead="success", on_schedule="primary", behind="danger")

    project = models.ForeignKey(
        KeyProject, verbose_name=_("key project"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("milestone"), max_length=120)
    planned_on = UserDateField(_("planned date"))
    actual_on = UserDateField(_("actual date"), null=True, blank=True, help_text=_("Leave empty until it is reached."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "order", "planned_on", "pk"]
        indexes = [
            # The quarterly rollup selects the milestones planned in a quarter.
            models.Index(fields=["planned_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="milestone_name_unique_in_project",
                violation_error_message=_("The project already has a milestone with this name."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="milestone_named", violation_error_message=_("Name the milestone.")
            ),
            date_range_check("milestone", "planned_on"),
            date_range_check("milestone", "actual_on", null=True),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"

    def get_absolute_url(self) -> str:
        return self.project.get_absolute_url() + "#business"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return _business_editable_q(scope)


class ProjectMonthlyFigure(models.Model):
    """A month's business figures of a key project, entered by its branch: overall progress (cumulative %), safety
    incidents, quality findings and 文明施工 checks (done, passed). One row per project and month."""

    project = models.ForeignKey(
        KeyProject, verbose_name=_("key project"), on_delete=models.CASCADE, related_name="monthly_figures"
    )
    month = UserDateField(_("month"), help_text=_("Stored as the first day of the month."))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), help_text=_("Overall progress at the month's end."))
    safety_incidents = models.PositiveSmallIntegerField(_("safety incidents"), default=0)
    quality_findings = models.PositiveSmallIntegerField(_("quality findings"), default=0)
    civilized_checks = models.PositiveSmallIntegerField(_("civilized construction checks"), default=0)
    civilized_passed = models.PositiveSmallIntegerField(_("civilized construction checks passed"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    entered_by = user_ref(_("entered by"))
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monthly business figures")
        verbose_name_plural = _("monthly business figures")
        ordering = ["project", "-month", "pk"]
        indexes = [
            # The quarterly rollup selects the months of a quarter.
            models.Index(fields=["month"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month"],
                name="monthly_figure_once_a_month",
                violation_error_message=_("The figures of this month are already entered; edit them instead."),
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="monthly_figure_progress_percent",
                violation_error_message=_("Progress is a percentage between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(safety_incidents__gte=0, quality_findings__gte=0, civilized_checks__gte=0),
                name="monthly_figure_counts_not_negative",
                violation_error_message=_("Counts are whole numbers, 0 or more."),
            ),
            models.CheckConstraint(
                condition=Q(civilized_passed__gte=0, civilized_passed__lte=F("civilized_checks")),
                name="monthly_figure_passed_within_checks",
                violation_error_message=_("More checks passed than were done."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="monthly_figure_first_of_month",
                violation_error_message=_("A month is stored as its first day."),
            ),
            date_range_check("monthly_figure", "month"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return self.project.get_absolute_url() + "#business"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return _business_editable_q(scope)
