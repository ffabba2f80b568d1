"""The HTTP side of a group robot (企业微信 / 钉钉 群机器人): one message's markdown and JSON body, DingTalk's
signature, and the post itself within a total deadline (``post``). Nothing here reads or writes the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.models import WebhookEndpoint, validate_webhook_url

# WeCom refuses markdown over 4096 bytes; DingTalk allows more. Keep every message under the smaller limit.
MAX_MARKDOWN_BYTES = 4000


class WebhookError(Exception):
    """A post that did not succeed. ``unreachable`` when the robot did not answer properly at all (timeout,
    refused connection, HTTP error), as opposed to answering with an error code about this one message."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


# --- messages ---------------------------------------------------------------------------------------------------


def absolute_url(url: str) -> str:
    """``/path`` → ``SITE_URL/path``; absolute addresses and empty strings unchanged."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", "ignore") + "…"


def render_markdown(*, title: str, label: str = "", body: str = "", link: str = "") -> str:
    """The message as posted: the title as a heading, the kind, the body, a link into the portal, and the site's
    name (DingTalk robots secured by keyword only accept messages that contain it)."""
    lines = [f"### {title}"]
    if label:
        lines.append(f"> {label}")
    if body:
        lines += ["", body]
    if link:
        lines += ["", f"[{_('Open it in the portal')}]({absolute_url(link)})"]
    lines += ["", f"—— {settings.SITE_NAME}"]
    return truncate_bytes("\n".join(lines), MAX_MARKDOWN_BYTES)


def payload(endpoint: WebhookEndpoint, title: str, markdown: str) -> dict:
    """The JSON body each platform expects for a markdown message."""
    if endpoint.platform == WebhookEndpoint.Platform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
    return {"msgtype": "markdown", "markdown": {"content": markdown}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(endpoint: WebhookEndpoint, timestamp_ms: int | None = None) -> str:
    """The address to post to: DingTalk robots with a secret get ``&timestamp=…&sign=…`` appended."""
    if endpoint.platform != WebhookEndpoint.Platform.DINGTALK or not endpoint.secret:
        return endpoint.url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else round(time.time() * 1000)
    query = urllib.parse.urlencode({"timestamp": timestamp_ms, "sign": dingtalk_sign(endpoint.secret, timestamp_ms)})
    return f"{endpoint.url}{'&' if '?' in endpoint.url else '?'}{query}"


# A robot answers with a few dozen bytes of JSON; more than this is never read.
MAX_REPLY_BYTES = 4096
_tls_context = ssl.create_default_context()


class _Deadline:
    """The whole post's wall-clock budget. A per-read socket timeout alone lets a server that answers one byte at a
    time hold the worker for as long as it likes; this timer shuts the connection's socket down when the budget is
    spent, whatever the post is doing then (TLS handshake, sending, reading headers or body), so the blocked call
    returns at once with an error. Used as a context manager around one connection."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self._ends - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        """The socket to shut down at the deadline (the TLS socket replaces the plain one)."""
        with self._lock:
            self._sock = sock
            if self.expired:
                raise TimeoutError
        sock.settimeout(self.remaining())

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                try:
                    # The base class's shutdown, also for a TLS socket: only the kernel socket, not the TLS state
                    # the blocked thread is using; its read then ends with an error.
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    def __enter__(self):
        self._ends = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            self._sock = None


class _Connection(http.client.HTTPConnection):
    """One HTTP(S) connection whose sockets are watched by a ``_Deadline``. Never follows a redirect (http.client
    does not), never goes through a proxy."""

    def __init__(self, host: str, port: int, *, tls: bool, deadline: _Deadline):
        super().__init__(host, port, timeout=deadline.remaining())
        self.tls = tls
        self.deadline = deadline
        self.default_port = 443 if tls else 80  # the Host header names the port only when it is not the default

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.deadline.remaining())
        try:
            self.deadline.watch(sock)
            if self.tls:
                sock = _tls_context.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
                self.deadline.watch(sock)
                sock.do_handshake()
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(endpoint: WebhookEndpoint, body: dict, *, timeout: float | None = None) -> str:
    """POST ``body`` as JSON to the robot; returns its reply (short) or raises ``WebhookError``.

    The post takes at most ``timeout`` seconds (``WEBHOOK_TIMEOUT``) in all — connecting, TLS, sending and reading
    — and reads at most ``MAX_REPLY_BYTES`` of the reply. Both platforms answer HTTP 200 with
    ``{"errcode": 0, "errmsg": "ok"}``; anything else is a failure.
    """
    timeout = timeout if timeout is not None else settings.WEBHOOK_TIMEOUT
    # Checked again here, not only in the form: an address saved before the rules were narrowed never goes out.
    try:
        validate_webhook_url(endpoint.url)
    except ValidationError as exc:
        raise WebhookError(" ".join(exc.messages)[:300]) from None
    parts = urllib.parse.urlsplit(signed_url(endpoint))
    tls = parts.scheme == "https"
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    deadline = _Deadline(timeout)
    try:
        with deadline:
            connection = _Connection(parts.hostname, parts.port or (443 if tls else 80), tls=tls, deadline=deadline)
            try:
                connection.request(
                    "POST", target, body=data, headers={"Content-Type": "application/json; charset=utf-8"}
                )
                response = connection.getresponse()
                status = response.status
                text = response.read(MAX_REPLY_BYTES).decode("utf-8", "replace")
            finally:
                connection.close()
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired or isinstance(exc, TimeoutError):
            raise WebhookError(_("No answer within %(seconds)s s.") % {"seconds": timeout}, unreachable=True) from None
        raise WebhookError((str(exc) or type(exc).__name__)[:300], unreachable=True) from None
    if deadline.expired:  # the reply was cut short at the deadline
        raise WebhookError(_("No answer within %(seconds)s s.") % {"seconds": timeout}, unreachable=True)
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status}", unreachable=True)
    try:
        reply = json.loads(text)
    except ValueError:
        raise WebhookError(_("Unexpected reply: %(reply)s") % {"reply": text[:200]}) from None
    code = reply.get("errcode") if isinstance(reply, dict) else None
    if code != 0:
        message = reply.get("errmsg", "") if isinstance(reply, dict) else ""
        raise WebhookError(f"errcode {code}: {message}"[:300])
    return text[:300]
