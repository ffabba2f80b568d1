"""Joint meetings (联席会议): agenda, minutes versions and decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models.agreements import (
    Agreement,
    agreement_ids_for,
)
from partnerships.models.directory import (
    Organization,
)
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, UserDateTimeField, date_range_check, datetime_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope


class JointMeeting(models.Model):
    """A joint meeting (联席会议) of an agreement's parties, with its agenda, minutes and decisions."""

    class MinutesStatus(ColouredChoices, models.TextChoices):
        PENDING = "pending", _("Not yet recorded")
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

        colours = Colours(pending="light", draft="warning", published="success")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=120)
    starts_at = UserDateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=120)
    host = models.ForeignKey(
        Organization, verbose_name=_("host organization"), on_delete=models.PROTECT, related_name="hosted_meetings"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="joint_meetings"
    )
    guests = models.TextField(_("other attendees and guests"), blank=True, help_text=_("One per line."))
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_status = models.CharField(
        _("minutes status"), max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.PENDING
    )
    minutes_version = models.PositiveSmallIntegerField(_("minutes version"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = user_ref(_("published by"))
    # Raised each time the attendees are told of a change (time, place, title, host, attendees, cancellation): the
    # occurrence of the "meeting changed" notice and the SEQUENCE of its calendar entry.
    # Database defaults too, so rows inserted in bulk by raw SQL (the scale seeder) need not name them.
    revision = models.PositiveIntegerField(_("revision"), default=0, db_default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True, default="", db_default="")
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-starts_at", "-pk"]
        constraints = [datetime_range_check("joint_meeting", "starts_at")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:meeting_detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.minutes_status == self.MinutesStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # The host's secretary or liaison records the minutes.
        return Q(agreement_id__in=agreement_ids_for(scope)) & scope.in_orgs_q("host_id", ROLE_SECRETARY, ROLE_LIAISON)


class MinutesVersion(models.Model):
    """A published version of a meeting's minutes; corrections add versions, never overwrite one."""

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="minutes_versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("minutes"))
    reason = models.CharField(_("reason for correction"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = user_ref(_("published by"), blank=False)

    class Meta:
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        ordering = ["meeting", "-number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="minutes_version_unique")]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.number}"


class AgendaItem(models.Model):
    """An agenda item; carried-over action items are listed automatically with their latest progress."""

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("agenda item"), max_length=200)
    presenter = models.CharField(_("presenter"), max_length=40, blank=True)
    carried_item = models.ForeignKey(
        "ActionItem",
        verbose_name=_("carried-over action item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agenda_entries",
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "carried_item"],
                condition=Q(carried_item__isnull=False),
                name="agenda_carried_item_once",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ItemPriority(models.IntegerChoices):
    """An action item's priority (优先级); ``ActionItem.Priority`` has the same values, a decision carries one for
    the item it becomes."""

    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class Decision(models.Model):
    """A decision recorded in a meeting's minutes; it may yield action items or rule on a carried-over one.

    A new decision naming a responsible party (with its person, due date and priority) becomes a supervised action
    item when the minutes are published (``partnerships.services.minutes``)."""

    class Outcome(ColouredChoices, models.TextChoices):
        NEW = "new", _("New decision")
        EXTEND = "extend", _("Extend the due date")
        REASSIGN = "reassign", _("Reassign")
        CLOSE = "close", _("Close")

        colours = Colours(otherwise="info")

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("decision"), blank=True)
    outcome = models.CharField(_("kind"), max_length=10, choices=Outcome.choices, default=Outcome.NEW)
    carried_item = models.ForeignKey(
        "ActionItem",
        verbose_name=_("carried-over action item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rulings",
    )
    # A ruling's parameters, applied to the carried item when the minutes are published.
    new_due_on = UserDateField(_("new due date"), null=True, blank=True)
    new_responsible_party = models.ForeignKey(
        Organization,
        verbose_name=_("new responsible party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A new decision's assignment, the action item it becomes on publication: 责任单位, 责任人, 时限, 优先级.
    responsible_party = models.ForeignKey(
        Organization,
        verbose_name=_("responsible party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_person = user_ref(_("responsible person"))
    due_on = UserDateField(_("due on"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=ItemPriority.choices, default=ItemPriority.NORMAL
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            date_range_check("decision", "new_due_on", null=True),
            date_range_check("decision", "due_on", null=True),
        ]

    def __str__(self) -> str:
        return self.text[:40]
