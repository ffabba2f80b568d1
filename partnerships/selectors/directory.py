"""Composed reads for organizations and the roster."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet

from partnerships.models import Member, Organization
from partnerships.roster_cache import roster_version
from portal.queries import correlated_count
from portal.scoping import ROLE_SECRETARY, get_scope


def roster_organizations(user) -> QuerySet[Organization]:
    """Organizations whose roster the user may read: their own, and their committees' subtrees."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    if scope.is_anonymous:
        return Organization.objects.none()
    return Organization.objects.filter(scope.in_orgs_q("pk") | scope.subtree_q("path"))


def roster_writable_organizations(user) -> QuerySet[Organization]:
    """Organizations whose roster the user may change: where they are secretary (admins: all)."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(scope.in_orgs_q("pk", ROLE_SECRETARY))


def organization_creatable_parents(user) -> QuerySet[Organization]:
    """Organizations under which the user may add a child organization."""
    scope = get_scope(user)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(scope.subtree_q("path"))


def member_list(user) -> QuerySet[Member]:
    """The roster rows the user may read, with organization joined and phone visibility annotated."""
    return (
        Member.objects.visible_to(user)
        .with_phone_visibility(user)
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )


def roster_summary(organizations: QuerySet[Organization]) -> dict:
    """Head counts by party status across the given organizations, in one query."""
    statuses = Member.Status
    counts = Member.objects.filter(organization__in=organizations).aggregate(
        total=Count("pk", filter=~Q(status=statuses.TRANSFERRED_OUT)),
        full=Count("pk", filter=Q(status=statuses.FULL)),
        probationary=Count("pk", filter=Q(status=statuses.PROBATIONARY)),
        activist=Count("pk", filter=Q(status=statuses.ACTIVIST)),
    )
    return counts


ROSTER_SUMMARY_TIMEOUT = 600


def subtree_roster_summary(user) -> dict:
    """``roster_summary`` of every organization the user reviews (their subtrees), cached until the roster changes."""
    scope = get_scope(user)
    subtree = "*" if scope.is_superuser else ",".join(sorted(scope.reviewer_paths))
    key = f"gj:roster-summary:{roster_version()}:{subtree}"
    summary = cache.get(key)
    if summary is None:
        summary = roster_summary(organization_creatable_parents(user))
        cache.set(key, summary, ROSTER_SUMMARY_TIMEOUT)
    return summary


def organizations_with_member_counts(organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate each organization with its active member count (one query, no per-row count; counted only for the
    organizations a page shows)."""
    members = Member.objects.filter(organization=OuterRef("pk")).exclude(status=Member.Status.TRANSFERRED_OUT)
    return organizations.annotate(member_count=correlated_count(members, "organization"))


def directory_summary(organizations: QuerySet[Organization]) -> dict:
    """Organization counts by kind, for the home page."""
    rows = organizations.order_by().values("kind").annotate(n=Count("pk"))
    by_kind = {row["kind"]: row["n"] for row in rows}
    return {
        "total": sum(by_kind.values()),
        "by_kind": [(label, by_kind.get(value, 0)) for value, label in Organization.Kind.choices if by_kind.get(value)],
    }


# --- the organization tree, one level at a time -----------------------------------------------------------------

TREE_PAGE_SIZE = 50  # children of one node per request; "more" loads the next ones after the last path shown
TREE_SEARCH_LIMIT = 30
TREE_OPEN_LIMIT = 20  # own organizations whose path the first page opens


def _ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:end] for end in range(step, len(path), step)]


def tree_level(visible: QuerySet[Organization], parent: Organization | None, after: str = "") -> tuple[list, bool]:
    """One page of a node's children (``parent=None``: the roots), in path order after ``after``; and whether more
    follow. Reads at most ``TREE_PAGE_SIZE + 1`` rows through the unique path index, however many children there are.
    """
    if parent is None:
        rows = visible.filter(depth=1)
    else:
        rows = visible.filter(depth=parent.depth + 1, path__range=Organization._get_children_path_interval(parent.path))
    if after:
        rows = rows.filter(path__gt=after)
    nodes = list(rows.only(*TREE_FIELDS).order_by("path")[: TREE_PAGE_SIZE + 1])
    return nodes[:TREE_PAGE_SIZE], len(nodes) > TREE_PAGE_SIZE


