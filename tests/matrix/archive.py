"""Access-matrix rows for the yearly ledger archive (年度台账): the start pages of an organization's and an
agreement's archive. The job, its progress and its file are the export job's rows (tests/matrix/exports.py).

secretary1 starts 甲项目党支部's and its agreement's; member1 (a member of that branch) sees both and may not start
them (403); the outsider sees neither (404)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from tests.matrix import Case


def _year(world, objs) -> dict:
    return {"year": timezone.localdate().year - 1}


def objects(world) -> dict:
    return {}  # the agreement is tests/matrix/agreements.py's (甲项目党支部 and the street community)


CASES: dict[str, Case] = {
    "archive:organization": Case(
        lambda w, o: reverse("archive:organization", args=[w.branch_a.pk]),
        owner="secretary1",
        owner_post=_year,
        read_only=("member1",),
    ),
    "archive:agreement": Case(
        lambda w, o: reverse("archive:agreement", args=[o["agreement"].pk]),
        owner="secretary1",
        owner_post=_year,
        read_only=("member1",),
    ),
}
