"""Organizations (the party-organization tree) and their rosters of party members."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Q, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from portal.dates import PARTY_FOUNDED, UserDateField, date_range_check
from portal.fields import timestamps
from portal.scoping import ROLE_SECRETARY, ScopedQuerySet, UserScope, get_scope

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
    # 一支部一特色: a branch's own party-building brand, shown on its brand page.
    brand = models.CharField(_("distinctive brand"), max_length=60, blank=True)
    brand_description = models.CharField(_("brand description"), max_length=300, blank=True)
    created_at, updated_at = timestamps()

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
    created_at, updated_at = timestamps()

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
