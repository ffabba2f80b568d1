"""Forms of 党建+业务 on key projects: a milestone, a month's business figures. Validation and layout only: the
services write (and check everything again)."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.forms.projects import DATE_WIDGET
from partnerships.forms.directory import _CrispyMixin
from portal.dates import BoundedDateField

MONTH_WIDGET = {"attrs": {"type": "month"}, "format": "%Y-%m"}


class ProjectMilestoneForm(_CrispyMixin, forms.Form):
    """A milestone: its name, the planned date, the date it was reached (empty until then), its place in the list."""

    name = forms.CharField(label=_("Milestone"), max_length=120, help_text=_("For example 主体结构封顶."))
    planned_on = BoundedDateField(label=_("Planned date"), widget=forms.DateInput(**DATE_WIDGET))
    actual_on = BoundedDateField(
        label=_("Actual date"),
        required=False,
        widget=forms.DateInput(**DATE_WIDGET),
        help_text=_("Leave empty until it is reached."),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0, required=False)

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            # FormView passes its own (empty) initial: the milestone's values go under it.
            values = {name: getattr(instance, name) for name in ("name", "planned_on", "actual_on", "order")}
            kwargs["initial"] = {**values, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.helper = self._helper(
            Layout(
                "name",
                Row(Column("planned_on", css_class="col-6"), Column("actual_on", css_class="col-6")),
                Row(Column("order", css_class="col-6 col-md-3")),
            )
        )

    def clean_actual_on(self):
        actual_on = self.cleaned_data.get("actual_on")
        if actual_on and actual_on > timezone.localdate():
            raise forms.ValidationError(
                _("A milestone cannot be reached in the future; enter the date it was reached.")
            )
        return actual_on


class MonthField(BoundedDateField):
    """A calendar month (``<input type="month">``, "2026-11"), cleaned to its first day, within the portal's date
    range."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a month, such as 2026-11.")}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class MonthlyFigureForm(_CrispyMixin, forms.Form):
    """One month's business figures of a project, as its branch reports them."""

    month = MonthField(label=_("Month"), widget=forms.DateInput(**MONTH_WIDGET))
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=_("Overall progress of the project at the month's end."),
        error_messages={
            "min_value": _("Progress is a percentage between 0 and 100."),
            "max_value": _("Progress is a percentage between 0 and 100."),
        },
    )
    safety_incidents = forms.IntegerField(label=_("Safety incidents"), min_value=0, max_value=32767, initial=0)
    quality_findings = forms.IntegerField(label=_("Quality findings"), min_value=0, max_value=32767, initial=0)
    civilized_checks = forms.IntegerField(
        label=_("Civilized construction checks"), min_value=0, max_value=32767, initial=0
    )
    civilized_passed = forms.IntegerField(label=_("Checks passed"), min_value=0, max_value=32767, initial=0)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("safety_incidents", "quality_findings", "civilized_checks", "civilized_passed"):
            self.fields[name].error_messages["min_value"] = _("Counts are whole numbers, 0 or more.")
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        self.fields["progress"].widget.attrs["inputmode"] = "numeric"
        self.helper = self._helper(
            Layout(
                Row(Column("month", css_class="col-6"), Column("progress", css_class="col-6")),
                Row(
                    Column("safety_incidents", css_class="col-6 col-md-3"),
                    Column("quality_findings", css_class="col-6 col-md-3"),
                    Column("civilized_checks", css_class="col-6 col-md-3"),
                    Column("civilized_passed", css_class="col-6 col-md-3"),
                ),
                "notes",
            )
        )

    def clean_month(self):
        month = self.cleaned_data.get("month")
        if month and month > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("The figures of a month are entered once it has begun, not ahead of it."))
        return month

    def clean(self):
        cleaned = super().clean()
        checks, passed = cleaned.get("civilized_checks"), cleaned.get("civilized_passed")
        if checks is not None and passed is not None and passed > checks:
            self.add_error("civilized_passed", _("More checks passed than were done."))
        return cleaned
