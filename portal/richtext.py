"""Minutes and other long texts: written as light Markdown (blank line = new paragraph, "- " = list),
stored as the author wrote them, rendered to sanitised HTML."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "h3",
    "h4",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


def sanitize(html: str) -> str:
    """Keep only harmless structure: no scripts, styles, event handlers or links to elsewhere."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={}, link_rel=None)


def render(text: str) -> SafeString:
    """Markdown (or pasted HTML) → sanitised HTML, safe to put in a template."""
    html = markdown.markdown(text or "", extensions=["sane_lists", "nl2br", "tables"], output_format="html")
    return mark_safe(sanitize(html))  # noqa: S308 - sanitised by nh3 just above
