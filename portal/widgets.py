"""Search-as-you-type selects for choice fields whose scope grows with the data (DESIGN.md §9).

``SearchSelect`` / ``SearchSelectMultiple`` replace ``Select`` / ``SelectMultiple`` on a ``ModelChoiceField`` (or a
django-filter ``ModelChoiceFilter``). The field keeps its scoped queryset, so validation is unchanged: a posted id
outside the scope is still an "invalid choice" error. Only the rendering changes:

* the scope holds at most ``PLAIN_LIMIT`` choices → an ordinary ``<select>`` with every option (works without
  JavaScript, as before);
* more → the ``<select>`` holds only the empty choice and the selected option(s), and carries ``data-search-url``
  (``/search/<kind>/?purpose=<purpose>``); ``static/js/search-select.js`` turns it into a Tom Select that asks that
  endpoint as the user types. Without JavaScript such a field keeps its current value and the page's text search
  still works.

Rendering costs at most two bounded queries (``PLAIN_LIMIT + 1`` rows, and the selected rows when there is a value),
the same at ten choices or ten thousand.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PLAIN_LIMIT = 50


class SearchSelectMixin:
    def __init__(self, kind: str, purpose: str, attrs=None, **kwargs):
        self.kind = kind
        self.purpose = purpose
        super().__init__(attrs=attrs, **kwargs)

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.kind, copy.purpose = self.kind, self.purpose
        return copy

    @property
    def search_url(self) -> str:
        return f"{reverse('search', args=[self.kind])}?purpose={self.purpose}"

    def _selected_pks(self, value) -> list:
        values = [v for v in (value or []) if v not in (None, "")]
        if not values:
            return []
        field = self.choices.field
        meta = field.queryset.model._meta
        model_field = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
        clean = []
        for raw in values:
            try:
                clean.append(model_field.to_python(raw))
            except (ValidationError, ValueError, TypeError):
                continue
        return clean

    def optgroups(self, name, value, attrs=None):
        iterator = self.choices
        field = getattr(iterator, "field", None)
        if field is None:  # not a model choice field: behave as the plain widget
            return super().optgroups(name, value, attrs)
        queryset = iterator.queryset
        head = list(queryset[: PLAIN_LIMIT + 1])
        self.searching = len(head) > PLAIN_LIMIT
        key = field.to_field_name or "pk"
        pks = self._selected_pks(value)
        selected = list(queryset.filter(**{f"{key}__in": pks})) if pks else []
        rows = selected if self.searching else head
        choices = []
        if field.empty_label is not None and not self.allow_multiple_selected:
            choices.append(("", field.empty_label))
        choices.extend(iterator.choice(obj) for obj in rows)
        saved = self.choices
        self.choices = choices
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = saved

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)  # calls optgroups, which sets self.searching
        if getattr(self, "searching", False):
            widget_attrs = context["widget"]["attrs"]
            widget_attrs["data-search-url"] = self.search_url
            widget_attrs["data-no-results"] = str(_("No matches"))
            widget_attrs["data-placeholder"] = str(_("Type to search…"))
        return context


class SearchSelect(SearchSelectMixin, forms.Select):
    pass


class SearchSelectMultiple(SearchSelectMixin, forms.SelectMultiple):
    pass
