"""Access-matrix rows for the yearly ledger archive (年度台账): the start pages of an organization's and an
agreement's archive. The job, its progress and its file are the export job's rows (tests/matrix/exports.py).

secretary1 starts 甲项目党支部's and its agreement's; member1 (a member of that branch) sees both and may not start
them (403); the outsider sees neither (404)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import cast_agreement
from tests.matrix import Case


def _year(world, objs) -> dict:
    return {"year": timezone.localdate().year - 1}


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = cast_agreement(
        world, number="GJ-MX-ARC", term_start=dt.date(today.year - 2, 1, 1), term_end=dt.date(today.year + 1, 12, 31)
    )
    return {"archive_agreement": agreement}


CASES: dict[str, Case] = {
    "archive:organization": Case(
        lambda w, o: reverse("archive:organization", args=[w.branch_a.pk]),
        owner="secretary1",
        owner_post=_year,
        read_only=("member1",),
    ),
    "archive:agreement": Case(
        lambda w, o: reverse("archive:agreement", args=[o["archive_agreement"].pk]),
        owner="secretary1",
        owner_post=_year,
        read_only=("member1",),
    ),
}
