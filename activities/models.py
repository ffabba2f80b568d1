"""Joint activities and the work on key projects.

* Yearly plans (``ActivityPlan`` + ``PlannedActivity``) agreed per agreement, with a rotating lead unit.
* Activities (``Activity``) scheduled from a plan row or on their own, then logged by the lead organization's
  secretary with headcounts (``ActivityParticipation``), named participants, photos and a publicity note.
* Key projects (``KeyProject``) divided into red responsibility zones (``ResponsibilityZone``) claimed by members
  of the parties (``ZoneAssignment``) and checked periodically (``ZoneCheck``).
* Pioneer posts (``PioneerPost``) and commando / vanguard teams (``Team`` + ``TeamMember``).
* A personal, revocable iCal feed token (``CalendarToken``).

Scope (DESIGN.md §4): an organization's people see what it leads or co-organizes and what any agreement it is party
to touches; reviewers see their subtree; only the owning organization's secretary edits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnerships.models import Member, Organization, agreement_ids_for, in_scope_agreements, phone_validator
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, UserDateTimeField, date_range_check, datetime_range_check
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope, any_of


def _org_q(scope: UserScope, field: str) -> Q:
    """Rows whose ``field`` organization is one of the user's (any role) or lies in a reviewed subtree."""
    return scope.in_orgs_q(f"{field}_id") | scope.subtree_q(f"{field}__path")


def _project_visible_q(scope: UserScope, prefix: str) -> Q:
    """Rows under a key project the user may see (the project's agreement has one of the user's parties)."""
    return Q(**{f"{prefix}agreement_id__in": agreement_ids_for(scope)})


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


# --- yearly plans ------------------------------------------------------------------------------------------


