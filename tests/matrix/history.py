"""Access-matrix rows for a record's change history as Excel (``/history/<model>/<pk>.xlsx``): read-only, scoped by
the record's model (the outsider gets 404; nothing to write, so no read-only role)."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import cast_agreement
from tests.matrix import Case


def objects(world) -> dict:
    return {"history_agreement": cast_agreement(world, number="GJ-MATRIX-HIST")}


CASES = {
    "history_export": Case(
        lambda w, o: reverse("history_export", args=["partnerships.agreement", o["history_agreement"].pk]),
        owner="secretary1",
    ),
}
