"""What the API returns: pydantic schemas (ninja) that are also the OpenAPI 3 schema's components."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class OrganizationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    sector: str
    sector_label: str
    unit_name: str
    depth: int
    parent_id: int | None
    url: str


class OrganizationPage(Schema):
    results: list[OrganizationOut]
    next: str | None


class PartyOut(Schema):
    organization_id: int
    organization_name: str
    role: str
    role_label: str
    signatory: str


class AgreementOut(Schema):
    id: int
    number: str
    title: str
    brand: str
    status: str
    status_label: str
    signed_on: dt.date | None
    term_start: dt.date
    term_end: dt.date
    dimensions: list[str]
    parties: list[PartyOut]
    meetings_held: int
    open_items: int
    overdue_items: int
    url: str


class AgreementPage(Schema):
    results: list[AgreementOut]
    next: str | None


class MeetingOut(Schema):
    id: int
    agreement_id: int
    title: str
    starts_at: dt.datetime
    place: str
    host_id: int
    host_name: str
    cancelled: bool
    minutes_published: bool
    minutes_version: int
    published_at: dt.datetime | None
    url: str


class MeetingPage(Schema):
    results: list[MeetingOut]
    next: str | None


class DecisionOut(Schema):
    id: int
    order: int
    text: str
    outcome: str
    outcome_label: str
    action_item_ids: list[int]


class MeetingDetailOut(MeetingOut):
    minutes: str | None
    decisions: list[DecisionOut]


class ActionItemOut(Schema):
    id: int
    agreement_id: int
    decision_id: int | None
    kind: str
    title: str
    responsible_party_id: int
    responsible_party_name: str
    due_on: dt.date
    priority: int
    status: str
    status_label: str
    progress: int
    overdue: bool
    closed_at: dt.datetime | None
    latest_note: str | None
    latest_at: dt.datetime | None
    url: str


class ActionItemPage(Schema):
    results: list[ActionItemOut]
    next: str | None


class ProgressOut(Schema):
    kind: str
    kind_label: str
    note: str
    percent: int | None
    created_at: dt.datetime


class ActionItemDetailOut(ActionItemOut):
    description: str
    updates: list[ProgressOut]


class HeadcountOut(Schema):
    organization_id: int
    organization_name: str
    headcount: int


class ActivityOut(Schema):
    id: int
    title: str
    type: str
    type_name: str
    agreement_id: int | None
    lead_id: int
    lead_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    status: str
    status_label: str
    total_headcount: int
    participant_count: int
    photo_count: int
    headcounts: list[HeadcountOut]
    url: str


class ActivityPage(Schema):
    results: list[ActivityOut]
    next: str | None


class ZoneCheckOut(Schema):
    id: int
    checked_on: dt.date
    category: str
    category_label: str
    finding: str
    fix_due_on: dt.date | None
    fixed_on: dt.date | None


class ZoneOut(Schema):
    id: int
    name: str
    project_id: int
    project_name: str
    lead_id: int | None
    dimensions: list[str]
    checks: list[ZoneCheckOut]
    url: str


class ZonePage(Schema):
    results: list[ZoneOut]
    next: str | None


class ResultOut(Schema):
    id: int
    subject: str
    organization_id: int | None
    agreement_id: int | None
    name: str
    year: int
    quarter: int
    status: str
    status_label: str
    total: float
    overdue_items: float
    categories: dict[str, float]
    computed_at: dt.datetime
    url: str


class ResultPage(Schema):
    results: list[ResultOut]
    next: str | None


class DashboardOut(Schema):
    year: int
    quarter: int
    view: str
    count: int
    average_total: float | None
    charts: dict
