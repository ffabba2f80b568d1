"""Access-matrix rows for action items (督办事项): the ledger, 我的督办, an item's page, its forms, evidence files.

An agreement between 甲项目党支部 (secretary1) and the street community (liaison1 its liaison); the items are owned by
甲项目党支部, so secretary1 moves them and liaison1 (the other side) confirms them.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Evidence,
)
from portal.uploads import jpeg_thumbnail
from tests.factories import (
    ActionItemFactory,
    ActionItemUpdateFactory,
    DecisionFactory,
    JointMeetingFactory,
    cast_agreement,
)
from tests.matrix import Case
from tests.upload_files import pdf_bytes, png_bytes

PDF_BYTES = pdf_bytes()
PNG_BYTES = png_bytes()


def objects(world) -> dict:
    today = timezone.localdate()
    agreement = cast_agreement(
        world,
        number="GJ-ITEM-M01",
        title="督办矩阵共建协议",
        term_start=today - dt.timedelta(days=60),
        term_end=today + dt.timedelta(days=300),
    )
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="第一次联席会议",
        starts_at=timezone.now() - dt.timedelta(days=10),
        place="项目部会议室",
        host=world.branch_a,
    )
    decision = DecisionFactory(meeting=meeting, text="共同开展安全文明施工宣传")
    item = ActionItemFactory(
        agreement=agreement,
        decision=decision,
        title="矩阵督办事项：安全宣传栏",
        responsible_party=world.branch_a,
        responsible_person=world.secretary1,
        due_on=today + dt.timedelta(days=20),
    )
    awaiting = ActionItemFactory(
        agreement=agreement,
        decision=decision,
        title="矩阵督办事项：待确认",
        responsible_party=world.branch_a,
        due_on=today + dt.timedelta(days=5),
        status=ActionItem.Status.AWAITING_CONFIRMATION,
        progress=100,
    )
    update = ActionItemUpdateFactory(
        item=awaiting, kind=ActionItemUpdate.Kind.CLOSE_REQUEST, note="已完成", percent=100, author=world.secretary1
    )
    evidence = Evidence(update=update, original_name="验收单.pdf", content_type="application/pdf", size=len(PDF_BYTES))
    evidence.file.save("matrix-evidence.pdf", ContentFile(PDF_BYTES), save=False)
    evidence.save()
    photo = Evidence(update=update, original_name="现场.png", content_type="image/png", size=len(PNG_BYTES))
    photo.file.save("matrix-evidence.png", ContentFile(PNG_BYTES), save=False)
    with Image.open(io.BytesIO(PNG_BYTES)) as image:
        photo.thumbnail.save("matrix-evidence.jpg", ContentFile(jpeg_thumbnail(image)), save=False)
    photo.save()
    return {
        "item_agreement": agreement,
        "item_decision": decision,
        "item": item,
        "item_awaiting": awaiting,
        "item_evidence": evidence,
        "item_photo": photo,
    }


def _item_url(name, key="item"):
    return lambda w, o: reverse(f"partnerships:{name}", args=[o[key].pk])


def _create_post(w, o):
    return {
        "title": "新督办事项",
        "responsible_party": w.branch_a.pk,
        "responsible_person": w.secretary1.pk,
        "due_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "priority": 2,
    }


def _edit_post(w, o):
    return {
        "due_on": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "priority": 1,
        "responsible_person": "",
    }


def _close_post(w, o):
    return {"note": "已完成", "evidence": SimpleUploadedFile("验收单.pdf", PDF_BYTES, content_type="application/pdf")}


def _must_not_see(w, o):
    return o["item"].title


CASES: dict[str, Case] = {
    "partnerships:action_item_list": Case(
        lambda w, o: reverse("partnerships:action_item_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=_must_not_see,
    ),
    "partnerships:action_item_export": Case(
        lambda w, o: reverse("partnerships:action_item_export"), owner="secretary1", outsider_status=200
    ),
    "partnerships:my_action_items": Case(
        lambda w, o: reverse("partnerships:my_action_items"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=_must_not_see,
    ),
    "partnerships:action_item_create": Case(
        lambda w, o: reverse("partnerships:action_item_create", args=[o["item_agreement"].pk]),
        owner="secretary1",
        owner_post=_create_post,
        read_only=("committee", "member1"),
    ),
    "partnerships:action_item_detail": Case(_item_url("action_item_detail"), owner="secretary1"),
    "partnerships:action_item_update": Case(
        _item_url("action_item_update"),
        owner="secretary1",
        owner_post=_edit_post,
        read_only=("committee", "liaison1", "member1"),
    ),
    "partnerships:action_item_progress": Case(
        _item_url("action_item_progress"),
        owner="secretary1",
        owner_post=lambda w, o: {"note": "宣传栏已设计", "percent": 40},
        read_only=("committee", "liaison1", "member1"),
    ),
    "partnerships:action_item_close": Case(
        _item_url("action_item_close"),
        owner="secretary1",
        owner_post=_close_post,
        read_only=("committee", "liaison1"),
    ),
    "partnerships:action_item_cancel": Case(
        _item_url("action_item_cancel"),
        owner="secretary1",
        owner_post=lambda w, o: {"reason": "并入其他事项"},
        read_only=("committee", "liaison1"),
    ),
    # Confirming is the other side's: liaison1 confirms, the responsible party's own secretary may not.
    "partnerships:action_item_confirm": Case(
        _item_url("action_item_confirm", "item_awaiting"),
        owner="liaison1",
        owner_post=lambda w, o: {"note": "现场核实"},
        read_only=("secretary1", "committee"),
    ),
    "partnerships:action_item_send_back": Case(
        _item_url("action_item_send_back", "item_awaiting"),
        owner="liaison1",
        owner_post=lambda w, o: {"reason": "缺少照片"},
        read_only=("secretary1", "committee"),
    ),
    "partnerships:evidence_download": Case(
        lambda w, o: reverse("partnerships:evidence_download", args=[o["item_evidence"].pk]), owner="secretary1"
    ),
    "partnerships:evidence_thumb": Case(
        lambda w, o: reverse("partnerships:evidence_thumb", args=[o["item_photo"].pk]), owner="secretary1"
    ),
}
