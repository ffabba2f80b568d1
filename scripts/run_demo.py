#!/usr/bin/env python3
"""The `make run` supervisor (stdlib only): the development web server plus one Celery worker with beat.

Both run as children with DEBUG=true, so the settings pick SQLite under DATA_DIR and kombu's filesystem
transport (folders under DATA_DIR/broker) — no database or Redis server to install.

- Ctrl-C, SIGTERM or SIGHUP: every child gets SIGTERM, and SIGKILL if it is still there after 10 seconds
  (a second Ctrl-C skips the wait). Exit status 0.
- A child that exits on its own takes the others down the same way. Exit status 1.

Each child runs in its own process group: a Ctrl-C in the terminal reaches only this supervisor, which then
stops the children in order, and a SIGKILL reaches whatever a child started (e.g. beat under the worker).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 8000
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.2
DEMO_PASSWORD = "gongjian-demo"  # demo.engine.context.DEMO_PASSWORD; not imported, to keep Django out of this process
DEMO_USERS = [
    ("admin", "superuser: Django admin, sees everything"),
    ("committee", "reviewer (上级党委) of the group's party committee"),
    ("secretary1", "branch secretary (支部书记)"),
    ("secretary2", "branch secretary of an unrelated branch"),
    ("liaison1", "liaison (联络员) of an external partner working with secretary1's branch"),
]


def data_dir() -> Path:
    """DATA_DIR as the settings see it (relative paths are taken from the project root, the children's cwd)."""
    return ROOT / os.environ.get("DATA_DIR", "data")


def log(message: str) -> None:
    print(f"[run_demo] {message}", flush=True)


class Child:
    """One supervised command, started in a process group of its own."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name = name
        self.argv = argv
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log(f"starting {self.name}: {' '.join(self.argv)}")
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, process_group=0)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, signum: int, *, group: bool = False) -> None:
        """Send ``signum`` to the child (or its whole process group); a child already gone is not an error."""
        if self.process is None:
            return
        if not group and self.process.poll() is not None:
            return
        try:
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except ProcessLookupError:
            pass


class Supervisor:
    def __init__(self, children: list[Child]):
        self.children = children
        self.stop_signal: int | None = None  # the signal that asked us to stop, set by the handler
        self.signals_received = 0

    def on_signal(self, signum: int, _frame) -> None:
        # Only record it: the main loop does the work, outside the handler.
        self.stop_signal = signum
        self.signals_received += 1

    def install_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.on_signal)

    def run(self) -> int:
        self.install_handlers()
        try:
            for child in self.children:
                child.start()
                if self.stop_signal is not None:
                    break
        except OSError as exc:
            log(f"could not start a child: {exc}")
            self.stop_all()
            return 1

        banner_shown = False
        started = time.monotonic()
        while self.stop_signal is None:
            dead = [child for child in self.children if not child.running()]
            if dead:
                for child in dead:
                    log(f"{child.name} exited with status {child.process.returncode}; stopping the others.")
                self.stop_all()
                return 1
            if not banner_shown and server_answers():
                print_banner(time.monotonic() - started)
                banner_shown = True
            time.sleep(POLL_SECONDS)

        log(f"{signal.Signals(self.stop_signal).name} received; stopping.")
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        """SIGTERM to every child still running, SIGKILL to the process group of any left after the grace period."""
        for child in self.children:
            child.send(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        signals_at_start = self.signals_received
        while any(child.running() for child in self.children):
            if time.monotonic() >= deadline:
                log(f"still running after {GRACE_SECONDS:.0f} s; killing.")
                break
            if self.signals_received > signals_at_start:
                log("second stop request; killing.")
                break
            time.sleep(POLL_SECONDS)
        for child in self.children:
            if child.running():
                child.send(signal.SIGKILL, group=True)
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"{child.name} (pid {child.process.pid}) did not exit even after SIGKILL.")
                continue
            # Anything the child left in its group (it is the group leader) goes too.
            child.send(signal.SIGKILL, group=True)
        log("all stopped.")


def server_answers() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=0.2):
            return True
    except OSError:
        return False


def port_is_free() -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, PORT))
        except OSError:
            return False
    return True


def print_banner(seconds: float) -> None:
    width = max(len(name) for name, _ in DEMO_USERS)
    lines = [
        "",
        "=" * 72,
        f"  Gongjian (共建) demo is up after {seconds:.0f} s:  http://{HOST}:{PORT}",
        f"  Demo logins (DEBUG only), password for all: {DEMO_PASSWORD}",
        *(f"    {name:<{width}}  {role}" for name, role in DEMO_USERS),
        f"  Admin: http://{HOST}:{PORT}/admin/     Stop: Ctrl-C",
        "=" * 72,
        "",
    ]
    print("\n".join(lines), flush=True)


def main() -> int:
    venv_bin = ROOT / ".venv" / "bin"
    for tool in ("python", "celery"):
        if not (venv_bin / tool).exists():
            log(f"{venv_bin / tool} is missing; run `make install` (or just `make run`).")
            return 1
    if not port_is_free():
        log(f"{HOST}:{PORT} is already in use (another `make run`?). Stop it and try again.")
        return 1

    data = data_dir()
    # The filesystem broker's folders (see CELERY_BROKER_TRANSPORT_OPTIONS): kombu does not create the queue
    # folders, and creates the control folder without parents.
    for folder in (data / "broker" / "queue", data / "broker" / "processed", data / "broker" / "control"):
        folder.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ, DEBUG="true", PYTHONUNBUFFERED="1")
    children = [
        Child(
            "web",
            [str(venv_bin / "python"), "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
            env,
        ),
        Child(
            "worker",
            [
                str(venv_bin / "celery"),
                "-A",
                "portal",
                "worker",
                "-B",
                # Every queue of CELERY_TASK_ROUTES (portal/settings.py): in development one worker takes them all.
                "-Q",
                "default,reminders,rollups,exports",
                "--loglevel=INFO",
                "--concurrency=2",
                "--schedule",
                str(data / "celerybeat-schedule"),
                "--pool=threads",
            ],
            env,
        ),
    ]
    return Supervisor(children).run()


if __name__ == "__main__":
    sys.exit(main())
