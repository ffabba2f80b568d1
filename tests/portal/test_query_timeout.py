"""A per-request statement_timeout for web connections only, JIT off, and a clear 503 page when a query is cancelled."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from portal.env import Env, postgres_options
from portal.middleware import is_query_timeout

pytestmark = pytest.mark.django_db


def slow_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("finished")


class FakeCancel(Exception):
    pgcode = "57014"


def cancelled_view(request):
    raise OperationalError("canceling statement due to statement timeout") from FakeCancel()


def broken_view(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("slow", slow_view),
    path("cancelled", cancelled_view),
    path("broken", broken_view),
]


def test_web_connections_get_the_timeout_and_every_connection_has_jit_off():
    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "gongjian"}
    web = postgres_options(dict(pg), web=True, statement_timeout_ms=5000)
    assert web["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=5000"
    worker = postgres_options(dict(pg), web=False, statement_timeout_ms=5000)
    assert worker["OPTIONS"]["options"] == "-c jit=off"  # Celery and management commands: no timeout
    assert postgres_options(dict(pg), web=True, statement_timeout_ms=0)["OPTIONS"]["options"] == "-c jit=off"
    sqlite = postgres_options({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, web=True,
                              statement_timeout_ms=5000)  # fmt: skip
    assert "OPTIONS" not in sqlite


def test_the_timeout_setting_is_validated_at_start_up():
    from django.core.exceptions import ImproperlyConfigured

    assert Env({}).statement_timeout_ms("DB_STATEMENT_TIMEOUT_MS", 5000) == 5000
    assert Env({"DB_STATEMENT_TIMEOUT_MS": "0"}).statement_timeout_ms("DB_STATEMENT_TIMEOUT_MS", 5000) == 0
    for bad in ("5s", "-1", "50", "9999999"):
        with pytest.raises(ImproperlyConfigured, match="DB_STATEMENT_TIMEOUT_MS"):
            Env({"DB_STATEMENT_TIMEOUT_MS": bad}).statement_timeout_ms("DB_STATEMENT_TIMEOUT_MS", 5000)


def test_the_settings_of_a_process_that_is_not_the_web_server_carry_no_timeout(settings):
    assert settings.WEB_PROCESS is False
    assert "statement_timeout" not in settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")


@override_settings(ROOT_URLCONF=__name__)
def test_a_cancelled_query_becomes_the_chinese_503_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("timeout-user", password="x"))
    response = client.get("/cancelled")
    assert response.status_code == 503
    assert "查询超时" in response.content.decode() and "请缩小范围" in response.content.decode()
    assert response["Retry-After"] == "30"


@override_settings(ROOT_URLCONF=__name__)
def test_other_database_errors_are_not_dressed_as_timeouts(client, django_user_model):
    client.raise_request_exception = True
    client.force_login(django_user_model.objects.create_user("broken-user", password="x"))
    with pytest.raises(OperationalError):
        client.get("/broken")
    assert not is_query_timeout(ValueError("x"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
@override_settings(ROOT_URLCONF=__name__)
def test_postgresql_cancels_a_slow_query_and_the_page_says_so(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("slow-user", password="x"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"  # every connection of the portal runs without JIT
        # What DB_STATEMENT_TIMEOUT_MS does on web connections, for this test's transaction only.
        cursor.execute("SET LOCAL statement_timeout = 200")
    response = client.get("/slow")
    assert response.status_code == 503
    assert "请缩小范围" in response.content.decode()
