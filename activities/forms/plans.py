"""Forms for yearly plans: the plan itself and its rows (a formset). Validation only; the services write."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.models import ActivityPlan, ActivityType
from activities.rules import plan_row_errors
from activities.selectors.plans import rotate_hosts
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Agreement, Organization
from portal.forms import bounded_formset_factory, kept_forms, row_data
from portal.widgets import SearchSelect


def month_choices() -> list[tuple[int, str]]:
    return [(n, gettext("Month %(n)s") % {"n": n}) for n in range(1, 13)]


class PlanCreateForm(_CrispyMixin, forms.Form):
    """A new yearly plan: the agreement (one the user may plan for), the year, a title and notes."""

    agreement = forms.ModelChoiceField(
        label=_("Agreement"), queryset=Agreement.objects.none(), widget=SearchSelect("agreements", "plannable")
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("Title"),
        max_length=ActivityPlan._meta.get_field("title").max_length,
        required=False,
        help_text=_("Leave empty for “<year> joint activity plan”."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements if agreements is not None else Agreement.objects.none()
        self.fields["year"].initial = timezone.localdate().year
        self.helper = self._helper(
            Layout(
                Row(Column("agreement", css_class="col-md-8"), Column("year", css_class="col-md-4")),
                "title",
                "notes",
            )
        )


class PlanEditForm(_CrispyMixin, forms.Form):
    """The plan's own fields, and whether to rotate the hosts over its rows on saving."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=ActivityPlan._meta.get_field("title").max_length)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rotate = forms.BooleanField(
        label=_("Rotate the hosts"),
        required=False,
        help_text=_(
            "On saving, each row in month order gets the next party as its lead unit; the other parties co-organize."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(
            Layout(
                Row(Column("year", css_class="col-4 col-md-2"), Column("title", css_class="col-8 col-md-10")), "notes"
            )
        )


class PlanRowForm(forms.Form):
    """One row of the plan: month, theme, type, lead unit, co-organizing units and content."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, choices=())
    theme = forms.CharField(label=_("Theme"), max_length=120)
    type = forms.ModelChoiceField(label=_("Type"), queryset=ActivityType.objects.none())
    lead = forms.ModelChoiceField(label=_("Lead unit"), queryset=Organization.objects.none(), required=False)
    co_organizers = forms.ModelMultipleChoiceField(
        label=_("Co-organizing units"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    content = forms.CharField(label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, parties=None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "—"), *month_choices()]
        self.fields["type"].queryset = types if types is not None else ActivityType.objects.filter(active=True)
        party_choices = parties if parties is not None else Organization.objects.none()
        self.fields["lead"].queryset = party_choices
        self.fields["co_organizers"].queryset = party_choices


class BasePlanRowFormSet(forms.BaseFormSet):
    """The plan's rows. Extra rows may come pre-filled (``extra_initial``) and are skipped while left untouched;
    the service's own rules (``plan_row_errors``) put each message on its row."""

    def __init__(self, *args, parties, types, rotate: bool = False, extra_initial=(), **kwargs):
        self.parties = list(parties)
        self.rotate = rotate
        self.extra_initial = list(extra_initial)
        self.extra = len(self.extra_initial)
        kwargs.setdefault("form_kwargs", {})
        # Evaluated once for every row's selects, not once per row.
        party_ids = [org.pk for org in self.parties]
        kwargs["form_kwargs"]["parties"] = Organization.objects.filter(pk__in=party_ids).order_by("path")
        kwargs["form_kwargs"]["types"] = types
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Every row offers the same types and parties: list them once for the page, not once per row's select.
        cache = self.__dict__.setdefault("_choice_cache", {})
        for name in ("type", "lead", "co_organizers"):
            if name not in cache:
                cache[name] = list(form.fields[name].choices)
            form.fields[name].widget.choices = cache[name]
        return form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this row")

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        extra_index = index - self.initial_form_count() if index is not None else -1
        if 0 <= extra_index < len(self.extra_initial):
            kwargs["initial"] = self.extra_initial[extra_index]
        return kwargs

    def clean(self):
        if any(self.errors):
            return
        rows, forms_kept = self._rows()
        by_row = plan_row_errors(rows, self.parties)
        for index, fields in by_row.items():
            for field, messages in fields.items():
                if self.rotate and field in ("lead", "co_organizers"):
                    continue  # rotation replaces both
                for message in messages:
                    forms_kept[index].add_error(field, message)

    def _rows(self):
        kept = [form for _index, form in kept_forms(self)]
        rows = [row_data(form) for form in kept]
        for data in rows:
            data["co_organizers"] = list(data.get("co_organizers") or ())
        return rows, kept

    def rows_data(self) -> list[dict]:
        """The rows to keep, as the service's ``rows`` argument (removed and untouched blank rows left out)."""
        return self._rows()[0]


# A year's plan: a few activities a month at most.
MAX_PLAN_ROWS = 60
PlanRowFormSet = bounded_formset_factory(
    PlanRowForm, formset=BasePlanRowFormSet, max_num=MAX_PLAN_ROWS, extra=0, can_delete=True, can_delete_extra=False
)


def new_plan_rows(parties, default_type) -> list[dict]:
    """A fresh plan offers one row per month with the hosts already in rotation (untouched rows are not saved)."""
    rows = [{"month": month, "type": default_type.pk if default_type else None} for month in range(1, 13)]
    rotated = rotate_hosts(rows, list(parties))
    return [
        {**row, "lead": row["lead"].pk, "co_organizers": [org.pk for org in row["co_organizers"]]}
        if row.get("lead") is not None
        else row
        for row in rotated
    ]


def row_initial(rows) -> list[dict]:
    """The formset's initial data from the plan's rows (``plan_rows`` selector output)."""
    return [
        {
            "id": row.pk,
            "month": row.month,
            "theme": row.theme,
            "type": row.type_id,
            "lead": row.lead_id,
            "co_organizers": [org.pk for org in row.co_organizers.all()],
            "content": row.content,
        }
        for row in rows
    ]
