"""Real Celery workers for tests: start them as processes, feed them tasks through Redis, read what they sent.

- ``RecordingBackend`` is the email backend of the worker processes (tests/worker_settings.py). For every message
  it appends a ``begin`` line, waits ``GJ_MAIL_DELAY`` seconds (so a kill can land in the middle of a sweep), then a
  ``sent`` line — each line one ``O_APPEND`` write followed by ``fsync``, so a line on disk survives a SIGKILL of
  the writer, and a ``sent`` line is the moment the message counts as handed over (an SMTP server's "250 OK").
- ``WorkerHarness`` starts ``celery -A portal worker`` subprocesses on the test database (PostgreSQL: a worker
  cannot share an in-memory SQLite database) and on Redis under a key prefix and queue unique to the test, sends
  them tasks, and stops them (and deletes its Redis keys) at the end, whatever happened.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from django.core.mail.backends.base import BaseEmailBackend

BASE_DIR = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"wp-[a-z]\d+")  # the marker every test notification carries in its title


class RecordingBackend(BaseEmailBackend):
    """Appends ``begin`` / ``sent`` lines (event, pid, recipient, subject) to the file named by GJ_MAIL_RECORD.

    ``GJ_MAIL_DELAY`` pauses that many seconds before each hand-over. ``GJ_MAIL_HANG`` stops the process for good at
    a chosen point, so a test can kill it exactly there: ``before:9`` after the ``begin`` of its 9th message (killed
    while sending), ``after:8`` right after its 8th message was handed over, before the row is marked sent (the
    gap between an SMTP "250 OK" and the database update). A ``hang`` line says it got there.
    """

    handed_over = 0  # per process

    def send_messages(self, email_messages):
        path = os.environ["GJ_MAIL_RECORD"]
        delay = float(os.environ.get("GJ_MAIL_DELAY") or 0)
        hang_when, _, hang_at = (os.environ.get("GJ_MAIL_HANG") or "").partition(":")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            for message in email_messages:
                line = f"{os.getpid()}\t{','.join(message.to)}\t{' '.join(str(message.subject).split())}\n"
                _append(fd, "begin\t" + line)
                if hang_when == "before" and RecordingBackend.handed_over + 1 == int(hang_at):
                    _hang(fd, line)
                if delay:
                    time.sleep(delay)
                _append(fd, "sent\t" + line)
                RecordingBackend.handed_over += 1
                if hang_when == "after" and RecordingBackend.handed_over == int(hang_at):
                    _hang(fd, line)
        finally:
            os.close(fd)
        return len(email_messages)


def _append(fd: int, line: str) -> None:
    os.write(fd, line.encode())
    os.fsync(fd)


def _hang(fd: int, line: str) -> None:
    try:  # once per test: the process that takes over after the kill must not hang at the same point again
        os.close(os.open(os.environ["GJ_MAIL_RECORD"] + ".hung", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    _append(fd, "hang\t" + line)
    time.sleep(3600)  # until the test kills this process


@dataclass(frozen=True)
class Record:
    event: str  # "begin", "sent" or "hang"
    pid: int
    to: str
    subject: str

    @property
    def key(self) -> tuple[str, str]:
        """Which notification this is: the marker in its title and its recipient."""
        match = TOKEN.search(self.subject)
        return (match.group(0) if match else self.subject, self.to)


def read_records(path: Path) -> list[Record]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event, pid, to, subject = line.split("\t", 3)
        records.append(Record(event, int(pid), to, subject))
    return records


def sent_counts(records: list[Record]) -> Counter:
    return Counter(record.key for record in records if record.event == "sent")


def notification_key(notification) -> tuple[str, str]:
    """The record key of a Notification row (its title carries the marker)."""
    match = TOKEN.search(notification.title)
    return (match.group(0) if match else notification.title, notification.recipient.email)


def postgres_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database of this connection (the test database, not the one named in the env)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    options = {key: value for key, value in (settings_dict.get("OPTIONS") or {}).items() if isinstance(value, str)}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'], safe='')}{query}"


def redis_available(url: str | None) -> bool:
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


class Worker:
    """One ``celery worker`` process (its own process group, so a SIGKILL takes its pool processes too)."""

    def __init__(self, name: str, args: list[str], env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in kill()
        self.proc = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_ready(self, timeout: float = 45) -> Worker:
        wait_until(
            lambda: re.search(r"@\S+ ready\.", self.log()), timeout, f"worker {self.name} never got ready", [self]
        )
        return self

    def task_done(self, task_id: str) -> bool:
        return re.search(rf"\[{re.escape(task_id)}\] succeeded", self.log()) is not None

    def task_results(self, task_id: str) -> list:
        """The return values this worker logged for ``task_id`` (one per run; a redelivered task runs again)."""
        found = re.findall(rf"\[{re.escape(task_id)}\] succeeded in [\d.e-]+s: (.*)$", self.log(), flags=re.M)
        return [ast.literal_eval(value) for value in found]

    def received(self, task_id: str) -> int:
        return len(re.findall(rf"\[{re.escape(task_id)}\] received", self.log()))

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool processes, no chance to ack or clean up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own process group: the pool processes too
        self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


def kill_leftovers(marker: str) -> None:
    """SIGKILL any process still carrying ``marker`` in its environment (a pool process orphaned by a worker that
    died on its own). The marker is unique to one test, so nothing else is touched."""
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie not yet reaped by its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_until(condition, timeout: float, message: str, workers: list[Worker] = ()):
    """Poll ``condition`` until it is true; fail with the workers' logs on timeout or when one of them died."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        dead = [worker for worker in workers if not worker.alive]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.name} (exit {w.proc.poll()}) ---\n{w.tail()}" for w in workers)
            why = f"worker {dead[0].name} died" if dead else f"timed out after {timeout:.0f} s"
            raise AssertionError(f"{message} ({why})\n{logs}")
        time.sleep(0.05)


