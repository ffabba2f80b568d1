"""List filters for the directory and the roster."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerships.models import Member, Organization
from portal.widgets import SearchSelect


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Organization.Kind.choices)
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Organization.Sector.choices)

    class Meta:
        model = Organization
        fields = ["q", "kind", "sector"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(unit_name__icontains=value)
            | Q(secretary_name__icontains=value)
        )


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        widget=SearchSelect("organizations", "roster"),
    )
    status = django_filters.ChoiceFilter(label=_("Party status"), choices=Member.Status.choices)

    class Meta:
        model = Member
        fields = ["q", "organization", "status"]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.filters["organization"].queryset = organizations

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value))
