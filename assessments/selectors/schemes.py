"""Reads for the scheme pages."""

from __future__ import annotations

from django.utils import timezone

from assessments.models import AssessmentScheme


def scheme_suggested_year() -> int:
    """The year a new scheme is most likely for: the one after the latest scheme, at least the current year."""
    latest = AssessmentScheme.objects.order_by("-year").values_list("year", flat=True).first()
    this_year = timezone.localdate().year
    return max(latest + 1, this_year) if latest else this_year
