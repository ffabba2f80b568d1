"""The partnerships app's search-as-you-type purposes (portal/search.py, discovered at start-up): each names the
scoped selector its form field or list filter validates against."""

from partnerships import rules
from partnerships.models import Organization
from partnerships.selectors import action_items as item_selectors
from partnerships.selectors import agreements as agreement_selectors
from partnerships.selectors import directory as directory_selectors
from partnerships.selectors import resources as list_selectors
from portal.names import display_name
from portal.search import AGREEMENT_FIELDS, ORGANIZATION_FIELDS, USER_FIELDS, register

# list filters
register("organizations", "items", item_selectors.party_organizations, ORGANIZATION_FIELDS)
register("organizations", "agreements", agreement_selectors.agreement_party_organizations, ORGANIZATION_FIELDS)
register("organizations", "roster", directory_selectors.roster_organizations, ORGANIZATION_FIELDS)
register("organizations", "lists", list_selectors.list_organizations, ORGANIZATION_FIELDS)
register("agreements", "items", item_selectors.raisable_agreements, AGREEMENT_FIELDS)
# forms
register("organizations", "all", lambda user: Organization.objects.order_by("path"), ORGANIZATION_FIELDS)
register("organizations", "parents", directory_selectors.organization_creatable_parents, ORGANIZATION_FIELDS)
register("organizations", "list-keepers", lambda user: rules.list_keepers(user).order_by("path"), ORGANIZATION_FIELDS)
register("organizations", "roster-write", directory_selectors.roster_writable_organizations, ORGANIZATION_FIELDS)
register("users", "liaisons", lambda user: agreement_selectors.liaison_candidates(), USER_FIELDS, display_name)
