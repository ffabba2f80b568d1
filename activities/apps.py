from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from partnerships.signals import meeting_cancelled, meeting_rescheduled


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        # A joint meeting's venue bookings follow it (partnerships/signals.py): moved with it, cancelled with it.
        from activities.services import bookings  # noqa: PLC0415 (the models load only once apps are ready)

        meeting_rescheduled.connect(bookings.on_meeting_rescheduled, dispatch_uid="venue-bookings-follow-meeting")
        meeting_cancelled.connect(bookings.on_meeting_cancelled, dispatch_uid="venue-bookings-cancel-with-meeting")
