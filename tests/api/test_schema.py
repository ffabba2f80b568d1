"""The served OpenAPI schema holds: schemathesis drives every operation through the WSGI app with a real token and
checks each answer against the schema (status codes, content types, bodies, headers), 0 failures allowed.

Deterministic and bounded: derandomized, at most 25 generated examples per operation."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.endpoints import activities, assessments, partnerships
from api.errors import BadParameter
from api.paging import decode_cursor
from api.services.tokens import api_token_create
from portal.dates import DATE_MAX, DATE_MIN

EXAMPLES_PER_OPERATION = 25


# The schema as the portal serves it (fetched through the WSGI app; the view reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def api_secret(db, world, records_a, settings):
    """A real token of secretary1, whose agreement has a record of every kind."""
    # The test's own requests come in bursts: the rate limit has its own test.
    settings.API_RATE_LIMIT = 100_000
    # Django's test client keeps the test's transaction open by not closing connections between requests; the WSGI
    # app called directly must do the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _token, secret = api_token_create(actor=world.secretary1, name="schemathesis")
    yield secret
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_to_the_served_schema(case, api_secret):
    # identity: the WSGI test transport does not undo the gzip middleware's compression.
    headers = {"Authorization": f"Bearer {api_secret}", "Accept-Encoding": "identity"}
    refusal = documented_refusal(case.path, case.query or {})
    if refusal is None:
        case.call_and_validate(headers=headers)
        return
    # What a schema cannot say (a cursor must be one the API gave out; ``from`` not after ``to``; the dates' range):
    # such a request is valid to the schema yet refused, by design, with a 400 naming the parameter.
    response = case.call(headers=headers)
    # 401 or 405 when the case also replaces the credentials or the method (schemathesis probes those too): they
    # are checked first.
    assert response.status_code in (400, 401, 405), (case.method, case.query, response.status_code)
    if response.status_code == 400:
        # The refused parameter is named, unless another one fails its schema first (a negative case).
        assert response.json()["errors"], refusal
    case.validate_response(response, headers=headers, excluded_checks=[positive_data_acceptance])


def _day(value):
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


ORDERS = {
    "/api/v1/organizations": partnerships.ORGANIZATION_ORDER,
    "/api/v1/agreements": partnerships.AGREEMENT_ORDER,
    "/api/v1/meetings": partnerships.MEETING_ORDER,
    "/api/v1/action-items": partnerships.ACTION_ITEM_ORDER,
    "/api/v1/activities": activities.ACTIVITY_ORDER,
    "/api/v1/zones": activities.ZONE_ORDER,
    "/api/v1/results": assessments.RESULT_ORDER,
}


def documented_refusal(path: str, query: dict) -> str | None:
    """The parameter the API refuses although the schema lets it through, or None."""
    if query.get("cursor") and path in ORDERS:
        try:
            decode_cursor(str(query["cursor"]), ORDERS[path])
        except BadParameter:
            return "cursor"
    lower, upper = _day(query.get("from")), _day(query.get("to"))
    for name, day in (("from", lower), ("to", upper)):
        if day and not DATE_MIN <= day <= DATE_MAX:
            return name
    if lower and upper and lower > upper:
        return "from"
    return None
