"""Composed reads for the shell: the role-aware home page (工作台)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.home import panels_for
from portal.models import Membership, TaskRun
from portal.scoping import get_scope


def user_memberships(user):
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__path", "role")


def home_panels(user) -> list[dict]:
    """The panels of the home page, by role, each built by the app that owns its data.

    portal asks the registry (``portal.home``) so it never imports a domain app.
    """
    return panels_for(user)


def background_jobs() -> list[TaskRun]:
    return list(TaskRun.objects.all())


ROLE_HEADINGS = {
    "secretary": _("Branch secretary"),
    "liaison": _("Liaison officer"),
    "reviewer": _("Committee reviewer"),
}


def role_summary(user) -> list[str]:
    scope = get_scope(user)
    return sorted(
        {str(ROLE_HEADINGS[role]) for roles in scope.roles.values() for role in roles if role in ROLE_HEADINGS}
    )
