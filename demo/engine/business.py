"""Demo 党建+业务 for ``manage.py seed_demo`` (called by ``demo.engine.activities.seed`` after the key project):
the metro line's milestones and monthly business figures — it runs 45 days ahead — and a second key project, the
depot built by the general contractor under the same 联建 agreement, which lags behind (demo/stories/business.toml).

Idempotent like the rest of the demo: the second project is found by name, milestones by (project, name), figures
by (project, month); what exists is left as it is. Dates are counted from today day for day (not stretched like the
older story events), so the days ahead or behind read exactly as the story tells them.
"""

from __future__ import annotations

import datetime as dt

from activities.models import KeyProject, ProjectMilestone, ProjectMonthlyFigure
from activities.selectors.business import add_months
from activities.services.business import project_schedule_refresh
from demo.engine.context import DemoContext
from demo.engine.stories import plain, story
from demo.engine.world import World

STORY = story("business")  # demo/stories/business.toml


def _project(world: World, spec: dict, made: dict) -> KeyProject | None:
    if spec["name"] == "key_project":
        return made.get("key_project")
    project = KeyProject.objects.filter(name=spec["name"]).first()
    if project is not None:
        return project
    agreement, owner = world.agreements.get(spec["agreement"]), world.orgs.get(spec["owner"])
    if agreement is None or owner is None:
        return None
    today = world.today
    project = KeyProject(
        agreement=agreement,
        owner=owner,
        name=spec["name"],
        code=spec.get("code", ""),
        location=spec.get("location", ""),
        description=spec.get("description", ""),
        supervision_phone=spec.get("supervision_phone", ""),
        starts_on=today + dt.timedelta(days=spec["starts"]),
        ends_on=today + dt.timedelta(days=spec["ends"]),
        is_joint=True,
    )
    project._history_user = world.secretaries.get(owner.pk)
    project.full_clean()
    project.save()
    return project


def _milestones(world: World, project: KeyProject, specs: list[dict]) -> int:
    today, made = world.today, 0
    have = set(project.milestones.values_list("name", flat=True))
    for order, spec in enumerate(specs, start=1):
        if spec["name"] in have:
            continue
        actual = spec.get("actual")
        milestone = ProjectMilestone(
            project=project,
            name=spec["name"],
            planned_on=today + dt.timedelta(days=spec["planned"]),
            actual_on=None if actual is None else today + dt.timedelta(days=actual),
            order=order,
        )
        milestone.full_clean()
        milestone._history_user = world.secretaries.get(project.owner_id)
        milestone.save()
        made += 1
    if made:
        project_schedule_refresh(project.pk)
    return made


def _figures(world: World, project: KeyProject, spec: dict) -> int:
    months = spec["months"]
    this_month = world.today.replace(day=1)
    have = set(project.monthly_figures.values_list("month", flat=True))
    incidents, failed = dict(map(tuple, spec["incidents"])), dict(map(tuple, spec["failed"]))
    notes = dict(map(tuple, spec.get("notes", [])))
    start, end = spec["progress_from"], spec["progress_to"]
    secretary = world.secretaries.get(project.owner_id)
    rows = []
    for ago in range(months - 1, -1, -1):
        month = add_months(this_month, -ago)
        if month in have:
            continue
        step = (months - 1 - ago) / max(months - 1, 1)
        checks = spec["checks"]
        # Quality findings vary a little month to month (the demo is deterministic: from the month's number).
        quality = max(0, spec["quality"] + (month.month % 3) - 1)
        rows.append(
            ProjectMonthlyFigure(
                project=project,
                month=month,
                progress=round(start + (end - start) * step),
                safety_incidents=incidents.get(ago, 0),
                quality_findings=quality,
                civilized_checks=checks,
                civilized_passed=checks - failed.get(ago, 0),
                notes=notes.get(ago, ""),
                entered_by=secretary,
            )
        )
    for row in rows:
        row.full_clean()
    ProjectMonthlyFigure.objects.bulk_create(rows)
    ProjectMonthlyFigure.history.bulk_history_create(rows)
    return len(rows)


def seed_business(ctx: DemoContext, world: World, made: dict) -> dict:
    """Milestones and monthly figures of the key projects (and the second, lagging project); returns the projects."""
    projects = {}
    milestones = figures = 0
    for spec in plain(STORY["projects"]):
        project = _project(world, spec, made)
        if project is None:
            continue
        projects[project.name] = project
        milestones += _milestones(world, project, spec["milestones"])
        figures += _figures(world, project, spec)
    ctx.step(
        f"党建+业务: projects: {len(projects)}; milestones: {milestones} created; monthly figures: {figures} created"
    )
    return {"business_projects": projects}
