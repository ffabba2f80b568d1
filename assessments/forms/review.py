"""Forms of the self-assessment (自评) and the review (评审). Validation only: the services write and check again.

Score fields are named after their indicator — ``self_<id>``, ``review_<id>``, ``adjust_<id>``, ``reason_<id>`` — the
same keys the services use in their ValidationErrors, so a service's message lands next to its field.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Indicator
from assessments.rules import ATTACHMENT_MAX_FILES, check_attachments
from partnerships.forms.action_items import MultipleFileField
from portal.forms import checked_files

MANUAL = Indicator.Source.MANUAL


def _comment_field(label, rows: int, help_text) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
        help_text=help_text,
    )


def _points_field(indicator: Indicator, *, label=None, minimum: Decimal | None = Decimal(0)) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or indicator.name,
        required=False,
        max_digits=5,
        decimal_places=1,
        min_value=minimum,
        max_value=indicator.points,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal", "class": "form-control"}),
    )


class SelfAssessmentForm(forms.Form):
    """The narrative, one self score per manual indicator and new attachments."""

    narrative = _comment_field(
        _("Self-assessment"),
        8,
        _("What the organization did this quarter, what worked, what did not, and what comes next."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, images or Office documents, up to 10 MB each."),
    )

    def __init__(self, *args, scores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.manual_scores = [s for s in scores if s.indicator.source == MANUAL]
        for score in self.manual_scores:
            self.fields[f"self_{score.indicator_id}"] = _points_field(score.indicator)
            self.initial.setdefault(f"self_{score.indicator_id}", score.self_points)

    def score_rows(self):
        """(score, bound field) for the template."""
        return [(score, self[f"self_{score.indicator_id}"]) for score in self.manual_scores]

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments")
        return checked_files(files, max_files=ATTACHMENT_MAX_FILES, check=check_attachments, field="attachments")

    def self_points(self) -> dict[int, Decimal | None]:
        return {s.indicator_id: self.cleaned_data.get(f"self_{s.indicator_id}") for s in self.manual_scores}


class ReviewForm(forms.Form):
    """The reviewer's points on manual indicators, an adjustment with its reason on any indicator, and comments."""

    highlights = _comment_field(_("Highlights"), 4, _("What this organization did especially well (闪光点)."))
    weaknesses = _comment_field(_("Weak points"), 4, _("What falls short and should improve (薄弱点)."))

    def __init__(self, *args, scores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.scores = list(scores)
        for score in self.scores:
            pk = score.indicator_id
            if score.indicator.source == MANUAL:
                self.fields[f"review_{pk}"] = _points_field(score.indicator)
                self.initial.setdefault(f"review_{pk}", score.review_points)
            self.fields[f"adjust_{pk}"] = forms.DecimalField(
                label=_("Adjustment"),
                required=False,
                max_digits=5,
                decimal_places=1,
                min_value=-score.indicator.points,
                max_value=score.indicator.points,
                widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal", "class": "form-control"}),
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=_("Reason for the adjustment"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
            self.initial.setdefault(f"adjust_{pk}", score.adjustment or None)
            self.initial.setdefault(f"reason_{pk}", score.adjustment_reason)

    def rows(self):
        """(score, review field or None, adjustment field, reason field) for the template."""
        return [
            (
                score,
                self[f"review_{score.indicator_id}"] if f"review_{score.indicator_id}" in self.fields else None,
                self[f"adjust_{score.indicator_id}"],
                self[f"reason_{score.indicator_id}"],
            )
            for score in self.scores
        ]

    def clean(self):
        data = super().clean()
        for score in self.scores:
            pk = score.indicator_id
            if data.get(f"adjust_{pk}") and not (data.get(f"reason_{pk}") or "").strip():
                self.add_error(f"reason_{pk}", _("An adjustment needs a reason."))
        return data

    def review_points(self) -> dict[int, Decimal | None]:
        return {
            s.indicator_id: self.cleaned_data.get(f"review_{s.indicator_id}")
            for s in self.scores
            if s.indicator.source == MANUAL
        }

    def adjustments(self) -> dict[int, tuple[Decimal, str]]:
        return {
            s.indicator_id: (
                self.cleaned_data.get(f"adjust_{s.indicator_id}") or Decimal(0),
                self.cleaned_data.get(f"reason_{s.indicator_id}") or "",
            )
            for s in self.scores
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What should be changed"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        max_length=2000,
    )