TREE_FIELDS = ("id", "name", "kind", "sector", "path", "depth", "numchild")


def tree_opened(user, visible: QuerySet[Organization]) -> list[dict]:
    """The first page of the tree: the roots, and for a user with organizations the path down to them opened (each
    opened node shows the first page of its children, plus the child on the path when it is further down).

    Three queries whatever the size of the tree: the user's organizations, the nodes on their paths, and the first
    page of every opened level at once.
    """
    scope = get_scope(user)
    own_ids = sorted(scope.roles)[:TREE_OPEN_LIMIT] if not scope.is_anonymous else []
    own_paths = list(visible.filter(pk__in=own_ids).values_list("path", flat=True)) if own_ids else []
    opened = sorted({ancestor for path in own_paths for ancestor in _ancestor_paths(path)})
    step = Organization.steplen
    # Each opened level as its own LIMITed key list (PostgreSQL hashes these uncorrelated subqueries once each and
    # probes them while reading the organizations): a level of 10,000 children costs one 51-row index range read.
    # A window function ranking children per parent read and sorted every child of the opened levels (190 ms).
    levels = [visible.filter(depth=1)]
    for path in opened:
        levels.append(
            visible.filter(depth=len(path) // step + 1, path__range=Organization._get_children_path_interval(path))
        )
    first_pages = Q(pk__in=[])
    for rows in levels:
        first_pages |= Q(pk__in=rows.order_by("path").values("pk")[: TREE_PAGE_SIZE + 1])
    ranked = visible.filter(first_pages).only(*TREE_FIELDS).order_by("path")
    on_path = set(opened) | set(own_paths)
    by_parent: dict[str, list] = {}
    for node in ranked:
        by_parent.setdefault(node.path[: len(node.path) - step], []).append(node)
    if on_path:
        # The nodes on the paths that fall beyond their level's first page (one query, a handful of rows).
        pinned = visible.filter(path__in=on_path).only(*TREE_FIELDS).order_by("path")
    else:
        pinned = []
    extra: dict[str, list] = {}
    for node in pinned:
        parent_path = node.path[: len(node.path) - step]
        page = by_parent.get(parent_path, [])[:TREE_PAGE_SIZE]
        if all(shown.path != node.path for shown in page):
            extra.setdefault(parent_path, []).append(node)

    def level(parent_path: str, parent: Organization | None = None) -> dict:
        rows = by_parent.get(parent_path, [])
        page = rows[:TREE_PAGE_SIZE]
        nodes = []
        for node in [*page, *extra.get(parent_path, [])]:
            node.is_own = node.path in own_paths
            node.is_open = node.path in opened
            nodes.append({"node": node, "children": level(node.path, node) if node.is_open else None})
        return {
            "parent": parent,
            "nodes": nodes,
            "more_after": page[-1].path if len(rows) > TREE_PAGE_SIZE else "",
        }

    return level("")


def tree_search(visible: QuerySet[Organization], query: str) -> list[dict]:
    """Organizations whose name (or short name) contains ``query``, each with the names of its ancestors: two queries."""
    hits = list(
        visible.filter(Q(name__icontains=query) | Q(short_name__icontains=query))
        .only(*TREE_FIELDS, "short_name")
        .order_by("path")[:TREE_SEARCH_LIMIT]
    )
    ancestors = {ancestor for hit in hits for ancestor in _ancestor_paths(hit.path)}
    names = dict(Organization.objects.filter(path__in=ancestors).values_list("path", "name")) if ancestors else {}
    return [
        {"node": hit, "trail": [names[path] for path in _ancestor_paths(hit.path) if path in names]} for hit in hits
    ]
