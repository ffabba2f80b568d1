"""List filters for yearly plans and the activity ledger (活动台账); choice lists are limited to what the user sees."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, ActivityPlan, ActivityType
from partnerships.models import Agreement, Organization
from portal.dates import BoundedDateFilter
from portal.search import icontains_any
from portal.widgets import SearchSelect

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")
    agreement = django_filters.ModelChoiceFilter(
        label=_("Agreement"), queryset=Agreement.objects.none(), widget=SearchSelect("agreements", "plans")
    )

    class Meta:
        model = ActivityPlan
        fields = ["year", "agreement"]

    def __init__(self, *args, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agreements is not None:
            self.filters["agreement"].queryset = agreements


class ActivityFilter(django_filters.FilterSet):
    """活动台账 filters: date range (local dates), organization (lead or co-organizer), agreement, type, status."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    date_from = BoundedDateFilter(label=_("From"), field_name="starts_at", lookup_expr="date__gte", widget=DATE_WIDGET)
    date_to = BoundedDateFilter(label=_("Until"), field_name="starts_at", lookup_expr="date__lte", widget=DATE_WIDGET)
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        method="by_organization",
        widget=SearchSelect("organizations", "activities"),
    )
    agreement = django_filters.ModelChoiceFilter(
        label=_("Agreement"), queryset=Agreement.objects.none(), widget=SearchSelect("agreements", "activities")
    )
    type = django_filters.ModelChoiceFilter(label=_("Type"), queryset=ActivityType.objects.all())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Activity.Status.choices)

    class Meta:
        model = Activity
        fields = ["q", "date_from", "date_to", "organization", "agreement", "type", "status"]

    def __init__(self, *args, agreements=None, organizations=None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agreements is not None:
            self.filters["agreement"].queryset = agreements
        if organizations is not None:
            self.filters["organization"].queryset = organizations
        if types is not None:
            self.filters["type"].queryset = types

    def search(self, queryset, name, value):
        return queryset.filter(icontains_any(("title", "place"), value))

    def by_organization(self, queryset, name, value):
        joined = Activity.co_organizers.through.objects.filter(organization=value).values("activity_id")
        return queryset.filter(Q(lead=value) | Q(pk__in=joined))
