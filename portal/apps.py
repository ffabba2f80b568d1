from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal import empty_labels


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # Imported here for what they register (the models must be loaded first, so not at the top of this module):
        # the tasks register with the modules that queue them (sweep, exports); notifications and webhooks.deliver
        # tell recovery how to finish the rows a dead worker had sent (portal/claims.py); webhooks.sections adds the
        # organization page's card (portal/home.py).
        from portal import home, notifications, reminders, search, tasks  # noqa: F401, PLC0415
        from portal.webhooks import deliver, sections  # noqa: F401, PLC0415

        empty_labels.install()
        home.autodiscover()
        reminders.autodiscover()
        search.autodiscover()
