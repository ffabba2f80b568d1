"""Page sections by area, imported by ``portal.home.autodiscover``: plans, activities, calendar, projects."""

from activities.sections import activities, calendar, plans, projects  # noqa: F401
