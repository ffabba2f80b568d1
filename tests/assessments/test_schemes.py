"""Assessment schemes: the default scheme totals 100, a new year copies the last one, the 100-point check, the
metric-iff-automatic constraint, and who may read and change schemes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from assessments import metrics, rules
from assessments.models import AssessmentScheme, Indicator
from assessments.services import rollups as rollup_services
from assessments.services import schemes as scheme_services


def test_the_default_scheme_totals_100_points_and_uses_known_metrics(db):
    scheme = scheme_services.scheme_create_default(2025)

    rules.scheme_validate(scheme)
    indicators = list(scheme.indicators.all())
    assert sum(i.points for i in indicators if not i.is_deduction) == Decimal(100)
    automatic = {i.metric for i in indicators if i.source == Indicator.Source.AUTOMATIC}
    # Every metric but the opt-in ones (资源共享's lists, 党建+业务's business), which a scheme adds when it wants them.
    assert automatic == {key for key, metric in metrics.REGISTRY.items() if metric.in_default_scheme}
    assert {"milestones_on_time", "zero_safety_incidents", "needs_met", "resources_shared"}.isdisjoint(automatic)
    assert {i.name for i in indicators if i.source == Indicator.Source.MANUAL} == {"品牌特色", "工作创新"}
    assert [i.metric for i in indicators if i.is_deduction] == ["overdue_items"]
    assert scheme.is_active and Indicator.history.count() == len(indicators)


def test_asking_again_returns_the_same_scheme(db):
    assert scheme_services.scheme_create_default(2025) == scheme_services.scheme_create_default(2025)
    assert AssessmentScheme.objects.count() == 1


def test_a_new_year_copies_the_latest_earlier_scheme(db):
    old = scheme_services.scheme_create_default(2024)
    Indicator.objects.filter(scheme=old, name="联席会议召开").update(name="联席会议", target=Decimal(2))

    new = scheme_services.scheme_create_default(2026)

    copied = new.indicators.get(name="联席会议")
    assert copied.target == Decimal(2) and copied.metric == "joint_meetings"
    assert new.indicators.count() == old.indicators.count()
    assert old.indicators.filter(name="联席会议").exists()  # the old year keeps its own rows


def test_the_rollup_creates_the_years_scheme_when_missing(world):
    rollup_services.rollup_compute(year=2025, quarter=1)
    assert AssessmentScheme.objects.filter(year=2025).exists()


def test_a_scheme_not_totalling_100_is_refused_on_activation(world):
    scheme = scheme_services.scheme_create_default(2025)
    AssessmentScheme.objects.filter(pk=scheme.pk).update(is_active=False)
    scheme.refresh_from_db()
    Indicator.objects.filter(scheme=scheme, name="品牌特色").update(points=Decimal(10))

    with pytest.raises(ValidationError) as error:
        scheme_services.scheme_activate(actor=world.committee, scheme=scheme)

    assert [e.code for e in error.value.error_dict["indicators"]] == ["total"]
    scheme.refresh_from_db()
    assert not scheme.is_active


def test_deductions_do_not_count_towards_the_100_points(world):
    scheme = scheme_services.scheme_create_default(2025)
    Indicator.objects.filter(scheme=scheme, is_deduction=True).update(points=Decimal(30))
    rules.scheme_validate(scheme)


def test_an_unknown_metric_is_refused(world):
    scheme = scheme_services.scheme_create_default(2025)
    Indicator.objects.filter(scheme=scheme, metric="publicity").update(metric="no_such_metric")
    with pytest.raises(ValidationError) as error:
        rules.scheme_validate(scheme)
    assert [e.code for e in error.value.error_dict["indicators"]] == ["unknown_metric"]


def test_a_reviewer_activates_a_valid_scheme(world):
    scheme = AssessmentScheme.objects.create(year=2030, name="方案")
    Indicator.objects.create(
        scheme=scheme, category="activities", name="全部", points=Decimal(100), source="automatic", metric="publicity"
    )
    scheme_services.scheme_activate(actor=world.committee, scheme=scheme)
    scheme.refresh_from_db()
    assert scheme.is_active and scheme.history.first().history_user == world.committee


@pytest.mark.parametrize("user", ["secretary1", "liaison1", "outsider"])
def test_only_reviewers_and_admins_change_schemes_while_everyone_reads_them(world, user):
    scheme = scheme_services.scheme_create_default(2025)
    AssessmentScheme.objects.filter(pk=scheme.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        scheme_services.scheme_activate(actor=world.user(user), scheme=scheme)
    assert AssessmentScheme.objects.visible_to(world.user(user)).count() == 1
    assert Indicator.objects.visible_to(world.user(user)).count() == 12
    assert not Indicator.objects.editable_by(world.user(user)).exists()
    assert Indicator.objects.editable_by(world.committee).count() == 12
    assert AssessmentScheme.objects.editable_by(world.admin).count() == 1


@pytest.mark.parametrize(
    ("source", "metric"), [("automatic", ""), ("manual", "publicity")], ids=["automatic-without", "manual-with"]
)
def test_an_indicator_has_a_metric_if_and_only_if_it_is_automatic(db, source, metric):
    scheme = AssessmentScheme.objects.create(year=2031, name="方案")
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(
            scheme=scheme, category="brand", name="x", points=Decimal(5), source=source, metric=metric
        )


@pytest.mark.parametrize(
    ("value", "target", "points", "deduction", "expected"),
    [
        (Decimal("66.67"), Decimal(100), Decimal(15), False, Decimal("10.0")),
        (Decimal(5), Decimal(3), Decimal(5), False, Decimal("5.0")),  # capped at full marks
        (Decimal(1), Decimal(3), Decimal(5), False, Decimal("1.7")),
        (None, Decimal(90), Decimal(10), False, Decimal(0)),
        (Decimal(3), Decimal(2), Decimal(10), True, Decimal("-6.0")),
        (Decimal(9), Decimal(2), Decimal(10), True, Decimal("-10.0")),  # at most the indicator's points
        (Decimal(2), None, Decimal(10), True, Decimal("-2.0")),  # one point per unit by default
    ],
)
def test_points_are_linear_capped_and_rounded_to_a_tenth(value, target, points, deduction, expected):
    assert metrics.points_for(value=value, target=target, points=points, is_deduction=deduction) == expected
