"""The address a request came from, for limits on public pages (扫码签到) — never stored as such.

Behind the reverse proxy every request reaches gunicorn from the proxy, so ``REMOTE_ADDR`` alone would put every
visitor in one bucket. When the connection comes from one of ``TRUSTED_PROXIES``, the client is the right-most
address in ``X-Forwarded-For`` that is not itself a trusted proxy (what the proxy appended; what the client wrote
to the left of it is ignored, since anyone can send that header).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.utils.crypto import salted_hmac


def _trusted(address: str) -> bool:
    return address in set(getattr(settings, "TRUSTED_PROXIES", ()))


def client_address(request) -> str:
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    if not _trusted(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if _trusted(address):
            continue
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            break  # a malformed hop: trust nothing further left than the proxy itself
    return remote


def address_hash(address: str) -> str:
    """A keyed hash of an address (the site's secret key): comparable between requests, useless outside."""
    return salted_hmac("gongjian.client-address", address).hexdigest()
