"""The reminder sweep's throughput: seed due notifications, run ``portal.sweep.sweep()`` against a local SMTP sink in
another process, count what was delivered per second (bench/sweep_bench.py is the command; tests/bench keeps it
from rotting).

Two runs of the same size: ``email`` (every recipient has an address and the default channels: in-app + e-mail) and
``in_app`` (recipients without an address: the row is the whole delivery).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIND = "export.ready"  # an event kind: planning neither creates nor cancels its rows, the sweep only delivers them
MODES = ("email", "in_app")


class SmtpSink:
    """bench/smtp_sink.py in a subprocess; ``stop()`` returns (connections, messages) it saw."""

    def __init__(self, offer: str = "PIPELINING,CHUNKING", refuse: str = ""):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", "--port", "0", "--offer", offer, "--refuse", refuse],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().split()
        if line[:1] != ["port"]:
            self.process.kill()
            raise RuntimeError(f"the SMTP sink did not start: {line!r}")
        self.port = int(line[1])

    def stop(self) -> tuple[int, int]:
        """Stop the sink: (connections, messages) it saw; its CPU seconds are then in ``cpu_seconds``."""
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=10)
        words = out.split()
        self.cpu_seconds = float(words[words.index("cpu") + 1])
        return int(words[words.index("connections") + 1]), int(words[words.index("messages") + 1])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def use_sink(settings, port: int) -> None:
    """Point Django's e-mail at the sink (``settings``: django.conf.settings or pytest-django's fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def bench_users(count: int, *, email: bool) -> list:
    """``count`` active users (created once, reused), with an e-mail address or without."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    prefix = "sweepmail" if email else "sweepapp"
    have = {user.username: user for user in User.objects.filter(username__startswith=prefix)}
    missing = [
        User(username=f"{prefix}{i:05d}", email=f"{prefix}{i:05d}@bench.invalid" if email else "", is_active=True)
        for i in range(count)
        if f"{prefix}{i:05d}" not in have
    ]
    User.objects.bulk_create(missing, batch_size=1000)
    return list(User.objects.filter(username__startswith=prefix).order_by("username")[:count])


def seed(*, rows: int, users: list, now: dt.datetime, tag: str) -> None:
    """``rows`` notifications due a minute ago, spread over ``users`` (default preferences: in-app + e-mail)."""
    from django.contrib.contenttypes.models import ContentType

    from portal.models import Notification

    target_type = ContentType.objects.get_for_model(type(users[0]))
    Notification.objects.bulk_create(
        (
            Notification(
                kind=KIND,
                target_type=target_type,
                target_id=users[i % len(users)].pk,
                occurrence=f"{tag}{i}",
                recipient=users[i % len(users)],
                title=f"导出文件已生成：共建活动台账 {i}",
                body="您申请的导出文件已经生成，请在七天内下载。",
                url="/exports/",
                due_at=now - dt.timedelta(minutes=1),
            )
            for i in range(rows)
        ),
        batch_size=2000,
    )


@dataclass
class Result:
    mode: str
    rows: int
    seconds: float
    sent: int
    emails: int
    connections: int
    cpu_seconds: float = 0.0  # of the sweeping processes alone (not PostgreSQL's, not the sink's)
    sink_cpu_seconds: float = 0.0
    processes: int = 1

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.sent / self.cpu_seconds if self.cpu_seconds else 0.0


def _sweep_in_child(now: dt.datetime) -> None:
    from portal import sweep

    summary = sweep.sweep(now)
    os.write(_pipe_out, f"{summary.get('sent', 0)}\n".encode())


_pipe_out = -1


def sweep_in_processes(now: dt.datetime, processes: int) -> int:
    """``sweep(now)`` in ``processes`` forked processes at once (as that many Celery worker processes would run it,
    claiming disjoint batches); how many rows they sent together. Their CPU is the parent's ``RUSAGE_CHILDREN``."""
    from django.db import connections

    global _pipe_out
    connections.close_all()  # each child opens its own connection
    read, _pipe_out = os.pipe()
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            try:
                _sweep_in_child(now)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(_pipe_out)
    for pid in children:
        os.waitpid(pid, 0)
    with os.fdopen(read) as results:
        return sum(int(line) for line in results.read().split())


def run(
    mode: str,
    *,
    rows: int,
    users: int,
    settings,
    now: dt.datetime | None = None,
    profile: str = "",
    processes: int = 1,
) -> Result:
    """Seed ``rows`` due notifications for ``mode`` (``email`` / ``in_app``), sweep them, time the sweep.
    ``profile``: a file to write the sweep's cProfile statistics to (CPU time of this process; the figures then include the profiler's cost).
    ``processes`` > 1: that many sweeping processes at once (forked; not with ``profile``)."""
    from django.utils import timezone

    from portal import sweep
    from portal.models import Notification

    now = now or timezone.now()
    people = bench_users(users, email=mode == "email")
    Notification.objects.filter(kind=KIND).delete()
    seed(rows=rows, users=people, now=now, tag=f"{mode}-{time.time_ns()}-")
    with SmtpSink() as sink:
        use_sink(settings, sink.port)
        profiler = cProfile.Profile(time.process_time) if profile and processes == 1 else None
        started, cpu = time.perf_counter(), _cpu()
        if processes > 1:
            sent = sweep_in_processes(now, processes)
        else:
            if profiler is not None:
                profiler.enable()
            sent = sweep.sweep(now).get("sent", 0)
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(profile)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        connections, messages = sink.stop()
    return Result(mode, rows, seconds, sent, messages, connections, cpu, sink.cpu_seconds, processes)


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def format_table(results: list[Result]) -> str:
    header = (
        "mode",
        "procs",
        "rows",
        "sent",
        "seconds",
        "deliveries/s",
        "per CPU-s",
        "e-mails",
        "SMTP conns",
        "sink CPU",
    )
    lines = ["{:<8} {:>5} {:>7} {:>7} {:>8} {:>13} {:>10} {:>8} {:>11} {:>9}".format(*header)]
    for r in results:
        lines.append(
            f"{r.mode:<8} {r.processes:>5} {r.rows:>7,} {r.sent:>7,} {r.seconds:>8.2f} {r.per_second:>13,.0f} "
            f"{r.per_cpu_second:>10,.0f} {r.emails:>8,} {r.connections:>11,} {r.sink_cpu_seconds:>8.2f}s"
        )
    return "\n".join(lines)
