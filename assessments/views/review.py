"""review views (placeholder: filled in by its owner)."""

urlpatterns: list = []
