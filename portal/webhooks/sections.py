"""The organization page's "group robots" card: the organization's 企业微信/钉钉 robots and how their messages went.

Registered with ``portal.home.register_section`` and imported from ``PortalConfig.ready``. Two queries.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.home import register_section
from portal.models import WebhookEndpoint
from portal.webhooks.selectors import endpoints_with_status, manageable_organizations


@register_section("organization_detail", 60)
def organization_webhooks(user, organization) -> dict | None:
    """The robots of the organization for those who may see them; its managers also get "add robot"."""
    if organization is None:
        return None
    endpoints = list(
        endpoints_with_status(WebhookEndpoint.objects.visible_to(user).filter(organization=organization)).order_by(
            "name", "pk"
        )
    )
    can_manage = manageable_organizations(user).filter(pk=organization.pk).exists()
    if not endpoints and not can_manage:
        return None
    section = {
        "template": "portal/webhooks/section.html",
        "title": _("Group robots (WeCom / DingTalk)"),
        "organization": organization,
        "endpoints": endpoints,
        "can_manage": can_manage,
        "list_url": f"{reverse('webhook_list')}?organization={organization.pk}",
    }
    if can_manage:
        section["action_url"] = f"{reverse('webhook_create')}?organization={organization.pk}"
        section["action_label"] = _("Add robot")
    return section
