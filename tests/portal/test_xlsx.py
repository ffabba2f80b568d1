"""Every workbook the portal writes carries user text as text: never a formula, never an error value (CWE-1236)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from partnerships.forms.roster_sheet import build_template
from portal.xlsx import build_workbook, caption, write_sheets, write_streaming
from tests.xlsx_checks import FORMULA_TITLE, assert_no_formulas, assert_print_ready, table, text_cells

TRIGGERS = [
    FORMULA_TITLE,
    "+86 138 0013 8000",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("text", TRIGGERS)
def test_text_that_looks_like_a_formula_is_written_as_that_text(text):
    content = build_workbook([("台账", ["标题", "数量"], [[text, 3]])])
    # Written verbatim (no apostrophe added; XML reads a bare carriage return back as a line feed), marked so that
    # editing the cell in Excel keeps it text.
    (cell,) = text_cells(content, text.replace("\r", "\n"))
    assert cell.quotePrefix


def test_error_codes_and_plain_text_are_string_cells_and_typed_values_stay_typed():
    day = dt.date(2025, 7, 1)
    moment = dt.datetime(2025, 7, 1, 9, 30)
    content = build_workbook([("台账", ["a", "b", "c", "d", "e"], [["#N/A", "党建联建", 3, 2.5, day], [moment]])])
    assert_no_formulas(content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("#N/A", "s")
    assert (sheet["B3"].value, sheet["B3"].data_type, sheet["B3"].quotePrefix) == ("党建联建", "s", False)
    assert (sheet["C3"].value, sheet["C3"].data_type) == (3, "n")
    assert (sheet["D3"].value, sheet["D3"].data_type) == (2.5, "n")
    assert sheet["E3"].value.date() == day and sheet["E3"].is_date
    assert sheet["A4"].value == moment and sheet["A4"].is_date


def test_control_characters_do_not_break_the_export():
    content = build_workbook([("台账", ["标题"], [["宣传\x01栏\x1f"]])])
    text_cells(content, "宣传栏")


def test_the_roster_template_has_no_formula_and_text_cells():
    content = build_template()
    text_cells(content, "13800138000")
    text_cells(content, "2015-07-01")


STREAM_ROWS = [
    [dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 9, 30), "主题党日", 12, 2.5, True, None, ""],
    [dt.date(2025, 3, 2), dt.datetime(2025, 3, 2, 14, 0, tzinfo=dt.UTC), "=HYPERLINK(1)", 0, -1.25, False, "#N/A", "x"],
    ["-3", "+x", "@SUM(A1)", "\tcmd", "a\x01b", "长" * 50, 7, dt.date(2024, 12, 31)],
]


def _streamed(rows, **kwargs) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    written = write_streaming(buffer, "台账", HEADERS, rows, **kwargs)
    return buffer.getvalue(), written


HEADERS = ["日期", "开始时间", "标题", "人数", "得分", "完成", "备注", "说明"]


def test_a_streamed_sheet_holds_the_same_cells_as_the_in_memory_workbook():
    """The export jobs' writer and ``build_workbook`` agree on every value, its type, quote prefix and date format."""
    streamed, written = _streamed(STREAM_ROWS)
    assert written == len(STREAM_ROWS)
    fast = load_workbook(io.BytesIO(streamed)).active
    reference = load_workbook(io.BytesIO(build_workbook([("台账", HEADERS, STREAM_ROWS)]))).active
    assert fast.max_row == reference.max_row == len(STREAM_ROWS) + 2
    for fast_row, reference_row in zip(fast.iter_rows(), reference.iter_rows(), strict=True):
        for cell, expected in zip(fast_row, reference_row, strict=True):
            assert (cell.coordinate, cell.value) == (expected.coordinate, expected.value)
            assert type(cell.value) is type(expected.value)
            if cell.value is not None:
                assert cell.data_type == expected.data_type
            assert cell.number_format == expected.number_format
            assert cell.quotePrefix == expected.quotePrefix
    assert fast["A3"].number_format == "yyyy-mm-dd" and fast["B3"].number_format == "yyyy-mm-dd hh:mm"
    assert fast["C4"].value == "=HYPERLINK(1)" and fast["C4"].data_type == "s" and fast["C4"].quotePrefix
    assert fast["E5"].value == "ab"


def test_a_streamed_sheet_keeps_its_header_style_frozen_row_filter_and_widths():
    streamed, _ = _streamed(STREAM_ROWS)
    sheet = load_workbook(io.BytesIO(streamed)).active
    assert sheet.title == "台账"
    header = sheet["A2"]
    assert header.font.b and header.font.color.rgb.endswith("FFFFFF")
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb.endswith("C8161D")
    assert not sheet["A3"].font.b
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:H{len(STREAM_ROWS) + 2}"
    assert sheet.column_dimensions["A"].width == 12  # at least 12, as openpyxl stored it


def test_a_streamed_workbook_reports_progress_and_writes_each_sheet():
    calls = []
    buffer = io.BytesIO()
    written = write_sheets(
        buffer,
        [("一", ["甲"], ([n] for n in range(5))), ("二", ["乙", "丙"], iter([["x", dt.date(2025, 1, 1)]]))],
        progress=calls.append,
        every=2,
    )
    assert written == 6
    assert calls == [2, 4, 6, 6]
    workbook = load_workbook(buffer)
    assert workbook.sheetnames == ["一", "二"]
    assert [row[0] for row in workbook["一"].iter_rows(min_row=2, values_only=True)] == ["甲", 0, 1, 2, 3, 4]
    assert workbook["二"]["B3"].value == dt.datetime(2025, 1, 1) and workbook["二"].auto_filter.ref == "A2:B3"


def test_both_writers_make_sheets_ready_to_print_with_a_title_row():
    day = dt.date(2026, 12, 2)
    built = build_workbook([("督办台账", HEADERS, STREAM_ROWS), ("汇总", ["项", "值"], [])], scope="某某党委", on=day)
    streamed, _ = _streamed(STREAM_ROWS, scope="某某党委", on=day)
    for content in (built, streamed):
        sheets = assert_print_ready(content, "某某党委", "2026-12-02")
    assert load_workbook(io.BytesIO(built))["督办台账"]["A1"].value == "督办台账 · 某某党委 · 2026-12-02"
    assert sheets[0]["A1"].value == "台账 · 某某党委 · 2026-12-02" and sheets[0]["A1"].font.b
    assert table(sheets[0])[0] == tuple(HEADERS)


def test_a_title_without_scope_names_the_ledger_and_the_date():
    assert caption("活动台账", "", dt.date(2026, 1, 5)) == "活动台账 · 2026-01-05"
