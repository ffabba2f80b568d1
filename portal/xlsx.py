"""Excel ledgers (台账) that open cleanly in Excel and LibreOffice: one header row, typed cells, frozen header,
column widths that fit Chinese text, a filter on the header row.

Every workbook the portal writes puts its values through ``set_cell``: text is always a string cell, never a formula
or an error value, whatever it starts with (CWE-1236). A title ``=HYPERLINK(...)`` is stored as those characters and
shown as them; text that Excel would read as a formula when a user edits the cell (``= + - @``, a tab or a carriage
return first) also gets Excel's "quote prefix" style, so re-entering it keeps it text. The text itself is never
changed by a leading apostrophe: what the user typed is what the ledger shows and what a re-import reads back.

Every sheet opens ready to print (``print_setup``, one place for both writers): landscape A4, fit to one page wide
(as many pages tall as it takes), the header row repeated on each printed page, and a title row above the header
naming the ledger, its scope and the date ("督办台账 · 某某党委 · 2026-12-02"); the panes freeze below the header.
So row 1 is the title, row 2 the header, data from row 3 (``HEADER_ROW``, ``FIRST_DATA_ROW``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3  # 1-based, as Excel numbers them
TITLE_SEPARATOR = " · "


def caption(title: str, scope: str = "", on: dt.date | None = None) -> str:
    """The title row's text: the ledger's name, its scope (when there is one) and the date it was made."""
    on = on or timezone.localdate()
    return TITLE_SEPARATOR.join(str(part) for part in (title, scope, on.isoformat()) if part)


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


def build_workbook(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]], *, scope: str = "", on: dt.date | None = None
) -> bytes:
    """``sheets`` is a list of (title, headers, rows). Returns the .xlsx bytes. ``scope`` and ``on`` go into each
    sheet's title row (``caption``)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        set_cell(ws.cell(row=TITLE_ROW, column=1), caption(title, scope, on))
        ws.cell(row=TITLE_ROW, column=1).font = Font(bold=True, size=14)
        write_row(ws, HEADER_ROW, [str(h) for h in headers])
        widths = [_width(h) for h in headers]
        for number, row in enumerate(rows, start=FIRST_DATA_ROW):
            values = [_cell(v) for v in row]
            write_row(ws, number, values)
            for index, value in enumerate(values):
                widths[index] = max(widths[index], min(_width(value), 60))
        for cell in ws[HEADER_ROW]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="C8161D")
            cell.alignment = Alignment(vertical="center")
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(width + 2, 8)
        for row in ws.iter_rows(min_row=FIRST_DATA_ROW):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        if headers and ws.max_row >= FIRST_DATA_ROW:
            ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{ws.max_row}"
        print_setup(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def print_setup(ws) -> None:
    """An openpyxl sheet ready to print: landscape A4, one page wide, the header row on every page, frozen below it."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"


def _print_setup_xlsxwriter(ws) -> None:
    """``print_setup`` for an XlsxWriter sheet (0-based rows)."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW - 1)
    ws.center_horizontally()
    ws.freeze_panes(FIRST_DATA_ROW - 1, 0)


def write_streaming(
    target,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
    scope: str = "",
    on: dt.date | None = None,
) -> int:
    """Write one sheet to ``target`` (a path or a binary file), streaming: ``write_sheets`` with a single sheet.
    Returns the number of rows."""
    return write_sheets(target, [(title, headers, rows)], progress=progress, every=every, scope=scope, on=on)


def write_sheets(
    target,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
    scope: str = "",
    on: dt.date | None = None,
) -> int:
    """Write (title, headers, rows) sheets to ``target`` (a path or a binary file) with XlsxWriter in constant-memory
    mode: each row goes to disk as it comes, so memory stays flat at a million rows. XlsxWriter writes a cell as a few
    string operations where openpyxl's write-only mode builds a cell object and an XML element per cell (the export
    jobs' floor at ~1,000 rows/s). Same cell rules as ``build_workbook`` and ``set_cell`` (typed numbers, booleans and
    dates with their number formats, every other value an inert text cell, with the quote prefix when it starts like
    a formula, XML-illegal characters dropped), a bold white-on-red header row, frozen, with a filter; column widths
    come from the headers, as they must be set before the first row. ``progress(rows_written)`` — the rows of every
    sheet so far — is called every ``every`` rows and once at the end. Returns the number of rows written (headers
    not counted). Each sheet is set up to print as ``print_setup`` does, its title row naming ``scope`` and ``on``."""
    wb = xlsxwriter.Workbook(target, {"constant_memory": True})
    header_style = {"bold": True, "font_color": "#FFFFFF", "pattern": 1, "bg_color": "#C8161D"}
    formats = {
        "header": wb.add_format(header_style),
        "header_quoted": wb.add_format({**header_style, "quote_prefix": True}),
        "quoted": wb.add_format({"quote_prefix": True}),
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
    }
    written = 0
    try:
        for title, headers, rows in sheets:
            ws = wb.add_worksheet(str(title)[:31])
            ws.write_string(TITLE_ROW - 1, 0, _text(caption(title, scope, on)), formats["title"])
            for index, header in enumerate(headers):
                ws.set_column(index, index, _xlsxwriter_width(max(_width(header) + 2, 12)))
                text = _text(header)
                ws.write_string(
                    HEADER_ROW - 1,
                    index,
                    text,
                    formats["header_quoted" if text.startswith(FORMULA_TRIGGERS) else "header"],
                )
            _print_setup_xlsxwriter(ws)
            write = _row_writer(ws, formats)
            in_sheet = 0
            for row in rows:
                write(HEADER_ROW + in_sheet, row)
                in_sheet += 1
                written += 1
                if progress is not None and written % every == 0:
                    progress(written)
            if headers:
                ws.autofilter(HEADER_ROW - 1, 0, HEADER_ROW - 1 + in_sheet, len(headers) - 1)
    finally:
        wb.close()
    if progress is not None:
        progress(written)
    return written


def _xlsxwriter_width(width: int) -> float:
    """The argument that makes XlsxWriter store ``width`` as the column's width in the file, as openpyxl does (and
    as ``build_workbook`` does): XlsxWriter takes the width Excel shows and stores it plus the 5 pixels of cell
    padding, in units of the 7-pixel digit width of the default font."""
    return width - 5 / 7


def _text(value) -> str:
    """A text cell's value, as ``set_cell`` writes it: the characters XML 1.0 cannot carry dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value if isinstance(value, str) else str(value))


def _row_writer(ws, formats: dict) -> Callable[[int, Sequence], None]:
    """``write(row_number, values)`` for one sheet: each value typed as ``_cell`` and ``set_cell`` type it. The
    formats are the workbook's, created once (a per-cell format would be a new style record per cell)."""
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    write_datetime = ws.write_datetime
    quoted, datetime_format, date_format = formats["quoted"], formats["datetime"], formats["date"]
    illegal = ILLEGAL_CHARACTERS_RE.search
    datetime, date, triggers = dt.datetime, dt.date, FORMULA_TRIGGERS

    def write(number: int, values: Sequence) -> None:
        for column, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if illegal(value):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if value:
                    write_string(number, column, value, quoted if value.startswith(triggers) else None)
            elif kind is int or kind is float:
                write_number(number, column, value)
            elif kind is bool:
                write_boolean(number, column, value)
            elif value is None:
                continue  # ``_cell`` makes it "", an empty cell
            elif isinstance(value, datetime):
                write_datetime(number, column, value.replace(tzinfo=None), datetime_format)
            elif isinstance(value, date):
                write_datetime(number, column, value, date_format)
            elif isinstance(value, (int, float)):  # subclasses (an IntegerChoices member, a numpy number)
                write_number(number, column, value)
            else:
                text = _text(value)
                if text:
                    write_string(number, column, text, quoted if text.startswith(triggers) else None)

    return write


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    """An attachment response; the UTF-8 file name keeps Chinese names intact in every browser."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return response
