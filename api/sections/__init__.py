"""What the api app adds to other pages (portal/home.py registries)."""

from api.sections import profile  # noqa: F401
