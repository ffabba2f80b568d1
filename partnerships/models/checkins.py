"""扫码签到: the check-in code of a joint meeting and the check-ins made with it, plus the abstract shapes the
activities app reuses for its own (activities may import partnerships, never the reverse).

A code is a long random token (``secrets.token_urlsafe(16)``, 128 bits) printed as a QR code; the public page
``/c/<token>/`` takes a name and the last four digits of a phone number. A roster match records the member; no match
records a guest with the unit they typed. The code can be regenerated: the old token stops working at once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.models.directory import Member, Organization
from partnerships.models.meetings import JointMeeting
from portal.fields import user_ref


class CheckInCode(models.Model):
    """The secret in an event's check-in URL (abstract: one table per kind of event)."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = user_ref(_("created by"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"


class CheckInEntry(models.Model):
    """One person checked in at an event (abstract): a roster ``member`` when the name and the phone's last four
    digits matched one, otherwise a guest with the ``unit`` they gave. ``organization`` is the participating
    organization the person counts towards (the member's, or the one a guest's unit names), if any."""

    member = models.ForeignKey(
        Member, verbose_name=_("party member"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("full name"), max_length=40)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    # A keyed hash of the address it came from (never the address itself): enough to spot a flood, nothing more.
    address_hash = models.CharField(_("address hash"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("checked in at"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_guest(self) -> bool:
        return self.member_id is None


def checkin_constraints(event: str) -> list[models.BaseConstraint]:
    """One check-in per member per event, one per guest name and unit, and never a nameless one."""
    return [
        models.UniqueConstraint(
            fields=[event, "member"],
            condition=Q(member__isnull=False),
            name=f"{event}_checkin_member_once",
            violation_error_message=_("This person has already checked in."),
        ),
        models.UniqueConstraint(
            fields=[event, "name", "unit"],
            condition=Q(member__isnull=True),
            name=f"{event}_checkin_guest_once",
            violation_error_message=_("This person has already checked in."),
        ),
        models.CheckConstraint(
            condition=~Q(name=""), name=f"{event}_checkin_has_name", violation_error_message=_("Enter your name.")
        ),
    ]


class MeetingCheckInCode(CheckInCode):
    """The check-in code of one joint meeting."""

    meeting = models.OneToOneField(
        JointMeeting, verbose_name=_("joint meeting"), on_delete=models.CASCADE, related_name="checkin_code"
    )

    class Meta:
        verbose_name = _("meeting check-in code")
        verbose_name_plural = _("meeting check-in codes")


class MeetingCheckIn(CheckInEntry):
    """Someone who checked in at a joint meeting with its code."""

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("joint meeting"), on_delete=models.CASCADE, related_name="checkins"
    )

    class Meta:
        verbose_name = _("meeting check-in")
        verbose_name_plural = _("meeting check-ins")
        ordering = ["meeting", "created_at", "pk"]
        indexes = [models.Index(fields=["meeting", "created_at"])]
        constraints = checkin_constraints("meeting")
