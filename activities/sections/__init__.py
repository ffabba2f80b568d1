"""Page sections by area, imported by ``portal.home.autodiscover``: plans, activities, calendar, projects, publicity."""

from activities.sections import activities, calendar, plans, projects, publicity  # noqa: F401
