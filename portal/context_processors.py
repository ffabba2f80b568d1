"""Values every page of the shell needs: the user's roles, for the navigation, and the unread-notification count."""

from functools import partial

from portal.models import Notification
from portal.scoping import ROLE_LIAISON, ROLE_REVIEWER, ROLE_SECRETARY, get_scope


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = get_scope(user)
    return {
        "nav": {
            "is_admin": scope.is_superuser,
            "is_secretary": scope.has_role(ROLE_SECRETARY),
            "is_liaison": scope.has_role(ROLE_LIAISON),
            "is_reviewer": scope.has_role(ROLE_REVIEWER),
            "has_roster": scope.is_superuser or bool(scope.roles),
        },
        # A callable, so the count query runs only when a page actually shows the badge (once, in base.html).
        "unread_notifications": partial(_unread_count, user),
    }


def _unread_count(user) -> int:
    return Notification.objects.unread_for(user).count()
