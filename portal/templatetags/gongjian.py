"""Template helpers shared by every app."""

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.apps import apps
from django.db.models import Model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import pgettext

from portal import history
from portal.choices import NEUTRAL, ColouredChoices
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


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.simple_tag
def colon() -> str:
    """The colon after a label: "：" in Chinese text, ": " in English (its translation, context "label separator")."""
    return pgettext("label separator", ": ")


@register.filter
def number(value, places: int = 1) -> str:
    """A score or measure as people write it: at most ``places`` decimals, no trailing zeros (95.0 → 95, 76.92 →
    76.9, 4.00 → 4); "—" for none."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    step = Decimal(1).scaleb(-int(places))
    text = f"{amount.quantize(step, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@register.filter
def percent(value) -> str:
    """A rate already in per cent, one decimal at most: 76.92 → "76.9%", 100.00 → "100%"; "—" for none."""
    text = number(value)
    return text if text == "—" else f"{text}%"


@register.filter
def count(value, unit: str = "") -> str:
    """A count with its unit: 4.00 and "次" → "4 次"; "—" for none."""
    text = number(value)
    return text if text == "—" or not unit else f"{text} {unit}"


@register.filter
def measure(value, unit: str = "") -> str:
    """A metric's value in its unit: "%" makes a percentage, any other unit a count."""
    return percent(value) if unit == "%" else count(value, unit)


@functools.cache
def _choices_of(model: type, field: str):
    """The choice class of ``model.field`` by the house naming (``status`` → ``Status``, ``minutes_status`` →
    ``MinutesStatus``), if it has colours; ``None`` otherwise."""
    choices = getattr(model, "".join(part.capitalize() for part in field.split("_")), None)
    return choices if isinstance(choices, type) and issubclass(choices, ColouredChoices) else None


def _model_of(obj) -> type | None:
    """``obj``'s model: a model instance, or a model named ``"app_label.Model"`` (for values computed by a view)."""
    if isinstance(obj, str):
        return apps.get_model(obj)
    return type(obj) if isinstance(obj, Model) else None


@register.filter
def colour(obj, field: str = "status") -> str:
    """The Bootstrap colour of ``obj.field`` as its choice class declares it (portal.choices): ``alert-{{ run|colour }}``."""
    model = _model_of(obj)
    choices = _choices_of(model, field) if model else None
    return choices.colour(getattr(obj, field)) if choices else NEUTRAL


@register.simple_tag
def badge(obj, field: str = "status", *, value=None, label=None, testid: str = "") -> str:
    """One choice shown as a Bootstrap badge in its colour (the only place templates turn a status into a colour).

    ``{% badge item "status" %}`` reads the value and label from a model instance;
    ``{% badge "assessments.SelfAssessment" "status" value=row.status_key label=row.status %}`` takes them from the
    context (a value the class does not know, e.g. ``"none"``, gets the neutral colour). ``testid`` adds a
    ``data-testid``; the value is always in ``data-<field>``.
    """
    model = _model_of(obj)
    choices = _choices_of(model, field) if model else None
    if value is None and not isinstance(obj, str):
        value = getattr(obj, field, None)
        if label is None and isinstance(obj, Model):
            label = getattr(obj, f"get_{field}_display")()
    if label is None:
        label = dict(choices.choices).get(value, value) if choices else value
    tint = choices.colour(value) if choices else NEUTRAL
    return format_html(
        '<span class="badge text-bg-{}{}"{} data-{}="{}">{}</span>',
        tint,
        " border" if tint == "light" else "",
        format_html(' data-testid="{}"', testid) if testid else "",
        field.replace("_", "-"),
        "" if value is None else value,
        "" if label is None else label,
    )


@register.simple_tag(takes_context=True)
def history_page(context, records):
    """One page of a record's 变更记录 (``portal.history.page``), its number from ``?history_page=``; the page also
    carries ``export_url``, the history of the include's ``subject`` (default: the record the rows belong to) as
    Excel."""
    request = context.get("request")
    subject = context.get("subject")
    number = request.GET.get("history_page") if request is not None else None
    page = history.page(records, number)
    if isinstance(subject, Model):
        key = (subject._meta.label_lower, subject.pk)
    else:
        key = history.export_key(records) if page.paginator.count else None
    page.export_url = reverse("history_export", args=[key[0], key[1]]) if key else ""
    return page