class ActivityPlan(models.Model):
    """The yearly joint activity plan (党建共建活动计划) of one agreement."""

    agreement = models.ForeignKey(
        "partnerships.Agreement", verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="activity_plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=120)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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


# --- activities --------------------------------------------------------------------------------------------


class ActivityQuerySet(ScopedQuerySet):
    def awaiting_log(self, now=None):
        """Activities that have ended but are not logged yet (held, or still marked planned)."""
        from django.utils import timezone

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
    place = models.CharField(_("place"), max_length=120)
    description = models.TextField(_("arrangements"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Filled in when the activity is logged.
    summary = models.TextField(_("summary"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    participants = models.ManyToManyField(
        Member, verbose_name=_("named participants"), blank=True, related_name="activities"
    )
    logged_at = models.DateTimeField(_("logged at"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    publicity_title = models.CharField(_("publicity report title"), max_length=120, blank=True)
    publicity_text = models.TextField(_("publicity report text"), blank=True)
    publicity_url = models.URLField(_("publicity report link"), blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
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


# --- key projects and red responsibility zones ------------------------------------------------------------


class KeyProject(models.Model):
    """A key construction project (重点项目) under an agreement, divided into red responsibility zones."""

    class Status(ColouredChoices, models.TextChoices):
        UNDER_WAY = "under_way", _("Under way")
        COMPLETED = "completed", _("Completed")

        colours = Colours(under_way="success", completed="secondary")

    agreement = models.ForeignKey(
        "partnerships.Agreement", verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="key_projects"
    )
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("responsible organization"),
        on_delete=models.PROTECT,
        related_name="key_projects",
        help_text=_("The party that keeps the project's zones and posts."),
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.CharField(_("project code"), max_length=40, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    starts_on = UserDateField(_("starts on"), null=True, blank=True)
    ends_on = UserDateField(_("ends on"), null=True, blank=True)
    is_joint = models.BooleanField(
        _("joint project"),
        default=True,
        help_text=_("Each zone of a joint project is claimed by at least two parties."),
    )
    honours = models.CharField(_("honours"), max_length=200, blank=True, help_text=_("For example 红色工地."))
    supervision_phone = models.CharField(
        _("supervision phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNDER_WAY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="key_project_ends_after_start",
                violation_error_message=_("The project cannot end before it starts."),
            ),
            date_range_check("key_project", "starts_on", null=True),
            date_range_check("key_project", "ends_on", null=True),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("activities:project_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("owner_id", ROLE_SECRETARY)


class ZoneDimension(models.TextChoices):
    """The responsibilities a red zone's members pledge to (安全, 质量, 投资, 进度, 文明施工, 维稳)."""

    SAFETY = "safety", _("Safety")
    QUALITY = "quality", _("Quality")
    INVESTMENT = "investment", _("Investment")
    PROGRESS = "progress", _("Schedule")
    CIVILIZED = "civilized", _("Civilized construction")
    STABILITY = "stability", _("Stability")


class ResponsibilityZone(models.Model):
    """A red responsibility zone (红旗责任区) of a key project: area, responsibilities, pledges, claimed by members."""

    project = models.ForeignKey(
        KeyProject, verbose_name=_("key project"), on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("name"), max_length=80)
    area = models.TextField(_("area"), help_text=_("Where the zone lies on the site, e.g. stations, sections, blocks."))
    dimensions = models.JSONField(_("responsibility dimensions"), default=list, blank=True)
    pledges = models.TextField(_("pledges"), blank=True)
    lead = models.ForeignKey(
        Organization,
        verbose_name=_("lead organization"),
        on_delete=models.PROTECT,
        related_name="zones_led",
        help_text=_("The party whose secretary keeps this zone."),
    )
    supervision_phone = models.CharField(
        _("supervision phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("red responsibility zone")
        verbose_name_plural = _("red responsibility zones")
        ordering = ["project", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="zone_name_unique_in_project",
                violation_error_message=_("The project already has a zone with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("activities:zone_detail", args=[self.pk])

    def get_dimensions_display(self) -> list[str]:
        labels = dict(ZoneDimension.choices)
        return [str(labels[d]) for d in self.dimensions if d in labels]

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("lead_id", ROLE_SECRETARY) | scope.in_orgs_q("project__owner_id", ROLE_SECRETARY)


class ZoneAssignment(models.Model):
    """A party member's claim on a zone, as its responsible person (责任人) or a member, with a post."""

    class Role(ColouredChoices, models.TextChoices):
        LEADER = "leader", _("Person responsible")
        MEMBER = "member", _("Member")

        colours = Colours(leader="danger", member="light")

    zone = models.ForeignKey(
        ResponsibilityZone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="assignments"
    )
    member = models.ForeignKey(Member, verbose_name=_("party member"), on_delete=models.PROTECT, related_name="zones")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    post = models.CharField(_("post"), max_length=60, blank=True, help_text=_("For example 安全监督岗."))
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("zone assignment")
        verbose_name_plural = _("zone assignments")
        ordering = ["zone", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "member"],
                name="zone_assignment_once",
                violation_error_message=_("This member already claims the zone."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.zone}"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "zone__project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("zone__lead_id", ROLE_SECRETARY) | scope.in_orgs_q(
            "zone__project__owner_id", ROLE_SECRETARY
        )


class ZoneCheck(models.Model):
    """A periodic check of a zone: findings (e.g. a safety hazard), the fix, and when it was fixed."""

    class Category(ColouredChoices, models.TextChoices):
        NONE = "none", _("No problem found")
        SAFETY = "safety", _("Safety hazard")
        QUALITY = "quality", _("Quality problem")
        CIVILIZED = "civilized", _("Civilized construction")
        PROGRESS = "progress", _("Schedule")
        STABILITY = "stability", _("Stability")
        OTHER = "other", _("Other")

        colours = Colours(none="success", otherwise="warning")  # any finding

    zone = models.ForeignKey(
        ResponsibilityZone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="checks"
    )
    checked_on = UserDateField(_("checked on"))
    inspectors = models.CharField(_("inspectors"), max_length=120, blank=True)
    category = models.CharField(_("finding category"), max_length=10, choices=Category.choices, default=Category.NONE)
    finding = models.TextField(_("finding"), blank=True)
    fix_due_on = UserDateField(_("fix due on"), null=True, blank=True)
    fix = models.TextField(_("fix"), blank=True)
    fixed_on = UserDateField(_("fixed on"), null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fixed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("zone check")
        verbose_name_plural = _("zone checks")
        ordering = ["zone", "-checked_on", "-pk"]
        indexes = [
            models.Index(fields=["zone", "fixed_on"]),
            # The quarterly rollup selects a quarter's checks, and the findings due in it.
            models.Index(fields=["checked_on"]),
            models.Index(fields=["fix_due_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category="none") | ~Q(finding=""),
                name="zone_check_finding_described",
                violation_error_message=_("Describe what was found."),
            ),
            models.CheckConstraint(
                condition=Q(fixed_on__isnull=True) | Q(fixed_on__gte=F("checked_on")),
                name="zone_check_fixed_after_check",
                violation_error_message=_("A finding cannot be fixed before the check found it."),
            ),
            models.CheckConstraint(
                condition=Q(fixed_on__isnull=True) | ~Q(category="none"),
                name="zone_check_fix_needs_finding",
                violation_error_message=_("Only a finding can be fixed."),
            ),
            date_range_check("zone_check", "checked_on"),
            date_range_check("zone_check", "fix_due_on", null=True),
            date_range_check("zone_check", "fixed_on", null=True),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.checked_on}"

    @property
    def has_finding(self) -> bool:
        return self.category != self.Category.NONE

    @property
    def is_open(self) -> bool:
        return self.has_finding and self.fixed_on is None

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "zone__project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("zone__lead_id", ROLE_SECRETARY) | scope.in_orgs_q(
            "zone__project__owner_id", ROLE_SECRETARY
        )


class ZoneCheckPhoto(Photo):
    zone_check = models.ForeignKey(
        ZoneCheck, verbose_name=_("zone check"), on_delete=models.CASCADE, related_name="photos"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone check photo")
        verbose_name_plural = _("zone check photos")
        ordering = ["zone_check", "pk"]

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _project_visible_q(scope, "zone_check__zone__project__")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("zone_check__zone__lead_id", ROLE_SECRETARY) | scope.in_orgs_q(
            "zone_check__zone__project__owner_id", ROLE_SECRETARY
        )


# --- pioneer posts and teams --------------------------------------------------------------------------------


def _post_or_team_visible_q(scope: UserScope, model: type[models.Model]) -> Q:
    return any_of(scope, model, _org_q(scope, "organization"), in_scope_agreements(scope, "project__agreement_id"))


class PioneerPost(models.Model):
    """A party-member pioneer post (党员先锋岗): a member holds a post for a period, on a project or in their unit."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="pioneer_posts"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("party member"), on_delete=models.PROTECT, related_name="pioneer_posts"
    )
    post = models.CharField(_("post"), max_length=80, help_text=_("For example 安全生产先锋岗."))
    duties = models.TextField(_("duties and pledge"), blank=True)
    project = models.ForeignKey(
        KeyProject,
        verbose_name=_("key project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pioneer_posts",
    )
    starts_on = UserDateField(_("from"))
    ends_on = UserDateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pioneer post")
        verbose_name_plural = _("pioneer posts")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="pioneer_post_ends_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            date_range_check("pioneer_post", "starts_on"),
            date_range_check("pioneer_post", "ends_on", null=True),
        ]

    def __str__(self) -> str:
        return f"{self.post}: {self.member}"

    def get_absolute_url(self) -> str:
        return reverse("activities:post_update", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _post_or_team_visible_q(scope, cls)

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id", ROLE_SECRETARY)


class Team(models.Model):
    """A commando or vanguard team (突击队 / 先锋队) of members from several parties, for a purpose and a period."""

    class Kind(models.TextChoices):
        COMMANDO = "commando", _("Commando team")
        VANGUARD = "vanguard", _("Vanguard team")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMANDO)
    purpose = models.TextField(_("purpose"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("lead organization"), on_delete=models.PROTECT, related_name="teams"
    )
    project = models.ForeignKey(
        KeyProject, verbose_name=_("key project"), null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    starts_on = UserDateField(_("from"))
    ends_on = UserDateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="team_ends_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            date_range_check("team", "starts_on"),
            date_range_check("team", "ends_on", null=True),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("activities:team_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return _post_or_team_visible_q(scope, cls)

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id", ROLE_SECRETARY)


class TeamMember(models.Model):
    """A member of a team, as its leader (队长) or a member."""

    class Role(ColouredChoices, models.TextChoices):
        LEADER = "leader", _("Team leader")
        MEMBER = "member", _("Team member")

        colours = Colours(leader="danger", member="light")

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, verbose_name=_("party member"), on_delete=models.PROTECT, related_name="teams")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "member"],
                name="team_member_once",
                violation_error_message=_("This member is already in the team."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.get_role_display()})"


# --- the personal calendar feed -------------------------------------------------------------------------------


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
