"""Every workbook the portal writes carries user text as text: never a formula, never an error value (CWE-1236)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from partnerships.roster_import import build_template
from portal.xlsx import build_workbook
from tests.xlsx_checks import FORMULA_TITLE, assert_no_formulas, text_cells

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
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("#N/A", "s")
    assert (sheet["B2"].value, sheet["B2"].data_type, sheet["B2"].quotePrefix) == ("党建联建", "s", False)
    assert (sheet["C2"].value, sheet["C2"].data_type) == (3, "n")
    assert (sheet["D2"].value, sheet["D2"].data_type) == (2.5, "n")
    assert sheet["E2"].value.date() == day and sheet["E2"].is_date
    assert sheet["A3"].value == moment and sheet["A3"].is_date


def test_control_characters_do_not_break_the_export():
    content = build_workbook([("台账", ["标题"], [["宣传\x01栏\x1f"]])])
    text_cells(content, "宣传栏")


def test_the_roster_template_has_no_formula_and_text_cells():
    content = build_template()
    text_cells(content, "13800138000")
    text_cells(content, "2015-07-01")
