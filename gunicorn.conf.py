"""gunicorn configuration for Gongjian: ``gunicorn portal.wsgi`` (this file is read from the working directory).

Sized for the reference machine (2 cores, PostgreSQL on the same host): the work of a page is mostly waiting on
PostgreSQL, so threads keep a worker answering ``/healthz`` and light pages while one of its threads waits on a slow
query. Every value can be overridden from the environment (GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_BIND,
GUNICORN_TIMEOUT). A runaway query is cancelled by PostgreSQL after DB_STATEMENT_TIMEOUT_MS (5 s, web connections
only), well before gunicorn's own ``timeout`` would kill the worker.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# 2 cores -> 3 workers x 4 threads: up to 12 requests in flight, of which at most 2 run Python at a time.
workers = int(os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A request is killed after 30 s (statement_timeout fires first, at 5 s per query); on reload/stop, 20 s to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
# Behind a reverse proxy (nginx) on the same network: keep its connections open a little.
keepalive = 5
# Recycle workers now and then so a slow leak never grows; jitter so they never restart together.
max_requests = 2000
max_requests_jitter = 200
# Load the application in each worker (not the master), so a database connection is never shared across a fork.
preload_app = False
accesslog = "-"
errorlog = "-"
# The request, its status and size, and how long it took (microseconds): slow pages stand out in the log.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
