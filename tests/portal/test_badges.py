"""Status colours are data of the choice classes (portal.choices), and one tag renders every badge."""

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template

from assessments.models import QuarterRollup, SelfAssessment
from partnerships.models import ActionItem
from portal.choices import COLOURS, NEUTRAL, ColouredChoices, Colours


def coloured_fields():
    """Every (model, field, choice class) whose choices carry colours."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            name = getattr(field, "name", "")
            choices = getattr(model, "".join(part.capitalize() for part in name.split("_")), None)
            if getattr(field, "choices", None) and isinstance(choices, type) and issubclass(choices, ColouredChoices):
                if not model.__name__.startswith("Historical"):
                    found.append((model, name, choices))
    return found


def render(source: str, **context) -> str:
    return Template("{% load gongjian %}" + source).render(Context(context))


def test_the_coloured_classes_are_found():
    labels = {f"{model._meta.label}.{field}" for model, field, _ in coloured_fields()}
    assert {"partnerships.ActionItem.status", "activities.Activity.status", "portal.ExportJob.status"} <= labels
    assert len(labels) >= 15


@pytest.mark.parametrize(("model", "field", "choices"), coloured_fields(), ids=lambda v: getattr(v, "__name__", v))
def test_every_coloured_class_names_only_its_own_values(model, field, choices):
    assert set(choices.colours) <= set(choices.values), f"{model.__name__}.{field}: a colour for a value it lacks"
    assert {choices.colour(member) for member in choices} <= COLOURS


@pytest.mark.parametrize(("model", "field", "choices"), coloured_fields(), ids=lambda v: getattr(v, "__name__", v))
def test_every_value_renders_a_badge_in_its_colour(model, field, choices):
    for member in choices:
        obj = model(**{field: member.value})
        html = render(f'{{% badge obj "{field}" %}}', obj=obj)
        border = " border" if choices.colour(member) == "light" else ""
        attribute = field.replace("_", "-")
        expected = f'<span class="badge text-bg-{choices.colour(member)}{border}" data-{attribute}="{member.value}">'
        assert html == f"{expected}{member.label}</span>"


def test_the_colour_is_declared_once_per_value():
    assert ActionItem.Status.colour(ActionItem.Status.DONE) == "success"
    assert ActionItem.Status.colour("awaiting_confirmation") == "warning"
    assert ActionItem.Status.colour(ActionItem.Status.OPEN) == "primary"  # otherwise
    assert QuarterRollup.Status.colour(QuarterRollup.Status.PUBLISHED) == "success"


def test_an_unknown_value_gets_a_neutral_badge():
    assert ActionItem.Status.colour("lost") == NEUTRAL and ActionItem.Status.colour(None) == NEUTRAL
    html = render('{% badge item "status" %}', item=ActionItem(status="lost"))
    assert html == f'<span class="badge text-bg-{NEUTRAL}" data-status="lost">lost</span>'


def test_a_value_from_the_view_renders_with_its_label_and_testid():
    html = render(
        '{% badge "assessments.SelfAssessment" "status" value=key label=label testid="self-assessment-status" %}',
        key="none",
        label="未开始",
    )
    assert html == (
        f'<span class="badge text-bg-{NEUTRAL}" data-testid="self-assessment-status" data-status="none">未开始</span>'
    )
    html = render('{% badge "assessments.SelfAssessment" "status" value=key %}', key="submitted")
    assert html == '<span class="badge text-bg-success" data-status="submitted">已提交</span>'


def test_a_field_without_colours_or_an_object_that_is_no_model_is_neutral():
    html = render('{% badge item "priority" %}', item=ActionItem(priority=ActionItem.Priority.HIGH))
    assert html == f'<span class="badge text-bg-{NEUTRAL}" data-priority="1">高</span>'
    assert render('{% badge thing "status" value="x" label="y" %}', thing={"status": "x"}) == (
        f'<span class="badge text-bg-{NEUTRAL}" data-status="x">y</span>'
    )


def test_labels_and_values_are_escaped():
    html = render('{% badge "assessments.SelfAssessment" "status" value=v label=l %}', v='"x', l="<b>")
    assert "<b>" not in html and "&lt;b&gt;" in html and "&quot;x" in html


def test_the_colour_filter_gives_the_colour_alone():
    assert render('{{ sa|colour:"status" }}', sa=SelfAssessment(status="returned")) == "warning"
    assert render("{{ sa|colour }}", sa=SelfAssessment(status="draft")) == "info"
    assert render("{{ nothing|colour }}", nothing=None) == NEUTRAL


def test_colours_refuse_what_bootstrap_does_not_have():
    with pytest.raises(ValueError, match="not Bootstrap colours"):
        Colours(done="green")


def test_the_colours_do_not_reach_django_choices():
    class Status(ColouredChoices, models.TextChoices):
        ON = "on", "On"
        OFF = "off", "Off"

        colours = Colours(on="success")

    class Level(ColouredChoices, models.TextChoices):
        LOW = "low", "Low"
        MID = "mid", "Mid"
        HIGH = "high", "High"

        colours = Colours(high="danger", otherwise="info")

    assert Status.choices == [("on", "On"), ("off", "Off")]
    assert Status.colour(Status.ON) == "success" and Status.colour(Status.OFF) == NEUTRAL
    assert [Level.colour(level) for level in Level] == ["info", "info", "danger"]
    assert Level.colour("unknown") == NEUTRAL  # "otherwise" colours the class's own values only
