"""Accounts and roles (Membership), the record of background jobs, and reminders (rules, notifications, preferences)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.scoping import ROLE_LIAISON, ROLE_MEMBER, ROLE_REVIEWER, ROLE_SECRETARY, ScopedQuerySet, UserScope


class Membership(models.Model):
    """A user's role in one organization. A user may hold several memberships (and several roles)."""

    class Role(models.TextChoices):
        SECRETARY = ROLE_SECRETARY, _("Branch secretary")
        LIAISON = ROLE_LIAISON, _("Liaison officer")
        REVIEWER = ROLE_REVIEWER, _("Committee reviewer")
        MEMBER = ROLE_MEMBER, _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        "partnerships.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                name="membership_unique",
                violation_error_message=_("This user already holds this role in this organization."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(user_id=scope.user_id) | scope.subtree_q("organization__path")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(pk__in=[])  # only superusers manage memberships (in the admin)


class TaskRun(models.Model):
    """The last run of a periodic job, so admins can see that background work is alive."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("job"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReminderRule(models.Model):
    """When one kind of reminder fires; defaults come from the registry (portal/reminders.py), admins edit them."""

    kind = models.CharField(_("kind"), max_length=60, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    offset_days = models.IntegerField(
        _("days"), default=0, help_text=_("Days before the date, or after it, depending on the kind.")
    )
    repeat_daily = models.BooleanField(_("repeat daily"), default=False)
    escalate_after_days = models.PositiveSmallIntegerField(_("escalate after (days)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        from portal import reminders

        return str(reminders.label_for(self.kind))


class NotificationQuerySet(models.QuerySet):
    def in_app_for(self, user):
        """What the notification centre shows a user: delivered rows they did not switch off."""
        return self.filter(
            recipient=user, in_app=True, status__in=(Notification.Status.SENT, Notification.Status.FAILED)
        )

    def unread_for(self, user):
        return self.in_app_for(user).filter(read_at__isnull=True)


class Notification(models.Model):
    """One reminder for one recipient about one object at one occurrence; created by the sweep, claimed, then sent.

    The row is the in-app notification; ``channels`` records what each other channel did with it (email sent /
    skipped / left for the digest), so a later channel (webhook, digest) can pick up where this one stopped.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60)
    target_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("object type"), on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("object id"))
    # What makes this reminder distinct for its object: the due date, "d-3:<date>", "overdue:<day>"…
    occurrence = models.CharField(_("occurrence"), max_length=60)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    in_app = models.BooleanField(_("shown in the portal"), default=True)
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-due_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="notification_status_due"),
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
            models.Index(fields=["kind", "status"], name="notification_kind_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_type", "target_id", "recipient", "occurrence"],
                name="notification_once_per_occurrence",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's channels for one kind of reminder; no row means the defaults (in-app and email, no digest)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=60)
    in_app = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    digest = models.BooleanField(_("in the daily digest instead"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"
