"""Pieces every endpoint module shares: the documented responses and the absolute link of a row's page."""

from __future__ import annotations

from api.errors import ErrorOut

# Every read documents its refusals, so clients (and schemathesis) know each status the API may answer.
REFUSALS = {304: None, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut}
MAX_ID = 2**31 - 1


def responses(ok) -> dict:
    return {200: ok, **REFUSALS}


def page_url(request, obj) -> str:
    return request.build_absolute_uri(obj.get_absolute_url())
