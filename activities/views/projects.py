"""TODO: filled in by the projects work."""

urlpatterns = []
