"""Model fields that every app's models declare the same way: one home for each.

* ``timestamps()``: the ``created_at`` / ``updated_at`` pair of a record (``created_at, updated_at = timestamps()``).
* ``user_ref()``: the user who did something to a record (created, logged, confirmed, published it …), kept as
  empty when the account is deleted.

They return plain Django fields, so the migrations see exactly the fields they saw when each model spelled them out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def timestamps() -> tuple[models.DateTimeField, models.DateTimeField]:
    """``created_at`` (set on insert) and ``updated_at`` (set on every save), in that order."""
    return (
        models.DateTimeField(_("created at"), auto_now_add=True),
        models.DateTimeField(_("updated at"), auto_now=True),
    )


def user_ref(verbose_name, *, blank: bool = True, related_name: str = "+") -> models.ForeignKey:
    """A user account a record names (who created, logged, confirmed … it); emptied when the account is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=blank,
        on_delete=models.SET_NULL,
        related_name=related_name,
    )