class WorkerHarness:
    """Workers and a producer sharing one Redis key prefix and queue; ``close()`` stops and cleans everything."""

    def __init__(self, *, database_url: str, redis_url: str, tmp_path: Path):
        from celery import Celery

        run = uuid.uuid4().hex[:12]
        self.queue = f"gj-test-{run}"
        self.prefix = f"gj-test-{run}:"
        self.redis_url = redis_url
        self.tmp_path = tmp_path
        self.record_path = tmp_path / "mail.log"
        self.workers: list[Worker] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"),
            "GJ_WORKER_QUEUE": self.queue,
            "GJ_WORKER_KEYPREFIX": self.prefix,
            "GJ_MAIL_RECORD": str(self.record_path),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("DEBUG", "GJ_MAIL_DELAY", "GJ_VISIBILITY_TIMEOUT"):
            self.env.pop(name, None)
        self.producer = Celery("gj-worker-tests", broker=redis_url, set_as_current=False)
        self.producer.conf.broker_transport_options = {"global_keyprefix": self.prefix}
        self.producer.conf.broker_connection_retry_on_startup = True

    def start_worker(
        self, name: str, *, concurrency: int = 1, wait: bool = True, queues: str | None = None, **env
    ) -> Worker:
        """``queues``: what the worker consumes (comma-separated), by default the test's own queue. Named queues
        are safe to share: every key, queues included, is under the test's prefix."""
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--queues={queues or self.queue}",
            f"--hostname={name}-{self.queue}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        worker_env = {**self.env, **{key: str(value) for key, value in env.items()}}
        worker = Worker(name, args, worker_env, self.tmp_path / f"worker-{name}.log")
        self.workers.append(worker)
        return worker.wait_ready() if wait else worker

    def send(self, task: str, *args, queue: str | None = None, **kwargs) -> str:
        """Publish a task to the workers (the message a ``.delay()`` would send) on ``queue`` (by default the
        test's own); returns its id."""
        return self.producer.send_task(task, args=args, kwargs=kwargs, queue=queue or self.queue).id

    def records(self) -> list[Record]:
        return read_records(self.record_path)

    def close(self) -> None:
        # SIGKILL is enough at the end: every broker key of this test is under its prefix and deleted below, and a
        # dead worker's database connections close with it (before pytest-django flushes the tables).
        for worker in self.workers:
            worker.kill()
        kill_leftovers(f"GJ_WORKER_KEYPREFIX={self.prefix}")
        self.producer.close()
        import redis

        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(match=f"{self.prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
