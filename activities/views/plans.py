"""TODO: filled in by the plans work."""

urlpatterns = []
