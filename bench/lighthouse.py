#!/usr/bin/env python3
"""Lighthouse (npm, pinned in package.json) on the signed-in 工作台 and the committee's 考核看板, mobile profile,
against the app as production serves it: gunicorn (gunicorn.conf.py) with DEBUG off and the static files collected
by WhiteNoise's CompressedManifestStaticFilesStorage (hashed names, compressed copies, far-future caching).

    bench/lighthouse.py                 prints the scores of each page (exit status 1 when a target is missed;
                                        a page below a target is audited twice more and scored by the median)
    bench/lighthouse.py --json out.json the same, and every audit that lost points, as JSON

Everything lives in a temporary folder: a SQLite database with the demo (seed_demo --no-passwords), STATIC_ROOT,
the reports. The users are signed in by a session made in the database and sent as a cookie (--extra-headers).
Needs Chromium: CHROME_PATH (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")


@dataclass(frozen=True)
class Target:
    """A page to audit, who looks at it and the least score of each category."""

    name: str
    path: str
    username: str
    minimum: dict[str, int]


TARGETS = [
    Target("工作台 (secretary1)", "/", "secretary1", {"performance": 90, "accessibility": 98, "best-practices": 100}),
    Target("工作台 (committee)", "/", "committee", {"performance": 90, "accessibility": 98, "best-practices": 100}),
    Target(
        "考核看板 (committee)",
        "/assessments/",
        "committee",
        {"performance": 80, "accessibility": 98, "best-practices": 100},
    ),
]

MAKE_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.get(username=%r)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@dataclass
class Result:
    target: Target
    scores: dict[str, int]
    lost: list[dict] = field(default_factory=list)
    runs: list[dict[str, int]] = field(default_factory=list)  # each run's scores when the median of three was taken

    @property
    def missed(self) -> list[str]:
        return [c for c, least in self.target.minimum.items() if self.scores.get(c, 0) < least]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(folder: Path, port: int) -> dict[str, str]:
    """DEBUG off, as portal/settings.py requires it: a real secret, hosts, the site URL, a broker; plain http."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(
        # The production settings, even when run from the test suite (pytest-django exports tests.settings).
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOW_FILESYSTEM_BROKER="true",
        SECURE_SSL_REDIRECT="false",
        DATA_DIR=str(folder / "data"),
        STATIC_ROOT=str(folder / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        PYTHONPATH=str(ROOT),
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare(env: dict[str, str]) -> None:
    Path(env["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    _manage(env, "seed_demo", "--no-passwords")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int):
    gunicorn_bin = Path(sys.executable).parent / "gunicorn"
    log = open(Path(env["DATA_DIR"]) / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(gunicorn_bin), "-c", str(ROOT / "gunicorn.conf.py"), "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start: see " + log.name) from None
                time.sleep(0.5)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def audit(url: str, cookie: str, folder: Path) -> dict:
    """One Lighthouse run (mobile form factor, simulated throttling: its defaults) and its JSON report."""
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    report = folder / f"report-{secrets.token_hex(4)}.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=" + ",".join(CATEGORIES),
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        "--extra-headers=" + json.dumps({"Cookie": f"sessionid={cookie}"}),
    ]
    for attempt in range(3):
        result = subprocess.run(
            command, cwd=ROOT, env={**os.environ, "CHROME_PATH": chrome}, capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and report.exists():
            return json.loads(report.read_text(encoding="utf-8"))
        # Lighthouse's own advice for a trace it could not record (NO_NAVSTART, NO_FCP) is to run it again.
        if "run Lighthouse again" not in result.stderr or attempt == 2:
            break
    raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")


def _lost_points(report: dict) -> list[dict]:
    lost = []
    for name, category in report["categories"].items():
        for ref in category["auditRefs"]:
            audit_ = report["audits"][ref["id"]]
            if ref["weight"] and audit_["score"] is not None and audit_["score"] < 1:
                lost.append(
                    {"category": name, "id": ref["id"], "score": audit_["score"], "value": audit_.get("displayValue")}
                )
    return lost


def _audit_target(target: Target, url: str, cookies: dict[str, str], folder: Path) -> Result:
    """One run; when it misses a target, two more and the median of the three (Lighthouse's advice for variance:
    its simulated throttling multiplies the CPU time it observes, so a busy machine looks like a slower phone)."""
    runs: list[Result] = []
    while len(runs) < 3:
        report = audit(url, cookies[target.username], folder)
        final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
        if "/accounts/login/" in final:
            raise RuntimeError(f"{target.name}: Lighthouse was sent to the sign-in page")
        scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
        runs.append(Result(target, scores, _lost_points(report)))
        if len(runs) == 1 and not runs[0].missed:
            return runs[0]
    median = {c: statistics.median_low(r.scores[c] for r in runs) for c in CATEGORIES}
    typical = min(runs, key=lambda r: abs(r.scores["performance"] - median["performance"]))
    return Result(target, median, typical.lost, runs=[r.scores for r in runs])


def run(targets: list[Target] = TARGETS) -> list[Result]:
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE} is missing: run `make assets` (npm ci)")
    results = []
    with tempfile.TemporaryDirectory(prefix="gj-lighthouse-") as tmp:
        folder = Path(tmp)
        port = _free_port()
        env = production_env(folder, port)
        prepare(env)
        # The session key is the last line printed (the shell may print notices before it).
        cookies = {t.username: _manage(env, "shell", "-c", MAKE_SESSION % t.username).split()[-1] for t in targets}
        with gunicorn(env, port):
            for target in targets:
                results.append(_audit_target(target, f"http://127.0.0.1:{port}{target.path}", cookies, folder))
        shutil.rmtree(folder, ignore_errors=True)
    return results


def format_table(results: list[Result]) -> str:
    lines = [f"{'page':<24} {'performance':>12} {'accessibility':>14} {'best-practices':>15}"]
    for r in results:
        cells = [f"{r.scores[c]:>3} (≥{r.target.minimum[c]})" for c in CATEGORIES]
        lines.append(f"{r.target.name:<24} {cells[0]:>12} {cells[1]:>14} {cells[2]:>15}")
        if r.runs:
            lines.append("    median of three runs: " + "; ".join(", ".join(map(str, s.values())) for s in r.runs))
        lines += [f"    - {item['category']}: {item['id']} {item['value'] or ''}" for item in r.lost]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the scores and the audits that lost points here")
    args = parser.parse_args()
    results = run()
    print(format_table(results))
    if args.json:
        data = [{"page": r.target.name, "scores": r.scores, "lost": r.lost} for r in results]
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    missed = [f"{r.target.name}: {', '.join(r.missed)}" for r in results if r.missed]
    if missed:
        print("Below target: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
