"""Imported by portal.home.autodiscover: registers this app's home panels and page sections, area by area."""

from activities.sections import activities, calendar, plans, projects  # noqa: F401
