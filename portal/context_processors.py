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
        # A callable, so the count query runs only when a page actually shows the badge; counted once however many
        # places show it (the navbar's bell and the phone's tab bar).
        "unread_notifications": _Once(partial(_unread_count, user)),
    }


class _Once:
    """A callable that runs ``func`` on its first call and returns that value ever after."""

    def __init__(self, func):
        self.func = func
        self.value = None
        self.done = False

    def __call__(self):
        if not self.done:
            self.value, self.done = self.func(), True
        return self.value


def _unread_count(user) -> int:
    return Notification.objects.unread_for(user).count()
