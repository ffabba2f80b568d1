"""Accounts and roles (Membership), the record of background jobs, and reminders (rules, notifications, preferences)."""

from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.choices import ColouredChoices, Colours
from portal.fields import timestamps, user_ref
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

    class Status(ColouredChoices, models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

        colours = Colours(queued="secondary", running="secondary", done="success", failed="danger")

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

    # The registered kinds (kind -> entry with its ``label``): portal/reminders.py's registry, which sits above the
    # models and keeps its entries here, so a rule names its kind without the models importing the registry.
    registry: ClassVar[dict] = {}

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        entry = self.registry.get(self.kind)
        return str(entry.label if entry else self.kind)


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
    # The daily digest claims a user's rows by stamping them with its token (a conditional update on digested_at),
    # so two workers never put the same row into two emails.
    digested_at = models.DateTimeField(_("put in a digest at"), null=True, blank=True)
    digest_token = models.CharField(max_length=32, blank=True, editable=False)
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


# --- group robots (企业微信 / 钉钉 群机器人) ---------------------------------------------------------------------


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def validate_webhook_url(value: str) -> None:
    """https on the standard port, with a host; when ``WEBHOOK_ALLOWED_HOSTS`` is set, only those hosts (production:
    the two platforms). Only with ``WEBHOOK_ALLOW_LOCAL_HTTP`` (on under DEBUG, never in production) may a robot on
    this machine (loopback) be reached over http or on another port: the tests' and a developer's local robots."""
    parts = urlsplit(value)
    hostname = (parts.hostname or "").lower()
    local = getattr(settings, "WEBHOOK_ALLOW_LOCAL_HTTP", False) and hostname in LOOPBACK_HOSTS
    if not hostname or parts.scheme not in (("http", "https") if local else ("https",)):
        raise ValidationError(_("Enter the robot's full address, starting with https://."), code="scheme")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not local and port not in (None, 443):
        raise ValidationError(
            _("Robot addresses use the standard https port: remove the port number after the host name."),
            code="port",
        )
    allowed = [host.lower() for host in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", [])]
    if allowed and hostname not in allowed:
        raise ValidationError(
            _("Robots may only post to %(hosts)s."), code="host", params={"hosts": ", ".join(allowed)}
        )


def mask_secret(value: str, keep: int = 4) -> str:
    """``abcdef123456`` → ``••••3456``: enough to tell two keys apart, never enough to use one."""
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "••••"
    return "••••" + value[-keep:]


class WebhookEndpoint(models.Model):
    """An organization's group robot (企业微信 or 钉钉 群机器人): reminders about the organization are posted to
    its group chat as markdown messages.

    The robot's address holds its key, and ``secret`` is DingTalk's signing secret (加签); pages only ever show
    them masked. ``kinds`` lists the reminder kinds the robot posts; empty means every kind.
    """

    class Platform(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")

    organization = models.ForeignKey(
        "partnerships.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    name = models.CharField(
        _("name"), max_length=60, help_text=_("The group chat's name, so people know where the messages go.")
    )
    url = models.URLField(
        _("robot address"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("The webhook address shown when the robot was added to the group."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the signing secret (it starts with SEC) when the robot signs its messages."),
    )
    kinds = models.JSONField(_("reminders posted"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = user_ref(_("created by"))
    created_at, updated_at = timestamps()
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    # When its last posts went out (ISO timestamps, the last minute's only): the sweep's pacing (portal/webhooks/plan.py).
    recent_posts = models.JSONField(default=list, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["organization__path", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="webhook_endpoint_name_unique",
                violation_error_message=_("This organization already has a robot with this name."),
            ),
            models.CheckConstraint(
                condition=Q(platform__in=["wecom", "dingtalk"]),
                name="webhook_endpoint_platform_known",
                violation_error_message=_("Choose WeCom or DingTalk."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def get_absolute_url(self) -> str:
        return reverse("webhook_detail", args=[self.pk])

    @property
    def masked_url(self) -> str:
        """The address with every query value (the robot's key or access token) masked."""
        parts = urlsplit(self.url)
        query = "&".join(f"{key}={mask_secret(value)}" for key, value in parse_qsl(parts.query, keep_blank_values=True))
        return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")

    @property
    def masked_secret(self) -> str:
        return mask_secret(self.secret)

    def posts_kind(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    # --- scope: its organization's people and reviewers over it see it; only its secretary manages it (§10) ------
    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id") | scope.subtree_q("organization__path")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id", ROLE_SECRETARY)


class WebhookDelivery(models.Model):
    """One reminder posted to one group robot, created by the sweep, claimed, then sent (like ``Notification``).

    Unique per (robot, kind, object, occurrence): each group hears of each reminder once however many of its people
    are recipients. A test message from the settings page is a delivery too (kind ``webhook.test``).
    """

    class Status(ColouredChoices, models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

        colours = Colours(pending="warning", sending="warning", sent="success", failed="danger", cancelled="secondary")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("group robot"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=60)
    target_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("object type"), on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("object id"))
    occurrence = models.CharField(_("occurrence"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, help_text=_("Markdown, as posted."))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response = models.CharField(_("reply"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("group robot message")
        verbose_name_plural = _("group robot messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="webhook_delivery_status_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "kind", "target_type", "target_id", "occurrence"],
                name="webhook_delivery_once_per_occurrence",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("endpoint__organization_id") | scope.subtree_q("endpoint__organization__path")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(pk__in=[])  # written by the sweep only


# --- export jobs (大批量导出) ------------------------------------------------------------------------------------


class ExportJob(models.Model):
    """One big Excel export, written by a worker (portal/exports.py); only its requester sees it or its file."""

    class Kind(models.TextChoices):
        ACTIVITIES = "activities", _("Activity ledger")
        ACTION_ITEMS = "action_items", _("Action item ledger")
        AGREEMENTS = "agreements", _("Agreement ledger")
        DASHBOARD = "dashboard", _("Assessment results")
        ARCHIVE = "archive", _("Yearly ledger archive")

    class Status(ColouredChoices, models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

        colours = Colours(queued="info", running="info", done="success", failed="danger")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The export page's query string as {name: [values]}: the worker applies the same filters to the same scope.
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in total"), null=True, blank=True)
    # Its name in the "exports" storage (EXPORTS_DIR, or the bucket's exports/ prefix; never among the uploads):
    # served by a view that checks the requester.
    file = models.CharField(_("file"), max_length=200, blank=True, editable=False)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Why a job failed, in words its requester can act on (``exports.JobFailed``); ``error`` keeps the technical detail.
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("sent to the workers at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="export_job_requester_idx"),
            models.Index(fields=["status", "enqueued_at"], name="export_job_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
