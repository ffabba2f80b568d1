"""The scope filters rewritten for the group scale (EXISTS probes / UNION of id arms, DESIGN.md §9) return exactly the
rows of their old ``OR``-of-``IN`` formulations, kept here as the reference, for every demo user — in both shapes
(``any_of`` picks the EXISTS form for a broad scope and the union for a narrow one; each test forces both on every
user, so each shape is checked against the reference on every scope of the demo).
"""

from __future__ import annotations

import io
from dataclasses import asdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q
from django.test import override_settings

from activities.models import Activity, ActivityPhoto, PioneerPost, Team
from activities.models.activities import _org_q
from activities.selectors.activities import ledger_organizations
from assessments.models import QuarterRollup
from partnerships.models import AgreementParty, Organization, agreement_ids_for
from portal.scoping import UserScope, get_scope
from tests.rollback import rolled_back

pytestmark = pytest.mark.django_db


class BroadShape(UserScope):
    @property
    def is_broad(self) -> bool:
        return True


class NarrowShape(UserScope):
    @property
    def is_broad(self) -> bool:
        return False


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module and rolled back after its last test."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        with rolled_back():
            call_command("seed_demo", stdout=io.StringIO())
            get_user_model().objects.create_user("nobody", password="x")  # no membership at all
            yield


def demo_scopes():
    """(username, scope) for every demo user, each in its own shape and in both forced shapes."""
    for user in get_user_model().objects.order_by("username"):
        scope = get_scope(user)
        if scope.is_superuser:
            continue  # visible_to() returns every row for a superuser: no filter to compare
        fields = asdict(scope)
        for shape in (UserScope, BroadShape, NarrowShape):
            yield f"{user.username}/{shape.__name__}", shape(**fields)


def ids(model, condition) -> set[int]:
    return set(model.objects.filter(condition).values_list("pk", flat=True))


# --- the old formulations, as they were before the rewrite ------------------------------------------------------


def old_activity_visible_q(scope: UserScope) -> Q:
    joined = Activity.co_organizers.through.objects.filter(_org_q(scope, "organization")).values("activity_id")
    return _org_q(scope, "lead") | Q(pk__in=joined) | Q(agreement_id__in=agreement_ids_for(scope))


def old_post_or_team_visible_q(scope: UserScope) -> Q:
    return _org_q(scope, "organization") | Q(project__agreement_id__in=agreement_ids_for(scope))


def old_rollup_visible_q(scope: UserScope) -> Q:
    return (
        scope.in_orgs_q("organization_id")
        | scope.subtree_q("organization__path")
        | Q(agreement_id__in=agreement_ids_for(scope))
    )


def old_rollup_editable_q(scope: UserScope) -> Q:
    reviewed = AgreementParty.objects.filter(scope.subtree_q("organization__path")).values("agreement_id")
    return scope.subtree_q("organization__path") | Q(agreement_id__in=reviewed)


def old_ledger_organizations(visible_activities) -> set[int]:
    joined = Activity.co_organizers.through.objects.filter(activity__in=visible_activities.values("pk")).values(
        "organization_id"
    )
    return ids(Organization, Q(pk__in=visible_activities.values("lead_id")) | Q(pk__in=joined))


# --- the comparisons -------------------------------------------------------------------------------------------


def test_the_demo_has_broad_narrow_and_empty_scopes(seeded):
    scopes = {name.split("/")[0]: scope for name, scope in demo_scopes()}
    assert any(scope.reviewer_paths for scope in scopes.values())
    assert any(scope.roles and not scope.reviewer_paths for scope in scopes.values())
    assert not scopes["nobody"].roles


def test_activity_visibility_is_unchanged(seeded):
    seen_rows = 0
    for name, scope in demo_scopes():
        expected = ids(Activity, old_activity_visible_q(scope))
        assert ids(Activity, Activity.scope_visible_q(scope)) == expected, name
        seen_rows += len(expected)
        photos = ids(ActivityPhoto, Q(activity__in=expected))
        assert ids(ActivityPhoto, ActivityPhoto.scope_visible_q(scope)) == photos, name
    assert seen_rows  # the demo gives its users activities to see


@pytest.mark.parametrize("model", [PioneerPost, Team])
def test_post_and_team_visibility_is_unchanged(seeded, model):
    seen_rows = 0
    for name, scope in demo_scopes():
        expected = ids(model, old_post_or_team_visible_q(scope))
        assert ids(model, model.scope_visible_q(scope)) == expected, name
        seen_rows += len(expected)
    assert seen_rows


def test_quarter_result_visibility_and_review_rights_are_unchanged(seeded):
    assert QuarterRollup.objects.exists() or pytest.skip("the demo seeded no quarter results")
    for name, scope in demo_scopes():
        assert ids(QuarterRollup, QuarterRollup.scope_visible_q(scope)) == ids(
            QuarterRollup, old_rollup_visible_q(scope)
        ), name
        assert ids(QuarterRollup, QuarterRollup.scope_editable_q(scope)) == ids(
            QuarterRollup, old_rollup_editable_q(scope)
        ), name


def test_ledger_organizations_are_unchanged_for_every_demo_user(seeded):
    users = list(get_user_model().objects.order_by("username"))
    assert users
    for user in users:
        scope = get_scope(user)
        visible = (
            Activity.objects.all() if scope.is_superuser else Activity.objects.filter(old_activity_visible_q(scope))
        )
        expected = old_ledger_organizations(visible)
        assert set(ledger_organizations(user).values_list("pk", flat=True)) == expected, user.username


def test_quarter_results_of_one_kind_are_the_visible_ones_of_that_kind(seeded):
    for name, scope in demo_scopes():
        visible = ids(QuarterRollup, QuarterRollup.scope_visible_q(scope))
        branches = ids(QuarterRollup, QuarterRollup.scope_visible_kind_q(scope, "organization"))
        agreements = ids(QuarterRollup, QuarterRollup.scope_visible_kind_q(scope, "agreement"))
        assert branches == visible & ids(QuarterRollup, Q(organization__isnull=False)), name
        assert agreements == visible & ids(QuarterRollup, Q(agreement__isnull=False)), name
        assert not branches & agreements


def test_the_dashboard_s_quarters_and_results_are_the_visible_ones_for_every_demo_user(seeded):
    from assessments.selectors import quarters as quarter_selectors
    from assessments.selectors import subjects as subject_selectors

    seen = 0
    for user in get_user_model().objects.order_by("username"):
        visible = QuarterRollup.objects.visible_to(user)
        expected = sorted(set(visible.values_list("year", "quarter")), reverse=True)
        assert quarter_selectors.quarters_with_results(user) == expected, user.username
        for view, kind in (
            (subject_selectors.ORGANIZATIONS, Q(organization__isnull=False)),
            (subject_selectors.AGREEMENTS, Q(agreement__isnull=False)),
        ):
            found = set(subject_selectors.scoped_results(user, view).values_list("pk", flat=True))
            assert found == set(visible.filter(kind).values_list("pk", flat=True)), (user.username, view)
            seen += len(found)
    assert seen
