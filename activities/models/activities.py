"""Yearly plans and their rows, activities with their headcounts and photos, and the iCal feed token.

The package docstring (activities/models/__init__.py) tells the scope rules they share."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models import Member, Organization, agreement_ids_for, in_scope_agreements
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateTimeField, datetime_range_check
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope, any_of


def _org_q(scope: UserScope, field: str) -> Q:
    """Rows whose ``field`` organization is one of the user's (any role) or lies in a reviewed subtree."""
    return scope.in_orgs_q(f"{field}_id") | scope.subtree_q(f"{field}__path")


class ActivityType(models.Model):
    """A kind of joint activity (主题党日, 联合党课, 志愿服务 …): data, editable by admins, coloured on the calendar."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#c8161d", help_text=_("A hex colour such as #c8161d."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_study = models.BooleanField(
        _("counts as joint study"), default=False, help_text=_("Party lectures, joint classes and theory study.")
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"),
                name="activity_type_color_hex",
                violation_error_message=_("Enter a hex colour such as #c8161d."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ActivityPlan(models.Model):
    """The yearly joint activity plan (党建共建活动计划) of one agreement."""

    agreement = models.ForeignKey(
        "partnerships.Agreement", verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="activity_plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=120)
    notes = models.TextField(_("notes"), blank=True)
    created_by = user_ref(_("created by"), blank=False)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly activity plan")
        verbose_name_plural = _("yearly activity plans")
        ordering = ["-year", "agreement", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "year"],
                name="activity_plan_one_per_year",
                violation_error_message=_("This agreement already has a plan for that year."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="activity_plan_year_range",
                violation_error_message=_("Enter a year between 2000 and 2100."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:plan_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))


class PlannedActivity(models.Model):
    """One row of a yearly plan: theme, content, type, lead unit, co-organizing units and planned month."""

    plan = models.ForeignKey(ActivityPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="rows")
    month = models.PositiveSmallIntegerField(_("planned month"))
    theme = models.CharField(_("theme"), max_length=120)
    content = models.TextField(_("content"), blank=True)
    type = models.ForeignKey(ActivityType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        Organization, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="planned_activities_led"
    )
    co_organizers = models.ManyToManyField(
        Organization, verbose_name=_("co-organizing units"), blank=True, related_name="planned_activities_joined"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("planned activity")
        verbose_name_plural = _("planned activities")
        ordering = ["plan", "month", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="planned_activity_month_range",
                violation_error_message=_("The planned month is between 1 and 12."),
            )
        ]

    def __str__(self) -> str:
        return self.theme

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(plan__agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(plan__agreement_id__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))


class ActivityQuerySet(ScopedQuerySet):
    def awaiting_log(self, now=None):
        """Activities that have ended but are not logged yet (held, or still marked planned)."""
        return self.filter(
            status__in=(Activity.Status.PLANNED, Activity.Status.HELD), ends_at__lte=now or timezone.now()
        )


class Activity(models.Model):
    """A joint activity: scheduled (from a plan row or on its own), held, then logged by the lead's secretary."""

    class Status(ColouredChoices, models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held, not logged")
        LOGGED = "logged", _("Logged")
        CANCELLED = "cancelled", _("Cancelled")

        colours = Colours(planned="info", held="warning", logged="success", cancelled="secondary")

    title = models.CharField(_("title"), max_length=120)
    type = models.ForeignKey(ActivityType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="activities")
    agreement = models.ForeignKey(
        "partnerships.Agreement",
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text=_("Leave empty for the branch's own activity."),
    )
    plan_row = models.ForeignKey(
        PlannedActivity,
        verbose_name=_("plan row"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    lead = models.ForeignKey(
        Organization, verbose_name=_("lead organization"), on_delete=models.PROTECT, related_name="activities_led"
    )
    co_organizers = models.ManyToManyField(
        Organization, verbose_name=_("co-organizers"), blank=True, related_name="activities_joined"
    )
    starts_at = UserDateTimeField(_("starts at"))
    ends_at = UserDateTimeField(_("ends at"))
    place = models.CharField(_("activity place"), max_length=120)
    description = models.TextField(_("arrangements"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Filled in when the activity is logged.
    summary = models.TextField(_("summary"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    participants = models.ManyToManyField(
        Member, verbose_name=_("named participants"), blank=True, related_name="activities"
    )
    logged_at = models.DateTimeField(_("logged at"), null=True, blank=True)
    logged_by = user_ref(_("logged by"))
    publicity_title = models.CharField(_("publicity report title"), max_length=120, blank=True)
    publicity_text = models.TextField(_("publicity report text"), blank=True)
    publicity_url = models.URLField(_("publicity report link"), blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    created_by = user_ref(_("created by"))
    created_at, updated_at = timestamps()

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[co_organizers])

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["lead", "status", "starts_at"]),
            # The quarterly rollup selects a quarter's activities by their end (logged within 7 days).
            models.Index(fields=["ends_at"]),
            # The ledger's order: the first page is read off this index (no sort of the visible activities).
            models.Index(fields=["-starts_at", "-id"], name="activity_ledger_order_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")),
                name="activity_ends_after_start",
                violation_error_message=_("The activity cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="activity_cancel_has_reason",
                violation_error_message=_("Cancelling an activity needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(status="logged") | ~Q(summary=""),
                name="activity_logged_has_summary",
                violation_error_message=_("A logged activity needs a summary."),
            ),
            datetime_range_check("activity", "starts_at"),
            datetime_range_check("activity", "ends_at"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:activity_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        # Led by, co-organized by, or under an agreement of the user's organizations (see ``any_of`` for the shape).
        co_organized = Activity.co_organizers.through.objects.filter(_org_q(scope, "organization"))
        if scope.is_broad:
            co_organized_q = Exists(co_organized.filter(activity_id=OuterRef("pk")))
        else:
            co_organized_q = Q(pk__in=co_organized.values("activity_id"))
        return any_of(scope, cls, _org_q(scope, "lead"), co_organized_q, in_scope_agreements(scope, "agreement_id"))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # The lead organization's secretary holds and logs it; the 30-day lock is checked by the services.
        return scope.in_orgs_q("lead_id", ROLE_SECRETARY)


class ActivityParticipation(models.Model):
    """How many people one participating organization (the lead or a co-organizer) sent to an activity."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="participations"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    headcount = models.PositiveIntegerField(_("headcount"))

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["activity", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "organization"],
                name="activity_participation_once",
                violation_error_message=_("This organization already has a headcount for the activity."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.headcount}"


class Photo(models.Model):
    """A photo checked by content (images only), size-limited, stored with a resized thumbnail."""

    image = models.FileField(_("photo"), upload_to="photos/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="photos/%Y/%m/thumbs/")
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_by = user_ref(_("uploaded by"), blank=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class ActivityPhoto(Photo):
    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="photos")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity", "pk"]

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(activity__in=Activity.objects.filter(Activity.scope_visible_q(scope)).values("pk"))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(activity__in=Activity.objects.filter(Activity.scope_editable_q(scope)).values("pk"))


class PendingPhoto(Photo):
    """A photo uploaded from the log form as soon as it is picked, before the form is saved.

    It belongs to its uploader only (no one else may see, attach or remove it), so a validation error does not lose
    it: the form carries its id and saving the log turns it into an ``ActivityPhoto`` (the same stored files). One
    not attached within ``PENDING_PHOTO_TTL`` is deleted by the nightly housekeeping, and its files with it.
    """

    class Meta:
        verbose_name = _("pending photo")
        verbose_name_plural = _("pending photos")
        ordering = ["pk"]
        indexes = [models.Index(fields=["created_at"])]


class CalendarToken(models.Model):
    """The secret in a user's personal iCal feed URL; regenerating replaces it, revoking deletes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"


class LogSubmission(models.Model):
    """One applied log of an activity, keyed by the client's idempotency key (``client_key``, a UUID the log form
    makes when it is opened and an offline draft keeps). The unique key is what makes a retried sync log once:
    the second submission with the same key finds this row and changes nothing."""

    key = models.UUIDField(_("idempotency key"), unique=True)
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="log_submissions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("log submission")
        verbose_name_plural = _("log submissions")
        indexes = [models.Index(fields=["activity", "created_at"])]

    def __str__(self) -> str:
        return str(self.key)
