"""Quarterly assessment (季度考核): yearly schemes of indicators, per-quarter rollups and their indicator scores.

* ``AssessmentScheme`` + ``Indicator``: one scheme per year; each indicator is automatic (a named metric of
  ``assessments.metrics``) or manual (scored by the reviewer).
* ``QuarterRollup`` + ``IndicatorScore``: one rollup per subject (a branch or an agreement) and quarter, computed
  set-based by ``assessments.services.rollups.rollup_compute``; each automatic score keeps its metric value.
* ``RollupRun``: one requested or scheduled computation, so a page can show queued / running / done.
* ``SelfAssessment`` (+ attachments) and ``Review``: the subject's own account of a quarter and the committee's review.
* ``DisplayLink``: a revocable link that opens a committee's big screen (大屏) without signing in.

Scope (DESIGN.md §4): schemes are read by every signed-in user and edited by admins and reviewers; an
organization's rollups are seen by its people and its reviewers, an agreement's by its parties and their reviewers.

One module per area; every model is imported here, where Django and the callers find them.
"""

from assessments.models.review import Review, SelfAssessment, SelfAssessmentAttachment, self_assessor_q
from assessments.models.rollups import (
    CATEGORY_FIELDS,
    OVERDUE_METRIC,
    IndicatorScore,
    QuarterRollup,
    RollupRun,
    subject_key,
)
from assessments.models.schemes import AssessmentScheme, Indicator, reviewer_q
from assessments.models.screen import DisplayLink, token_digest

__all__ = [
    "DisplayLink",
    "token_digest",
    "AssessmentScheme",
    "Indicator",
    "reviewer_q",
    "QuarterRollup",
    "IndicatorScore",
    "RollupRun",
    "subject_key",
    "CATEGORY_FIELDS",
    "OVERDUE_METRIC",
    "SelfAssessment",
    "SelfAssessmentAttachment",
    "Review",
    "self_assessor_q",
]
