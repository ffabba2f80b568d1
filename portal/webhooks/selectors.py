"""Reads behind the group-robot pages: which organizations a user may set robots up for, and robots with their
delivery counts."""

from __future__ import annotations

from django.db.models import Count, Max, Q

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.scoping import ROLE_SECRETARY, get_scope


def organization_model():
    """The organization model, reached through the robot's foreign key (portal never imports a domain app)."""
    return WebhookEndpoint._meta.get_field("organization").related_model


def manageable_organizations(user):
    """Organizations whose robots the user may set up: where they are secretary; admins all. Reviewers only read
    their subtree's robots (DESIGN.md §10)."""
    scope = get_scope(user)
    organizations = organization_model().objects.all()
    if scope.is_superuser:
        return organizations
    if scope.is_anonymous:
        return organizations.none()
    return organizations.filter(scope.in_orgs_q("pk", ROLE_SECRETARY))


def endpoints_with_status(queryset):
    """Robots with their delivery counts (sent / pending / failed) and last post, in the same query."""
    status = WebhookDelivery.Status
    return queryset.select_related("organization").annotate(
        sent_count=Count("deliveries", filter=Q(deliveries__status=status.SENT)),
        pending_count=Count("deliveries", filter=Q(deliveries__status__in=[status.PENDING, status.SENDING])),
        failed_count=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
        last_sent_at=Max("deliveries__sent_at"),
    )
