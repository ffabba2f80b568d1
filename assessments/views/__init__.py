"""Views by area; each module lists its own routes in ``urlpatterns`` (joined in assessments/urls.py)."""
