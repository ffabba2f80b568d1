"""Supervised action items (督办事项), their updates (the item's story) and evidence files."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models.agreements import (
    Agreement,
    AgreementParty,
    agreement_ids_for,
)
from partnerships.models.directory import (
    Organization,
)
from partnerships.models.meetings import Decision
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, date_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope, get_scope
from portal.uploads import EVIDENCE, IMAGES


class ActionItemQuerySet(ScopedQuerySet):
    OPEN = ("open", "in_progress", "awaiting_confirmation")

    def open(self):
        return self.filter(status__in=self.OPEN)

    def overdue(self, today=None):
        return self.filter(status__in=("open", "in_progress"), due_on__lt=today or timezone.localdate())

    def confirmable_by(self, user):
        """Items awaiting confirmation that this user may confirm now."""
        return self.confirmer_rights(user).filter(status=ActionItem.Status.AWAITING_CONFIRMATION)

    def confirmer_rights(self, user):
        """Items whose closures this user rules on (confirm or send back), whatever their state: another party's
        liaison, or the host of the meeting that decided the item — never the responsible party itself."""
        scope = get_scope(user)
        if scope.is_superuser:
            return self.all()
        liaison_orgs = sorted(scope.org_ids(ROLE_LIAISON))
        host_orgs = sorted(scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON))
        other_party = Q(
            agreement_id__in=AgreementParty.objects.filter(organization_id__in=liaison_orgs).values("agreement_id")
        ) & ~Q(responsible_party_id__in=liaison_orgs)
        host = Q(decision__meeting__host_id__in=host_orgs) & ~Q(responsible_party_id__in=host_orgs)
        # A joint project (共建项目) also lets its partner party's secretary confirm: the side the work was done for.
        partner = Q(partner_id__in=host_orgs) & ~Q(responsible_party_id__in=host_orgs)
        return self.filter(other_party | host | partner)

    def projects(self):
        """共建项目: the items agreed from a need and a partner's offer (项目清单)."""
        return self.filter(kind=ActionItem.Kind.PROJECT)


class ActionItem(models.Model):
    """A supervised action item (督办事项) owned by one party, with progress, evidence and confirmation."""

    class Status(ColouredChoices, models.TextChoices):
        OPEN = "open", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
        DONE = "done", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

        colours = Colours(awaiting_confirmation="warning", done="success", cancelled="secondary", otherwise="primary")

    class Kind(ColouredChoices, models.TextChoices):
        ITEM = "item", _("Action item")
        PROJECT = "project", _("Co-construction project")

        colours = Colours(project="info", otherwise="secondary")

    class Priority(models.IntegerChoices):
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        LOW = 3, _("Low")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="action_items"
    )
    decision = models.ForeignKey(
        Decision, verbose_name=_("decision"), null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ITEM)
    title = models.CharField(_("action item"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsible_party = models.ForeignKey(
        Organization, verbose_name=_("responsible party"), on_delete=models.PROTECT, related_name="action_items"
    )
    responsible_person = user_ref(_("responsible person"), related_name="action_items")
    # A joint project's other side (the party the owner works with or for); empty on ordinary items.
    partner = models.ForeignKey(
        Organization,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partner_projects",
    )
    due_on = UserDateField(_("due on"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.OPEN)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    confirmed_by = user_ref(_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_by = user_ref(_("created by"))
    created_at, updated_at = timestamps()

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "priority", "pk"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["responsible_party", "status"]),
            # The ledger's order: its first page is read off this index (no sort of every visible item).
            models.Index(fields=["due_on", "priority", "id"], name="actionitem_ledger_order_idx"),
            models.Index(fields=["kind", "due_on"], name="actionitem_kind_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="action_item_progress_percent",
                violation_error_message=_("Progress is a percentage between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="action_item_cancel_has_reason",
                violation_error_message=_("Cancelling an item needs a reason."),
            ),
            date_range_check("action_item", "due_on"),
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | ~Q(partner=models.F("responsible_party")),
                name="action_item_partner_not_owner",
                violation_error_message=_("The partner must be another party than the owner."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:action_item_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in ActionItemQuerySet.OPEN

    def days_overdue(self, today=None) -> int:
        if self.status not in (self.Status.OPEN, self.Status.IN_PROGRESS):
            return 0
        return max(((today or timezone.localdate()) - self.due_on).days, 0)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # Only the responsible party's secretary or liaison moves the item forward.
        return scope.in_orgs_q("responsible_party_id", ROLE_SECRETARY, ROLE_LIAISON)


class ActionItemUpdate(models.Model):
    """One entry of an item's story: progress, a closing request, a confirmation, a send-back, a cancellation."""

    class Kind(ColouredChoices, models.TextChoices):
        PROGRESS = "progress", _("Progress update")
        CLOSE_REQUEST = "close_request", _("Closure requested")
        CONFIRM = "confirm", _("Closure confirmed")
        SEND_BACK = "send_back", _("Sent back")
        CANCEL = "cancel", _("Cancelled")
        EXTEND = "extend", _("Due date extended")
        REASSIGN = "reassign", _("Reassigned")

        colours = Colours(
            close_request="info", confirm="success", send_back="warning", cancel="warning", otherwise="light"
        )

    item = models.ForeignKey(
        ActionItem, verbose_name=_("action item"), on_delete=models.CASCADE, related_name="updates"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PROGRESS)
    note = models.TextField(_("note"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    author = user_ref(_("author"), blank=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("action item update")
        verbose_name_plural = _("action item updates")
        ordering = ["item", "-created_at", "-pk"]
        indexes = [models.Index(fields=["item", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.note[:30]}"


class Evidence(models.Model):
    """A supporting file (佐证材料) attached to an item update; type checked by content, size limited."""

    update = models.ForeignKey(
        ActionItemUpdate, verbose_name=_("update"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/")
    # An image's small JPEG (portal.uploads.jpeg_thumbnail), made on upload: the confirmation page shows it on a
    # phone instead of the original. Empty for other files and for images stored before thumbnails were made.
    thumbnail = models.FileField(_("thumbnail"), upload_to="evidence/%Y/%m/thumbs/", blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        """Shown as a thumbnail (its content was checked to be an image when it was uploaded)."""
        return self.content_type in IMAGES

    @property
    def type_label(self) -> str:
        """The file's kind as people name it: PDF, DOCX, XLSX, PNG…"""
        return EVIDENCE.get(self.content_type, "").lstrip(".").upper() or self.content_type
