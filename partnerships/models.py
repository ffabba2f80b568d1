"""Organizations (the party tree and external partners) and the member roster."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from portal.dates import PARTY_FOUNDED, UserDateField, UserDateTimeField, date_range_check, datetime_range_check
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ScopedQuerySet, UserScope, get_scope

PHONE_REGEX = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8})$"
PHONE_MESSAGE = _("Enter an 11-digit mobile number or a landline such as 010-12345678.")
phone_validator = RegexValidator(PHONE_REGEX, PHONE_MESSAGE, code="phone")


class OrganizationQuerySet(ScopedQuerySet, MP_NodeQuerySet):
    """Tree-aware (subtree deletes) and scoped."""


class OrganizationManager(MP_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user):
        return self.get_queryset().visible_to(user)

    def editable_by(self, user):
        return self.get_queryset().editable_by(user)


class Organization(MP_Node):
    """A party organization: a node of a party tree (党委 → 党总支 → 党支部 …) or the root of a partner's tree."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        WORKING_COMMITTEE = "working_committee", _("Party working committee")
        GENERAL_BRANCH = "general_branch", _("General party branch")
        BRANCH = "branch", _("Party branch")
        JOINT_BRANCH = "joint_branch", _("Joint party branch")
        GROUP = "group", _("Party group")

    class Sector(models.TextChoices):
        CENTRAL_SOE = "central_soe", _("Central state-owned enterprise")
        SOE = "soe", _("State-owned enterprise")
        PRIVATE = "private", _("Private enterprise")
        MINORITY_HELD = "minority_held", _("Minority-held enterprise")
        STREET_COMMUNITY = "street_community", _("Street and community")
        LOCAL_PARTY = "local_party", _("Local party organization")
        DEV_ZONE = "dev_zone", _("Development zone administration")
        CONSTRUCTION_UNIT = "construction_unit", _("Construction unit")
        GENERAL_CONTRACTOR = "general_contractor", _("General contractor")
        PARTICIPATING_UNIT = "participating_unit", _("Participating unit")

    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices)
    unit_name = models.CharField(
        _("unit"), max_length=120, blank=True, help_text=_("The enterprise or body the organization belongs to.")
    )
    secretary_name = models.CharField(_("secretary"), max_length=40, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, validators=[phone_validator])
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    node_order_by = None
    objects = OrganizationManager()
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="organization_name_unique",
                violation_error_message=_("An organization with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(contact_phone="") | Q(contact_phone__regex=PHONE_REGEX),
                name="organization_contact_phone_format",
                violation_error_message=PHONE_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partnerships:organization_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    # --- scope (DESIGN.md §4): the directory is visible to every signed-in user ---------------------------
    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q()

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.subtree_q("path")


class MemberQuerySet(ScopedQuerySet):
    def with_phone_visibility(self, user):
        """Annotate ``phone_visible``: only the member's own organization and its reviewers see the number."""
        scope = get_scope(user)
        if scope.is_superuser:
            return self.annotate(phone_visible=models.Value(True))
        condition = scope.in_orgs_q("organization_id") | scope.subtree_q("organization__path")
        return self.annotate(
            phone_visible=Case(When(condition, then=True), default=False, output_field=models.BooleanField())
        )


class Member(models.Model):
    """A party member (党员) on an organization's roster. Most members have no login; ``user`` links one who does."""

    class Status(models.TextChoices):
        FULL = "full", _("Full member")
        PROBATIONARY = "probationary", _("Probationary member")
        ACTIVIST = "activist", _("Applicant activist")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")

    class Gender(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    title = models.CharField(_("title or post"), max_length=60, blank=True)
    status = models.CharField(_("party status"), max_length=20, choices=Status.choices, default=Status.FULL)
    joined_party_on = UserDateField(_("joined the party on"), null=True, blank=True, lower=PARTY_FOUNDED)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["organization__path", "name", "pk"]
        indexes = [models.Index(fields=["organization", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "phone"],
                condition=~Q(phone=""),
                name="member_phone_unique_in_org",
                violation_error_message=_("Another member of this organization already has this phone number."),
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=PHONE_REGEX),
                name="member_phone_format",
                violation_error_message=PHONE_MESSAGE,
            ),
            date_range_check("member", "joined_party_on", lower=PARTY_FOUNDED, null=True),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partnerships:member_detail", args=[self.pk])

    # --- scope: the roster is seen by its own organization and its reviewers, edited by its secretary ------
    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id") | scope.subtree_q("organization__path")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("organization_id", ROLE_SECRETARY)


# =====================================================================================================
# Agreements, joint meetings, decisions and supervised action items
# =====================================================================================================


def _party_q(scope: UserScope, *roles: str) -> Q:
    condition = scope.in_orgs_q("organization_id", *roles)
    if not roles:
        condition |= scope.subtree_q("organization__path")
    return condition


def agreement_ids_for(scope: UserScope, *roles: str):
    """Agreement ids where one of the user's organizations (with ``roles``) or their reviewed subtree is a party."""
    return AgreementParty.objects.filter(_party_q(scope, *roles)).values("agreement_id")


def in_scope_agreements(scope: UserScope, field: str, *roles: str):
    """Rows whose agreement (reached through ``field``, e.g. ``"agreement_id"``) has one of the user's parties, as
    ``agreement_ids_for`` does, but shaped to be OR-ed with other conditions: for a broad scope an ``EXISTS`` probe of
    the row's own agreement (indexed, per row), for a narrow one a semi-join on the user's few agreements (to be used
    as one arm of ``portal.scoping.any_of``'s union)."""
    if scope.is_broad:
        return Exists(AgreementParty.objects.filter(_party_q(scope, *roles), agreement_id=OuterRef(field)))
    return Q(**{f"{field}__in": agreement_ids_for(scope, *roles)})


class Dimension(models.Model):
    """A co-construction dimension (思想共建, 组织共建, 活动联办 …): data, editable by admins."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("co-construction dimension")
        verbose_name_plural = _("co-construction dimensions")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class AgreementQuerySet(ScopedQuerySet):
    def expiring_within(self, days: int, today=None):
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.filter(
            status=Agreement.Status.ACTIVE, term_end__gte=today, term_end__lte=today + timezone.timedelta(days=days)
        )


class Agreement(models.Model):
    """A co-construction agreement (共建协议) between two or more party organizations of different trees."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    brand = models.CharField(_("party-building brand"), max_length=60, blank=True)
    dimensions = models.ManyToManyField(Dimension, verbose_name=_("co-construction dimensions"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    signed_on = UserDateField(_("signed on"), null=True, blank=True)
    term_start = UserDateField(_("term starts"))
    term_end = UserDateField(_("term ends"))
    document = models.FileField(_("signed agreement scan"), upload_to="agreements/%Y/", blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    predecessor = models.OneToOneField(
        "self", verbose_name=_("renews"), null=True, blank=True, on_delete=models.SET_NULL, related_name="successor"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AgreementQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[dimensions])

    class Meta:
        verbose_name = _("co-construction agreement")
        verbose_name_plural = _("co-construction agreements")
        ordering = ["-term_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")),
                name="agreement_term_end_after_start",
                violation_error_message=_("The term cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True) | Q(signed_on__lte=models.F("term_end")),
                name="agreement_signed_by_term_end",
                violation_error_message=_("An agreement cannot be signed after its term ends."),
            ),
            date_range_check("agreement", "signed_on", null=True),
            date_range_check("agreement", "term_start"),
            date_range_check("agreement", "term_end"),
            models.CheckConstraint(
                condition=~Q(status="terminated") | ~Q(termination_reason=""),
                name="agreement_termination_has_reason",
                violation_error_message=_("A terminated agreement needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("partnerships:agreement_detail", args=[self.pk])

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(pk__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        # Any party's secretary or liaison keeps the agreement's record; reviewers only read it.
        return Q(pk__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))


class AgreementParty(models.Model):
    """One party of an agreement: its role, signatory, liaison officer and commitments."""

    class Role(models.TextChoices):
        INITIATOR = "initiator", _("Initiating party")
        PARTNER = "partner", _("Co-building party")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="parties"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="agreement_parties"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PARTNER)
    signatory = models.CharField(_("signatory"), max_length=40, blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_parties",
    )
    commitments = models.TextField(_("commitments"), blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement party")
        verbose_name_plural = _("agreement parties")
        ordering = ["agreement", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization"],
                name="agreement_party_unique",
                violation_error_message=_("The same organization cannot be a party twice."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope))

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return Q(agreement_id__in=agreement_ids_for(scope, ROLE_SECRETARY, ROLE_LIAISON))


class JointMeeting(models.Model):
    """A joint meeting (联席会议) of an agreement's parties, with its agenda, minutes and decisions."""

    class MinutesStatus(models.TextChoices):
        PENDING = "pending", _("Not yet recorded")
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

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
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Raised each time the attendees are told of a change (time, place, title, host, attendees, cancellation): the
    # occurrence of the "meeting changed" notice and the SEQUENCE of its calendar entry.
    # Database defaults too, so rows inserted in bulk by raw SQL (the scale seeder) need not name them.
    revision = models.PositiveIntegerField(_("revision"), default=0, db_default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

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


class Decision(models.Model):
    """A decision recorded in a meeting's minutes; it may yield action items or rule on a carried-over one."""

    class Outcome(models.TextChoices):
        NEW = "new", _("New decision")
        EXTEND = "extend", _("Extend the due date")
        REASSIGN = "reassign", _("Reassign")
        CLOSE = "close", _("Close")

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

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "order", "pk"]
        constraints = [date_range_check("decision", "new_due_on", null=True)]

    def __str__(self) -> str:
        return self.text[:40]


class ActionItemQuerySet(ScopedQuerySet):
    OPEN = ("open", "in_progress", "awaiting_confirmation")

    def open(self):
        return self.filter(status__in=self.OPEN)

    def overdue(self, today=None):
        from django.utils import timezone

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
        return self.filter(other_party | host)


class ActionItem(models.Model):
    """A supervised action item (督办事项) owned by one party, with progress, evidence and confirmation."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
        DONE = "done", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

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
    title = models.CharField(_("action item"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsible_party = models.ForeignKey(
        Organization, verbose_name=_("responsible party"), on_delete=models.PROTECT, related_name="action_items"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_on = UserDateField(_("due on"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.OPEN)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
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
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:action_item_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in ActionItemQuerySet.OPEN

    def days_overdue(self, today=None) -> int:
        from django.utils import timezone

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

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress update")
        CLOSE_REQUEST = "close_request", _("Closure requested")
        CONFIRM = "confirm", _("Closure confirmed")
        SEND_BACK = "send_back", _("Sent back")
        CANCEL = "cancel", _("Cancelled")
        EXTEND = "extend", _("Due date extended")
        REASSIGN = "reassign", _("Reassigned")

    item = models.ForeignKey(
        ActionItem, verbose_name=_("action item"), on_delete=models.CASCADE, related_name="updates"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PROGRESS)
    note = models.TextField(_("note"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
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
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name
