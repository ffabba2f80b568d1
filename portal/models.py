"""Accounts and roles (Membership) and the record of background jobs."""

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
