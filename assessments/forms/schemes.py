"""Forms for assessment schemes: a new year's scheme, and a scheme with its indicators (a formset).

Validation only: the rules shared with the service (``indicator_rows_errors``) put each message next to its field
and the 100-point total above the rows; ``scheme_create``/``scheme_update`` write.
"""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import metrics
from assessments.models import AssessmentScheme, Indicator
from assessments.rules import INDICATOR_FIELDS, indicator_rows_errors
from partnerships.forms.directory import _CrispyMixin
from portal.forms import bounded_formset_factory

_scheme_field = AssessmentScheme._meta.get_field
_indicator_field = Indicator._meta.get_field


class SchemeCreateForm(_CrispyMixin, forms.Form):
    """The year of a new scheme, and optionally its name; the indicators are copied and edited next."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(
        label=_("Name"),
        max_length=_scheme_field("name").max_length,
        required=False,
        help_text=_("Leave empty for “<year> co-construction assessment scheme”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(
            Layout(Row(Column("year", css_class="col-4 col-md-3"), Column("name", css_class="col-8 col-md-9")))
        )


class SchemeEditForm(_CrispyMixin, forms.Form):
    """The scheme's own fields."""

    name = forms.CharField(label=_("Name"), max_length=_scheme_field("name").max_length)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(Layout("name", "notes"))


class IndicatorForm(forms.Form):
    """One indicator: category, name, points, deduction, target, source and metric, description."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("Category"), choices=())
    name = forms.CharField(label=_("Name"), max_length=_indicator_field("name").max_length)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
    points = forms.DecimalField(label=_("Points"), max_digits=5, decimal_places=1)
    is_deduction = forms.BooleanField(
        label=_("Deduction"), required=False, help_text=_("Takes points off; not part of the 100 points.")
    )
    target = forms.DecimalField(
        label=_("Target"),
        max_digits=8,
        decimal_places=2,
        required=False,
        help_text=_indicator_field("target").help_text,
    )
    source = forms.ChoiceField(label=_("Source"), choices=Indicator.Source.choices, initial=Indicator.Source.AUTOMATIC)
    metric = forms.ChoiceField(label=_("Metric"), choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *Indicator.Category.choices]
        self.fields["metric"].choices = [("", "—"), *metrics.metric_choices()]


class BaseIndicatorFormSet(forms.BaseFormSet):
    """The scheme's indicators in order. Blank extra rows are skipped; rows ticked for removal are left out."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this indicator")

    def kept(self) -> list[forms.Form]:
        kept = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            kept.append(form)
        return kept

    def clean(self):
        if any(self.errors):
            return
        kept = self.kept()
        general, by_row = indicator_rows_errors([form.cleaned_data for form in kept])
        for index, fields in by_row.items():
            for field, messages in fields.items():
                for message in messages:
                    kept[index].add_error(field if field in kept[index].fields else None, message)
        if general:
            raise forms.ValidationError(general)

    def add_general_errors(self, messages) -> None:
        """Errors from the service that concern the indicators as a whole (shown above the rows)."""
        self._non_form_errors = self.error_class([*self.non_form_errors(), *messages])

    def indicators_data(self) -> list[dict]:
        """The kept rows as the service's ``indicators`` argument."""
        return [{key: value for key, value in form.cleaned_data.items() if key != "DELETE"} for form in self.kept()]


MAX_INDICATORS = 30
IndicatorFormSet = bounded_formset_factory(
    IndicatorForm,
    formset=BaseIndicatorFormSet,
    max_num=MAX_INDICATORS,
    extra=2,
    can_delete=True,
    can_delete_extra=False,
)


def indicator_initial(indicators) -> list[dict]:
    """The formset's initial data from the scheme's indicators (in order): the fields the service writes, and the id."""
    return [{"id": i.pk, **{field: getattr(i, field) for field in INDICATOR_FIELDS}} for i in indicators]
