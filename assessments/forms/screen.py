"""The big screen's forms: a new display link (its name), and the page's refresh interval (GET)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import DisplayLink
from assessments.rules import SCREEN_REFRESH_RANGE, SCREEN_REFRESH_SECONDS


class DisplayLinkForm(forms.Form):
    name = forms.CharField(
        label=_("Where the screen hangs"),
        max_length=DisplayLink._meta.get_field("name").max_length,
        help_text=_("A name to tell the links apart, e.g. 党委会议室."),
    )


class ScreenRefreshForm(forms.Form):
    """``?refresh=<seconds>``: how often the screen asks for new data (a screen in a busy room may ask more often)."""

    refresh = forms.IntegerField(min_value=SCREEN_REFRESH_RANGE[0], max_value=SCREEN_REFRESH_RANGE[1], required=False)

    def seconds(self) -> int:
        if self.is_valid() and self.cleaned_data.get("refresh"):
            return self.cleaned_data["refresh"]
        return SCREEN_REFRESH_SECONDS
