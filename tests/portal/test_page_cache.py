"""The per-user page cache (portal/pagecache.py): a repeated list page comes from the store, and never once anything
it shows has changed — a write through a service, a bulk UPDATE, raw SQL, a new notification, a new day — nor for
another user, another language, an htmx request or a page with messages waiting.

Commits must be real for the data version (portal/dataversion.py) to move, so these tests are transactional and
need PostgreSQL (DATABASE_URL=postgres://…); the last one runs everywhere and shows that inside a transaction (every
other test of the suite) nothing is cached, so the query budgets asserted elsewhere are those of a full rendering.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships.models import ActionItem
from partnerships.services import action_items as item_services
from portal import dataversion, pagecache
from portal.models import Notification
from tests.conftest import FIXED_NOW, require
from tests.factories import ActionItemFactory, cast_agreement

LEDGER = "partnerships:action_item_list"
# A hit reads the session, the user and the snapshot, and nothing else.
HIT_QUERIES = 3


@pytest.fixture(autouse=True)
def _empty_store():
    pagecache.store.clear()
    yield
    pagecache.store.clear()


@pytest.fixture
def on_postgres(transactional_db):
    require(connection.vendor == "postgresql", "the page cache versions pages by PostgreSQL snapshots")


def _browser(user) -> Client:
    """A signed-in browser that has visited once, so it sends its CSRF cookie like any browser after its first page."""
    client = Client()
    client.force_login(user)
    client.get(reverse(LEDGER))
    assert "csrftoken" in client.cookies
    return client


def _get(client: Client, url: str, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def _item(world, title: str = "修缮社区活动室", **fields) -> ActionItem:
    return ActionItemFactory(agreement=cast_agreement(world), title=title, **fields)


def test_a_repeated_ledger_page_comes_from_the_store_as_it_was_rendered(world, on_postgres):
    _item(world)
    browser = _browser(world.secretary1)
    first, rendered = _get(browser, reverse(LEDGER))
    again, served = _get(browser, reverse(LEDGER))
    assert rendered > HIT_QUERIES and served == HIT_QUERIES
    assert again.content == first.content and "修缮社区活动室" in again.content.decode()
    # What the outer middleware adds is on a stored page as on a rendered one.
    for header in ("Content-Type", "Content-Security-Policy", "Cache-Control"):
        assert again[header] == first[header]


def test_a_write_through_a_service_shows_on_the_next_request(world, on_postgres):
    item = _item(world)
    browser = _browser(world.secretary1)
    _get(browser, reverse(LEDGER))
    item_services.action_item_update_progress(actor=world.secretary1, item=item, note="已完成选址", percent=40)
    after, queries = _get(browser, reverse(LEDGER))
    assert queries > HIT_QUERIES
    assert "已完成选址" in after.content.decode() and 'aria-valuenow="40"' in after.content.decode()


def test_a_bulk_update_and_raw_sql_show_on_the_next_request(world, on_postgres):
    item = _item(world)
    browser = _browser(world.secretary1)
    _get(browser, reverse(LEDGER))
    ActionItem.objects.filter(pk=item.pk).update(title="批量改名的事项")
    assert "批量改名的事项" in _get(browser, reverse(LEDGER))[0].content.decode()
    _get(browser, reverse(LEDGER))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ActionItem._meta.db_table} SET title = %s WHERE id = %s", ["直接写库的事项", item.pk])
    assert "直接写库的事项" in _get(browser, reverse(LEDGER))[0].content.decode()


def test_the_unread_badge_moves_with_a_new_notification(world, on_postgres):
    browser = _browser(world.secretary1)
    before, _ = _get(browser, reverse(LEDGER))
    assert 'data-testid="unread-badge"' not in before.content.decode()
    Notification.objects.create(
        kind="action_item.due_today",
        target_type=ContentType.objects.get_for_model(type(world.secretary1)),
        target_id=world.secretary1.pk,
        occurrence="2026-11-22",
        recipient=world.secretary1,
        title="督办事项今日到期",
        url="/",
        due_at=timezone.now(),
        status=Notification.Status.SENT,
    )
    after, queries = _get(browser, reverse(LEDGER))
    assert queries > HIT_QUERIES and 'data-testid="unread-badge"' in after.content.decode()


def test_a_new_day_renders_the_page_again(world, on_postgres):
    # Ten minutes to midnight, an item due today; a quarter of an hour later it is a day overdue.
    with time_machine.travel(FIXED_NOW.replace(hour=23, minute=50), tick=True) as clock:
        _item(world, due_on=FIXED_NOW.date())
        browser = _browser(world.secretary1)
        before, _ = _get(browser, reverse(LEDGER))
        assert "data-overdue" not in before.content.decode()
        assert _get(browser, reverse(LEDGER))[1] == HIT_QUERIES
        clock.shift(dt.timedelta(minutes=15))
        after, queries = _get(browser, reverse(LEDGER))
    assert queries > HIT_QUERIES and 'data-overdue="1"' in after.content.decode()


def test_another_user_language_or_htmx_request_never_gets_a_stored_page(world, on_postgres):
    _item(world)
    mine = _browser(world.secretary1)
    _get(mine, reverse(LEDGER))
    theirs = _browser(world.secretary2)
    page, queries = _get(theirs, reverse(LEDGER))
    assert queries > HIT_QUERIES and "修缮社区活动室" not in page.content.decode()

    assert _get(mine, reverse(LEDGER), HTTP_HX_REQUEST="true")[1] > HIT_QUERIES
    mine.cookies["django_language"] = "en"
    english, queries = _get(mine, reverse(LEDGER))
    assert queries > HIT_QUERIES and "Action item ledger" in english.content.decode()


def test_a_page_with_messages_waiting_is_neither_served_nor_kept(world, on_postgres):
    request = RequestFactory().get(reverse(LEDGER))
    request.user = world.secretary1
    request.session = SessionStore()
    request.session.create()
    request.META["CSRF_COOKIE"] = "x" * 32
    request._messages = FallbackStorage(request)
    assert pagecache.page_key(request) is not None
    request._messages.add(20, "协议已保存。")
    assert pagecache.page_key(request) is None


def test_with_a_read_replica_no_page_is_keyed(world, on_postgres, settings):
    # A standby's version sequence moves in logged steps, not per write: pages read there are never stored.
    request = RequestFactory().get(reverse(LEDGER))
    request.user = world.secretary1
    request.session = SessionStore()
    request.session.create()
    request.META["CSRF_COOKIE"] = "x" * 32
    request._messages = FallbackStorage(request)
    assert pagecache.page_key(request) is not None
    settings.READ_REPLICA = "replica"
    assert pagecache.page_key(request) is None


@pytest.mark.django_db
def test_inside_a_transaction_every_request_renders_in_full(world):
    # The suite's other tests run in a transaction: there the cache stays out of the way of their query budgets.
    browser = _browser(world.secretary1)
    _, first = _get(browser, reverse(LEDGER))
    _, second = _get(browser, reverse(LEDGER))
    assert first == second > HIT_QUERIES
    assert pagecache.store.entries == {}


def test_every_table_carries_the_data_version_trigger_and_a_write_moves_the_version(world, on_postgres):
    assert dataversion.tables_without_trigger(connection) == []
    before = dataversion.current(connection)
    ActionItem.objects.filter(pk=_item(world).pk).update(title="改")
    assert dataversion.current(connection) > before


def test_while_a_write_is_in_progress_elsewhere_the_version_is_unknown(world, on_postgres):
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(f"UPDATE {ActionItem._meta.db_table} SET title = title")
        assert dataversion.current(connection) is None
        other.rollback()
        assert dataversion.current(connection) is not None
    finally:
        other.close()
