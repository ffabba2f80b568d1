"""The committee's big screen (大屏): display links that open it in the committee room without signing in.

A ``DisplayLink`` names one committee; its secret is a random ``secrets.token_urlsafe`` shown once when the link is
made and stored only as its SHA-256 digest, so a copy of the database opens no screen. A revoked link stops at once
(the screen, its JSON and its photos are 404). The screen a link opens shows exactly what a reviewer of that
committee sees, nothing of any other tree.

Scope: the links of a committee are seen and managed by that committee's reviewers (and those of the committees
above it) and by admins.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnerships.models import Organization
from portal.fields import user_ref
from portal.scoping import ScopedQuerySet, UserScope


def token_digest(token: str) -> str:
    """What is stored of a display link's secret: its SHA-256, hex (a random 256-bit token needs no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


class DisplayLink(models.Model):
    """A read-only, revocable link that opens one committee's big screen (大屏) without signing in."""

    committee = models.ForeignKey(
        Organization, verbose_name=_("committee"), on_delete=models.CASCADE, related_name="display_links"
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("Where the screen hangs, e.g. 党委会议室."))
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_by = user_ref(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = user_ref(_("revoked by"))
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("display link")
        verbose_name_plural = _("display links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""), name="display_link_has_name", violation_error_message=_("Enter a name.")
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def scope_visible_q(cls, scope: UserScope) -> Q:
        return scope.subtree_q("committee__path")

    @classmethod
    def scope_editable_q(cls, scope: UserScope) -> Q:
        return scope.subtree_q("committee__path")
