"""Page sections by area, imported by ``portal.home.autodiscover``: plans, activities, calendar, projects, business."""

from activities.sections import activities, business, calendar, plans, projects  # noqa: F401
