"""A year of joint work for the archive's tests: 甲项目党支部 (secretary1's branch) and the street community under
one agreement, with a published meeting and its decision, an action item with progress and an evidence file, an
activity with headcounts and photos, a red responsibility zone with a member and a check, and a quarterly result —
all in last calendar year (``YEAR``, always one the form offers), plus secretary2's branch's own activity, which
must never appear. ``check_bundle`` opens a bundle's ZIP and reads its PDFs (pypdf) and workbooks (openpyxl)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from activities.models import Activity, ActivityPhoto, ZoneCheck
from assessments.models import QuarterRollup
from partnerships.models import ActionItem, Agreement, Evidence, JointMeeting
from tests.activities.test_activities import image_bytes, theme_day
from tests.factories import (
    ActionItemFactory,
    ActionItemUpdateFactory,
    ActivityFactory,
    ActivityParticipationFactory,
    DecisionFactory,
    JointMeetingFactory,
    KeyProjectFactory,
    MemberFactory,
    QuarterRollupFactory,
    ResponsibilityZoneFactory,
    ZoneAssignmentFactory,
    ZoneCheckFactory,
    cast_agreement,
)
from tests.xlsx_checks import table

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVIDENCE_TEXT = "佐证材料：照片与签到表".encode()


def ledger_year() -> int:
    return timezone.localdate().year - 1


@dataclass
class Ledger:
    year: int
    agreement: Agreement
    meeting: JointMeeting
    item: ActionItem
    activity: Activity
    other_activity: Activity
    rollup: QuarterRollup


def build_ledger(world) -> Ledger:
    year = ledger_year()
    on = dt.datetime(year, 6, 18, 9, 30, tzinfo=SHANGHAI)
    agreement = cast_agreement(
        world,
        number="GJ-ARC-001",
        title="甲项目与和平街道结对共建协议",
        brand="红色工地共建",
        term_start=dt.date(year - 1, 3, 1),
        term_end=dt.date(year + 1, 2, 28),
        signed_on=dt.date(year - 1, 3, 1),
    )
    meeting = JointMeetingFactory(
        agreement=agreement,
        title="第二季度联席会议",
        starts_at=on,
        minutes="会议听取了**红色工地**共建进展汇报。",
        minutes_status=JointMeeting.MinutesStatus.PUBLISHED,
        minutes_version=1,
        published_at=on + dt.timedelta(days=1),
    )
    decision = DecisionFactory(meeting=meeting, text="在项目围挡设置共建宣传栏", responsible_party=world.branch_a)
    JointMeetingFactory(agreement=agreement, title="草稿会议不进台账", starts_at=on + dt.timedelta(days=30))
    item = ActionItemFactory(
        agreement=agreement,
        decision=decision,
        title="设置共建宣传栏",
        responsible_party=world.branch_a,
        due_on=dt.date(year, 7, 31),
        status=ActionItem.Status.IN_PROGRESS,
        progress=60,
    )
    update = ActionItemUpdateFactory(item=item, note="宣传栏已完成设计", percent=60, author=world.secretary1)
    Evidence.objects.create(
        update=update,
        file=SimpleUploadedFile("设计稿.txt", EVIDENCE_TEXT),
        original_name="设计稿.txt",
        content_type="text/plain",
        size=len(EVIDENCE_TEXT),
    )
    activity = ActivityFactory(
        title="重温入党誓词主题党日",
        type=theme_day(),
        agreement=agreement,
        lead=world.branch_a,
        co_organizers=[world.partner],
        starts_at=on + dt.timedelta(days=2),
        ends_at=on + dt.timedelta(days=2, hours=2),
        status=Activity.Status.LOGGED,
        summary="两支部党员共同重温入党誓词。",
    )
    ActivityParticipationFactory(activity=activity, organization=world.branch_a, headcount=12)
    ActivityParticipationFactory(activity=activity, organization=world.partner, headcount=8)
    for index in range(2):
        ActivityPhoto.objects.create(
            activity=activity,
            image=SimpleUploadedFile(f"合影{index}.jpg", image_bytes("JPEG", (640, 480))),
            thumbnail=SimpleUploadedFile(
                f"合影{index}-s.jpg", image_bytes("JPEG", (160, 120), (200, 22 + 100 * index, 29))
            ),
            original_name=f"合影{index}.jpg",
            size=1000,
            width=640,
            height=480,
        )
    other_activity = ActivityFactory(
        title="乙支部自己的理论学习",
        lead=world.branch_b,
        starts_at=on,
        ends_at=on + dt.timedelta(hours=2),
        status=Activity.Status.HELD,
    )
    zone = ResponsibilityZoneFactory(
        project=KeyProjectFactory(agreement=agreement, owner=world.branch_a, name="地铁三号线共建工程"),
        name="一号盾构区间责任区",
        lead=world.branch_a,
    )
    ZoneAssignmentFactory(zone=zone, member=MemberFactory(organization=world.branch_a, name="王建国"))
    ZoneCheckFactory(
        zone=zone, checked_on=dt.date(year, 5, 6), category=ZoneCheck.Category.SAFETY, finding="脚手架缺少防护网"
    )
    rollup = QuarterRollupFactory(
        organization=world.branch_a, year=year, quarter=2, total=88.5, status=QuarterRollup.Status.PUBLISHED
    )
    return Ledger(year, agreement, meeting, item, activity, other_activity, rollup)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def check_bundle(content: bytes, ledger: Ledger, world) -> dict[str, bytes]:
    """Open the ZIP and check what each part holds; returns its files by name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    root = f"甲项目党支部{ledger.year}年度台账"
    assert all(name.startswith(root + "/") for name in files), sorted(files)

    def one(folder: str, suffix: str = ".pdf") -> list[bytes]:
        return [
            data
            for name, data in sorted(files.items())
            if name.startswith(f"{root}/{folder}") and name.endswith(suffix)
        ]

    contents = pdf_text(files[f"{root}/00 目录.pdf"])
    assert "02 联席会议纪要" in contents
    # Every page's header names the organization and the year; its footer numbers the page.
    first_page = PdfReader(io.BytesIO(files[f"{root}/00 目录.pdf"])).pages[0].extract_text()
    assert f"甲项目党支部 · {ledger.year}年度台账" in first_page and "1 / " in first_page
    agreements = pdf_text(one("01 共建协议")[0])
    assert "甲项目与和平街道结对共建协议" in agreements and "和平街道社区党委" in agreements
    (minutes,) = [pdf_text(data) for data in one("02 联席会议纪要")]  # the draft meeting is left out
    assert "第二季度联席会议" in minutes and "在项目围挡设置共建宣传栏" in minutes and "红色工地" in minutes
    activities = "".join(pdf_text(data) for data in one("03 活动台账"))
    assert "重温入党誓词主题党日" in activities and "乙支部" not in activities
    reader = PdfReader(io.BytesIO(one("03 活动台账")[0]))
    shown = sum(len(page.images) for page in reader.pages)
    assert shown == 2, shown  # both thumbnails, inline
    items = pdf_text(one("04 督办事项/督办事项")[0])
    assert "设置共建宣传栏" in items and "宣传栏已完成设计" in items and "设计稿.txt" in items
    (evidence,) = one("04 督办事项/佐证材料", ".txt")
    assert evidence == EVIDENCE_TEXT
    zones = pdf_text(one("05 红旗责任区")[0])
    assert "一号盾构区间责任区" in zones and "王建国" in zones and "脚手架缺少防护网" in zones
    results = pdf_text(one("06 季度考核")[0])
    assert f"{ledger.year} Q2" in results and "88.5" in results
    workbooks = {
        name.rsplit("/", 1)[1]: load_workbook(io.BytesIO(data))
        for name, data in files.items()
        if name.endswith(".xlsx")
    }
    assert set(workbooks) == {"活动台账.xlsx", "督办台账.xlsx", "共建协议台账.xlsx"}
    activity_rows = table(workbooks["活动台账.xlsx"].worksheets[0])[1:]
    assert [row[3] for row in activity_rows] == ["重温入党誓词主题党日"]
    item_rows = table(workbooks["督办台账.xlsx"].worksheets[0])[1:]
    assert [row[3] for row in item_rows] == ["设置共建宣传栏"]
    agreement_rows = table(workbooks["共建协议台账.xlsx"].worksheets[0])[1:]
    assert [row[0] for row in agreement_rows] == ["GJ-ARC-001"]
    return files
