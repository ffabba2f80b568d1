"""Every write of 党建+业务 on key projects: milestones and monthly business figures.

Both are kept by the project's branch (``activities.rules.may_edit_project_business``: the secretary of the
project's responsible organization, or an admin); everyone else who sees the project reads them."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import KeyProject, ProjectMilestone, ProjectMonthlyFigure
from activities.rules import may_edit_project_business
from activities.selectors.business import schedule_fields
from activities.services._common import _full_clean

FIGURE_FIELDS = ("progress", "safety_incidents", "quality_findings", "civilized_checks", "civilized_passed", "notes")


def _ensure_keeper(actor, project: KeyProject) -> None:
    if not may_edit_project_business(actor, project):
        raise PermissionDenied


def _actual_errors(actual_on: dt.date | None, today: dt.date) -> dict[str, list]:
    if actual_on is not None and actual_on > today:
        return {"actual_on": [_("A milestone cannot be reached in the future; enter the date it was reached.")]}
    return {}


def _save_milestone(actor, milestone: ProjectMilestone, fields: dict) -> ProjectMilestone:
    milestone.name = (fields.get("name") or "").strip()
    milestone.planned_on = fields.get("planned_on")
    milestone.actual_on = fields.get("actual_on")
    milestone.order = fields.get("order") or 0
    _full_clean(milestone, _actual_errors(milestone.actual_on, timezone.localdate()))
    milestone._history_user = actor
    milestone.save()
    project_schedule_refresh(milestone.project_id)
    return milestone


def project_schedule_refresh(project_id: int) -> None:
    """Store on the project what the committee's schedule panel reads of its milestones
    (``activities.selectors.business.schedule_fields``), after any of them changed: the project's row is locked
    first, so two writes to its milestones store the later state. Two statements and one UPDATE."""
    with transaction.atomic():
        KeyProject.objects.select_for_update().filter(pk=project_id).values_list("pk").get()
        milestones = list(ProjectMilestone.objects.filter(project_id=project_id).order_by())
        KeyProject.objects.filter(pk=project_id).update(**schedule_fields(milestones))


def project_schedules_refresh(project_ids=None, *, chunk: int = 2000, progress=None) -> int:
    """Rewrite, for every project (or those of ``project_ids``), what it stores of its milestones wherever it differs
    from ``schedule_fields`` of them: the repair after milestones were changed outside the services (a shell, SQL).
    ``chunk`` projects at a time, each chunk one transaction (two reads and one bulk UPDATE of the differing rows);
    ``progress(done, total)`` after each. Returns how many projects changed."""
    projects = KeyProject.objects.order_by("pk")
    if project_ids is not None:
        projects = projects.filter(pk__in=project_ids)
    ids = list(projects.values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            rows = list(
                KeyProject.objects.select_for_update()
                .filter(pk__in=part)
                .only("pk", "has_milestones", "reached_delay", "open_from")
            )
            milestones: dict[int, list[ProjectMilestone]] = {pk: [] for pk in part}
            for milestone in ProjectMilestone.objects.filter(project_id__in=part).order_by():
                milestones[milestone.project_id].append(milestone)
            stale = []
            for project in rows:
                fields = schedule_fields(milestones[project.pk])
                if any(getattr(project, name) != value for name, value in fields.items()):
                    for name, value in fields.items():
                        setattr(project, name, value)
                    stale.append(project)
            KeyProject.objects.bulk_update(stale, ["has_milestones", "reached_delay", "open_from"])
            changed += len(stale)
        if progress:
            progress(min(start + chunk, len(ids)), len(ids))
    return changed


@transaction.atomic(durable=True)
def project_milestone_create(
    *,
    actor: AbstractBaseUser,
    project: KeyProject,
    name: str,
    planned_on: dt.date,
    actual_on: dt.date | None = None,
    order: int = 0,
) -> ProjectMilestone:
    """Add a milestone to a key project (its branch's secretary). The actual date, once given, is not in the future
    (Asia/Shanghai); the name is unique within the project."""
    _ensure_keeper(actor, project)
    fields = {"name": name, "planned_on": planned_on, "actual_on": actual_on, "order": order}
    return _save_milestone(actor, ProjectMilestone(project=project), fields)


@transaction.atomic(durable=True)
def project_milestone_update(
    *,
    actor: AbstractBaseUser,
    milestone: ProjectMilestone,
    name: str,
    planned_on: dt.date,
    actual_on: dt.date | None = None,
    order: int = 0,
) -> ProjectMilestone:
    """Edit a milestone — typically to record the date it was reached (its branch's secretary)."""
    milestone = ProjectMilestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
    _ensure_keeper(actor, milestone.project)
    fields = {"name": name, "planned_on": planned_on, "actual_on": actual_on, "order": order}
    return _save_milestone(actor, milestone, fields)


@transaction.atomic(durable=True)
def project_milestone_delete(*, actor: AbstractBaseUser, milestone: ProjectMilestone) -> None:
    """Remove a milestone entered by mistake (its branch's secretary); its history keeps it."""
    milestone = ProjectMilestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
    _ensure_keeper(actor, milestone.project)
    milestone._history_user = actor
    milestone.delete()
    project_schedule_refresh(milestone.project_id)


@transaction.atomic(durable=True)
def project_monthly_figure_save(
    *,
    actor: AbstractBaseUser,
    project: KeyProject,
    month: dt.date,
    progress: int,
    safety_incidents: int = 0,
    quality_findings: int = 0,
    civilized_checks: int = 0,
    civilized_passed: int = 0,
    notes: str = "",
) -> ProjectMonthlyFigure:
    """Enter (or correct) a month's business figures of a key project (its branch's secretary): one row per month,
    stored under the month's first day; the month is not after the current one (Asia/Shanghai)."""
    _ensure_keeper(actor, project)
    month = month.replace(day=1) if month else month
    figure = ProjectMonthlyFigure.objects.select_for_update().filter(
        project=project, month=month
    ).first() or ProjectMonthlyFigure(project=project, month=month)
    values = {
        "progress": progress,
        "safety_incidents": safety_incidents or 0,
        "quality_findings": quality_findings or 0,
        "civilized_checks": civilized_checks or 0,
        "civilized_passed": civilized_passed or 0,
        "notes": (notes or "").strip(),
    }
    for key, value in values.items():
        setattr(figure, key, value)
    figure.entered_by = actor
    errors: dict[str, list] = {}
    if month and month > timezone.localdate().replace(day=1):
        errors["month"] = [_("The figures of a month are entered once it has begun, not ahead of it.")]
    if values["civilized_passed"] > values["civilized_checks"]:
        errors["civilized_passed"] = [_("More checks passed than were done.")]
    _full_clean(figure, errors, skip_constraints="civilized_passed" in errors)
    figure._history_user = actor
    figure.save()
    return figure
