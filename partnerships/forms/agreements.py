"""Agreement forms: the agreement with its parties (a formset), termination, renewal, and the list's filters."""

from __future__ import annotations

import datetime as dt

import django_filters
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Agreement, AgreementParty, Dimension, Organization
from partnerships.rules import AGREEMENT_EXPIRING_DAYS, DOCUMENT_MAX_BYTES, term_errors
from partnerships.selectors.agreements import liaison_candidates, party_errors
from partnerships.services.agreements import AGREEMENT_FIELDS
from portal.dates import BoundedDateField
from portal.forms import bounded_formset_factory, kept_forms, row_data
from portal.names import PersonChoiceField
from portal.widgets import SearchSelect

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
DOCUMENT_ACCEPT = "application/pdf,image/jpeg,image/png,image/webp,image/gif"


def _add_term_errors(form: forms.Form, cleaned: dict) -> None:
    """The service's term rules (``term_errors``), each message next to its date."""
    found = term_errors(cleaned.get("term_start"), cleaned.get("term_end"), cleaned.get("signed_on"))
    for field, messages in found.items():
        for message in messages:
            form.add_error(field, message)


class AgreementForm(_CrispyMixin, forms.ModelForm):
    """The agreement itself. Model-level checks (unique number, term) run in the service, which reports them back
    field by field; the form checks only what it can see alone."""

    document = forms.FileField(
        label=_("Signed agreement scan"),
        required=False,
        help_text=_("PDF or image, at most %(mb)s MB.") % {"mb": DOCUMENT_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )

    class Meta:
        model = Agreement
        fields = [*AGREEMENT_FIELDS, "dimensions"]  # the service sets the dimensions (many-to-many) apart
        widgets = {
            "dimensions": forms.CheckboxSelectMultiple,
            "goals": forms.Textarea(attrs={"rows": 3}),
            "signed_on": forms.DateInput(**DATE_WIDGET),
            "term_start": forms.DateInput(**DATE_WIDGET),
            "term_end": forms.DateInput(**DATE_WIDGET),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimensions"].queryset = Dimension.objects.all()
        self.fields["document"].widget.clear_checkbox_label = ""
        self.helper = self._helper(
            Layout(
                Row(Column("number", css_class="col-md-4"), Column("title", css_class="col-md-8")),
                "brand",
                "dimensions",
                "goals",
                Row(
                    Column("signed_on", css_class="col-md-4"),
                    Column("term_start", css_class="col-6 col-md-4"),
                    Column("term_end", css_class="col-6 col-md-4"),
                ),
                "document",
            )
        )

    def clean(self):
        cleaned = super().clean()
        _add_term_errors(self, cleaned)
        return cleaned

    def _post_clean(self):
        # The service runs full_clean (and reports its errors next to these fields); validating the instance here
        # too would show the term constraint twice and let the form, not the service, decide.
        pass


class PartyForm(_CrispyMixin, forms.Form):
    """One party: organization (any tree), role, signatory, liaison officer and its commitments."""

    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), widget=SearchSelect("organizations", "all")
    )
    role = forms.ChoiceField(label=_("Role"), choices=AgreementParty.Role.choices, initial=AgreementParty.Role.PARTNER)
    signatory = forms.CharField(label=_("Signatory"), max_length=40, required=False)
    liaison = PersonChoiceField(
        label=_("Liaison officer"),
        queryset=liaison_candidates().none(),
        required=False,
        widget=SearchSelect("users", "liaisons"),
        help_text=_("A user who holds the liaison role in this organization."),
    )
    commitments = forms.CharField(
        label=_("Goals and commitments of this party"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, organizations=None, liaisons=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations if organizations is not None else Organization.objects
        self.fields["liaison"].queryset = liaisons if liaisons is not None else liaison_candidates()
        self.helper = self._helper(
            Layout(
                Row(Column("organization", css_class="col-md-6"), Column("role", css_class="col-md-6")),
                Row(Column("signatory", css_class="col-md-6"), Column("liaison", css_class="col-md-6")),
                "commitments",
            )
        )
        self.helper.disable_csrf = True


class BasePartyFormSet(forms.BaseFormSet):
    """The parties. Uses the service's own rules (``party_errors``) so errors land on the right row."""

    def __init__(self, *args, **kwargs):
        # Evaluated once for every row's select, not once per row.
        kwargs.setdefault("form_kwargs", {})
        kwargs["form_kwargs"].setdefault("organizations", Organization.objects.all().only("pk", "name", "path"))
        kwargs["form_kwargs"].setdefault("liaisons", liaison_candidates())
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            # The formset adds DELETE after the form built its layout; crispy renders only what the layout lists.
            form.fields["DELETE"].label = _("Remove this party")
            form.helper.layout.append("DELETE")

    def clean(self):
        if any(self.errors):
            return
        general, by_row = party_errors(self.parties_data(with_forms=True))
        for index, fields in by_row.items():
            form = self._kept[index]
            for field, messages in fields.items():
                for message in messages:
                    form.add_error(field, message)
        if general:
            raise forms.ValidationError(general)

    def parties_data(self, with_forms: bool = False) -> list[dict]:
        """The filled-in rows (deleted and blank ones left out), as the service's ``parties`` argument."""
        # Extra rows left blank are not parties; rows that came filled in stay even when unchanged.
        kept = [form for _index, form in kept_forms(self)]
        data = [row_data(form) for form in kept]
        if with_forms:
            self._kept = kept
        return data


# An agreement between more than a handful of parties is not a pairing; 20 leaves room for a district-wide one.
MAX_PARTIES = 20
PartyFormSet = bounded_formset_factory(
    PartyForm, formset=BasePartyFormSet, max_num=MAX_PARTIES, extra=1, min_num=2, can_delete=True
)


def party_initial(agreement: Agreement | None) -> list[dict]:
    if agreement is None:
        return [{"role": AgreementParty.Role.INITIATOR}, {"role": AgreementParty.Role.PARTNER}]
    return [
        {
            "organization": party.organization_id,
            "role": party.role,
            "signatory": party.signatory,
            "liaison": party.liaison_id,
            "commitments": party.commitments,
        }
        for party in agreement.parties.all()
    ]


class TerminateForm(_CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for termination"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()


class RenewForm(_CrispyMixin, forms.Form):
    """The successor's number and term; everything else is carried over and can be edited afterwards."""

    number = forms.CharField(label=_("Agreement number"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=120)
    signed_on = BoundedDateField(label=_("Signed on"), required=False, widget=forms.DateInput(**DATE_WIDGET))
    term_start = BoundedDateField(label=_("Term starts"), widget=forms.DateInput(**DATE_WIDGET))
    term_end = BoundedDateField(label=_("Term ends"), widget=forms.DateInput(**DATE_WIDGET))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper(
            Layout(
                Row(Column("number", css_class="col-md-4"), Column("title", css_class="col-md-8")),
                Row(
                    Column("signed_on", css_class="col-md-4"),
                    Column("term_start", css_class="col-6 col-md-4"),
                    Column("term_end", css_class="col-6 col-md-4"),
                ),
            )
        )

    @staticmethod
    def initial_for(agreement: Agreement) -> dict:
        """Next term: starts the day after the old one ends and lasts as long."""
        start = agreement.term_end + dt.timedelta(days=1)
        length = agreement.term_end - agreement.term_start
        return {
            "number": f"{agreement.number}-R",
            "title": agreement.title,
            "term_start": start,
            "term_end": start + length,
        }

    def clean(self):
        cleaned = super().clean()
        _add_term_errors(self, cleaned)
        return cleaned


EXPIRING_DAYS = AGREEMENT_EXPIRING_DAYS


class AgreementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Agreement.Status.choices)
    party = django_filters.ModelChoiceFilter(
        label=_("Party"),
        queryset=Organization.objects.none(),
        method="by_party",
        widget=SearchSelect("organizations", "agreements"),
    )
    dimension = django_filters.ModelChoiceFilter(
        label=_("Dimension"), queryset=Dimension.objects.all(), field_name="dimensions"
    )
    expiring = django_filters.BooleanFilter(
        label=_("Expiring within 60 days"), method="by_expiring", widget=forms.CheckboxInput
    )

    class Meta:
        model = Agreement
        fields = ["q", "status", "party", "dimension", "expiring"]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.filters["party"].queryset = organizations

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value) | Q(brand__icontains=value))

    def by_party(self, queryset, name, value):
        # A subquery, not a join: the list stays one row per agreement.
        return queryset.filter(pk__in=AgreementParty.objects.filter(organization=value).values("agreement_id"))

    def by_expiring(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.expiring_within(EXPIRING_DAYS, today=timezone.localdate())
