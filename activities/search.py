"""The activities app's search-as-you-type purposes (portal/search.py, discovered at start-up): each names the
scoped selector its form field or list filter validates against."""

from activities.selectors import activities as activity_selectors
from activities.selectors import bookings as booking_selectors
from activities.selectors import calendar as calendar_selectors
from activities.selectors import plans as plan_selectors
from activities.selectors import projects as project_selectors
from portal.search import AGREEMENT_FIELDS, ORGANIZATION_FIELDS, register

# list filters
register("organizations", "activities", activity_selectors.ledger_organizations, ORGANIZATION_FIELDS)
register("agreements", "plans", plan_selectors.plan_agreements, AGREEMENT_FIELDS)
register("agreements", "activities", activity_selectors.ledger_agreements, AGREEMENT_FIELDS)
register("organizations", "calendar", calendar_selectors.calendar_organizations, ORGANIZATION_FIELDS)
register("agreements", "calendar", calendar_selectors.calendar_agreements, AGREEMENT_FIELDS)
# forms
register("agreements", "plannable", plan_selectors.plannable_agreements, AGREEMENT_FIELDS)
register("agreements", "projects", project_selectors.creatable_agreements, AGREEMENT_FIELDS)
register(
    "venues",
    "booking",
    booking_selectors.bookable_venues,
    ("title", "organization__name", "address"),
    booking_selectors.venue_label,
)
