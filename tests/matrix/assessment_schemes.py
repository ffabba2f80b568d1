"""Access-matrix rows for assessment schemes: the list, a scheme's page, a new year's scheme, editing, activation.

A draft scheme for 2040 (far from the years other areas compute) with two indicators totalling 100. Every
signed-in user reads schemes, the outsider included; the committee (reviewer) and admins change them; secretaries,
liaisons and members get 403 on every write.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from assessments.models import AssessmentScheme, Indicator
from tests.matrix import Case

SCHEME_YEAR = 2040
READ_ONLY = ("secretary1", "liaison1", "member1")


def objects(world) -> dict:
    scheme = AssessmentScheme.objects.create(year=SCHEME_YEAR, name="矩阵考核方案", is_active=False)
    Indicator.objects.create(
        scheme=scheme,
        category=Indicator.Category.ACTIVITIES,
        name="活动按时记录率",
        points=Decimal(60),
        target=Decimal(90),
        source=Indicator.Source.AUTOMATIC,
        metric="logged_in_time",
        order=0,
    )
    Indicator.objects.create(
        scheme=scheme,
        category=Indicator.Category.BRAND,
        name="品牌特色",
        points=Decimal(40),
        source=Indicator.Source.MANUAL,
        order=1,
    )
    return {"sch_scheme": scheme}


def scheme_post(scheme: AssessmentScheme, **changes) -> dict:
    """A complete, valid edit POST of ``scheme`` as it stands (its indicators in order), with ``changes`` applied
    to the scheme fields (``name``, ``notes``) or, as ``"<index>-<field>"``, to an indicator row."""
    indicators = list(scheme.indicators.order_by("order", "pk"))
    data = {
        "name": scheme.name,
        "notes": scheme.notes,
        "indicators-TOTAL_FORMS": len(indicators),
        "indicators-INITIAL_FORMS": len(indicators),
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
    }
    for index, indicator in enumerate(indicators):
        prefix = f"indicators-{index}-"
        data.update(
            {
                prefix + "id": indicator.pk,
                prefix + "category": indicator.category,
                prefix + "name": indicator.name,
                prefix + "description": indicator.description,
                prefix + "points": indicator.points,
                prefix + "target": "" if indicator.target is None else indicator.target,
                prefix + "source": indicator.source,
                prefix + "metric": indicator.metric,
            }
        )
        if indicator.is_deduction:
            data[prefix + "is_deduction"] = "on"
    for key, value in changes.items():
        if key in ("name", "notes"):
            data[key] = value
        elif value is None:
            data.pop(f"indicators-{key}", None)
        else:
            data[f"indicators-{key}"] = value
    return data


def _url(name):
    return lambda w, o: reverse(f"assessments:{name}", args=[o["sch_scheme"].pk])


CASES: dict[str, Case] = {
    "assessments:scheme_list": Case(
        lambda w, o: reverse("assessments:scheme_list"), owner="secretary1", outsider_status=200
    ),
    "assessments:scheme_detail": Case(_url("scheme_detail"), owner="secretary1", outsider_status=200),
    "assessments:scheme_create": Case(
        lambda w, o: reverse("assessments:scheme_create"),
        owner="committee",
        owner_post=lambda w, o: {"year": SCHEME_YEAR + 1, "name": ""},
        read_only=READ_ONLY,
        outsider_status=403,
    ),
    "assessments:scheme_update": Case(
        _url("scheme_update"),
        owner="committee",
        owner_post=lambda w, o: scheme_post(o["sch_scheme"], name="矩阵考核方案（修订）"),
        read_only=READ_ONLY,
        outsider_status=403,
    ),
    "assessments:scheme_activate": Case(
        _url("scheme_activate"),
        owner="committee",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=READ_ONLY,
        outsider_status=405,
    ),
}
