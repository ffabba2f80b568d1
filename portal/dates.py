"""Sane ranges for every date and time a user enters (or puts in a query string).

A date like ``0001-01-01T00:00`` in Asia/Shanghai is year 0 in UTC, which Python cannot read back: the page showing
it would fail for everyone. So every user-entered date or date-time is kept within ``DATE_MIN``–``DATE_MAX``
(2000–2100) at three levels, all from this module:

* the model fields ``UserDateField`` / ``UserDateTimeField`` carry the range validator, and their ``formfield()``
  is ``BoundedDateField`` / ``BoundedDateTimeField``, so ModelForms and the admin get it without asking;
* plain forms use ``BoundedDateField`` / ``BoundedDateTimeField`` directly, list filters ``BoundedDateFilter``
  (an out-of-range query-string date is a filter error, not a 500), the calendar feed the validator (a 400);
* ``date_range_check()`` builds the database ``CheckConstraint`` for such a column (``tests/portal/test_date_ranges.py``
  fails for a user-entered date column without one).

A date-time column's database bounds are the instants that are 2000-01-01 00:00 … 2100-12-31 24:00 in *some* time
zone (UTC−12 … UTC+14): whatever the site's zone, what the form accepts passes, and nothing stored is unreadable.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
# The founding of the Party: the earliest day someone can have joined it (a roster holds members of long standing).
PARTY_FOUNDED = dt.date(1921, 7, 1)

_EARLIEST_ZONE = dt.timezone(dt.timedelta(hours=14))
_LATEST_ZONE = dt.timezone(dt.timedelta(hours=-12))


def instant_bounds(lower: dt.date, upper: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open span of instants that fall on ``lower`` … ``upper`` in some time zone (as UTC)."""
    start = dt.datetime.combine(lower, dt.time(), tzinfo=_EARLIEST_ZONE)
    end = dt.datetime.combine(upper + dt.timedelta(days=1), dt.time(), tzinfo=_LATEST_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def local_date(value) -> dt.date | None:
    """The calendar day of a date or date-time in the current time zone (None when it has none)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            try:
                value = timezone.localtime(value)
            except (OverflowError, ValueError):
                return None
        return value.date()
    return value


@deconstructible
class DateRangeValidator:
    """Refuses a date, or a date-time whose local day, outside ``lower`` … ``upper`` (an unreadable one too)."""

    def __init__(self, lower: dt.date = DATE_MIN, upper: dt.date = DATE_MAX):
        self.lower, self.upper = lower, upper

    @staticmethod
    def message(with_time: bool):
        if with_time:
            return _("Enter a date and time between %(lower)s and %(upper)s.")
        return _("Enter a date between %(lower)s and %(upper)s.")

    def __call__(self, value) -> None:
        if value is None:
            return
        day = local_date(value)
        if day is None or not (self.lower <= day <= self.upper):
            raise ValidationError(
                self.message(isinstance(value, dt.datetime)),
                code="date_out_of_range",
                params={"lower": self.lower.isoformat(), "upper": self.upper.isoformat()},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, DateRangeValidator) and (self.lower, self.upper) == (other.lower, other.upper)

    def __hash__(self) -> int:
        return hash((self.lower, self.upper))


# --- form fields ----------------------------------------------------------------------------------------------------


class _BoundedMixin:
    """Adds the range validator and tells a browser's date picker the same range."""

    html_format = "%Y-%m-%d"

    def __init__(self, *args, lower: dt.date = DATE_MIN, upper: dt.date = DATE_MAX, **kwargs):
        self.lower, self.upper = lower, upper
        super().__init__(*args, **kwargs)
        self.validators.append(DateRangeValidator(lower, upper))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        kind = widget.attrs.get("type") or getattr(widget, "input_type", "")
        if kind == "date":
            attrs.update(min=self.lower.isoformat(), max=self.upper.isoformat())
        elif kind == "datetime-local":
            attrs.update(min=f"{self.lower.isoformat()}T00:00", max=f"{self.upper.isoformat()}T23:59")
        return attrs


class BoundedDateField(_BoundedMixin, forms.DateField):
    """A date between 2000-01-01 and 2100-12-31 (or the given ``lower``/``upper``); a clear message otherwise."""


class BoundedDateTimeField(_BoundedMixin, forms.DateTimeField):
    """A date and time whose local day lies between 2000-01-01 and 2100-12-31 (or ``lower``/``upper``)."""


class BoundedDateFilter(django_filters.DateFilter):
    """A list filter's date: out of range it is reported next to the filter and not applied."""

    field_class = BoundedDateField


# --- model fields and their database checks ------------------------------------------------------------------------


class _UserDateMixin:
    """A date column filled in by a user: range validator on the model, bounded form field, a check in the DB."""

    form_class: type[forms.Field]

    def __init__(self, *args, lower: dt.date = DATE_MIN, upper: dt.date = DATE_MAX, **kwargs):
        self.lower, self.upper = lower, upper
        super().__init__(*args, **kwargs)

    @cached_property
    def validators(self):
        return [*super().validators, DateRangeValidator(self.lower, self.upper)]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.lower != DATE_MIN:
            kwargs["lower"] = self.lower
        if self.upper != DATE_MAX:
            kwargs["upper"] = self.upper
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", self.form_class)
        if issubclass(kwargs["form_class"], _BoundedMixin):
            kwargs.update(lower=self.lower, upper=self.upper)
        # Another form class (the admin's split date-time, say) still gets the model's validator on saving.
        return super().formfield(**kwargs)

    def range_condition(self) -> Q:
        """The condition the column's ``CheckConstraint`` must hold (see ``date_range_check``)."""
        if isinstance(self, models.DateTimeField):
            start, end = instant_bounds(self.lower, self.upper)
            inside = Q(**{f"{self.name}__gte": start, f"{self.name}__lt": end})
        else:
            inside = Q(**{f"{self.name}__gte": self.lower, f"{self.name}__lte": self.upper})
        return Q(**{f"{self.name}__isnull": True}) | inside if self.null else inside


class UserDateField(_UserDateMixin, models.DateField):
    form_class = BoundedDateField


class UserDateTimeField(_UserDateMixin, models.DateTimeField):
    form_class = BoundedDateTimeField


def date_range_check(
    prefix: str, field_name: str, *, lower: dt.date = DATE_MIN, upper: dt.date = DATE_MAX, null: bool = False
) -> models.CheckConstraint:
    """The ``CheckConstraint`` for a ``UserDateField`` (pass ``null=True`` for a nullable one, the same
    ``lower``/``upper`` as the field); named ``<prefix>_<field>_in_range``."""
    probe = UserDateField(lower=lower, upper=upper, null=null)
    probe.name = field_name
    return _check(prefix, field_name, probe.range_condition(), lower, upper)


def datetime_range_check(
    prefix: str, field_name: str, *, lower: dt.date = DATE_MIN, upper: dt.date = DATE_MAX, null: bool = False
) -> models.CheckConstraint:
    """The ``CheckConstraint`` for a ``UserDateTimeField``; see ``date_range_check``."""
    probe = UserDateTimeField(lower=lower, upper=upper, null=null)
    probe.name = field_name
    return _check(prefix, field_name, probe.range_condition(), lower, upper)


def period_checks(prefix: str, message, *, starts_null: bool = False) -> list[models.CheckConstraint]:
    """The checks of a ``starts_on`` … ``ends_on`` period (the end may be empty, the start too with ``starts_null``):
    it ends on or after it starts (``<prefix>_ends_after_start``, with ``message``), both dates in range."""
    if starts_null:
        condition = Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on"))
    else:
        condition = Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on"))
    return [
        models.CheckConstraint(condition=condition, name=f"{prefix}_ends_after_start", violation_error_message=message),
        date_range_check(prefix, "starts_on", null=starts_null),
        date_range_check(prefix, "ends_on", null=True),
    ]


def _check(prefix, field_name, condition, lower, upper) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=condition,
        name=f"{prefix}_{field_name}_in_range",
        violation_error_message=format_lazy(
            _("Dates must lie between {lower} and {upper}."), lower=lower.isoformat(), upper=upper.isoformat()
        ),
    )
