"""Reading and writing the roster Excel sheet (template download and import).

With the forms: parsing the uploaded workbook turns HTTP input into clean member rows (and row errors) for the
``member_import`` service, as a form's ``clean`` would; the template is the same columns written out."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from partnerships.models import Member
from portal.xlsx import write_row


def _columns() -> list[tuple[str, str]]:
    """(field, header) pairs, headers in the active language."""
    return [
        ("name", _("Name")),
        ("gender", _("Gender")),
        ("title", _("Title or post")),
        ("status", _("Party status")),
        ("joined_party_on", _("Joined the party on (YYYY-MM-DD)")),
        ("phone", _("Phone")),
    ]


def build_template() -> bytes:
    """An empty roster sheet with headers, one example row and drop-downs for the coded columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Roster")
    headers = [header for _field, header in _columns()]
    write_row(ws, 1, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C00000")
    write_row(
        ws,
        2,
        ["张三", str(Member.Gender.MALE.label), "施工员", str(Member.Status.FULL.label), "2015-07-01", "13800138000"],
    )
    for letter, width in zip("ABCDEF", (12, 8, 18, 14, 22, 16), strict=True):
        ws.column_dimensions[letter].width = width
    genders = ",".join(str(label) for label in Member.Gender.labels)
    statuses = ",".join(str(label) for label in Member.Status.labels)
    for formula, cells in ((f'"{genders}"', "B2:B1000"), (f'"{statuses}"', "D2:D1000")):
        validation = DataValidation(type="list", formula1=formula, allow_blank=True)
        validation.add(cells)
        ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@dataclass
class ParsedSheet:
    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _label_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices:
        lookup[str(value).lower()] = value
        lookup[str(label).lower()] = value
    return lookup


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores a typed phone number as a float
    return str(value).strip()


def parse_sheet(data: bytes) -> ParsedSheet:
    """Read an uploaded roster workbook into member dicts, collecting every row-level problem it can see."""
    result = ParsedSheet()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        result.errors.append(_("The file is not an Excel workbook (.xlsx). Download the template and fill it in."))
        return result
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    expected = [header_text for _field, header_text in _columns()]
    if header is None or [_text(h) for h in header[: len(expected)]] != expected:
        result.errors.append(
            _("The first row must be the template's headers: %(headers)s.") % {"headers": "、".join(expected)}
        )
        return result
    genders = _label_lookup(Member.Gender.choices)
    statuses = _label_lookup(Member.Status.choices)
    fields = [field_name for field_name, _header in _columns()]
    for number, values in enumerate(rows, start=2):
        values = list(values[: len(fields)]) + [None] * (len(fields) - len(values))
        if all(_text(v) == "" for v in values):
            continue
        row, problems = _parse_row(number, dict(zip(fields, values, strict=True)), genders, statuses)
        if problems:
            result.errors.append(_("Row %(row)s: %(errors)s") % {"row": number, "errors": "；".join(problems)})
        else:
            result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append(_("The sheet has no member rows."))
    return result


def _parse_row(number: int, raw: dict, genders: dict[str, str], statuses: dict[str, str]) -> tuple[dict, list[str]]:
    """One sheet row as member fields, with what is wrong in it."""
    row = {"row": number, "name": _text(raw["name"]), "title": _text(raw["title"]), "phone": _text(raw["phone"])}
    problems = []
    gender = _text(raw["gender"]).lower()
    if gender and gender not in genders:
        problems.append(
            _("gender %(value)s is not one of %(choices)s")
            % {"value": raw["gender"], "choices": "、".join(str(label) for label in Member.Gender.labels)}
        )
    row["gender"] = genders.get(gender, "")
    status = _text(raw["status"]).lower()
    if status and status not in statuses:
        problems.append(
            _("party status %(value)s is not one of %(choices)s")
            % {"value": raw["status"], "choices": "、".join(str(label) for label in Member.Status.labels)}
        )
    row["status"] = statuses.get(status, Member.Status.FULL)
    joined = raw["joined_party_on"]
    if isinstance(joined, dt.datetime):
        row["joined_party_on"] = joined.date()
    elif isinstance(joined, dt.date):
        row["joined_party_on"] = joined
    elif _text(joined):
        try:
            row["joined_party_on"] = dt.date.fromisoformat(_text(joined).replace("/", "-"))
        except ValueError:
            problems.append(_("date %(value)s is not in the form YYYY-MM-DD") % {"value": joined})
    return row, problems
