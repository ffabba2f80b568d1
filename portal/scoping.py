"""Access scope, written once.

Every domain model's manager is (or derives from) ``ScopedQuerySet``; each model says how it reaches its
organizations by implementing two class methods returning ``Q`` objects:

* ``scope_visible_q(scope)`` — rows the user may read;
* ``scope_editable_q(scope)`` — rows the user may change.

Views take their querysets from ``visible_to``/``editable_by`` through ``ScopedViewMixin``, so an out-of-scope row
is a 404 and a visible-but-not-editable one is a 403 on write. The rules themselves (DESIGN.md §4) live in the
models' Q methods and in ``UserScope`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

ROLE_SECRETARY = "secretary"
ROLE_LIAISON = "liaison"
ROLE_REVIEWER = "reviewer"
ROLE_MEMBER = "member"


@dataclass(frozen=True)
class UserScope:
    """What one user's memberships grant, computed once per user object with a single query."""

    user_id: int | None
    is_superuser: bool = False
    # organization id -> set of roles held there
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # materialized paths of the organizations where the user is a reviewer (their subtrees are in scope)
    reviewer_paths: tuple[str, ...] = ()

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def org_ids(self, *roles: str) -> set[int]:
        """Organizations where the user holds any of ``roles`` (any role when none is given)."""
        return {org for org, held in self.roles.items() if not roles or held & set(roles)}

    def has_role(self, *roles: str) -> bool:
        return bool(self.org_ids(*roles))

    def subtree_q(self, path_field: str) -> Q:
        """Rows whose organization path lies under one of the user's reviewer committees."""
        if not self.reviewer_paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{path_field}__startswith": path}) for path in self.reviewer_paths))

    def in_orgs_q(self, org_field: str, *roles: str) -> Q:
        ids = self.org_ids(*roles)
        return Q(**{f"{org_field}__in": sorted(ids)}) if ids else Q(pk__in=[])

    def reviews_path(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.reviewer_paths)

    @property
    def is_broad(self) -> bool:
        """A reviewer's scope covers whole subtrees (most rows of a group); a secretary's or liaison's a few ids."""
        return bool(self.reviewer_paths)


def any_of(scope: UserScope, model: type[models.Model], *branches) -> Q:
    """Rows matching any of ``branches`` (``Q`` objects or ``Exists`` expressions on ``model``), in the form
    PostgreSQL plans well for this scope (DESIGN.md §9, never ``OR`` of ``IN`` subqueries over a big table):

    * a broad scope (a reviewer: most rows match) keeps one filter whose subquery branches are ``EXISTS`` probes, so a
      page walks an index in list order and stops after a page of rows;
    * a narrow scope (a few organizations) becomes ``pk IN (arm UNION ALL arm …)``: each arm reads its few ids from
      an index and the big table is reached by primary key, instead of scanning it to test every row.
    Both return the same rows.
    """
    if scope.is_broad or len(branches) == 1:
        return reduce(or_, branches)
    arms = [model._base_manager.filter(branch).order_by().values("pk") for branch in branches]
    return Q(pk__in=arms[0].union(*arms[1:], all=True))


ANONYMOUS_SCOPE = UserScope(user_id=None)


def get_scope(user) -> UserScope:
    """The user's scope, cached on the user object (one query per request at most)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_gongjian_scope", None)
    if cached is not None:
        return cached
    roles: dict[int, set[str]] = {}
    reviewer_paths: list[str] = []
    # The user's ``Membership`` rows through their relation: the models sit above this module (they use its rules).
    for org_id, role, path in user.memberships.values_list("organization_id", "role", "organization__path"):
        roles.setdefault(org_id, set()).add(role)
        if role == ROLE_REVIEWER:
            reviewer_paths.append(path)
    scope = UserScope(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles={org: frozenset(held) for org, held in roles.items()},
        reviewer_paths=tuple(sorted(reviewer_paths)),
    )
    user._gongjian_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after the user's memberships change."""
    if hasattr(user, "_gongjian_scope"):
        del user._gongjian_scope


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows who may see and change its rows."""

    def visible_to(self, user):
        scope = get_scope(user)
        if scope.is_anonymous:
            return self.none()
        if scope.is_superuser:
            return self.all()
        return self.filter(self.model.scope_visible_q(scope))

    def editable_by(self, user):
        scope = get_scope(user)
        if scope.is_anonymous:
            return self.none()
        if scope.is_superuser:
            return self.all()
        return self.filter(self.model.scope_editable_q(scope))


def ensure_editable(user, obj) -> None:
    """Raise PermissionDenied unless ``obj`` is editable by ``user`` (used by services, inside their transaction)."""
    if not type(obj)._default_manager.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied


class ScopedViewMixin:
    """The one view mixin: every queryset comes from the model's scoped manager.

    * ``scope_action = "view"`` (default): the object must be visible, otherwise 404; a non-GET/HEAD request also
      needs it editable, otherwise 403.
    * ``scope_action = "edit"``: the page itself is a write form, so even GET needs it editable (403).
    Views without an object (lists, create forms) use ``get_queryset()``/``check_can_create()``.
    """

    model: type[models.Model]
    scope_action = "view"
    _SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

    def get_queryset(self):
        return self.scoped_queryset()

    def scoped_queryset(self):
        return self.model._default_manager.visible_to(self.request.user)

    def needs_edit(self) -> bool:
        return self.scope_action == "edit" or self.request.method not in self._SAFE_METHODS

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)  # 404 when out of scope: the queryset is already scoped
        if self.needs_edit():
            ensure_editable(self.request.user, obj)
        return obj

    def can_edit(self, obj) -> bool:
        return self.model._default_manager.editable_by(self.request.user).filter(pk=obj.pk).exists()

    def check_can_create(self) -> None:
        """Override in create views: raise PermissionDenied when the user may create nothing here."""
