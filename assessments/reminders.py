"""What the assessments app asks to be reminded of (registered with portal.reminders, discovered at start-up).

* ``assessment.self_open`` — a quarter's self-assessment (自评) is open: it opens ``SELF_ASSESSMENT_OPENS_DAYS`` (15)
  days before the quarter ends; the reminder goes out ``offset_days`` (0) days after that, to the self-assessors of
  every result of the quarter (a branch's secretaries; an agreement's parties' secretaries and liaisons) whose
  self-assessment is not submitted yet. Offered until the due day.
* ``assessment.self_due`` — ``offset_days`` (3) days before the due day (the ``SELF_ASSESSMENT_DUE_DAY``-th, 10th,
  day after the quarter ends), to the same people while it is still not submitted. Submitting cancels it.
* ``assessment.published`` — a result was published: to its subject's self-assessors. ``rollup_publish`` inserts
  the rows in its own transaction (``notify_published`` → ``portal.reminders.notify``) and asks for a sweep after
  commit, so it goes out at once — or with the next beat sweep when the broker is down; the sweep offers the same
  candidates (results published in the last ``LOOKBACK_DAYS``), so nothing is cancelled or doubled, and an
  unpublished result's pending rows are cancelled.

Each candidate function reads its results and recipients in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import metrics
from assessments.models import QuarterRollup, SelfAssessment
from assessments.rules import self_assessment_window
from assessments.sections.review import result_url
from assessments.selectors.subjects import subject_name
from partnerships.models import AgreementParty
from portal.reminders import (
    LOOKBACK_DAYS,
    Candidate,
    at_local,
    register,
    unique_users,
    users_by_organization,
)
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY
from portal.sweep import notify

SELF_OPEN = "assessment.self_open"
SELF_DUE = "assessment.self_due"
PUBLISHED = "assessment.published"


def self_assessors(rollups) -> dict[int, list]:
    """The people who write each result's self-assessment, in at most three queries."""
    rollups = list(rollups)
    agreement_ids = {r.agreement_id for r in rollups if r.agreement_id}
    parties: dict[int, set[int]] = {}
    for agreement_id, org_id in AgreementParty.objects.filter(agreement_id__in=agreement_ids).values_list(
        "agreement_id", "organization_id"
    ):
        parties.setdefault(agreement_id, set()).add(org_id)
    secretaries = users_by_organization({r.organization_id for r in rollups if r.organization_id}, (ROLE_SECRETARY,))
    party_people = users_by_organization(
        {org for orgs in parties.values() for org in orgs}, (ROLE_SECRETARY, ROLE_LIAISON)
    )
    found = {}
    for rollup in rollups:
        if rollup.organization_id:
            found[rollup.pk] = unique_users(secretaries.get(rollup.organization_id, []))
        else:
            found[rollup.pk] = unique_users(
                *(party_people.get(org, []) for org in sorted(parties.get(rollup.agreement_id, ())))
            )
    return found


def _quarters_around(today: dt.date) -> list[tuple[int, int]]:
    current = metrics.current_quarter(today)
    return [current, metrics.previous_quarter(*current)]


def _unsubmitted(year: int, quarter: int):
    return (
        QuarterRollup.objects.filter(year=year, quarter=quarter)
        .exclude(status=QuarterRollup.Status.PUBLISHED)
        .exclude(self_assessment__status=SelfAssessment.Status.SUBMITTED)
        .select_related("organization", "agreement")
        .order_by("pk")
    )


def _self_candidates(rollups, *, occurrence: str, due_at: dt.datetime, title, due_on: dt.date) -> list[Candidate]:
    rollups = list(rollups)
    people = self_assessors(rollups)
    return [
        Candidate(
            target=rollup,
            occurrence=occurrence,
            recipients=people[rollup.pk],
            due_at=due_at,
            title=title(rollup),
            body=_("Write the narrative, score the manual indicators and submit by %(due)s.")
            % {"due": due_on.isoformat()},
            url=reverse("assessments:self_assessment", args=[rollup.pk]),
        )
        for rollup in rollups
    ]


