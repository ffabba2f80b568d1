"""A local group-robot server for the tests of reminders posted to 企业微信 / 钉钉 groups (the ``robot`` fixture in
tests/conftest.py starts one per test)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class Robot:
    """A local stand-in for both platforms' robot servers. The path picks the behaviour: ``/ok`` answers
    ``{"errcode": 0}``, ``/500`` an HTTP 500, ``/errcode`` ``{"errcode": 93000}``, ``/hang`` nothing until released."""

    def __init__(self):
        self.requests: list[dict] = []
        self.release = threading.Event()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                parts = urlsplit(self.path)
                robot.requests.append(
                    {
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "body": json.loads(self.rfile.read(length).decode("utf-8")),
                        "content_type": self.headers.get("Content-Type"),
                    }
                )
                if parts.path.startswith("/hang"):
                    robot.release.wait(10)
                status, reply = 200, {"errcode": 0, "errmsg": "ok"}
                if parts.path.startswith("/500"):
                    status, reply = 500, {"message": "boom"}
                elif parts.path.startswith("/errcode"):
                    reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (the hanging case)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/ok") -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}{path}?key={KEY}"

    def to(self, path: str) -> list[dict]:
        return [request for request in self.requests if request["path"] == path]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
