from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from partnerships.roster_cache import roster_changed


def _roster_changed(sender, **kwargs) -> None:
    transaction.on_commit(roster_changed)


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = _("Organizations and partnerships")

    def ready(self) -> None:
        # Any saved or deleted roster row or organization (services, admin, shell) moves the roster version on, so
        # the committee's cached head counts (selectors.subtree_roster_summary) are never stale. Bulk writes call
        # ``roster_changed`` themselves (services.member_import).
        for model in (self.get_model("Member"), self.get_model("Organization")):
            post_save.connect(_roster_changed, sender=model, dispatch_uid=f"roster-changed-save-{model.__name__}")
            post_delete.connect(_roster_changed, sender=model, dispatch_uid=f"roster-changed-delete-{model.__name__}")
