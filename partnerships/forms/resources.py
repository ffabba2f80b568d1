"""Forms and list filters of the partners' lists (需求清单 / 资源清单 / 项目清单). Validation only: the services write
(and check again)."""

from __future__ import annotations

import django_filters
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerships.forms.action_items import DATE_WIDGET
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import ActionItem, Agreement, Dimension, Need, Organization, Resource
from portal.dates import BoundedDateField
from portal.widgets import SearchSelect


class _OrganizationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class NeedForm(_CrispyMixin, forms.Form):
    """A need: what the organization wants help with, in which dimension, by when."""

    organization = _OrganizationChoice(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        widget=SearchSelect("organizations", "list-keepers"),
    )
    title = forms.CharField(label=_("Need"), max_length=120)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    dimension = forms.ModelChoiceField(
        label=_("Co-construction dimension"), queryset=Dimension.objects.all(), required=False
    )
    wanted_by = BoundedDateField(label=_("Wanted by"), required=False, widget=DATE_WIDGET)
    contact_name = forms.CharField(label=_("Contact person"), max_length=40, required=False)

    def __init__(self, *args, organizations=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
            first_two = list(organizations[:2]) if organizations is not None else []
            if len(first_two) == 1:
                self.fields["organization"].initial = first_two[0].pk
        self.helper = self._helper(
            Layout(
                *([] if editing else ["organization"]),
                "title",
                "details",
                Row(Column("dimension", css_class="col-md-6"), Column("wanted_by", css_class="col-md-6")),
                "contact_name",
            )
        )


class ResourceForm(_CrispyMixin, forms.Form):
    """A resource: a venue (capacity, opening hours, address), lecturers, a volunteer team, equipment, funds or a
    service; free or paid, with its terms."""

    organization = _OrganizationChoice(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        widget=SearchSelect("organizations", "list-keepers"),
    )
    kind = forms.ChoiceField(label=_("Resource kind"), choices=Resource.Kind.choices)
    title = forms.CharField(label=_("Resource"), max_length=120)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    dimension = forms.ModelChoiceField(
        label=_("Co-construction dimension"), queryset=Dimension.objects.all(), required=False
    )
    is_paid = forms.BooleanField(
        label=_("Paid support"), required=False, help_text=_("Paid support (有偿支援) rather than free (无偿资助).")
    )
    terms = forms.CharField(
        label=_("Terms"), max_length=200, required=False, help_text=_("Price or conditions, if any.")
    )
    capacity = forms.IntegerField(
        label=_("Capacity (people)"), required=False, min_value=1, max_value=100000, help_text=_("Venues only.")
    )
    opening_hours = forms.CharField(
        label=_("Opening hours"), max_length=120, required=False, help_text=_("For example 工作日 9:00–17:00.")
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=40, required=False)

    def __init__(self, *args, organizations=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
            first_two = list(organizations[:2]) if organizations is not None else []
            if len(first_two) == 1:
                self.fields["organization"].initial = first_two[0].pk
        self.helper = self._helper(
            Layout(
                *([] if editing else ["organization"]),
                Row(Column("kind", css_class="col-md-4"), Column("title", css_class="col-md-8")),
                "details",
                Row(Column("dimension", css_class="col-md-6"), Column("contact_name", css_class="col-md-6")),
                Row(Column("is_paid", css_class="col-md-4"), Column("terms", css_class="col-md-8")),
                Row(
                    Column("capacity", css_class="col-md-3"),
                    Column("opening_hours", css_class="col-md-4"),
                    Column("address", css_class="col-md-5"),
                ),
            )
        )

    def clean(self):
        data = super().clean()
        if data.get("capacity") and data.get("kind") != Resource.Kind.VENUE:
            self.add_error("capacity", _("Only a venue has a capacity."))
        return data


class OfferForm(_CrispyMixin, forms.Form):
    """Offer one of the organization's resources against a need, or claim it without one."""

    offered_by = _OrganizationChoice(label=_("Offered by"), queryset=Organization.objects.none())
    resource = forms.ModelChoiceField(
        label=_("Resource"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label=_("— claim the need without a listed resource —"),
    )
    agreement = forms.ModelChoiceField(label=_("Agreement"), queryset=Agreement.objects.none(), required=False)
    note = forms.CharField(
        label=_("What you offer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("How and when you can help, and on what terms."),
    )

    def __init__(self, *args, organizations, resources, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offered_by"].queryset = organizations
        self.fields["resource"].queryset = resources
        self.fields["agreement"].queryset = agreements
        if len(organizations) == 1:
            self.fields["offered_by"].initial = organizations[0].pk
        if len(agreements) == 1:
            self.fields["agreement"].initial = agreements[0].pk
        self.helper = self._helper(Layout("offered_by", "resource", "agreement", "note"))

    def clean(self):
        data = super().clean()
        org, resource = data.get("offered_by"), data.get("resource")
        if org and resource and resource.organization_id != org.pk:
            self.add_error("resource", _("Offer an available resource of the offering organization."))
        return data


class AcceptForm(_CrispyMixin, forms.Form):
    """Accept a proposal: who owns the joint project, its goal and its due date."""

    owner = _OrganizationChoice(
        label=_("Owner"),
        queryset=Organization.objects.none(),
        help_text=_("The party doing the work; the other side confirms its closure."),
    )
    title = forms.CharField(label=_("Co-construction project"), max_length=200)
    description = forms.CharField(label=_("Goal"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = BoundedDateField(label=_("Due on"), widget=DATE_WIDGET)

    def __init__(self, *args, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organization.objects.filter(
            pk__in=[pairing.offered_by_id, pairing.need.organization_id]
        ).order_by("path")
        self.helper = self._helper(Layout("owner", "title", "description", Row(Column("due_on", css_class="col-md-6"))))


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


# --- list filters ---------------------------------------------------------------------------------------


class _ListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization"), queryset=Organization.objects.none(), widget=SearchSelect("organizations", "lists")
    )
    dimension = django_filters.ModelChoiceFilter(label=_("Dimension"), queryset=Dimension.objects.all())

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.filters["organization"].queryset = organizations

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(details__icontains=value))


class NeedFilter(_ListFilter):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Need.Status.choices)

    class Meta:
        model = Need
        fields = ["q", "organization", "dimension", "status"]


class ResourceFilter(_ListFilter):
    kind = django_filters.ChoiceFilter(label=_("Resource kind"), choices=Resource.Kind.choices)
    is_paid = django_filters.ChoiceFilter(
        label=_("Free or paid"),
        choices=[("false", _("Free")), ("true", _("Paid"))],
        method="paid",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Resource.Status.choices)

    class Meta:
        model = Resource
        fields = ["q", "organization", "kind", "dimension", "is_paid", "status"]

    def paid(self, queryset, name, value):
        return queryset.filter(is_paid=value == "true")


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    responsible_party = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=Organization.objects.none(), widget=SearchSelect("organizations", "items")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ActionItem.Status.choices)

    class Meta:
        model = ActionItem
        fields = ["q", "responsible_party", "status"]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.filters["responsible_party"].queryset = organizations

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
