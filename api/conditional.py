"""ETag / If-None-Match on the API's reads, and their cache headers.

The ETag is a hash of the JSON body the request produced: always right (it changes exactly when what the caller would
read changes, scope included) and cheap beside building the page (a SHA-256 of ≤ 200 rows' JSON; bench/README.md
has the figures). A client that sends it back gets ``304 Not Modified`` without the body. Responses are ``private,
no-cache``: a proxy never keeps them, the client may keep its copy and must revalidate it.
"""

from __future__ import annotations

import functools
import hashlib

from django.http import HttpResponse
from django.utils.cache import patch_cache_control


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 §13.1.2): the gzip middleware marks compressed responses' tags weak (W/"…").
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag in wanted


def etagged(run):
    """Wraps an operation's ``run``: a 200 gets its ETag, a matching If-None-Match a bodiless 304."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        etag = _etag(response.content)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponse(status=304)
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        response["Vary"] = "Authorization, Accept-Language"
        return response

    return wrapper
