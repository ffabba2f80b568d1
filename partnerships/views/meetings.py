"""meetings views (issue 3). Each module lists its own routes in ``urlpatterns``; partnerships/urls.py joins them."""

urlpatterns: list = []
