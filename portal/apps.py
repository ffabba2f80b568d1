from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # webhook_sections registers the organization page's card; notifications and webhooks tell recovery how to
        # finish the rows a dead worker had sent (portal/claims.py).
        from portal import home, notifications, reminders, webhook_sections, webhooks  # noqa: F401

        home.autodiscover()
        reminders.autodiscover()
