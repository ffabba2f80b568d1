"""Gongjian settings: one module, every deployment-specific value read from the environment.

See README.md for the variables. A malformed value stops start-up with ImproperlyConfigured naming it.
"""

from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import celery_redis_url, env, postgres_options
from portal.storage import storages_setting

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.str("DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env.bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-gongjian-secret-key-never-use-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG:
    # The same strength rule as Django's security.W009, enforced as an error.
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set to a strong random value when DEBUG is off.")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: use at least 50 characters with at least 5 distinct ones "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else None)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
# The reverse proxies in front of gunicorn: a request from one of them is from the address X-Forwarded-For names
# (portal/client_address.py; the public check-in page limits attempts per address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", ["127.0.0.1", "::1"])
# The address users reach the portal at: links in emails and group-robot messages are made absolute with it.
SITE_URL = env.url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None)
if not DEBUG and not SITE_URL:
    raise ImproperlyConfigured("SITE_URL must be set (e.g. https://gongjian.example.cn) when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "treebeard",
    "simple_history",
    "axes",
    "portal",
    "partnerships",
    "activities",
    "assessments",
    "archive",  # the yearly ledger archive (年度台账): reads every domain app, imported by none
    # The read API (/api/v1/, django-ninja; "ninja" serves its Swagger UI from its own static files, no CDN).
    "ninja",
    "api",
    "demo",  # the top floor: the demo worlds and seed commands, importing every app, imported by none
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A query cancelled by statement_timeout becomes a clear 503 page (it sees exceptions after every other one).
    "portal.middleware.QueryTimeoutMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for browsers that ask (a phone on a slow network gets the 工作台 in a quarter of the bytes);
    # static files come compressed from WhiteNoise above. Django pads gzip output against BREACH, and the CSRF token
    # is masked per response.
    "django.middleware.gzip.GZipMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response Django makes.
    "portal.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, answering an htmx request with 401 instead of the sign-in page (portal/middleware.py).
    "portal.middleware.LoginRequiredMiddleware",
    # `Cache-Control: private, no-store` on what signed-in users are shown.
    "portal.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shell",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gongjian.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and str(DATABASES["default"]["NAME"]).startswith(str(DATA_DIR)):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# Set by portal/wsgi.py: only the web server's connections get the per-statement timeout (see postgres_options).
WEB_PROCESS = env.bool("GONGJIAN_WEB_PROCESS", False)
DB_STATEMENT_TIMEOUT_MS = env.statement_timeout_ms("DB_STATEMENT_TIMEOUT_MS", 5000)
postgres_options(DATABASES["default"], web=WEB_PROCESS, statement_timeout_ms=DB_STATEMENT_TIMEOUT_MS)
# A read replica (portal/replica.py): only the reads wrapped in use_replica() go there, writes never.
READ_REPLICA = None
if env.str("DATABASE_REPLICA_URL") is not None:
    DATABASES["replica"] = env.database("DATABASE_REPLICA_URL", "")
    postgres_options(DATABASES["replica"], web=WEB_PROCESS, statement_timeout_ms=DB_STATEMENT_TIMEOUT_MS)
    READ_REPLICA = "replica"
DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url("REDIS_URL")
if REDIS_URL:
    # Fail-soft (portal/cache.py): with Redis away, the cache answers as misses and the rate limits let people in.
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATELIMIT_FAIL_OPEN = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: the fifth failed sign-in for one user name locks it for an hour. That fifth attempt already gets
# the lock-out page, and so does every attempt in the hour after, even with the right password; four failures do not
# lock (a success resets the count).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env.int("LOGIN_LOCKOUT_HOURS", 1, minimum=1)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.shell.login_locked_out"
AXES_VERBOSE = False
# Lock per user name, not per IP: a whole office signs in from one NAT address, and one person's typos must not
# lock out their colleagues. axes warns about this choice (W006); it is deliberate.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = env.choice("LANGUAGE_CODE", "zh-hans", ["zh-hans", "en"])
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.time_zone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as they are (no hashed name).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Big exports written by the workers (portal/exports.py): private, outside MEDIA_ROOT, served to their requester by a
# view. With several hosts this folder is shared storage (web hosts read what a worker host wrote).
EXPORTS_DIR = Path(env.str("EXPORTS_DIR", str(DATA_DIR / "exports")))
# Without Redis, the reminder sweep records what each claim has sent here (portal/claims.py: SentLog), one small file
# per batch in flight, so a worker killed mid-batch resends at most one message. With REDIS_URL, Redis holds it.
SENT_LOG_DIR = Path(env.str("SENT_LOG_DIR", str(DATA_DIR / "sent-log")))
# An export of more rows than this runs as a job; smaller ones answer at once. Files are removed after EXPORT_KEEP_DAYS.
EXPORT_ROW_THRESHOLD = env.int("EXPORT_ROW_THRESHOLD", 2000, minimum=1)
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", 7, minimum=1)
# The busiest list pages are kept, per user, in each web process (portal/pagecache.py) and served again while nothing
# they show can have changed; this bounds that store in megabytes per process (0 turns it off).
PAGE_CACHE_MB = env.int("PAGE_CACHE_MB", 32, minimum=0)
# Uploads and generated files: local folders (MEDIA_ROOT, EXPORTS_DIR), or one private S3-compatible bucket when
# MEDIA_STORAGE_URL is set (portal/storage.py; README "Shared storage and read replica").
MEDIA_STORAGE = env.media_storage("MEDIA_STORAGE_URL")
STORAGES = storages_setting(MEDIA_STORAGE, debug=DEBUG)
# Requests one API token may make per minute (api/auth.py); beyond it a 429 with Retry-After.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", 120, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# A list filter's empty choice reads "全部" (forms get "请选择": portal/empty_labels.py).
FILTERS_EMPTY_CHOICE_LABEL = _("All")

_email = env.email("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "共建平台 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[共建] "

# 企业微信 / 钉钉 group robots: how long one post may take, and the only hosts a robot's address may name. With
# DEBUG off it defaults to the two platforms, so a robot address can never point the server at an internal service;
# with DEBUG on the default (and an empty WEBHOOK_ALLOWED_HOSTS=) allows any host (the tests' local server). With
# DEBUG off an empty value is an error like every other empty variable (portal/env.py).
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", 5, minimum=1)
# 企业微信 and 钉钉 take at most 20 messages a minute per robot and drop the rest: stay under that, per rolling minute.
WEBHOOK_POSTS_PER_MINUTE = env.int("WEBHOOK_POSTS_PER_MINUTE", 18, minimum=1)
# A sweep that finds more than one batch of notifications due asks for this many helper sweeps, which only claim and
# deliver (SKIP LOCKED keeps them apart): the reminders worker's other processes share a burst (portal/sweep.py).
SWEEP_HELPERS = env.int("SWEEP_HELPERS", 1, minimum=0)
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", [] if DEBUG else ["qyapi.weixin.qq.com", "oapi.dingtalk.com"])
# Addresses are https on the standard port; under DEBUG only (never from the environment), a robot on this machine may
# also be reached over http on any port — the tests' and a developer's local stand-in robots.
WEBHOOK_ALLOW_LOCAL_HTTP = DEBUG

# --- Celery -------------------------------------------------------------------------------------------
# Broker: Redis when REDIS_URL is set; otherwise kombu's filesystem transport under DATA_DIR, which needs no
# server and is what `make run` uses. Tests switch to the in-memory transport (see tests/settings.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Must exceed the longest countdown/ETA we ever use (a day), or Redis would hand the message to a second worker.
CELERY_VISIBILITY_TIMEOUT = 2 * 24 * 3600
# A web request enqueues after its commit (portal/celery.py logs a failed send): a down broker must fail fast, not
# hold the page. One retry at once, and Redis sockets that give up after a second (connect) or two (a reply).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if REDIS_URL:
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = celery_redis_url(REDIS_URL)
    # A down broker fails fast: a committed write logs the lost enqueue instead of holding the request (portal/celery.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        "max_retries": 1,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
elif not DEBUG and not env.bool("ALLOW_FILESYSTEM_BROKER", False):
    raise ImproperlyConfigured("REDIS_URL must be set when DEBUG is off (production runs Celery on Redis).")
else:
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu puts its control exchange in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    }
    CELERY_RESULT_BACKEND = None

# Queues per kind of work, so a long export never delays a reminder: run at least one worker per queue (README,
# "Production"). Every task is named here; tests/portal/test_queues.py fails for a task without a route.
CELERY_TASK_DEFAULT_QUEUE = "default"
_QUEUE_TASKS = {
    "reminders": ["portal.tasks.sweep_reminders", "portal.tasks.send_digests", "portal.tasks.send_webhook_test"],
    "rollups": [
        "assessments.tasks.rollup_open_quarter",
        "assessments.tasks.rollup_close_quarter",
        "assessments.tasks.rollup_quarter",
        "assessments.tasks.rollup_recover",
    ],
    "exports": ["portal.tasks.run_export"],
    "default": [
        "portal.tasks.housekeeping",
        "portal.tasks.requeue_exports",
        "activities.tasks.mark_held",
        "partnerships.tasks.expire_agreements",
    ],
}
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in _QUEUE_TASKS.items() for task in tasks}
CELERY_QUEUE_NAMES = ("default", "reminders", "rollups", "exports")


