"""Bounded formsets (issue 10, item 3): a forged ``TOTAL_FORMS`` is refused with a clear message and never makes the
server build more than a handful of forms; every formset goes through ``portal.forms.bounded_formset_factory``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from activities.forms.plans import PlanRowFormSet
from activities.forms.projects import MAX_ZONE_CLAIMS, team_member_formset, zone_assignment_formset
from activities.models import ActivityType
from assessments.forms.schemes import IndicatorFormSet
from partnerships.forms.agreements import PartyFormSet
from partnerships.forms.meetings import DecisionFormSet, RulingFormSet
from tests.matrix.projects import make_project, make_zone, roster

ROOT = Path(__file__).resolve().parents[2]
FORGED = 1000
TOO_MANY = "一次最多保存 {n} 行。"

FORMSETS = {
    "agreement parties": PartyFormSet,
    "meeting decisions": DecisionFormSet,
    "meeting rulings": RulingFormSet,
    "scheme indicators": IndicatorFormSet,
    "plan rows": PlanRowFormSet,
    "zone claims": zone_assignment_formset(),
    "team members": team_member_formset(),
}


def test_no_formset_is_made_without_the_bounded_factory():
    pattern = re.compile(r"\b(formset_factory|inlineformset_factory|modelformset_factory)\(")
    offenders = []
    for app in ("portal", "partnerships", "activities", "assessments"):
        for path in (ROOT / app).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if pattern.search(line.replace("bounded_formset_factory(", "")):
                    if path != ROOT / "portal" / "forms.py":
                        offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, f"use portal.forms.bounded_formset_factory: {offenders}"


@pytest.mark.parametrize("name", FORMSETS)
def test_every_formset_has_a_small_ceiling(name):
    formset_class = FORMSETS[name]
    assert formset_class.validate_max
    assert formset_class.absolute_max == formset_class.max_num <= 100


def _forged(prefix: str, total: int = FORGED) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(
    "name,kwargs",
    [("meeting decisions", {}), ("meeting rulings", {}), ("scheme indicators", {}), ("agreement parties", {})],
)
def test_a_forged_row_count_is_refused_and_builds_at_most_the_ceiling(db, name, kwargs):
    formset_class = FORMSETS[name]
    formset = formset_class(_forged("rows"), prefix="rows", **kwargs)
    assert not formset.is_valid()
    assert formset.non_form_errors() == [TOO_MANY.format(n=formset_class.max_num)]
    assert len(formset.forms) == formset_class.absolute_max


def test_a_forged_plan_row_count_is_refused(world):
    formset = PlanRowFormSet(
        _forged("rows"), prefix="rows", parties=[world.branch_a, world.partner], types=ActivityType.objects.all()
    )
    assert not formset.is_valid()
    assert len(formset.forms) == PlanRowFormSet.absolute_max


def test_the_zone_claims_page_refuses_a_thousand_rows_quickly_and_saves_nothing(client_for, world):
    zone = make_zone(make_project(world), world)
    ours, theirs = roster(world, 1, 1)
    data = _forged("claims")
    data.update({"claims-0-member": ours[0].pk, "claims-0-role": "leader", "claims-1-member": theirs[0].pk})
    data["claims-1-role"] = "member"
    response = client_for(world.secretary1).post(reverse("activities:zone_members", args=[zone.pk]), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.non_form_errors() == [TOO_MANY.format(n=MAX_ZONE_CLAIMS)]
    assert len(formset.forms) == MAX_ZONE_CLAIMS
    assert TOO_MANY.format(n=MAX_ZONE_CLAIMS) in response.content.decode()
    assert not zone.assignments.exists()


def test_the_zone_claims_page_still_saves_a_full_list(client_for, world):
    zone = make_zone(make_project(world), world)
    ours, theirs = roster(world, 1, 1)
    data = _forged("claims", total=MAX_ZONE_CLAIMS)
    for index in range(MAX_ZONE_CLAIMS):  # the blank rows as the page renders them
        data.update({f"claims-{index}-member": "", f"claims-{index}-role": "member", f"claims-{index}-post": ""})
    data.update({"claims-0-member": ours[0].pk, "claims-0-role": "leader", "claims-1-member": theirs[0].pk})
    response = client_for(world.secretary1).post(reverse("activities:zone_members", args=[zone.pk]), data)
    assert response.status_code == 302
    assert zone.assignments.count() == 2
