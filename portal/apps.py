from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal import home, reminders, webhook_sections  # noqa: F401 - registers the organization page's card
        from portal import notifications, webhooks  # noqa: F401 - how recovery finishes rows a dead worker had sent

        home.autodiscover()
        reminders.autodiscover()