def _beat(task: str, **when) -> dict:
    """A beat entry: the task, run on the crontab ``when`` (in TIME_ZONE)."""
    return {"task": task, "schedule": crontab(**when)}


# The single place where periodic work is scheduled; exactly one `celery beat` runs it.
CELERY_BEAT_SCHEDULE = {
    "nightly-housekeeping": _beat("portal.tasks.housekeeping", hour=2, minute=30),
    # Just after midnight in TIME_ZONE, so an agreement ending yesterday shows as expired all of today.
    "daily-agreement-expiry": _beat("partnerships.tasks.expire_agreements", hour=0, minute=5),
    # Ended activities show as held (awaiting their log) within a quarter of an hour.
    "activities-mark-held": _beat("activities.tasks.mark_held", minute="*/15"),
    # Reminders are rows: a lost or late run only delays them until the next sweep (DESIGN.md §5).
    "reminders-sweep": _beat("portal.tasks.sweep_reminders", minute="*/5"),
    # One email a day with the reminders users chose to take as a digest: a quarter of an hour after the 08:00
    # reminders, so the sweeps have delivered that morning's rows and the digest carries them the same day.
    "reminders-daily-digest": _beat("portal.tasks.send_digests", hour=8, minute=15),
    # Export jobs left queued (the broker was down when they were requested) or abandoned by a dead worker.
    "exports-requeue": _beat("portal.tasks.requeue_exports", minute="*/5"),
    # Nightly provisional results for the quarter under way, after the day's logging.
    "assessments-rollup-open-quarter": _beat("assessments.tasks.rollup_open_quarter", hour=1, minute=30),
    # A reviewer's requested run whose task was never sent (the broker was down at the time) still runs.
    "assessments-rollup-recover": _beat("assessments.tasks.rollup_recover", minute="*/5"),
    # Just after midnight; it acts only in the first days of a quarter (the closed quarter, final).
    "assessments-rollup-close-quarter": _beat("assessments.tasks.rollup_close_quarter", hour=0, minute=20),
}

# --- Security (production) -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
    if env.bool("BEHIND_HTTPS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])},
    "loggers": {"axes": {"level": "WARNING"}},
}

SITE_NAME = _("Gongjian joint construction portal")
