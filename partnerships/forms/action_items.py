"""Forms and list filters for action items. Validation only: the services write (and check again)."""

from __future__ import annotations

import django_filters
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerships.forms.directory import _CrispyMixin
from partnerships.models import ActionItem, Agreement, Organization
from partnerships.rules import EVIDENCE_MAX_FILES, check_evidence
from portal.dates import BoundedDateField, BoundedDateFilter
from portal.forms import checked_files
from portal.models import Membership
from portal.names import PersonChoiceField
from portal.widgets import SearchSelect

EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,.gif,.docx,.xlsx,.pptx,image/*,application/pdf"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking several files; ``cleaned_data`` holds a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        single = super().clean
        return [single(f, initial) for f in files]


def people_of(organizations) -> object:
    """Users holding any membership in one of ``organizations``."""
    return (
        get_user_model()
        .objects.filter(memberships__organization__in=organizations, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class _EvidenceMixin:
    def clean_evidence(self):
        files = self.cleaned_data.get("evidence")
        return checked_files(files, max_files=EVIDENCE_MAX_FILES, check=check_evidence, field="evidence")


class ActionItemForm(_CrispyMixin, forms.Form):
    """Raise an item under an agreement: the responsible party is one of the agreement's parties."""

    title = forms.CharField(label=_("Action item"), max_length=200)
    responsible_party = forms.ModelChoiceField(label=_("Responsible party"), queryset=Organization.objects.none())
    responsible_person = PersonChoiceField(
        label=_("Responsible person"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("A user of the responsible party."),
    )
    due_on = BoundedDateField(label=_("Due on"), widget=DATE_WIDGET)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=ActionItem.Priority.choices, coerce=int, initial=ActionItem.Priority.NORMAL
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        parties = Organization.objects.filter(agreement_parties__agreement=agreement).order_by("path")
        self.fields["responsible_party"].queryset = parties
        self.fields["responsible_person"].queryset = people_of(parties)
        self.helper = self._helper(
            Layout(
                "title",
                Row(
                    Column("responsible_party", css_class="col-md-6"),
                    Column("responsible_person", css_class="col-md-6"),
                ),
                Row(Column("due_on", css_class="col-7 col-md-6"), Column("priority", css_class="col-5 col-md-6")),
                "description",
            )
        )

    def clean(self):
        data = super().clean()
        party, person = data.get("responsible_party"), data.get("responsible_person")
        if party and person and not Membership.objects.filter(user=person, organization=party).exists():
            self.add_error("responsible_person", _("The responsible person must belong to the responsible party."))
        return data


class ActionItemEditForm(_CrispyMixin, forms.Form):
    """Change an open item's due date, person, priority or description; an optional note explains why."""

    due_on = BoundedDateField(label=_("Due on"), widget=DATE_WIDGET)
    responsible_person = PersonChoiceField(
        label=_("Responsible person"), queryset=get_user_model().objects.none(), required=False
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=ActionItem.Priority.choices, coerce=int)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Shown in the item's timeline when the due date or the person changes."),
    )

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_person"].queryset = people_of([item.responsible_party_id])
        self.helper = self._helper(
            Layout(
                Row(Column("due_on", css_class="col-7 col-md-6"), Column("priority", css_class="col-5 col-md-6")),
                "responsible_person",
                "description",
                "note",
            )
        )


class ProgressForm(_EvidenceMixin, forms.Form):
    """A progress update: what happened, how far along, optional photos or documents."""

    note = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    evidence = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("PDF, images or Office documents, up to 10 MB each."),
    )


class CloseForm(_EvidenceMixin, forms.Form):
    """Submit for closure: what was done and at least one evidence file."""

    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(
        label=_("Evidence files"), help_text=_("PDF, images or Office documents, up to 10 MB each.")
    )


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    """Send back or cancel: a reason is required."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


# --- list filters ---------------------------------------------------------------------------------------


class ActionItemFilter(django_filters.FilterSet):
    """督办台账 filters; the choice lists are limited to what the user may see."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    agreement = django_filters.ModelChoiceFilter(
        label=_("Agreement"), queryset=Agreement.objects.none(), widget=SearchSelect("agreements", "items")
    )
    responsible_party = django_filters.ModelChoiceFilter(
        label=_("Responsible party"),
        queryset=Organization.objects.none(),
        widget=SearchSelect("organizations", "items"),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ActionItem.Status.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=ActionItem.Priority.choices)
    kind = django_filters.ChoiceFilter(label=_("Item kind"), choices=ActionItem.Kind.choices)
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="only_overdue", widget=forms.CheckboxInput)
    due_from = BoundedDateFilter(label=_("Due from"), field_name="due_on", lookup_expr="gte", widget=DATE_WIDGET)
    due_to = BoundedDateFilter(label=_("Due until"), field_name="due_on", lookup_expr="lte", widget=DATE_WIDGET)

    class Meta:
        model = ActionItem
        fields = ["q", "agreement", "responsible_party", "status", "priority", "kind", "overdue", "due_from", "due_to"]

    def __init__(self, *args, agreements=None, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agreements is not None:
            self.filters["agreement"].queryset = agreements
        if organizations is not None:
            self.filters["responsible_party"].queryset = organizations

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(agreement__title__icontains=value)
            | Q(agreement__number__icontains=value)
            | Q(decision__text__icontains=value)
        )

    def only_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset


class WorkspaceFilter(ActionItemFilter):
    """我的督办 filters: the tab chooses the state, so only search, agreement and priority remain."""

    class Meta:
        model = ActionItem
        fields = ["q", "agreement", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("responsible_party", "status", "kind", "overdue", "due_from", "due_to"):
            self.filters.pop(name, None)
