"""Notification e-mails rendered from pre-compiled pieces, for the reminder sweep at volume (issue 11).

Rendering the three notification templates (subject, text, HTML) through Django's engine cost ~0.46 ms of CPU per
e-mail, most of the sweep's own work. But within one batch and one kind the templates produce the same text around
four values that change per row: the notification's title and body, its link and the recipient's name. So a batch
renders the templates once per (kind, body present, link present) with *probes* in place of those values — a marker
pair around a string of the characters escaping changes (``<&"'`` and a newline) — and reads from the output, for
each place a value appears, which transformation the template applied there: HTML escaping (``{{ value }}`` with
autoescape), ``linebreaksbr`` after escaping, or none (autoescape off). The output becomes constant pieces and
(value, transformation) slots, and each e-mail is the pieces joined around its own values, transformed the same
way: the same characters Django would have produced.

Whatever the probes cannot explain — a template that uses another filter on a value, cuts it, or reads an attribute
the probes do not carry — gives no pieces (``compile_pieces`` returns None) and the caller renders through the engine.
The caller also checks the first e-mail of each variant against the engine's own rendering and falls back on any
difference (portal/notifications.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from django.template import Context
from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape

FIELDS = ("title", "body", "link", "name")  # the values that change per e-mail within a kind
_PROBE = "<&\"'\n"
_OPEN, _CLOSE = "\x00gj{}\x01", "\x01gj{}\x00"  # NUL never occurs in a rendered template's text, nor in PostgreSQL text
_SLOT = re.compile("\x00gj(\\d)\x01(.*?)\x01gj\\1\x00", re.DOTALL)

_NEWLINES = re.compile(r"\r\n|\r")


def _escaped(value: str) -> str:
    """Django's ``escape`` without its lazy-string and safe-string wrapping (the same characters)."""
    return html.escape(value)


def _escaped_lines(value: str) -> str:
    """Django's ``linebreaksbr`` with autoescape: newlines normalized, escaped, each newline a ``<br>``."""
    return html.escape(_NEWLINES.sub("\n", value)).replace("\n", "<br>")


def _kept(value: str) -> str:
    return value


# How a value was written where it appears, keyed by what the probe became there (through Django's own filters).
_TRANSFORMS: dict[str, Callable[[str], str]] = {
    str(escape(_PROBE)): _escaped,
    str(linebreaksbr(_PROBE, autoescape=True)): _escaped_lines,
    _PROBE: _kept,
}


def probe(field: str) -> str:
    """The stand-in value for ``field`` while compiling: markers around the probe characters."""
    index = FIELDS.index(field)
    return _OPEN.format(index) + _PROBE + _CLOSE.format(index)


class Pieces:
    """One rendered template as constant text and slots: ``fill(values)`` writes it for one e-mail."""

    def __init__(self, parts: list[str], slots: list[tuple[int, Callable[[str], str]]]):
        self.parts, self.slots = parts, slots  # len(parts) == len(slots) + 1

    def fill(self, values: Sequence[str]) -> str:
        out = [self.parts[0]]
        for (index, transform), part in zip(self.slots, self.parts[1:], strict=True):
            out.append(transform(values[index]))
            out.append(part)
        return "".join(out)


def _split(rendered: str) -> Pieces | None:
    parts, slots, start = [], [], 0
    for match in _SLOT.finditer(rendered):
        transform = _TRANSFORMS.get(match.group(2))
        if transform is None:
            return None  # a filter the probes cannot explain
        parts.append(rendered[start : match.start()])
        slots.append((int(match.group(1)), transform))
        start = match.end()
    parts.append(rendered[start:])
    if any("\x00" in part or "\x01" in part for part in parts):
        return None  # a marker cut apart (e.g. truncated): not a value written whole
    return Pieces(parts, slots)


def compile_pieces(templates: Sequence, context_for: Callable[[dict[str, str]], dict]) -> list[Pieces] | None:
    """The templates (``get_template`` results) as pieces, or None when any of them cannot be written from pieces.

    ``context_for(values)`` builds the templates' context with ``values[field]`` in place of each per-e-mail value.
    Rendered once with probes (which become the slots), then once with ordinary sample values, which the pieces
    must reproduce exactly: a value the template cut, dropped or replaced is caught here."""
    autoescape = templates[0].backend.engine.autoescape

    def render(values: dict[str, str]) -> list[str]:
        context = Context(context_for(values), autoescape=autoescape)
        return [template.template.render(context) for template in templates]

    compiled = [_split(rendered) for rendered in render({field: probe(field) for field in FIELDS})]
    if any(pieces is None for pieces in compiled):
        return None
    samples = {field: f"{field} sample <&> \"1\" '2'\nthree" for field in FIELDS}
    values = [samples[field] for field in FIELDS]
    if [pieces.fill(values) for pieces in compiled] != render(samples):
        return None
    return compiled
