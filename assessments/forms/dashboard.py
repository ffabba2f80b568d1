"""The dashboard's quarter picker (GET) and the on-demand rollup request (POST)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.selectors.ranking import SORTS
from assessments.selectors.subjects import AGREEMENTS, ORGANIZATIONS

PERIOD_RE = re.compile(r"^(\d{4})-([1-4])$")


class DashboardForm(forms.Form):
    """``?period=2026-3`` (the picker's select) or ``?year=2026&quarter=3`` (links and the export), the view
    (branches or agreements), an optional subject key (``org:12``) to follow on the trend and the radar, and the
    ranking's search by name (``q``) and order (``sort``); the page number is read by the paginator."""

    period = forms.CharField(label=_("Quarter"), required=False)
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    quarter = forms.IntegerField(min_value=1, max_value=4, required=False)
    view = forms.ChoiceField(choices=[(ORGANIZATIONS, _("Branches")), (AGREEMENTS, _("Agreements"))], required=False)
    subject = forms.RegexField(regex=r"^(org|agr):\d+$", max_length=24, required=False)
    q = forms.CharField(label=_("Search by name"), max_length=100, required=False, strip=True)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)

    def clean(self):
        data = super().clean()
        match = PERIOD_RE.match(data.get("period") or "")
        if match:
            data["year"], data["quarter"] = int(match[1]), int(match[2])
        if not (data.get("year") and data.get("quarter")):
            data["year"] = data["quarter"] = None
        data["view"] = data.get("view") or ORGANIZATIONS
        return data


class RollupRequestForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)
    view = forms.ChoiceField(choices=[(ORGANIZATIONS, ORGANIZATIONS), (AGREEMENTS, AGREEMENTS)], required=False)
