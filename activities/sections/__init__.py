"""Page sections by area, imported by ``portal.home.autodiscover``: plans, activities, calendar, projects, venue bookings."""

from activities.sections import activities, bookings, calendar, plans, projects  # noqa: F401
