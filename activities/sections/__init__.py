"""Page sections by area, imported by ``portal.home.autodiscover``: plans, activities, calendar, projects, business,
venue bookings, publicity."""

from activities.sections import activities, bookings, business, calendar, plans, projects, publicity  # noqa: F401
