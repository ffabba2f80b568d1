"""Who may act on assessments, and the windows and limits: scheme editing, rollup requests, self-assessment and
review; the self-assessment window, the quarter-close window, the attachment limits; the checks of a scheme's
indicators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import metrics
from assessments.models import AssessmentScheme, Indicator, QuarterRollup, SelfAssessment, self_assessor_q
from partnerships.models import Organization
from portal.scoping import ROLE_REVIEWER, get_scope
from portal.uploads import EVIDENCE, MB, CheckedUpload, check_upload

SUBJECT_KINDS = (Organization.Kind.BRANCH, Organization.Kind.JOINT_BRANCH)
SCHEME_TOTAL = Decimal(100)
AUTO, MANUAL = Indicator.Source.AUTOMATIC, Indicator.Source.MANUAL


# --- schemes -------------------------------------------------------------------------------------------------

# The fields of an indicator that the scheme pages edit (``order`` follows the rows' order).
INDICATOR_FIELDS = ("category", "name", "description", "points", "is_deduction", "target", "source", "metric")


def may_edit_schemes(actor) -> bool:
    """Reviewers and admins create, edit and activate schemes; everyone signed in reads them."""
    scope = get_scope(actor)
    return scope.is_superuser or bool(scope.reviewer_paths)


def _total_error(total: Decimal) -> ValidationError:
    return ValidationError(
        _("The indicators' points total %(total)s; they must total 100.") % {"total": total}, code="total"
    )


def scheme_validate(scheme: AssessmentScheme) -> None:
    """Positive indicators total exactly 100 points; every automatic indicator names a known metric."""
    indicators = list(scheme.indicators.all())
    total = sum((i.points for i in indicators if not i.is_deduction), Decimal(0))
    errors = []
    if total != SCHEME_TOTAL:
        errors.append(_total_error(total))
    unknown = sorted({i.metric for i in indicators if i.source == AUTO and i.metric not in metrics.REGISTRY})
    if unknown:
        errors.append(
            ValidationError(_("Unknown metric: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown_metric")
        )
    if errors:
        raise ValidationError({"indicators": errors})


def indicator_rows_errors(rows) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """Check a scheme's indicator rows (dicts of ``INDICATOR_FIELDS``) before anything is written.

    Returns ``(general messages, {row index: {field: [messages]}})``. The service raises these; the indicators
    formset calls the same function so each message lands next to its field, the 100-point total above the rows.
    """
    by_row: dict[int, dict[str, list[str]]] = {}

    def add(index: int, field: str, message: str) -> None:
        by_row.setdefault(index, {}).setdefault(field, []).append(message)

    seen: set[str] = set()
    total = Decimal(0)
    for index, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        if not name:
            add(index, "name", _("Enter the name of the indicator."))
        elif name in seen:
            add(index, "name", _("Another indicator of the scheme already has this name."))
        seen.add(name)
        if row.get("category") not in Indicator.Category.values:
            add(index, "category", _("Choose the category of the indicator."))
        points = row.get("points")
        if points is None or points <= 0:
            add(index, "points", _("Points must be greater than zero."))
        elif not row.get("is_deduction"):
            total += points
        target = row.get("target")
        if target is not None and target <= 0:
            add(index, "target", _("The target must be greater than zero."))
        metric = row.get("metric") or ""
        if row.get("source") == AUTO:
            if not metric:
                add(index, "metric", _("An automatic indicator needs a metric."))
            elif metric not in metrics.REGISTRY:
                add(index, "metric", _("Unknown metric: %(keys)s.") % {"keys": metric})
        elif row.get("source") == MANUAL:
            if metric:
                add(index, "metric", _("A manual indicator is scored by the reviewer and has no metric."))
        else:
            add(index, "source", _("Choose where the indicator's value comes from."))
    general = [] if total == SCHEME_TOTAL else [_total_error(total).message]
    return general, by_row


# --- runs: scheduled and on demand ---------------------------------------------------------------------------


def may_request_rollup(actor) -> bool:
    """The same people who keep the schemes (reviewers and admins) start a computation."""
    return may_edit_schemes(actor)


# A requested run whose task has not started after this long lost its message (the broker was down when it was
# requested, or the message was lost): the beat's ``rollup_recover`` runs it. Long enough for a worker that is
# merely busy to start it first; a duplicate start is harmless anyway (``rollup_run`` claims the run).
ROLLUP_RECOVER_AFTER = dt.timedelta(minutes=2)
# Longer than the rollup tasks' hard time limit (900 s): a run still ``running`` after this lost its worker.
ROLLUP_DEAD_AFTER = dt.timedelta(minutes=20)


# Days after a quarter closes during which it is recomputed final: the last activities get their 7 days to be logged.
CLOSE_WINDOW_DAYS = 8


def rollup_close_due(today: dt.date | None = None) -> tuple[int, int] | None:
    """The quarter to compute final today, if today is in the first days of the next quarter."""
    today = today or timezone.localdate()
    year, quarter = metrics.current_quarter(today)
    start, _end = metrics.quarter_bounds(year, quarter)
    if (today - start).days < CLOSE_WINDOW_DAYS:
        return metrics.previous_quarter(year, quarter)
    return None


# --- self-assessment (自评), review (评审) and publishing ---------------------------------------------------------
#
# Rules (decided here and in ``assessments.services.review``, documented for the pages and the reminders):
# * the self-assessment of a quarter opens ``SELF_ASSESSMENT_OPENS_DAYS`` days before the quarter ends (its last 15
#   days) and stays open until the result is published; it is due on the ``SELF_ASSESSMENT_DUE_DAY``-th day after the
#   quarter ends (reminders only: a late submission is still accepted until publication);
# * who writes it: ``assessments.models.self_assessor_q`` (a branch's secretaries; an agreement's parties'
#   secretaries and liaisons); reviewers over the subject (``QuarterRollup.scope_editable_q``) review and publish;
# * a published result is locked: every write of ``assessments.services.review`` refuses it, and ``rollup_compute`` skips it;
# * every score write recomputes ``final_points`` with ``final_points_of`` and the total with
#   ``rollup_totals_refresh``, in the same transaction.

SELF_ASSESSMENT_OPENS_DAYS = 15
SELF_ASSESSMENT_DUE_DAY = 10
ATTACHMENT_MAX_BYTES = 10 * MB
ATTACHMENT_MAX_FILES = 10  # per save
ATTACHMENT_MAX_TOTAL = 20  # per self-assessment
TENTH = Decimal("0.1")
# "Publish all reviewed" publishes at most this many results a time: its confirmation page lists every one of them
# (the list shown is the list published), and a committee of 10,000 branches publishes in rounds.
PUBLISH_ALL_LIMIT = 100


def locked_message() -> str:
    return _("This result has been published and is locked; it can no longer be changed.")


def self_assessment_window(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """(the day the quarter's self-assessment opens, the day it is due)."""
    _start, end = metrics.quarter_bounds(year, quarter)
    return end - dt.timedelta(days=SELF_ASSESSMENT_OPENS_DAYS), end + dt.timedelta(days=SELF_ASSESSMENT_DUE_DAY - 1)


def self_assessment_is_open(rollup: QuarterRollup, today: dt.date | None = None) -> bool:
    opens_on, _due = self_assessment_window(rollup.year, rollup.quarter)
    return rollup.status != QuarterRollup.Status.PUBLISHED and (today or timezone.localdate()) >= opens_on


def may_self_assess(actor, rollup: QuarterRollup) -> bool:
    """Whether ``actor`` writes this result's self-assessment (whatever its state)."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    return QuarterRollup.objects.filter(pk=rollup.pk).filter(self_assessor_q(scope)).exists()


def may_review(actor, rollup: QuarterRollup) -> bool:
    return QuarterRollup.objects.editable_by(actor).filter(pk=rollup.pk).exists()


def self_assessment_shown(sa: SelfAssessment | None, rollup: QuarterRollup, *, author: bool) -> bool:
    """Whether a self-assessment's content is shown: to its authors always (their draft), to everyone else who
    sees the result once it is submitted or the result is published."""
    if sa is None:
        return False
    return author or sa.status == SelfAssessment.Status.SUBMITTED or rollup.status == QuarterRollup.Status.PUBLISHED


def check_attachments(files: Sequence) -> list[CheckedUpload]:
    """Check every file by content and size; all problems at once, under the ``attachments`` key."""
    files = [f for f in files or () if f]
    if len(files) > ATTACHMENT_MAX_FILES:
        raise ValidationError(
            {"attachments": _("Attach at most %(n)s files at a time.") % {"n": ATTACHMENT_MAX_FILES}}, code="too_many"
        )
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload, allowed=EVIDENCE, max_bytes=ATTACHMENT_MAX_BYTES))
        except ValidationError as exc:
            problems.extend(exc.error_list)
    if problems:
        raise ValidationError({"attachments": problems})
    return checked


# --- the big screen (大屏) ------------------------------------------------------------------------------------

# Requests per minute one display link (the screen polling, its photos) or one address (guessing links) may make.
DISPLAY_RATE_PER_LINK = "240/m"
DISPLAY_RATE_PER_ADDRESS = "600/m"
# The screen polls its JSON this often unless the page is opened with ``?refresh=<seconds>``, within these bounds.
SCREEN_REFRESH_SECONDS = 30
SCREEN_REFRESH_RANGE = (2, 600)
# A display link's ``last_seen`` is written at most this often (the screen polls every half minute).
DISPLAY_SEEN_EVERY = dt.timedelta(minutes=1)


def may_open_screen(actor, committee: Organization) -> bool:
    """A committee's big screen, and its display links, are its reviewers' (and admins'): the organizations a user
    holds the reviewer role in (a committee, or a 党总支 with its own reviewer), never a subtree they only see."""
    scope = get_scope(actor)
    return scope.is_superuser or committee.pk in scope.org_ids(ROLE_REVIEWER)
