"""Forms for joint meetings: scheduling, minutes, decisions, rulings on carried-over items, corrections.

They validate and lay out input; ``partnerships.services.meetings`` does the writing (and checks again)."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerships.forms.directory import _CrispyMixin
from partnerships.models import AgendaItem, Decision, JointMeeting, Organization
from partnerships.models.meetings import ItemPriority
from partnerships.selectors.meetings import DecisionChoices
from portal.dates import BoundedDateField, BoundedDateTimeField
from portal.forms import bounded_formset_factory
from portal.names import PeopleChoiceField

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MINUTES_HELP = _("Blank line between paragraphs; start a line with “- ” for a list.")


def _guests_field() -> forms.CharField:
    """Who else attended (guests, people without an account): free text, one per line."""
    return forms.CharField(
        label=_("Other attendees and guests"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )


class MeetingForm(_CrispyMixin, forms.Form):
    """Schedule or edit a joint meeting: time, place, host, attendees, guests and the typed agenda."""

    title = forms.CharField(label=_("Title"), max_length=JointMeeting._meta.get_field("title").max_length)
    starts_at = BoundedDateTimeField(
        label=_("Date and time"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    place = forms.CharField(label=_("Place"), max_length=JointMeeting._meta.get_field("place").max_length)
    host = forms.ModelChoiceField(label=_("Host organization"), queryset=Organization.objects.none())
    attendees = PeopleChoiceField(
        label=_("Attendees"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    guests = _guests_field()
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One agenda item per line. Open action items of the agreement are added automatically."),
    )

    def __init__(self, *args, parties=None, attendee_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = parties if parties is not None else Organization.objects.none()
        self.fields["attendees"].queryset = attendee_choices
        self.helper = self._helper(
            Layout(
                "title",
                Row(Column("starts_at", css_class="col-md-5"), Column("place", css_class="col-md-7")),
                "host",
                "attendees",
                "guests",
                "agenda",
            )
        )

    def clean_agenda(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["agenda"].splitlines() if line.strip()]
        limit = AgendaItem._meta.get_field("title").max_length
        if any(len(line) > limit for line in lines):
            raise forms.ValidationError(_("Each agenda item is at most %(limit)s characters."), params={"limit": limit})
        return lines


class MinutesForm(_CrispyMixin, forms.Form):
    """The minutes text (light Markdown) and who actually attended."""

    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 12}), help_text=MINUTES_HELP
    )
    attendees = PeopleChoiceField(
        label=_("Attendance"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    guests = _guests_field()

    def __init__(self, *args, attendee_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = attendee_choices
        self.helper = self._helper()


class DecisionForm(forms.Form):
    """One new decision of the meeting. Naming a responsible party (with its due date, and optionally the person and
    priority) makes it a supervised action item when the minutes are published; without one it stays a decision."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("Decision"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    responsible_party = forms.TypedChoiceField(
        label=_("Responsible party"), coerce=int, required=False, empty_value=None
    )
    responsible_person = forms.TypedChoiceField(
        label=_("Responsible person"), coerce=int, required=False, empty_value=None
    )
    due_on = BoundedDateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=ItemPriority.choices,
        coerce=int,
        initial=ItemPriority.NORMAL,
        required=False,
        empty_value=ItemPriority.NORMAL,
    )

    def __init__(self, *args, choices: DecisionChoices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices
        empty = [("", pgettext_lazy("decision row", "Please choose"))]
        self.fields["responsible_party"].choices = empty + list(choices.parties if choices else [])
        self.fields["responsible_person"].choices = empty + list(choices.people if choices else [])

    def clean(self):
        data = super().clean()
        text = (data.get("text") or "").strip()
        party, person, due_on = data.get("responsible_party"), data.get("responsible_person"), data.get("due_on")
        if (party or person or due_on) and not text:
            self.add_error("text", _("A decision needs its text."))
        if (person or due_on) and not party:
            self.add_error("responsible_party", _("Choose the responsible party that carries the decision out."))
        if party and not due_on and "due_on" not in self.errors:
            self.add_error("due_on", _("A decision with a responsible party needs a due date."))
        if party and person and self.choices and party not in self.choices.person_orgs.get(person, ()):
            self.add_error("responsible_person", _("The responsible person must belong to the responsible party."))
        if due_on and self.choices and due_on < self.choices.meeting_date:
            self.add_error(
                "due_on",
                _("The due date cannot be before the meeting (%(date)s).")
                % {"date": self.choices.meeting_date.isoformat()},
            )
        return data


MAX_DECISIONS = 50
# One blank row to start with; the "add decision" button (static/js/formset-rows.js) adds more. Only saved decisions
# can be ticked for removal; a row added on the page is removed with its own button.
DecisionFormSet = bounded_formset_factory(
    DecisionForm, max_num=MAX_DECISIONS, extra=1, can_delete=True, can_delete_extra=False
)


class RulingForm(forms.Form):
    """The meeting's ruling on one carried-over item: extend (new due date), reassign (new party) or close (note)."""

    RULINGS = [
        ("", _("No ruling")),
        (Decision.Outcome.EXTEND, Decision.Outcome.EXTEND.label),
        (Decision.Outcome.REASSIGN, Decision.Outcome.REASSIGN.label),
        (Decision.Outcome.CLOSE, Decision.Outcome.CLOSE.label),
    ]

    carried_item = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Ruling"), choices=RULINGS, required=False)
    due_on = BoundedDateField(
        label=_("New due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    responsible_party = forms.ModelChoiceField(
        label=_("New responsible party"), queryset=Organization.objects.none(), required=False
    )
    text = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_party"].queryset = parties if parties is not None else Organization.objects.none()

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Decision.Outcome.EXTEND and not data.get("due_on"):
            self.add_error("due_on", _("Extending an item needs a new due date."))
        if outcome == Decision.Outcome.REASSIGN and not data.get("responsible_party"):
            self.add_error("responsible_party", _("Reassigning an item needs a new responsible party."))
        if outcome == Decision.Outcome.CLOSE and not (data.get("text") or "").strip():
            self.add_error("text", _("Closing an item at the meeting needs a note on why it is done."))
        return data


# One ruling per open item carried over to the meeting.
MAX_RULINGS = 100
RulingFormSet = bounded_formset_factory(RulingForm, max_num=MAX_RULINGS, extra=0)


class MeetingCancelForm(_CrispyMixin, forms.Form):
    """Call a meeting off: the reason everyone concerned is told."""

    reason = forms.CharField(label=_("Reason for cancellation"), widget=forms.Textarea(attrs={"rows": 3}))


class CorrectionForm(_CrispyMixin, forms.Form):
    """A correction of published minutes: the corrected text and why."""

    minutes = forms.CharField(
        label=_("Corrected minutes"), widget=forms.Textarea(attrs={"rows": 12}), help_text=MINUTES_HELP
    )
    reason = forms.CharField(label=_("Reason for correction"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()
