"""Sending a batch of e-mails over one SMTP connection, fast enough for the reminder sweep (issue 11).

``BatchMailer`` opens the configured backend's connection at the first message and keeps it for the batch. With
Django's SMTP backend, a plain notification e-mail (text + HTML, no attachment, no extra header, ASCII address) is
serialized here and handed to the open ``smtplib`` session directly: Python's ``email`` package spends most of a
send's CPU folding and encoding headers, and Django's ``sanitize_address`` re-parses the sender for every message.
``mime_bytes`` writes the same MIME structure Django would (multipart/alternative, UTF-8, RFC 2047 subject), its
bodies base64-encoded. When the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write: two round
trips a message instead of four; when it also offers CHUNKING (RFC 3030, Postfix ≥ 3.4), MAIL, RCPT and
``BDAT <size> LAST`` with the message go in one write: one round trip. Every other message, and every other backend (locmem in the tests, the console in
development), goes through ``EmailMessage.send`` on the same connection.
"""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import uuid
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME

logger = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"(?m)^\.")  # SMTP's dot-stuffing
_WORD_BYTES = 45  # UTF-8 bytes per RFC 2047 encoded word: 60 base64 characters, a line under 78 with its framing


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words (only when it is not plain ASCII), folded one word per line: each
    word as many whole characters as fit in ``_WORD_BYTES`` UTF-8 bytes."""
    if text.isascii() and "\n" not in text and "\r" not in text:
        return text
    data = text.replace("\r", " ").replace("\n", " ").encode()
    words, start = [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never cut a character: back to its first byte
            end -= 1
        words.append(data[start:end])
        start = end
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


def base64_lines(data: bytes) -> bytes:
    """``base64.encodebytes(data)`` with CRLF line ends (76 characters a line), without its loop per line."""
    encoded = base64.b64encode(data)
    lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
    return b"".join(line + b"\r\n" for line in lines)


def _part(mimetype: str, content: str) -> bytes:
    return (
        f'Content-Type: {mimetype}; charset="utf-8"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    ).encode() + base64_lines(content.encode())


def mime_bytes(message: EmailMultiAlternatives, *, from_header: str) -> bytes:
    """The message as it goes over SMTP: headers, then a multipart/alternative of its text and its alternatives."""
    boundary = f"==gj{uuid.uuid4().hex}=="
    head = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "MIME-Version: 1.0",
        f"Subject: {encoded_words(str(message.subject))}",
        f"From: {from_header}",
        f"To: {', '.join(message.to)}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        f"Message-ID: {make_msgid(domain=DNS_NAME)}",
    ]
    out = ["\r\n".join(head).encode() + b"\r\n\r\n"]
    for mimetype, content in [("text/plain", message.body), *((m, c) for c, m in message.alternatives)]:
        out.append(f"--{boundary}\r\n".encode() + _part(mimetype, str(content)))
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _plain(message: EmailMultiAlternatives) -> bool:
    """A message ``mime_bytes`` writes exactly as Django would mean it."""
    return (
        not message.attachments
        and not message.extra_headers
        and not message.cc
        and not message.bcc
        and not message.reply_to
        and len(message.to) == 1
        and message.to[0].isascii()
        and "\n" not in message.to[0]
        and message.content_subtype == "plain"
        and all(isinstance(content, str) and mimetype.startswith("text/") for content, mimetype in message.alternatives)
        and (message.encoding or settings.DEFAULT_CHARSET).lower() in ("utf-8", "utf8")
    )


class BatchMailer:
    """One mail connection for a batch of messages: opened at the first ``send``, closed by ``close``; a connection
    that failed is dropped and the next message opens a new one. ``connections`` counts the ones opened.

    ``submit`` hands a message over and, when the session takes MAIL, RCPT and BDAT in one write, returns without
    waiting for the server's answer; ``wait`` reads it (raising if the message was refused). The caller prepares its
    next message in between, while the server works, and must ``wait`` before the next ``submit``: at most one
    message is ever unanswered. ``send`` is both."""

    def __init__(self):
        self.backend = None
        self.connections = 0
        self._from: dict[str, tuple[str, str]] = {}
        self._unanswered: smtplib.SMTP | None = None  # the session whose last message's answer is not read yet

    def send(self, message: EmailMultiAlternatives) -> None:
        """Hand one message over; raises if the server did not take it."""
        self.submit(message)
        self.wait()

    def submit(self, message: EmailMultiAlternatives) -> None:
        """Hand one message over; its answer may still be due (``wait``). Raises if it could not be handed over."""
        if self._unanswered is not None:
            raise RuntimeError("wait() for the previous message's answer before submitting the next")
        if self.backend is None:
            self.backend = get_connection()
            self.backend.open()
            self.connections += 1
        session = getattr(self.backend, "connection", None) if isinstance(self.backend, SMTPBackend) else None
        if session is not None and _plain(message):
            envelope, header = self._sender(message.from_email)
            data = mime_bytes(message, from_header=header)
            if session.has_extn("pipelining") and session.has_extn("chunking"):
                # RFC 3030: the whole message as one last chunk, pipelined with its envelope; answered in ``wait``.
                session.send(
                    f"MAIL FROM:<{envelope}>\r\nRCPT TO:<{message.to[0]}>\r\n".encode()
                    + b"BDAT %d LAST\r\n" % len(data)
                    + data
                )
                self._unanswered = session
                return
            self._sendmail(session, envelope, message.to[0], data)
            return
        message.connection = self.backend
        if message.send() != 1:
            raise smtplib.SMTPException("the mail server did not take the message")

    def wait(self) -> None:
        """Read the answer to the message ``submit`` left unanswered (if any); raises if the server refused it."""
        session, self._unanswered = self._unanswered, None
        if session is None:
            return
        replies = [session.getreply() for _ in range(3)]
        if replies[0][0] != 250 or replies[1][0] not in (250, 251) or replies[2][0] != 250:
            session.rset()
            code, reply = next(((c, r) for c, r in replies if c not in (250, 251)), replies[2])
            raise smtplib.SMTPResponseException(code, reply)

    def _sender(self, from_email: str) -> tuple[str, str]:
        """(envelope address, From header) of a sender, worked out once per batch."""
        if from_email not in self._from:
            header = sanitize_address(from_email, "utf-8")
            envelope = header.rsplit("<", 1)[-1].rstrip(">") if "<" in header else header
            self._from[from_email] = (envelope, header)
        return self._from[from_email]

    @staticmethod
    def _sendmail(session: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
        """A message over a session without CHUNKING: MAIL, RCPT and DATA pipelined when the server allows it."""
        if not session.has_extn("pipelining"):
            session.sendmail(sender, [recipient], data)
            return
        session.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\n".encode() + b"DATA\r\n")
        replies = [session.getreply() for _ in range(3)]
        if replies[0][0] != 250 or replies[1][0] not in (250, 251) or replies[2][0] != 354:
            if replies[2][0] == 354:  # a server that took DATA anyway: end it empty, then reset
                session.send(b".\r\n")
                session.getreply()
            session.rset()
            code, reply = next(((c, r) for c, r in replies if c not in (250, 251, 354)), replies[2])
            raise smtplib.SMTPResponseException(code, reply)
        body = data if data.endswith(b"\r\n") else data + b"\r\n"
        session.send(_LEADING_DOT.sub(b"..", body) + b".\r\n")
        code, reply = session.getreply()
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)

    def failed(self, exc: Exception) -> None:
        """After a failed send: a refusal the server answered (a bad recipient) leaves the session usable; anything
        else (a broken connection, a timeout) closes it, and the next message opens a new one."""
        if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
            self.close()

    def close(self) -> None:
        self._unanswered = None
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception as exc:  # closing a broken session must not hide the batch's outcome
                logger.warning("closing the mail connection failed: %s", exc)
