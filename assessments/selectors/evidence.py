"""The evidence drill-down: the records an automatic score was measured from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import (
    Activity,
    PlannedActivity,
    ProjectMilestone,
    ProjectMonthlyFigure,
    PublicityItem,
    ZoneCheck,
)
from assessments import metrics
from assessments.models import IndicatorScore
from partnerships.models import ActionItem, JointMeeting, Member, Need, Pairing


@dataclass(frozen=True)
class EvidenceColumn:
    label: str
    value: Callable
    link: bool = False


def _local(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def evidence_columns(model) -> tuple[tuple[str, ...], list[EvidenceColumn], Callable]:
    """How the records of one model are shown: (select_related, columns, url of a record)."""
    Col = EvidenceColumn
    if model is Activity:
        return (
            ("type", "lead"),
            [
                Col(_("Date"), lambda r: _local(r.starts_at)),
                Col(_("Title"), lambda r: r.title, link=True),
                Col(_("Type"), lambda r: r.type.name),
                Col(_("Lead organization"), lambda r: r.lead.display_name),
                Col(_("Status"), lambda r: r.get_status_display()),
                Col(_("Logged at"), lambda r: _local(r.logged_at)),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is PublicityItem:
        return (
            ("activity__lead",),
            [
                Col(_("Approved on"), lambda r: _local(r.reviewed_at)),
                Col(_("Title"), lambda r: r.title, link=True),
                Col(_("Activity"), lambda r: r.activity.title),
                Col(_("Lead organization"), lambda r: r.activity.lead.display_name),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is PlannedActivity:
        return (
            ("type", "lead", "plan"),
            [
                Col(_("Planned month"), lambda r: r.month),
                Col(_("Theme"), lambda r: r.theme, link=True),
                Col(_("Type"), lambda r: r.type.name),
                Col(_("Lead unit"), lambda r: r.lead.display_name),
                Col(_("Plan"), lambda r: r.plan.title),
            ],
            lambda r: r.plan.get_absolute_url(),
        )
    if model is ActionItem:
        return (
            ("responsible_party",),
            [
                Col(_("Action item"), lambda r: r.title, link=True),
                Col(_("Responsible party"), lambda r: r.responsible_party.display_name),
                Col(_("Due on"), lambda r: _local(r.due_on)),
                Col(_("Status"), lambda r: r.get_status_display()),
                Col(_("Closed on"), lambda r: _local(getattr(r, "closed_on", None))),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is ZoneCheck:
        return (
            ("zone",),
            [
                Col(_("Checked on"), lambda r: _local(r.checked_on)),
                Col(_("Zone"), lambda r: r.zone.name, link=True),
                Col(_("Finding category"), lambda r: r.get_category_display()),
                Col(_("Finding"), lambda r: r.finding),
                Col(_("Fix due on"), lambda r: _local(r.fix_due_on)),
                Col(_("Fixed on"), lambda r: _local(r.fixed_on)),
            ],
            lambda r: r.zone.get_absolute_url(),
        )
    if model is JointMeeting:
        return (
            ("host", "agreement"),
            [
                Col(_("Date and time"), lambda r: _local(r.starts_at)),
                Col(_("Title"), lambda r: r.title, link=True),
                Col(_("Host organization"), lambda r: r.host.display_name),
                Col(_("Agreement"), lambda r: r.agreement.number),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is Member:
        return (
            ("organization",),
            [
                Col(_("Full name"), lambda r: r.name, link=True),
                Col(_("Organization"), lambda r: r.organization.display_name),
                Col(_("Party status"), lambda r: r.get_status_display()),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is ProjectMilestone:
        return (
            ("project",),
            [
                Col(_("Key project"), lambda r: r.project.name, link=True),
                Col(_("Milestone"), lambda r: r.name),
                Col(_("Planned date"), lambda r: _local(r.planned_on)),
                Col(_("Actual date"), lambda r: _local(r.actual_on)),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is ProjectMonthlyFigure:
        return (
            ("project",),
            [
                Col(_("Key project"), lambda r: r.project.name, link=True),
                Col(_("Month"), lambda r: r.month.strftime("%Y-%m")),
                Col(_("Safety incidents"), lambda r: r.safety_incidents),
                Col(_("Progress (%)"), lambda r: r.progress),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is Need:
        return (
            ("organization",),
            [
                Col(_("Need"), lambda r: r.title, link=True),
                Col(_("Organization"), lambda r: r.organization.display_name),
                Col(_("Wanted by"), lambda r: _local(r.wanted_by)),
                Col(_("Met at"), lambda r: _local(r.met_at)),
            ],
            lambda r: r.get_absolute_url(),
        )
    if model is Pairing:
        return (
            ("need", "offered_by", "resource"),
            [
                Col(_("Need"), lambda r: r.need.title, link=True),
                Col(_("Offered by"), lambda r: r.offered_by.display_name),
                Col(_("Resource"), lambda r: r.resource.title if r.resource_id else _("Claimed without a resource")),
                Col(_("Accepted at"), lambda r: _local(r.decided_at)),
            ],
            lambda r: r.need.get_absolute_url(),
        )
    return (), [Col(_("Record"), str, link=True)], lambda r: getattr(r, "get_absolute_url", lambda: "")()


def evidence_queryset(user, score: IndicatorScore):
    """The records behind an automatic score, each flagged ``can_see`` when the user may open it (so the list
    stays exactly the records the value was computed from, without showing what the user may not read)."""
    records = evidence_for(score)
    if records is None:
        return None
    model = records.model
    related, _columns, _url = evidence_columns(model)
    visible = model._default_manager.visible_to(user).filter(pk=OuterRef("pk"))
    return records.select_related(*related).annotate(can_see=Exists(visible))


def evidence_rows(records, model) -> list[dict]:
    """One page of records as table rows: cells (text, url) and whether the record counts as achieved."""
    _related, columns, url_of = evidence_columns(model)
    rows = []
    for record in records:
        if not record.can_see:
            rows.append({"hidden": True, "counted": bool(record.n), "cells": []})
            continue
        url = url_of(record)
        cells = [
            {"label": column.label, "text": column.value(record), "url": url if column.link else ""}
            for column in columns
        ]
        rows.append({"hidden": False, "counted": bool(record.n), "cells": cells})
    return rows


def evidence_for(score: IndicatorScore):
    """The records behind an automatic score (the evidence drill-down), or None for a manual indicator."""
    indicator = score.indicator
    if not indicator.metric:
        return None
    rollup = score.rollup
    metric = metrics.REGISTRY[indicator.metric]
    return metric.records(rollup.subject_object, rollup.year, rollup.quarter, now=rollup.computed_at)
