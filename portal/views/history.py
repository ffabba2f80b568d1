"""A record's 变更记录 as an Excel ledger: ``/history/<app_label.model_name>/<pk>.xlsx`` for every audited model.

The record is looked up through its model's scoped queryset (``visible_to``), so whoever may not see the record —
an outsider, or anyone on a model without history or without a scope — gets 404, as on the record's own page.
"""

from __future__ import annotations

from django.apps import apps
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from portal import history
from portal.xlsx import build_workbook, xlsx_response


def audited_model(label: str):
    """The model named ``app_label.model_name`` when it keeps a history and a scope; else 404."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404 from None
    manager = getattr(model, "objects", None)
    if not hasattr(model, "history") or not hasattr(manager, "visible_to") or model._meta.label_lower != label:
        raise Http404
    return model


def history_export(request, label: str, pk: int):
    """The record's history, one row per changed field, newest first."""
    model = audited_model(label)
    record = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    headers = [_("Time"), _("By"), _("Action"), _("Field"), _("Old value"), _("New value")]
    rows = history.rows(record.history.order_by("-history_date", "-history_id").select_related("history_user"))
    title = _("Change history")
    content = build_workbook([(title, headers, rows)], scope=f"{model._meta.verbose_name} {record}")
    return xlsx_response(f"{title}-{record}.xlsx", content)
