"""Composed reads of the partnerships app, one module per area."""

from partnerships.selectors.directory import (  # noqa: F401
    TREE_SEARCH_LIMIT,
    directory_summary,
    member_list,
    organization_creatable_parents,
    organizations_with_member_counts,
    roster_changed,
    roster_organizations,
    roster_summary,
    roster_writable_organizations,
    subtree_roster_summary,
    tree_level,
    tree_opened,
    tree_search,
)
