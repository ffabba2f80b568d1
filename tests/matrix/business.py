"""Access-matrix rows for 党建+业务 on key projects (milestones, monthly figures, their Excel ledger) — and the
builders the business tests share.

The cast of tests/matrix/projects.py: branch_a (secretary1) owns the key project under its agreement with the
street community (liaison1); secretary1 keeps the project's business figures; the committee, member1 and liaison1
read them and write nothing; the outsider sees nothing (404).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from activities.models import KeyProject, ProjectMilestone, ProjectMonthlyFigure
from activities.services.business import project_schedule_refresh
from tests.matrix import Case
from tests.matrix.projects import days, make_agreement, make_project


def milestone(project: KeyProject, name: str = "主体结构封顶", planned_on=None, actual_on=None, order: int = 0):
    made = ProjectMilestone.objects.create(
        project=project, name=name, planned_on=planned_on or days(30), actual_on=actual_on, order=order
    )
    project_schedule_refresh(project.pk)  # as every milestone write does (activities.services.business)
    return made


def figure(project: KeyProject, month: dt.date, progress: int = 50, **extra) -> ProjectMonthlyFigure:
    return ProjectMonthlyFigure.objects.create(project=project, month=month.replace(day=1), progress=progress, **extra)


def objects(world) -> dict:
    project = make_project(world, agreement=make_agreement(world, number="GJ-BIZ-001"), name="矩阵业务工程")
    return {
        "biz_project": project,
        "biz_milestone": milestone(project, planned_on=days(-10)),
        "biz_figure": figure(project, days(-40), progress=35),
    }


READ_ONLY = ("committee", "member1", "liaison1")


def _url(name: str, key: str):
    return lambda w, o: reverse(f"activities:{name}", args=[o[key].pk])


def _milestone_post(w, o, name="盾构始发"):
    return {"name": name, "planned_on": days(60).isoformat(), "actual_on": "", "order": 2}


def _figure_post(w, o):
    return {
        "month": days(0).strftime("%Y-%m"),
        "progress": 42,
        "safety_incidents": 0,
        "quality_findings": 1,
        "civilized_checks": 4,
        "civilized_passed": 4,
        "notes": "盾构机完成组装调试",
    }


CASES: dict[str, Case] = {
    "activities:milestone_create": Case(
        _url("milestone_create", "biz_project"), owner="secretary1", owner_post=_milestone_post, read_only=READ_ONLY
    ),
    "activities:milestone_update": Case(
        _url("milestone_update", "biz_milestone"),
        owner="secretary1",
        owner_post=lambda w, o: {
            "name": "主体结构封顶",
            "planned_on": days(-10).isoformat(),
            "actual_on": days(-2).isoformat(),
            "order": 0,
        },
        read_only=READ_ONLY,
    ),
    "activities:milestone_delete": Case(
        _url("milestone_delete", "biz_milestone"),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=READ_ONLY,
        get_ok=False,
        outsider_status=405,
    ),
    "activities:project_figures": Case(
        _url("project_figures", "biz_project"), owner="secretary1", owner_post=_figure_post, read_only=READ_ONLY
    ),
    "activities:project_business_export": Case(_url("project_business_export", "biz_project"), owner="secretary1"),
}
