"""The publicity board (公示牌) prints to one A4 landscape page: Chromium's own PDF of the print view has one page.

A zone of a joint project claimed by members of two parties, with pledges; secretary1 (the owner's secretary) opens
the board, the page is rendered for print and turned into a PDF the way a user's "Save as PDF" does. The usual board
(twelve members, three pledges) and a full one (sixteen members, five long pledges) both fit one page.
"""

import re
import unicodedata
import zlib

import pytest

from activities.models import ZoneAssignment
from tests.e2e.conftest import sign_in
from tests.factories import MemberFactory
from tests.matrix.projects import make_project, make_zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE_NAME = "盾构区间红旗责任区"
PLEDGES = [
    "牢固树立安全第一意识，责任区内杜绝较大及以上安全事故",
    "严把工程质量关，关键工序党员带头旁站、带头检查",
    "文明施工、绿色施工，主动听取周边居民意见，及时化解矛盾",
    "守住投资控制红线，节约每一方混凝土、每一度电，杜绝浪费",
    "倒排工期、挂图作战，确保区间隧道按节点贯通，决不拖全线后腿",
]
POSTS = ["安全监督岗", "质量监督岗", "进度协调岗", "文明施工岗", "", "群众工作岗"]


def build_zone(world, members: int, pledges: int):
    project = make_project(world, name="城市轨道交通三号线共建工程")
    zone = make_zone(
        project,
        world,
        name=ZONE_NAME,
        area="三号线一期盾构区间（左右线）及两座联络通道",
        dimensions=["safety", "quality", "investment", "progress", "civilized", "stability"],
        pledges="\n".join(PLEDGES[:pledges]),
    )
    for index in range(members):
        organization = world.branch_a if index % 2 == 0 else world.partner
        member = MemberFactory(organization=organization, name=f"{'张王李赵刘陈'[index % 6]}党员{index:02d}")
        ZoneAssignment.objects.create(
            zone=zone,
            member=member,
            role=ZoneAssignment.Role.LEADER if index < 2 else ZoneAssignment.Role.MEMBER,
            post=POSTS[index % len(POSTS)],
        )
    return zone


@pytest.mark.parametrize("members, pledges", [(12, 3), (16, 5)], ids=["usual", "full"])
def test_the_board_prints_on_one_a4_landscape_page(browser, live_server, world, members, pledges):
    zone = build_zone(world, members, pledges)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, "secretary1")
        page.goto(f"/zones/{zone.pk}/board/")
        assert page.get_by_test_id("board").get_attribute("data-members") == str(members)
        page.emulate_media(media="print")
        assert not page.get_by_test_id("print-button").is_visible()
        assert page.get_by_test_id("board-zone").inner_text() == ZONE_NAME
        pdf = page.pdf(format="A4", landscape=True, print_background=True, prefer_css_page_size=True)
    finally:
        context.close()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"the board printed on {pages} pages"
    text = pdf_text(pdf)
    assert ZONE_NAME in text
    assert "010-12345678" in text  # the supervision phone, at the foot of the board, made it onto the page


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the PDF's pages, decoded through each font's ToUnicode map (no PDF library needed).

    Chromium writes one content stream per page (plus form XObjects) and embeds the CJK font as subsets whose codes
    are 1 byte (Type3) or 2 bytes (Type0); NFKC folds the Kangxi radicals some glyphs map to into ordinary characters.
    """
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}

    def head(num):
        return objects[num].split(b"stream", 1)[0]

    def stream(num):
        body = objects[num]
        length = re.search(rb"/Length\s+(\d+)", head(num))
        start = re.search(rb"stream\r?\n", body)
        if not (length and start):
            return b""
        data = body[start.end() : start.end() + int(length.group(1))]
        return zlib.decompress(data) if b"/FlateDecode" in head(num) else data

    def to_unicode(num):
        table = {}
        data = stream(num)
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for low, high, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                base = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    table[int(low, 16) + offset] = base[:-1] + chr(ord(base[-1]) + offset)
        return table

    def fonts(num):
        match = re.search(rb"/Font\s*<<(.*?)>>", head(num), re.S)
        result = {}
        for name, ref in re.findall(rb"/(\w+)\s+(\d+)\s+0\s+R", match.group(1) if match else b""):
            font = head(int(ref))
            unicode_ref = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", font)
            width = 2 if b"/Type0" in font else 1
            result[name] = (width, to_unicode(int(unicode_ref.group(1))) if unicode_ref else {})
        return result

    def decode(content, font_map):
        out, width, table = [], 1, {}
        for match in re.finditer(rb"/(\w+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f]*)>", content):
            if match.group(1) is not None:
                width, table = font_map.get(match.group(1), (1, {}))
                continue
            raw = bytes.fromhex(match.group(2).decode())
            for i in range(0, len(raw), width):
                out.append(table.get(int.from_bytes(raw[i : i + width], "big"), ""))
        return "".join(out)

    text = []
    for num in objects:
        h = head(num)
        if re.search(rb"/Type\s*/Page(?!s)", h):
            contents = re.search(rb"/Contents\s+(\d+)\s+0\s+R", h)
            if contents:
                text.append(decode(stream(int(contents.group(1))), fonts(num)))
        elif b"/Subtype /Form" in h:
            text.append(decode(stream(num), fonts(num)))
    return unicodedata.normalize("NFKC", "\n".join(text))
