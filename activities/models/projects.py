"""Key projects, red responsibility zones with their claims and checks, pioneer posts and teams.

The package docstring (activities/models/__init__.py) tells the scope rules they share."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models.activities import (
    Photo,
    _org_q,
)
from partnerships.models import Member, Organization, agreement_ids_for, in_scope_agreements, phone_validator
from portal.choices import ColouredChoices, Colours
from portal.dates import UserDateField, date_range_check, period_checks
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_SECRETARY, ScopedQuerySet, UserScope, any_of


def _project_visible_q(scope: UserScope, prefix: str) -> Q:
    """Rows under a key project the user may see (the project's agreement has one of the user's parties)."""
    return Q(**{f"{prefix}agreement_id__in": agreement_ids_for(scope)})


def _zone_editable_q(scope: UserScope, prefix: str) -> Q:
    """Rows of a zone (reached through ``prefix``, e.g. ``"zone__"``) that its lead's or its project owner's
    secretaries keep."""
    return scope.in_orgs_q(f"{prefix}lead_id", ROLE_SECRETARY) | scope.in_orgs_q(
        f"{prefix}project__owner_id", ROLE_SECRETARY
    )


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
    # What the committee's schedule panel reads of the project's milestones (see activities.selectors.business),
    # stored so that it counts thousands of projects in one pass, not with subqueries per project; none depends on
    # the day. Rewritten by ``activities.services.business.project_schedule_refresh`` with every milestone write.
    has_milestones = models.BooleanField(_("has milestones"), db_default=False, editable=False)
    reached_delay = models.DurationField(
        _("delay of the latest reached milestone"), null=True, blank=True, editable=False
    )
    open_from = models.DateField(_("earliest plan date not yet reached"), null=True, blank=True, editable=False)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["has_milestones", "reached_delay", "open_from"])

    class Meta:
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        ordering = ["name", "pk"]
        constraints = period_checks("key_project", _("The project cannot end before it starts."), starts_null=True)

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
    created_at, updated_at = timestamps()

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
        return _zone_editable_q(scope, "")


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
        return _zone_editable_q(scope, "zone__")


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
    fixed_by = user_ref(_("fixed by"))
    checked_by = user_ref(_("recorded by"), blank=False)
    created_at, updated_at = timestamps()

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
        return _zone_editable_q(scope, "zone__")


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
        return _zone_editable_q(scope, "zone_check__zone__")


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
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pioneer post")
        verbose_name_plural = _("pioneer posts")
        ordering = ["-starts_on", "pk"]
        constraints = period_checks("pioneer_post", _("The period cannot end before it starts."))

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
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["-starts_on", "pk"]
        constraints = period_checks("team", _("The period cannot end before it starts."))

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
