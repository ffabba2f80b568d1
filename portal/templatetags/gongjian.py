"""Template helpers shared by every app."""

from django import template

from portal.names import display_name
from portal.richtext import render

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (keeps filters across pages)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.filter
def indent(depth: int) -> str:
    """Left padding for a tree node at ``depth`` (1 = root), in rem."""
    return f"{max(int(depth) - 1, 0) * 1.25:.2f}rem"


@register.filter
def richtext(text: str):
    """Render light Markdown to sanitised HTML (see portal.richtext)."""
    return render(text)


@register.filter
def person(user) -> str:
    """A user's name as the portal shows it (portal.names.display_name): 周振华, not "振华 周"; "" for no user."""
    return display_name(user)


@register.filter
def thousands(number) -> str:
    """``10000`` → ``10,000`` (list counts; the same in Chinese and English)."""
    return f"{int(number):,}"
