"""Access-matrix rows for the partners' lists (三张清单): needs, resources, offers and their acceptance, 项目清单 — and
the builders the lists tests share.

An agreement in force between 甲项目党支部 (branch_a, secretary1) and the street community (partner, liaison1). branch_a
publishes needs and a resource; the community offers help against one need (an open proposal). secretary1 keeps
branch_a's lists and decides on offers to them; liaison1 offers for the community; the committee (reviewer) and
member1 read only; the outsider sees nothing (404 on objects, nothing of branch_a in the lists).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from partnerships.models import Need, Pairing, Resource
from tests.factories import cast_agreement
from tests.matrix import Case


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def make_lists_agreement(world, number: str = "GJ-LIST-001", **fields):
    return cast_agreement(
        world,
        number=number,
        title="甲项目与和平街道资源共享协议",
        term_start=days(-90),
        term_end=days(275),
        **{"status": "active", **fields},
    )


def make_need(org, title: str = "项目部职工子女暑期托管", **fields) -> Need:
    return Need.objects.create(
        organization=org,
        title=title,
        details=fields.pop("details", "暑期两个月，约30名职工子女需要看护和辅导。"),
        wanted_by=fields.pop("wanted_by", days(30)),
        **fields,
    )


def make_resource(org, title: str = "项目部党员活动室", kind: str = "venue", **fields) -> Resource:
    if kind == "venue":
        fields.setdefault("capacity", 60)
        fields.setdefault("opening_hours", "工作日 9:00–17:00")
    return Resource.objects.create(organization=org, title=title, kind=kind, **fields)


def make_pairing(need, offered_by, agreement, resource=None, **fields) -> Pairing:
    return Pairing.objects.create(
        need=need, offered_by=offered_by, agreement=agreement, resource=resource, note="可以安排志愿者", **fields
    )


def objects(world) -> dict:
    agreement = make_lists_agreement(world)
    need = make_need(world.branch_a, "矩阵需求：职工子女暑期托管")
    need_free = make_need(world.branch_a, "矩阵需求：工地夜校讲师")
    resource = make_resource(world.branch_a, "矩阵资源：项目部党员活动室")
    volunteers = make_resource(world.partner, "和平社区志愿服务队", kind="volunteers")
    pairing = make_pairing(need, world.partner, agreement, resource=volunteers)
    return {
        "lists_agreement": agreement,
        "lists_need": need,
        "lists_need_free": need_free,
        "lists_resource": resource,
        "lists_pairing": pairing,
    }


def _url(name, key=None):
    if key is None:
        return lambda w, o: reverse(f"partnerships:{name}")
    return lambda w, o: reverse(f"partnerships:{name}", args=[o[key].pk])


def _need_post(w, o):
    return {"organization": w.branch_a.pk, "title": "新需求：安全培训场地", "wanted_by": days(20).isoformat()}


def _resource_post(w, o):
    return {"organization": w.branch_a.pk, "kind": "lecturer", "title": "新资源：党课讲师团"}


CASES: dict[str, Case] = {
    "partnerships:need_list": Case(
        _url("need_list"), owner="secretary1", outsider_status=200, outsider_must_not_see=lambda w, o: "矩阵需求"
    ),
    "partnerships:need_export": Case(_url("need_export"), owner="secretary1", outsider_status=200),
    "partnerships:need_create": Case(
        _url("need_create"),
        owner="secretary1",
        owner_post=_need_post,
        read_only=("member1", "committee"),
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "partnerships:need_detail": Case(_url("need_detail", "lists_need"), owner="secretary1"),
    "partnerships:need_update": Case(
        _url("need_update", "lists_need"),
        owner="secretary1",
        owner_post=lambda w, o: {"title": "矩阵需求：职工子女暑期托管（更新）"},
        read_only=("member1", "committee", "liaison1"),
    ),
    "partnerships:need_withdraw": Case(
        _url("need_withdraw", "lists_need"),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=("member1", "committee", "liaison1"),
        get_ok=False,
        outsider_status=405,
    ),
    "partnerships:pairing_offer": Case(
        _url("pairing_offer", "lists_need_free"),
        owner="liaison1",
        owner_post=lambda w, o: {"offered_by": w.partner.pk, "agreement": o["lists_agreement"].pk, "note": "认领"},
        read_only=("secretary1", "member1", "committee"),
    ),
    "partnerships:pairing_accept": Case(
        _url("pairing_accept", "lists_pairing"),
        owner="secretary1",
        owner_post=lambda w, o: {"owner": w.partner.pk, "title": "暑期托管共建项目", "due_on": days(40).isoformat()},
        read_only=("liaison1", "member1", "committee"),
    ),
    "partnerships:pairing_decline": Case(
        _url("pairing_decline", "lists_pairing"),
        owner="secretary1",
        owner_post=lambda w, o: {"reason": "已由本单位自行解决"},
        read_only=("liaison1", "member1", "committee"),
    ),
    "partnerships:pairing_withdraw": Case(
        _url("pairing_withdraw", "lists_pairing"),
        owner="liaison1",
        owner_post=lambda w, o: {},
        read_only=("secretary1", "member1", "committee"),
        get_ok=False,
        outsider_status=405,
    ),
    "partnerships:resource_list": Case(
        _url("resource_list"), owner="secretary1", outsider_status=200, outsider_must_not_see=lambda w, o: "矩阵资源"
    ),
    "partnerships:resource_export": Case(_url("resource_export"), owner="secretary1", outsider_status=200),
    "partnerships:resource_create": Case(
        _url("resource_create"),
        owner="secretary1",
        owner_post=_resource_post,
        read_only=("member1", "committee"),
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "partnerships:resource_detail": Case(_url("resource_detail", "lists_resource"), owner="secretary1"),
    "partnerships:resource_update": Case(
        _url("resource_update", "lists_resource"),
        owner="secretary1",
        owner_post=lambda w, o: {"kind": "venue", "title": "矩阵资源：党员活动室", "capacity": 80},
        read_only=("member1", "committee", "liaison1"),
    ),
    "partnerships:resource_withdraw": Case(
        _url("resource_withdraw", "lists_resource"),
        owner="secretary1",
        owner_post=lambda w, o: {},
        read_only=("member1", "committee", "liaison1"),
        get_ok=False,
        outsider_status=405,
    ),
    "partnerships:project_list": Case(_url("project_list"), owner="secretary1", outsider_status=200),
    "partnerships:project_export": Case(_url("project_export"), owner="secretary1", outsider_status=200),
}
