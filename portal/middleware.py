"""Request-level guards."""

from __future__ import annotations

import logging

from django.db.utils import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

QUERY_CANCELED = "57014"  # PostgreSQL's query_canceled: statement_timeout (or a cancel request) stopped the query


def is_query_timeout(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    return any(getattr(error, "pgcode", None) == QUERY_CANCELED for error in (exc, exc.__cause__))


class QueryTimeoutMiddleware:
    """Turns a query cancelled by the web connections' ``statement_timeout`` (DB_STATEMENT_TIMEOUT_MS) into a clear
    503 page instead of a bare server error: the worker is free again and the user is told to narrow the range.

    The page is rendered without the request's context processors, which would query a connection that may sit in
    an aborted transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_query_timeout(exception):
            return None
        logger.warning("Query cancelled by statement_timeout: %s %s", request.method, request.path)
        response = HttpResponse(render_to_string("query_timeout.html"), status=503)
        response["Retry-After"] = "30"
        return response
