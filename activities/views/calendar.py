"""TODO: filled in by the calendar work."""

urlpatterns = []
