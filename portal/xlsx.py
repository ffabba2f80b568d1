"""Excel ledgers (台账) that open cleanly in Excel and LibreOffice: one header row, typed cells, frozen header,
column widths that fit Chinese text, a filter on the header row.

Every workbook the portal writes puts its values through ``set_cell``: text is always a string cell, never a formula
or an error value, whatever it starts with (CWE-1236). A title ``=HYPERLINK(...)`` is stored as those characters and
shown as them; text that Excel would read as a formula when a user edits the cell (``= + - @``, a tab or a carriage
return first) also gets Excel's "quote prefix" style, so re-entering it keeps it text. The text itself is never
changed by a leading apostrophe: what the user typed is what the ledger shows and what a re-import reads back.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _width(value) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; values are already local
    if value is None:
        return ""
    return value if isinstance(value, (int, float, dt.date)) else str(value)


# Characters that make a spreadsheet treat typed-in text as a formula (or as DDE) when it is entered again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def set_cell(cell: Cell, value) -> Cell:
    """Write ``value`` into ``cell``: numbers, dates and booleans typed, everything else as inert text."""
    value = _cell(value)
    if isinstance(value, str):
        # Control characters XML 1.0 cannot carry would make openpyxl refuse the whole export; drop them.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        # openpyxl types "=..." as a formula and "#N/A"-like text as an error; force a plain string cell.
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def write_row(ws, row: int, values: Sequence) -> None:
    """Write one row (1-based ``row``), every value through ``set_cell``."""
    for column, value in enumerate(values, start=1):
        set_cell(ws.cell(row=row, column=column), value)


def build_workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """``sheets`` is a list of (title, headers, rows). Returns the .xlsx bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        write_row(ws, 1, [str(h) for h in headers])
        widths = [_width(h) for h in headers]
        for number, row in enumerate(rows, start=2):
            values = [_cell(v) for v in row]
            write_row(ws, number, values)
            for index, value in enumerate(values):
                widths[index] = max(widths[index], min(_width(value), 60))
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="C8161D")
            cell.alignment = Alignment(vertical="center")
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(width + 2, 8)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_streaming(
    target,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
) -> int:
    """Write one sheet to ``target`` (a path or a binary file) in openpyxl's write-only mode: ``write_sheets`` with
    a single sheet. Returns the number of rows."""
    return write_sheets(target, [(title, headers, rows)], progress=progress, every=every)


def write_sheets(
    target,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
) -> int:
    """Write (title, headers, rows) sheets to ``target`` (a path or a binary file) in openpyxl's write-only mode: rows
    go to disk as they come, so memory stays flat at a million rows. Same cell rules as ``build_workbook`` (every
    value through ``set_cell``, typed dates, frozen header, filter); column widths come from the headers, as they must
    be set before the first row. ``progress(rows_written)`` — the rows of every sheet so far — is called every
    ``every`` rows and once at the end. Returns the number of rows written (headers not counted)."""
    wb = Workbook(write_only=True)
    written = 0
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        for index, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(_width(header) + 2, 12)
        ws.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = set_cell(WriteOnlyCell(ws), str(header))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="C8161D")
            header_cells.append(cell)
        ws.append(header_cells)
        in_sheet = 0
        for row in rows:
            ws.append([_stream_cell(ws, value) for value in row])
            in_sheet += 1
            written += 1
            if progress is not None and written % every == 0:
                progress(written)
        if headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{in_sheet + 1}"
    wb.save(target)
    if progress is not None:
        progress(written)
    return written


def _stream_cell(ws, value):
    value = _cell(value)
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value  # a plain number needs no cell object (the fast path of write-only mode)
    cell = set_cell(WriteOnlyCell(ws), value)
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    """An attachment response; the UTF-8 file name keeps Chinese names intact in every browser."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return response
