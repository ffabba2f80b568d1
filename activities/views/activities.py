"""TODO: filled in by the activities work."""

urlpatterns = []
