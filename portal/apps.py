from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from portal import dataversion, empty_labels


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
        # The data version's trigger on every table, a table a migration just added included (portal/dataversion.py).
        post_migrate.connect(dataversion.install_after_migrate, sender=self)
        home.autodiscover()
        reminders.autodiscover()
        search.autodiscover()
