"""The empty choice of a select says what it means, never Django's "---------": "请选择" in a form that edits,
"全部" in a list's filter.

The filters are django-filter's: ``FILTERS_EMPTY_CHOICE_LABEL`` in settings gives every ``ChoiceFilter`` and
``ModelChoiceFilter`` "全部". The forms get "请选择" here, once for the whole project (``PortalConfig.ready`` calls
``install``), rather than an ``empty_label`` in each of dozens of forms that a new form would forget: Django takes the
dash label from two defaults, ``ModelChoiceField``'s ``empty_label`` and the blank choice a model field with choices
adds to its form field (``BLANK_CHOICE_DASH``, a list every ``get_choices`` call shares by reference). A form or filter
that passes its own label (the calendar's "全部类型") keeps it.
"""

from __future__ import annotations

from django.db.models import fields
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _

CHOOSE = _("Please choose")
ALL = _("All")


def install() -> None:
    fields.BLANK_CHOICE_DASH[:] = [("", CHOOSE)]
    ModelChoiceField.__init__.__kwdefaults__["empty_label"] = CHOOSE
