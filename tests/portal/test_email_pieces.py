"""Notification e-mails written from pre-compiled pieces (portal/email_pieces.py) are the very e-mails the template
engine writes: for every registered kind, with and without a body and a link, values full of characters that
escaping changes, names in both scripts, in Chinese and in English."""

from __future__ import annotations

import base64
import datetime as dt
import itertools

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import engines
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal import email_pieces, mailer, notifications, reminders
from portal.models import Notification
from tests.factories import UserFactory

NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))

TITLES = [
    "导出文件已生成：第1份",
    "A <b>bold</b> & \"quoted\" 'title'",
    "  spaces\tand\nnewline  ",
    "%(name)s {{ x }} %s",
]
BODIES = ["", "请在七天内下载。", "line one\nline <two> & three\r\nfour\n\nfive", "  "]
URLS = ["", "/exports/", "/items/?a=1&b=<2>", "https://example.org/x?q='\"'"]


def people():
    return [
        UserFactory(username="zhou", first_name="振华", last_name="周", email="zhou@example.org"),
        UserFactory(username="anna", first_name="Anna <A&B>", last_name="O'Brien", email="anna@example.org"),
        UserFactory(username="nobody_named", first_name="", last_name="", email="nn@example.org"),
    ]


def rows_of_every_kind(users) -> list[Notification]:
    target_type = ContentType.objects.get_for_model(type(users[0]))
    cases = itertools.product(reminders.kinds(), zip(TITLES, BODIES, URLS, strict=True))
    made = Notification.objects.bulk_create(
        Notification(
            kind=kind,
            target_type=target_type,
            target_id=users[i % len(users)].pk,
            occurrence=f"o{i}",
            recipient=users[i % len(users)],
            title=title,
            body=body,
            url=url,
            due_at=NOW,
        )
        for i, (kind, (title, body, url)) in enumerate(cases)
    )
    # The other combinations of body and link, per kind.
    made += Notification.objects.bulk_create(
        Notification(
            kind=kind,
            target_type=target_type,
            target_id=users[0].pk,
            occurrence=f"p{i}",
            recipient=users[(i + 1) % len(users)],
            title=TITLES[1],
            body=BODIES[2] if i % 2 else "",
            url=URLS[2] if i % 2 == 0 else "",
            due_at=NOW,
        )
        for i, kind in enumerate(kind for kind in reminders.kinds() for _ in (0, 1))
    )
    return list(Notification.objects.filter(pk__in=[row.pk for row in made]).select_related("recipient"))


def as_sent(message) -> tuple:
    return (
        message.subject,
        message.body,
        message.alternatives,
        message.attachments,
        message.from_email,
        message.to,
        message.extra_headers,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pieces_write_the_same_emails_as_the_template_engine_for_every_kind(db, settings, language, caplog):
    settings.LANGUAGE_CODE = language
    settings.SITE_URL = "https://gj.example.org"
    rows = rows_of_every_kind(people())
    renderer = notifications.EmailRenderer()
    for row in rows:
        assert as_sent(renderer.render(row)) == as_sent(notifications.render_email(row)), (row.kind, row.title)
    # Every variant of every kind really came from pieces: none fell back to the engine.
    assert len(renderer.pieces) == 4 * len(reminders.kinds())
    assert all(pieces is not None for pieces in renderer.pieces.values())
    assert "rendered by the template engine" not in caplog.text


def test_the_english_and_chinese_emails_carry_the_same_values_in_their_own_words(db, settings):
    row = next(row for row in rows_of_every_kind(people()) if row.title == TITLES[0])
    settings.LANGUAGE_CODE = "en"
    english = notifications.EmailRenderer().render(row).body
    settings.LANGUAGE_CODE = "zh-hans"
    chinese = notifications.EmailRenderer().render(row).body
    assert english.startswith("Hello ") and "您好" in chinese and row.title in english and row.title in chinese


def test_a_value_is_escaped_in_html_and_kept_in_text_as_the_engine_does(db):
    user = people()[1]
    row = Notification.objects.create(
        kind="export.ready",
        target_type=ContentType.objects.get_for_model(type(user)),
        target_id=user.pk,
        occurrence="x",
        recipient=user,
        title="a<b>",
        body="one\ntwo & three",
        url="/x/",
        due_at=NOW,
    )
    message = notifications.EmailRenderer().render(row)
    html = message.alternatives[0][0]
    assert "one<br>two &amp; three" in html and "a&lt;b&gt;" in html and "Anna &lt;A&amp;B&gt; O&#x27;Brien" in html
    assert "one\ntwo &amp; three" in message.body  # the text template autoescapes too, as it always did


def test_a_template_using_a_filter_the_probes_cannot_explain_gives_no_pieces():
    django = engines["django"]
    upper = django.from_string("{{ notification.title|upper }}")
    plain = django.from_string("[{{ notification.title }}]")

    def context(values):
        return {"notification": {"title": values["title"]}}

    assert email_pieces.compile_pieces([upper], context) is None
    (pieces,) = email_pieces.compile_pieces([plain], context)
    assert pieces.fill(["<x>", "", "", ""]) == "[&lt;x&gt;]"


def test_a_template_cutting_a_value_short_gives_no_pieces():
    cut = engines["django"].from_string("{{ notification.title|truncatechars:8 }}")
    assert email_pieces.compile_pieces([cut], lambda values: {"notification": {"title": values["title"]}}) is None


def test_a_kind_whose_pieces_differ_from_the_engine_falls_back_to_the_engine(db, monkeypatch, caplog):
    row = rows_of_every_kind(people())[0]
    real = email_pieces.compile_pieces

    def wrong(templates, context_for):
        compiled = real(templates, context_for)
        compiled[0].parts[0] = "WRONG " + compiled[0].parts[0]
        return compiled

    monkeypatch.setattr(email_pieces, "compile_pieces", wrong)
    renderer = notifications.EmailRenderer()
    assert as_sent(renderer.render(row)) == as_sent(notifications.render_email(row))
    assert list(renderer.pieces.values()) == [None]
    assert "rendered by the template engine" in caplog.text


# --- the fast writers equal the library functions they replace ----------------------------------------------------


def reference_encoded_words(text: str) -> str:
    """The per-character packing ``encoded_words`` had before (and Python's ``email`` would agree with)."""
    if text.isascii() and "\n" not in text and "\r" not in text:
        return text
    words, chunk = [], b""
    for char in text.replace("\r", " ").replace("\n", " "):
        encoded = char.encode()
        if len(chunk) + len(encoded) > 45:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_subjects_are_encoded_as_before(text):
    assert mailer.encoded_words(text) == reference_encoded_words(text)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_bodies_are_base64_as_the_standard_library_writes_them(data):
    assert mailer.base64_lines(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=100))
def test_values_are_escaped_as_djangos_filters_escape_them(text):
    assert email_pieces._escaped(text) == escape(text)
    assert email_pieces._escaped_lines(text) == linebreaksbr(text, autoescape=True)