def self_open(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    candidates = []
    for year, quarter in _quarters_around(today):
        opens_on, due_on = self_assessment_window(year, quarter)
        send_on = opens_on + dt.timedelta(days=max(rule.offset_days, 0))
        # Offered from the day before it is due (so the row waits, pending) until the self-assessment is due.
        if not send_on - dt.timedelta(days=1) <= today <= due_on:
            continue
        candidates += _self_candidates(
            _unsubmitted(year, quarter),
            occurrence=f"{year}Q{quarter}",
            due_at=at_local(send_on),
            due_on=due_on,
            title=lambda r, y=year, q=quarter: (
                _("The %(year)s Q%(quarter)s self-assessment is open: %(subject)s")
                % {"year": y, "quarter": q, "subject": subject_name(r)}
            ),
        )
    return candidates


def self_due(now: dt.datetime, rule) -> list[Candidate]:
    today = timezone.localdate(now)
    days = max(rule.offset_days, 0)
    candidates = []
    for year, quarter in _quarters_around(today):
        _opens_on, due_on = self_assessment_window(year, quarter)
        send_on = due_on - dt.timedelta(days=days)
        if not send_on - dt.timedelta(days=1) <= today <= due_on:
            continue
        candidates += _self_candidates(
            _unsubmitted(year, quarter),
            occurrence=f"d-{days}:{due_on.isoformat()}",
            due_at=at_local(send_on),
            due_on=due_on,
            title=lambda r, y=year, q=quarter, d=due_on: (
                _("The %(year)s Q%(quarter)s self-assessment is due on %(due)s: %(subject)s")
                % {"year": y, "quarter": q, "due": d.isoformat(), "subject": subject_name(r)}
            ),
        )
    return candidates


def _published_occurrence(published_at: dt.datetime) -> str:
    return "published:" + published_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")


def _published_candidates(rollups) -> list[Candidate]:
    rollups = list(rollups)
    people = self_assessors(rollups)
    return [
        Candidate(
            target=rollup,
            occurrence=_published_occurrence(rollup.review.published_at),
            recipients=people[rollup.pk],
            due_at=rollup.review.published_at,
            title=_("The %(year)s Q%(quarter)s assessment result is published: %(subject)s")
            % {"year": rollup.year, "quarter": rollup.quarter, "subject": subject_name(rollup)},
            body=_("Total: %(total)s points.") % {"total": rollup.total},
            url=result_url(rollup),
        )
        for rollup in rollups
    ]


def _published(extra: Q):
    return (
        QuarterRollup.objects.filter(status=QuarterRollup.Status.PUBLISHED, review__published_at__isnull=False)
        .filter(extra)
        .select_related("organization", "agreement", "review")
        .order_by("pk")
    )


def published(now: dt.datetime, rule) -> list[Candidate]:
    since = now - dt.timedelta(days=LOOKBACK_DAYS)
    return _published_candidates(_published(Q(review__published_at__gte=since, review__published_at__lte=now)))


def notify_published(rollup_ids) -> int:
    """In the publication's transaction: the ``assessment.published`` notices for these results, as rows
    (``portal.reminders.notify``), sent by the sweep asked for after commit or else by the next beat sweep. The same
    rows the sweep would plan (same occurrence), so nothing is ever doubled. Returns the notifications created."""
    with translation.override(settings.LANGUAGE_CODE):
        candidates = _published_candidates(_published(Q(pk__in=list(rollup_ids))))
    return notify(PUBLISHED, candidates)


register(
    SELF_OPEN,
    label=gettext_lazy("Quarterly self-assessment open"),
    default_offset_days=0,
    candidates=self_open,
)
register(
    SELF_DUE,
    label=gettext_lazy("Quarterly self-assessment due"),
    default_offset_days=3,
    candidates=self_due,
)
register(
    PUBLISHED,
    label=gettext_lazy("Assessment results published"),
    default_offset_days=0,
    candidates=published,
)
