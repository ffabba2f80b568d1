"""The public check-in form (扫码签到): name, the phone's last four digits, and the unit for those not on a roster.

The unit is asked of everyone in the same words, so the form never says whether a name was found."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerships.selectors.checkins import normalize_name, normalize_unit


class CheckInForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=40,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "off"}),
    )
    last_four = forms.RegexField(
        label=_("Last four digits of your phone number"),
        regex=r"^\d{4}$",
        error_messages={
            "required": _("Enter the last four digits of your phone number."),
            "invalid": _("Enter the last four digits of your phone number."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}),
    )
    unit = forms.CharField(
        label=_("Unit (if you are not on a participating roster)"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def clean_name(self) -> str:
        name = normalize_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean_unit(self) -> str:
        return normalize_unit(self.cleaned_data.get("unit", ""))
