"""Writing iCalendar (RFC 5545) text directly, for feeds of hundreds of events.

A feed builds one content line per property with plain string operations: TEXT values escaped (backslash, ``;``,
``,`` and line breaks), UTC date-times as ``YYYYMMDDTHHMMSSZ``, and every line folded at 75 octets with CRLF and a
space, never inside a UTF-8 character. The output is what the icalendar library writes for the same properties
(``tests/activities/test_calendar.py`` checks it byte for byte against the library), without building a tree of
property objects per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

CRLF = "\r\n"
FOLD = "\r\n "
LINE_OCTETS = 75


def text(value: str) -> str:
    """A TEXT value, escaped (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def text_list(values: Iterable[str]) -> str:
    """A multi-valued TEXT property (CATEGORIES): each value escaped, joined with commas."""
    return ",".join(text(value) for value in values)


def utc(moment: dt.datetime) -> str:
    """A DATE-TIME in UTC form (``20261202T013000Z``); the moment must be aware."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold one content line: at most 74 octets before the first break, and each continuation (after its leading
    space) at most 74 more, never splitting a character."""
    if line.isascii():
        if len(line) < LINE_OCTETS:
            return line
        step = LINE_OCTETS - 1
        return FOLD.join(line[i : i + step] for i in range(0, len(line), step))
    parts: list[str] = []
    start = 0
    used = 0
    for index, char in enumerate(line):
        size = 1 if char < "\x80" else len(char.encode("utf-8"))
        used += size
        if used >= LINE_OCTETS:
            parts.append(line[start:index])
            start = index
            used = size
    parts.append(line[start:])
    return FOLD.join(parts)


def line(name: str, value: str) -> str:
    """``NAME:value`` folded and terminated by CRLF; ``value`` must already be in its iCalendar form."""
    return fold(f"{name}:{value}") + CRLF
