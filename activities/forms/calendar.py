"""The calendar's filters (agreement, organization, type) and the JSON feed's query parameters (start, end + filters).

The choices are limited to what the user may see, so an out-of-scope id is simply not a valid choice.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.selectors import calendar as selectors
from partnerships.models import Agreement, Organization
from portal.dates import DateRangeValidator
from portal.widgets import SearchSelect


def _searched_filter(label, model, everything, endpoint: str) -> forms.ModelChoiceField:
    """An optional filter whose choice is searched for (``endpoint``'s calendar list); empty means ``everything``."""
    return forms.ModelChoiceField(
        label=label,
        queryset=model.objects.none(),
        required=False,
        empty_label=everything,
        widget=SearchSelect(endpoint, "calendar"),
    )


class CalendarFilterForm(forms.Form):
    """The filters above the calendar; changing one refetches the events."""

    agreement = _searched_filter(_("Agreement"), Agreement, _("All agreements"), "agreements")
    organization = _searched_filter(_("Organization"), Organization, _("All organizations"), "organizations")
    type = forms.ModelChoiceField(
        label=_("Type"), queryset=selectors.calendar_types(), required=False, empty_label=_("All types")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = selectors.calendar_agreements(user)
        self.fields["organization"].queryset = selectors.calendar_organizations(user)
        self.fields["type"].queryset = selectors.calendar_types()


class MomentField(forms.Field):
    """An ISO 8601 date or date-time as FullCalendar sends it (``2025-05-01T00:00:00+08:00``), made aware; its
    local day within the sane range (2000–2100), so the window never reaches dates the database cannot convert."""

    default_validators = [DateRangeValidator()]
    default_error_messages = {
        "invalid": _("Enter a date or date and time in ISO 8601 form, such as 2025-05-01T00:00:00+08:00."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        # An unencoded "+08:00" in a query string arrives as " 08:00".
        text = str(value).strip().replace(" ", "+")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


class CalendarEventsForm(CalendarFilterForm):
    """The JSON feed's parameters: a window of at most ``MAX_WINDOW_DAYS`` days and the filters."""

    start = MomentField(error_messages={"required": _("The start of the period is required.")})
    end = MomentField(error_messages={"required": _("The end of the period is required.")})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None:
            if end <= start:
                self.add_error("end", _("The end of the period must be after its start."))
            elif end - start > dt.timedelta(days=selectors.MAX_WINDOW_DAYS):
                self.add_error(
                    "end",
                    _("Ask for at most %(days)s days at a time.") % {"days": selectors.MAX_WINDOW_DAYS},
                )
        return cleaned
