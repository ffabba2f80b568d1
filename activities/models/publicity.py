"""Publicity items (宣传, 品牌联创): a logged activity written up for publicity, credited to a brand, reviewed.

A ``PublicityItem`` is made from a logged activity (title, text, chosen photos of the activity) and credited to the
activity's agreement (its 党建品牌) or, for a branch's own activity, to the lead branch (its 特色品牌, "一支部一特色").
It goes draft → submitted → approved, or returned with a reason (then edited and submitted again). The reviewing
organization is fixed on submission (``reviewer_org``): the agreement's host (initiating party), or for a branch's
own item the committee above it; a committee-level reviewing organization is reviewed by its reviewers (上级党委) and
secretaries, any other by its secretaries.

Scope: those who may see the activity see its items, and so does the reviewing organization; only the activity's
lead secretary (who logs it) writes the item.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.models.activities import Activity, ActivityPhoto
from partnerships.models import Organization
from portal.choices import ColouredChoices, Colours
from portal.fields import timestamps, user_ref
from portal.scoping import ROLE_REVIEWER, ROLE_SECRETARY, ScopedQuerySet, UserScope, any_of

# Organizations at the committee level: their brands' items are reviewed by the committee (its reviewers).
COMMITTEE_KINDS = (Organization.Kind.COMMITTEE, Organization.Kind.WORKING_COMMITTEE)


def reviewer_q(scope: UserScope, prefix: str = "") -> Q:
    """Items whose reviewing organization the user reviews for (set-based, for lists and the to-do count)."""
    committee = Q(**{f"{prefix}reviewer_org__kind__in": COMMITTEE_KINDS})
    return scope.in_orgs_q(f"{prefix}reviewer_org_id", ROLE_SECRETARY) | (
        committee
        & (scope.in_orgs_q(f"{prefix}reviewer_org_id", ROLE_REVIEWER) | scope.subtree_q(f"{prefix}reviewer_org__path"))
    )


class PublicityItem(models.Model):
    """A publicity item (宣传) written from a logged activity, credited to a brand and reviewed before it counts."""

    class Status(ColouredChoices, models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

        colours = Colours(draft="secondary", submitted="warning", approved="success", returned="danger")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="publicity_items"
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    link = models.URLField(_("report link"), blank=True, help_text=_("Where the report was published, if online."))
    photos = models.ManyToManyField(ActivityPhoto, verbose_name=_("photos"), blank=True, related_name="+")
    # The brand credit: the activity's agreement, or the lead branch for the branch's own activity.
    agreement = models.ForeignKey(
        "partnerships.Agreement",
        verbose_name=_("agreement brand"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publicity_items",
    )
    branch = models.ForeignKey(
        Organization,
        verbose_name=_("branch brand"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publicity_items",
    )
    reviewer_org = models.ForeignKey(
        Organization, verbose_name=_("reviewing organization"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = user_ref(_("created by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = user_ref(_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    created_at, updated_at = timestamps()

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[photos])

    class Meta:
        verbose_name = _("publicity item")
        verbose_name_plural = _("publicity items")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            # The assessment counts approved items by approval time; brand pages list them newest first.
            models.Index(fields=["status", "reviewed_at"], name="publicity_status_reviewed_idx"),
            models.Index(fields=["agreement", "status", "reviewed_at"], name="publicity_agreement_idx"),
            models.Index(fields=["branch", "status", "reviewed_at"], name="publicity_branch_idx"),
            models.Index(fields=["reviewer_org", "status"], name="publicity_reviewer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement__isnull=False, branch__isnull=True)
                | Q(agreement__isnull=True, branch__isnull=False),
                name="publicity_one_brand",
                violation_error_message=_("An item is credited to an agreement's brand or a branch's, not both."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="publicity_returned_has_reason",
                violation_error_message=_("Returning an item needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(reviewed_at__isnull=False),
                name="publicity_approved_has_time",
                violation_error_message=_("An approved item records when it was approved."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="publicity_has_title", violation_error_message=_("Enter a title.")
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:publicity_detail", args=[self.pk])

    @property
    def editable_status(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        # An EXISTS probe of the item's own activity for a broad scope (never ``IN`` over the million activities a
        # committee sees: PostgreSQL cannot hash that many ids and rescans them per item), a union for a narrow one.
        activity = Exists(Activity.objects.filter(Activity.scope_visible_q(scope), pk=OuterRef("activity_id")))
        return any_of(scope, cls, reviewer_q(scope), activity)  # the cheap test first: OR stops at it

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.in_orgs_q("activity__lead_id", ROLE_SECRETARY)
