"""扫码签到 at activities: an activity's check-in code and the check-ins made with it.

The shapes (token, name, unit, member, organization, address hash) and the constraints are partnerships' (see
partnerships/models/checkins.py), shared with joint meetings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from activities.models.activities import Activity
from partnerships.models import CheckInCode, CheckInEntry
from partnerships.models.checkins import checkin_constraints


class ActivityCheckInCode(CheckInCode):
    """The check-in code of one activity."""

    activity = models.OneToOneField(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="checkin_code"
    )

    class Meta:
        verbose_name = _("activity check-in code")
        verbose_name_plural = _("activity check-in codes")


class ActivityCheckIn(CheckInEntry):
    """Someone who checked in at an activity with its code; the log form starts from these."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="checkins"
    )

    class Meta:
        verbose_name = _("activity check-in")
        verbose_name_plural = _("activity check-ins")
        ordering = ["activity", "created_at", "pk"]
        indexes = [models.Index(fields=["activity", "created_at"])]
        constraints = checkin_constraints("activity")
