"""The one field of the archive's form: which year."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive import rules


class ArchiveForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].choices = [
            (year, _("Year %(year)s") % {"year": year}) for year in rules.years_offered(today)
        ]
        self.fields["year"].initial = rules.default_year(today)
        self.fields["year"].error_messages["invalid_choice"] = _("Choose one of the years offered.")
