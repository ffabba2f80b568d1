"""确认办结 with the evidence in view, and the 督办 lists that lead to it.

The other side's liaison (liaison1) confirms what 甲项目党支部 (secretary1) reported done: the confirm page shows the
closure note and the evidence being accepted — image thumbnails and other files by name, type and size, every link
through the scoped download view — above the confirm and send-back controls. No list confirms in one tap: they link
to that page (查看并确认). The 督办台账 opens on the items still being worked on, overdue first; 我的督办 the same.

The clock is fixed where dates matter (``fixed_clock``: 2026-11-22 10:00 in Shanghai).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from partnerships.models import ActionItem
from partnerships.services import action_items as services
from tests.conftest import FIXED_NOW
from tests.partnerships.test_action_items import make_item, partnership  # noqa: F401 (a fixture)
from tests.upload_files import docx_bytes, pdf_bytes, png_bytes

TODAY = FIXED_NOW.date()
PNG = png_bytes()
PDF = pdf_bytes()
DOCX = docx_bytes()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def confirm_url(item) -> str:
    return reverse("partnerships:action_item_confirm", args=[item.pk])


def download_url(evidence) -> str:
    return reverse("partnerships:evidence_download", args=[evidence.pk])


def thumb_url(evidence) -> str:
    return reverse("partnerships:evidence_thumb", args=[evidence.pk])


@pytest.fixture
def reported(partnership, world):  # noqa: F811
    """An item 甲项目党支部 worked on with a progress file, then reported done with a note, a photo and a PDF."""
    item = make_item(partnership, world, title="设置共建宣传栏", due_on=days(10))
    services.action_item_update_progress(
        actor=world.secretary1, item=item, note="宣传栏已制作", percent=50, evidence=[upload("设计稿.docx", DOCX)]
    )
    services.action_item_close(
        actor=world.secretary1,
        item=item,
        note="宣传栏已安装在项目东门，内容经双方审定。",
        evidence=[upload("现场照片.png", PNG), upload("验收单.pdf", PDF)],
    )
    item.refresh_from_db()
    return item


def evidence_of(item, name):
    return next(e for u in item.updates.all() for e in u.evidence.all() if e.original_name == name)


# --- the confirm page -----------------------------------------------------------------------------------------


def test_the_confirm_page_shows_the_closure_note_thumbnails_and_files(client_for, world, reported):
    response = client_for(world.liaison1).get(confirm_url(reported))
    assert response.status_code == 200
    body = response.content.decode()
    assert "办结说明" in body and "宣传栏已安装在项目东门，内容经双方审定。" in body
    photo, receipt, draft = (evidence_of(reported, n) for n in ("现场照片.png", "验收单.pdf", "设计稿.docx"))
    assert [e.original_name for e in response.context["images"]] == ["现场照片.png"]
    assert [e.original_name for e in response.context["files"]] == ["验收单.pdf"]
    # The thumbnail is the image's small JPEG, through the scoped view, and links to the original full size.
    assert f'<a href="{download_url(photo)}" data-testid="evidence-thumbnail"' in body
    assert f'<img class="gj-thumb" src="{thumb_url(photo)}" alt="现场照片.png"' in body
    # Other files: name, type and size.
    assert f'href="{download_url(receipt)}" data-testid="evidence-file"' in body
    assert '<span data-testid="evidence-type">PDF</span>' in body
    assert f"PDF</span> · {len(PDF)}\xa0字节" in body
    # The progress update's file is there too, behind 此前的佐证材料.
    assert "此前的佐证材料（1 个文件）" in body and download_url(draft) in body
    # Never the storage's own URL: every file goes through the view that checks who may see the item.
    for evidence in (photo, receipt, draft):
        assert evidence.file.url not in body
    assert "/media/" not in body
    # The controls come after what they accept.
    assert (
        body.index('data-testid="closure"') < body.index('data-testid="submit"') < body.index('data-testid="send-back"')
    )
    assert 'data-testid="submit">确认办结<' in body


def test_the_send_back_page_shows_the_same_evidence(client_for, world, reported):
    response = client_for(world.liaison1).get(reverse("partnerships:action_item_send_back", args=[reported.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "宣传栏已安装在项目东门" in body and download_url(evidence_of(reported, "现场照片.png")) in body
    assert 'data-testid="submit">退回<' in body and f'href="{confirm_url(reported)}" data-testid="confirm"' in body


def test_after_a_send_back_the_page_shows_the_newest_closure(client_for, world, reported):
    services.action_item_send_back(actor=world.liaison1, item=reported, reason="缺少验收签字")
    reported.refresh_from_db()
    services.action_item_close(
        actor=world.secretary1, item=reported, note="已补充验收签字。", evidence=[upload("签字页.pdf", PDF)]
    )
    response = client_for(world.liaison1).get(confirm_url(reported))
    body = response.content.decode()
    assert "已补充验收签字。" in body and "宣传栏已安装在项目东门" not in body
    assert [e.original_name for e in response.context["files"]] == ["签字页.pdf"]
    assert response.context["images"] == []
    assert {e.original_name for e in response.context["earlier_evidence"]} == {
        "现场照片.png",
        "验收单.pdf",
        "设计稿.docx",
    }


def test_an_outsider_gets_404_and_the_reporting_side_403(client_for, world, reported):
    for name in ("partnerships:action_item_confirm", "partnerships:action_item_send_back"):
        url = reverse(name, args=[reported.pk])
        for user in (world.outsider, world.secretary2):
            assert client_for(user).get(url).status_code == 404
            assert client_for(user).post(url, {"reason": "x"}).status_code == 404
        # 甲项目党支部 reported it: it cannot confirm (or send back) its own closure.
        assert client_for(world.secretary1).get(url).status_code == 403
        assert client_for(world.secretary1).post(url, {"reason": "x"}).status_code == 403
    reported.refresh_from_db()
    assert reported.status == ActionItem.Status.AWAITING_CONFIRMATION and reported.confirmed_by is None


def test_confirming_from_the_page_closes_the_item(client_for, world, reported):
    response = client_for(world.liaison1).post(confirm_url(reported), {"note": "现场查看无误"})
    assert response.status_code == 302 and response["Location"] == reported.get_absolute_url()
    reported.refresh_from_db()
    assert reported.status == ActionItem.Status.DONE and reported.confirmed_by == world.liaison1


def test_the_confirm_page_costs_the_same_queries_whatever_the_evidence(client_for, world, partnership):  # noqa: F811
    client = client_for(world.liaison1)

    def queries(files: int) -> int:
        item = make_item(partnership, world, title=f"事项{files}")
        for i in range(files):
            services.action_item_update_progress(
                actor=world.secretary1, item=item, note=f"进展{i}", percent=10, evidence=[upload(f"p{i}.pdf", PDF)]
            )
        photos = [upload(f"照片{i}.png", PNG) for i in range(files)]
        services.action_item_close(actor=world.secretary1, item=item, note="已完成", evidence=photos)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(confirm_url(item)).status_code == 200
        return len(ctx.captured_queries)

    assert queries(1) == queries(8)


# --- no one-tap confirm in lists --------------------------------------------------------------------------------


def _no_confirm_control(body: str, item) -> None:
    # No form posting to the confirm or send-back view, no direct send-back link: only the way to the page.
    assert f'action="{confirm_url(item)}"' not in body
    assert reverse("partnerships:action_item_send_back", args=[item.pk]) not in body
    assert "确认办结</a>" not in body and "确认办结</button>" not in body


def test_my_action_items_links_to_the_confirm_page_instead_of_confirming(client_for, world, reported):
    body = client_for(world.liaison1).get(reverse("partnerships:my_action_items") + "?tab=awaiting").content.decode()
    assert f'href="{confirm_url(reported)}" data-testid="review-closure"' in body and "查看并确认" in body
    _no_confirm_control(body, reported)


def test_the_ledger_links_the_confirmer_to_the_confirm_page_only(client_for, world, reported):
    url = reverse("partnerships:action_item_list") + "?tab=awaiting"
    body = client_for(world.liaison1).get(url).content.decode()
    assert f'href="{confirm_url(reported)}" data-testid="review-closure"' in body
    _no_confirm_control(body, reported)
    # The reporting side sees the row, not the link.
    body = client_for(world.secretary1).get(url).content.decode()
    assert f'data-item="{reported.pk}"' in body and confirm_url(reported) not in body


# --- 督办台账 and 我的督办 open on what matters ----------------------------------------------------------------------


@pytest.fixture
def spread(partnership, world):  # noqa: F811
    make = lambda title, due, status="open", **extra: make_item(  # noqa: E731
        partnership, world, title=title, due_on=days(due), status=status, **extra
    )
    make("十天后", 10)
    make("逾期五天", -5, "in_progress")
    make("明天", 1, "in_progress")
    make("逾期一天", -1)
    make("待确认（已过期）", -8, "awaiting_confirmation")
    make("已办结", -20, "done", closed_at=FIXED_NOW - dt.timedelta(days=3))
    make("已取消", 5, "cancelled", cancel_reason="合并办理")


def _titles(response):
    return [item.title for item in response.context["object_list"]]


@pytest.mark.usefixtures("fixed_clock")
def test_the_ledger_opens_on_items_being_worked_on_overdue_first(client_for, world, spread):
    client = client_for(world.secretary1)
    url = reverse("partnerships:action_item_list")
    response = client.get(url)
    assert response.context["tab"] == "open"
    assert _titles(response) == ["逾期五天", "逾期一天", "明天", "十天后"]
    assert {t.key: t.count for t in response.context["tabs"]} == {"open": 4, "awaiting": 1, "closed": 2, "all": 7}
    body = response.content.decode()
    assert 'data-count="closed">2<' in body and 'data-count="awaiting">1<' in body
    assert _titles(client.get(url, {"tab": "awaiting"})) == ["待确认（已过期）"]
    assert _titles(client.get(url, {"tab": "closed"})) == ["已取消", "已办结"]
    assert len(_titles(client.get(url, {"tab": "all"}))) == 7
    # The status filter is offered on 全部 only (the other tabs are states already).
    assert 'name="status"' not in body and 'name="status"' in client.get(url, {"tab": "all"}).content.decode()


@pytest.mark.usefixtures("fixed_clock")
def test_the_ledgers_filters_apply_to_every_tab_count(client_for, world, spread):
    response = client_for(world.secretary1).get(reverse("partnerships:action_item_list"), {"q": "逾期"})
    assert {t.key: t.count for t in response.context["tabs"]} == {"open": 2, "awaiting": 0, "closed": 0, "all": 2}


@pytest.mark.usefixtures("fixed_clock")
def test_my_action_items_open_tab_puts_overdue_first(client_for, world, spread):
    response = client_for(world.secretary1).get(reverse("partnerships:my_action_items"))
    # Overdue first; an item awaiting confirmation is not overdue, however old its due date.
    assert _titles(response) == ["逾期五天", "逾期一天", "待确认（已过期）", "明天", "十天后"]
    body = response.content.decode()
    for key, count in {"open": 5, "due_soon": 1, "overdue": 2, "awaiting": 0, "closed": 1}.items():
        assert f'data-count="{key}">{count}<' in body
    assert 'text-bg-danger" data-count="overdue"' in body


@pytest.mark.usefixtures("fixed_clock")
def test_due_dates_do_not_wrap(client_for, world, spread):
    body = client_for(world.secretary1).get(reverse("partnerships:action_item_list")).content.decode()
    assert '<th class="text-nowrap">完成时限</th>' in body
    assert body.count('class="text-nowrap">2026-') == 4


@pytest.mark.parametrize("query", ["", "?tab=awaiting", "?tab=closed", "?tab=all&q=事项"])
def test_the_ledger_tabs_cost_the_same_queries_at_few_and_many_items(client_for, world, partnership, query):  # noqa: F811
    client = client_for(world.liaison1)
    url = reverse("partnerships:action_item_list") + query

    def add(n):
        for i in range(n):
            make_item(
                partnership,
                world,
                title=f"事项{i}",
                due_on=days(i % 9 - 3),
                status=("open", "in_progress", "awaiting_confirmation", "done")[i % 4],
            )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(4)
    few = count()
    add(60)
    assert count() == few


# --- thumbnails of image evidence -------------------------------------------------------------------------------


def test_an_image_is_stored_with_a_small_upright_jpeg_served_to_who_sees_the_item(client_for, world, partnership):  # noqa: F811
    """A phone photo (4000 × 3000, held upright: EXIF orientation 6) gets a 360 × 480 JPEG; the confirm page loads
    that instead of the original. The thumbnail view answers who may see the item, 404 to anyone else, and 404 for a
    file that is no image."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: the camera was held upright
    Image.new("RGB", (4000, 3000), (200, 22, 29)).save(buffer, format="JPEG", exif=exif, quality=95)
    item = make_item(partnership, world, title="宣传栏照片", due_on=days(10))
    services.action_item_close(
        actor=world.secretary1,
        item=item,
        note="已安装。",
        evidence=[upload("现场.jpg", buffer.getvalue()), upload("验收单.pdf", PDF)],
    )
    item.refresh_from_db()
    photo, receipt = evidence_of(item, "现场.jpg"), evidence_of(item, "验收单.pdf")
    assert photo.thumbnail and not receipt.thumbnail
    with photo.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (360, 480)
    assert photo.thumbnail.size < photo.size / 10

    response = client_for(world.liaison1).get(thumb_url(photo))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == photo.thumbnail.open("rb").read()
    for user in (world.outsider, world.secretary2):
        assert client_for(user).get(thumb_url(photo)).status_code == 404
    assert client_for(world.liaison1).get(thumb_url(receipt)).status_code == 404


def test_an_image_stored_before_thumbnails_shows_its_original(client_for, world, reported):
    photo = evidence_of(reported, "现场照片.png")
    type(photo).objects.filter(pk=photo.pk).update(thumbnail="")
    response = client_for(world.liaison1).get(thumb_url(photo))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
