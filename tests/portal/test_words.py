"""Words people use: no "---------" on any page (filters say 全部, forms 请选择), Chinese punctuation in the Chinese
translations, and numbers as people write them (76.9%, 4 次)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from activities.models import Activity
from partnerships.forms.directory import MemberForm
from partnerships.forms.filters import MemberFilter
from portal.search import spellings
from portal.templatetags.gongjian import count, measure, number, percent
from tests.activities.test_activities import make_activity, make_agreement
from tests.test_access_matrix import CASES, objs  # noqa: F401 (the matrix's objects fixture)

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_no_page_of_the_access_matrix_shows_a_dash_empty_choice(client_for, world, objs):  # noqa: F811
    pages = 0
    for name, case in sorted(CASES.items()):
        if not case.get_ok:
            continue
        response = client_for(world.user(case.owner)).get(case.url(world, objs))
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        assert "---------" not in response.content.decode(), name
    assert pages > 50


def test_a_filter_offers_all_and_a_form_asks_to_choose(world):
    class Form(forms.ModelForm):
        class Meta:
            model = Activity
            fields = ["type", "lead"]

    with translation.override("zh-hans"):
        form = Form()
        assert str(form.fields["type"].empty_label) == "请选择"
        assert "---------" not in form.as_p()
        assert list(MemberForm().fields["gender"].choices)[0] == ("", "请选择")  # a model field's blank choice
        rendered = str(MemberFilter(data={}).form)
        assert "全部" in rendered and "---------" not in rendered


# --- Chinese punctuation in Chinese text ---------------------------------------------------------------------

CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# Placeholders and markup that may hold ASCII punctuation legitimately: %(name)s, {name}, {{ n }}, HTML tags, URLs.
PLACEHOLDERS = re.compile(r"%\(\w+\)[sdfr]|%[sd]|\{\{[^}]*\}\}|\{\w*\}|<[^>]+>|https?://\S+|\*\*")
ASCII_IN_CHINESE = re.compile(rf"{CJK}\s*[,:;!?()]|[,;!?()]\s*{CJK}|:\s*{CJK}")


def ascii_punctuation(text: str) -> list[str]:
    """The places where ``text`` puts an ASCII , : ; ( ) ! ? next to a Chinese character (placeholders aside)."""
    bare = PLACEHOLDERS.sub("X", text)
    return [bare[max(m.start() - 6, 0) : m.end() + 6] for m in ASCII_IN_CHINESE.finditer(bare)]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("结果: 93.2", True),
        ("牵头单位:", True),
        ("督办事项(共建)", True),
        ("确定吗?", True),
        ("结果：93.2", False),
        ("共 %(count)s 条（含逾期）", False),
        ("第 {{ n }} 页，共 {{ total }} 页", False),
        ("09:30 开会", False),
        ("Excel", False),
    ],
)
def test_the_punctuation_check_flags_ascii_marks_in_chinese(text, flagged):
    assert bool(ascii_punctuation(text)) is flagged


def test_the_chinese_translations_use_chinese_punctuation():
    offenders = []
    for entry in polib.pofile(str(PO)):
        texts = [entry.msgstr, *entry.msgstr_plural.values()]
        offenders += [(entry.msgid[:60], hit) for text in texts for hit in ascii_punctuation(text)]
    assert not offenders, "\n".join(f"{msgid!r}: {hit!r}" for msgid, hit in offenders)


# --- numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("76.92"), "76.9%"), (Decimal("100.00"), "100%"), (76.95, "77%"), (0, "0%"), (None, "—")],
)
def test_a_rate_shows_one_decimal_at_most(value, expected):
    assert percent(value) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(Decimal("4.00"), "次", "4 次"), (12, "人", "12 人"), (Decimal("2.50"), "项", "2.5 项"), (None, "次", "—")],
)
def test_a_count_shows_with_its_unit_and_no_trailing_zeros(value, unit, expected):
    assert count(value, unit) == expected


def test_a_measure_takes_its_form_from_the_unit():
    assert measure(Decimal("76.92"), "%") == "76.9%"
    assert measure(Decimal("3.00"), "次") == "3 次"
    assert number(Decimal("95.0")) == "95" and number(Decimal("-0.04")) == "0"


# --- one term per concept ------------------------------------------------------------------------------------


def test_the_other_names_of_a_red_flag_zone_find_it():
    assert set(spellings("红色责任区检查")) == {"红色责任区检查", "红旗责任区检查", "党员责任区检查"}
    assert spellings("主题党日") == ["主题党日"]


def test_searching_activities_by_another_name_of_the_zone_finds_them(client_for, world):
    agreement = make_agreement(world)
    wanted = make_activity(world, agreement=agreement, title="红旗责任区公示牌更新")
    make_activity(world, agreement=agreement, title="联合党课")
    response = client_for(world.secretary1).get(reverse("activities:activity_list"), {"q": "红色责任区"})
    assert [a.pk for a in response.context["object_list"]] == [wanted.pk]


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A label then an ASCII colon: in Chinese it must be "：", so templates write {% colon %} (translated) instead.
LABEL_THEN_ASCII_COLON = re.compile(r"(\{% translate (\"[^\"]*\"|'[^']*') %\}|\{% endblocktranslate %\}):")


def test_templates_put_a_translated_colon_after_a_label():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in LABEL_THEN_ASCII_COLON.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_the_label_colon_is_chinese_in_chinese_and_spaced_in_english():
    template = Template('{% load i18n gongjian %}{% translate "Result" %}{% colon %}48.7')
    with translation.override("zh-hans"):
        assert template.render(Context()) == "结果：48.7"
    with translation.override("en"):
        assert template.render(Context()) == "Result: 48.7"
