"""The venue booking form (预订场地): a venue the user may book (search-as-you-type when there are many), from, until
and a note. Validation only; the service checks who books what, and the overlap, again."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.forms.activities import _datetime_field
from activities.models import VenueBooking
from activities.selectors.bookings import venue_label
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Resource
from portal.widgets import SearchSelect


class VenueChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return venue_label(obj)


class VenueBookingForm(_CrispyMixin, forms.Form):
    venue = VenueChoice(
        label=pgettext_lazy("booking", "Venue"),
        queryset=Resource.objects.none(),
        widget=SearchSelect("venues", "booking"),
    )
    starts_at = _datetime_field(_("Starts at"))
    ends_at = _datetime_field(_("Ends at"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=VenueBooking._meta.get_field("note").max_length,
        help_text=_("For example the layout, equipment or the contact on the day."),
    )

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.helper = self._helper(
            Layout(
                "venue",
                Row(Column("starts_at", css_class="col-12 col-sm-6"), Column("ends_at", css_class="col-12 col-sm-6")),
                "note",
            )
        )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The booking must end after it starts."))
        return data
