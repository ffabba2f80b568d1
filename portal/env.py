"""Small, strict readers for settings that come from the environment.

Every reader raises ``ImproperlyConfigured`` naming the variable when its value is malformed, so a typo in
production configuration stops start-up instead of surfacing at 3 a.m.

An unset variable takes its default. A variable set to the empty string (``DATABASE_URL=``) takes its default only
with ``DEBUG`` on; with ``DEBUG`` off it is malformed, because an empty value in production is a deployment mistake
(a missing secret, a templating slip), not a request for the development default.

Every message shows the offending value through :func:`masked`, so a password in a mistyped URL never reaches the
log.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}
REDIS_DATABASES = 16  # Redis's default `databases` setting: db 0-15

# Query parameters whose values are secrets (?password=…, ?secret=…, ?token=…, ?key=…).
# Schemes whose lone user part is usually a password.
_PASSWORD_ONLY_SCHEMES = {"redis", "rediss", "unix"}
# MEDIA_STORAGE_URL: S3 bucket names (the rules shared by AWS and the S3-compatible servers) and query parameters.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_STORAGE_PARAMETERS = {"endpoint_url", "region", "addressing_style"}
_SECRET_PARAMETER = re.compile(r"(?i)([?&;](?:[a-z_]*pass(?:word)?|secret|token|key)=)[^&;#]*")


def masked(value: str | None) -> str:
    """The value as it may appear in a message: a URL's password becomes ``***``
    (``postgres://user:***@host/db``), and so do secret query parameters. Errs towards hiding too much: everything
    between the first ``:`` of the user part and the last ``@`` goes, so a password holding ``@``, ``/`` or ``#``
    is hidden too."""
    if value is None:
        return repr(None)
    text = str(value)
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "", text
    if "@" in rest:
        userinfo, _, host = rest.rpartition("@")
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = f"{user}:***@{host}"
        elif scheme.lower() in _PASSWORD_ONLY_SCHEMES:
            # redis://secret@host is a password put where the user name goes (the classic Redis has no users).
            rest = f"***@{host}"
    text = f"{scheme}{separator}{rest}"
    return repr(_SECRET_PARAMETER.sub(r"\1***", text))


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, source: Mapping[str, str] | None = None):
        self.source = os.environ if source is None else source

    @property
    def debug(self) -> bool:
        """Whether ``DEBUG`` is on: decides whether an empty value means the default (on) or is an error (off)."""
        return (self.source.get("DEBUG") or "").strip().lower() in TRUE_VALUES

    def raw(self, name: str) -> str | None:
        """The stripped value, ``None`` when unset. Empty with ``DEBUG`` off is an error naming the variable."""
        value = self.source.get(name)
        if value is None:
            return None
        value = value.strip()
        if not value and not self.debug:
            raise ImproperlyConfigured(
                f"{name} is set but empty. With DEBUG off an empty value is an error, not the default: "
                f"give it a value or remove it from the environment."
            )
        return value

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if value in (None, ""):
            if required:
                raise ImproperlyConfigured(f"{name} must be set.")
            return default
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if not value:
            return default
        lowered = value.lower()
        if lowered in TRUE_VALUES:
            return True
        if lowered in FALSE_VALUES:
            return False
        raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {masked(value)}.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, not {masked(value)}.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value in (None, ""):
            return list(default or [])
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list without empty items, not {masked(value)}."
            )
        return items

    def choice(self, name: str, default: str, choices: list[str]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {masked(value)}.")
        return value

    def time_zone(self, name: str, default: str) -> str:
        value = self.str(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured(
                f"{name} must be an IANA time zone such as Asia/Shanghai, not {masked(value)}."
            ) from None
        return value

    def database(self, name: str, default: str) -> dict:
        value = self.str(name, default)
        scheme = value.partition("://")[0].lower() if "://" in value else ""
        if scheme not in ("postgres", "postgresql", "sqlite"):
            raise ImproperlyConfigured(
                f"{name} must be a postgres://user:password@host:5432/name or sqlite:///path URL, not {masked(value)}."
            )
        try:
            config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except (ValueError, KeyError) as exc:
            raise ImproperlyConfigured(
                f"{name} is not a usable database URL ({masked(str(exc))}): {masked(value)}."
            ) from None
        if scheme != "sqlite" and not config.get("NAME"):
            raise ImproperlyConfigured(
                f"{name} must name a database, e.g. postgres://user@host:5432/gongjian, not {masked(value)}."
            )
        if scheme == "sqlite":
            # SQLite keeps no connection pool worth reusing across threads.
            config["CONN_MAX_AGE"] = 0
        return config

    def statement_timeout_ms(self, name: str, default: int) -> int:
        """A PostgreSQL ``statement_timeout`` in milliseconds: 0 turns it off, otherwise 100 ms to 10 minutes."""
        value = self.int(name, default, minimum=0)
        if value and not 100 <= value <= 600_000:
            raise ImproperlyConfigured(f"{name} must be 0 (off) or between 100 and 600000 milliseconds, not {value}.")
        return value

    def redis_url(self, name: str) -> str | None:
        """``redis://[user:password@]host[:port][/db]``, ``rediss://…`` (TLS) or ``unix:///path/to/socket[?db=N]``;
        the database an integer 0–15 (path or ``?db=``), or absent for 0."""
        value = self.str(name)
        if value is None:
            return None
        example = "redis://host:6379/0, rediss://host:6380/0 or unix:///run/redis.sock?db=0"
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ImproperlyConfigured(f"{name} must look like {example}, not {masked(value)}.")
        databases = parse_qs(parts.query).get("db", [])
        if parts.scheme == "unix":
            if parts.netloc.rpartition("@")[2] or not parts.path.strip("/"):
                raise ImproperlyConfigured(f"{name} must give the socket path, e.g. {example}, not {masked(value)}.")
        else:
            if not parts.hostname:
                raise ImproperlyConfigured(f"{name} must name a host, e.g. {example}, not {masked(value)}.")
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                raise ImproperlyConfigured(f"{name} has an invalid port: {masked(value)}.") from None
            if parts.path not in ("", "/"):
                databases.append(parts.path[1:])
        if len(databases) > 1 or not all(db.isdigit() and int(db) < REDIS_DATABASES for db in databases):
            raise ImproperlyConfigured(
                f"{name} must select a database by an integer from 0 to {REDIS_DATABASES - 1} "
                f"(or none for 0), e.g. {example}, not {masked(value)}."
            )
        return value

    def url(self, name: str, default: str | None = None) -> str | None:
        """An absolute http(s) address without query or fragment, e.g. ``https://gongjian.example.cn``; returned
        without a trailing slash so paths can be appended."""
        value = self.str(name, default)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ImproperlyConfigured(
                f"{name} must be an absolute http(s) address such as https://example.cn, not {masked(value)}."
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port: {masked(value)}.") from None
        return value.rstrip("/")

    def email(self, name: str, default: str) -> dict:
        """Parse ``EMAIL_URL`` (smtp://user:pass@host:port?tls=1, smtps://…, console://, locmem://, dummy://)."""
        value = self.str(name, default)
        parts = urlsplit(value)
        backends = {
            "console": "django.core.mail.backends.console.EmailBackend",
            "locmem": "django.core.mail.backends.locmem.EmailBackend",
            "dummy": "django.core.mail.backends.dummy.EmailBackend",
            "smtp": "django.core.mail.backends.smtp.EmailBackend",
            "smtps": "django.core.mail.backends.smtp.EmailBackend",
        }
        if parts.scheme not in backends:
            raise ImproperlyConfigured(
                f"{name} must start with smtp://, smtps://, console://, locmem:// or dummy://, not {masked(value)}."
            )
        config = {"EMAIL_BACKEND": backends[parts.scheme]}
        if parts.scheme in ("smtp", "smtps"):
            if not parts.hostname:
                raise ImproperlyConfigured(
                    f"{name} must name a mail host, e.g. smtp://user:pass@mail.example.cn:587, not {masked(value)}."
                )
            try:
                port = parts.port
            except ValueError:
                raise ImproperlyConfigured(f"{name} has an invalid port: {masked(value)}.") from None
            query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
            config.update(
                EMAIL_HOST=parts.hostname,
                EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 25),
                EMAIL_HOST_USER=unquote(parts.username or ""),
                EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
                EMAIL_USE_SSL=parts.scheme == "smtps",
                EMAIL_USE_TLS=query.get("tls") in TRUE_VALUES,
            )
        return config

    def media_storage(self, name: str) -> dict | None:
        """``MEDIA_STORAGE_URL``: where uploads and generated files go when not in the local folders.

        ``s3://[ACCESS_KEY:SECRET@]bucket[/prefix]?endpoint_url=https://host:port&region=…&addressing_style=path``:
        an S3-compatible bucket (AWS, MinIO, Ceph, OSS/COS in S3 mode), the objects under ``prefix``; without
        credentials in the URL boto3 takes them from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or an
        instance role). Returns django-storages' ``S3Storage`` options, or ``None`` when unset (local folders)."""
        value = self.str(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "s3":
            raise ImproperlyConfigured(f"{name} must look like {_STORAGE_EXAMPLE}, not {masked(value)}.")
        bucket = parts.netloc.rpartition("@")[2]
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise ImproperlyConfigured(
                f"{name} must name a bucket (3-63 lower-case letters, digits, dots or hyphens) after s3://, "
                f"e.g. {_STORAGE_EXAMPLE}, not {masked(value)}."
            )
        prefix = parts.path.strip("/")
        if prefix and any(segment in ("", ".", "..") for segment in prefix.split("/")):
            raise ImproperlyConfigured(f"{name} has an invalid prefix (empty, . or .. segments): {masked(value)}.")
        options = {"bucket_name": bucket, "location": prefix}
        options.update(_storage_parameters(name, value, parts.query))
        options.update(_storage_credentials(name, value, parts))
        return options


_STORAGE_EXAMPLE = "s3://bucket/prefix?endpoint_url=https://s3.example.cn&region=cn-north-1"


def _storage_parameters(name: str, value: str, query_string: str) -> dict:
    """The query parameters of ``MEDIA_STORAGE_URL`` as ``S3Storage`` options, each checked."""
    try:
        query = parse_qs(query_string, keep_blank_values=True, strict_parsing=bool(query_string))
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a malformed query string: {masked(value)}.") from None
    unknown = sorted(set(query) - _STORAGE_PARAMETERS)
    if unknown or any(len(values) != 1 or not values[0] for values in query.values()):
        raise ImproperlyConfigured(
            f"{name} accepts each of {', '.join(sorted(_STORAGE_PARAMETERS))} once and with a value"
            f"{' (not ' + ', '.join(unknown) + ')' if unknown else ''}: {masked(value)}."
        )
    query = {key: values[0] for key, values in query.items()}
    options = {}
    if "endpoint_url" in query:
        endpoint = urlsplit(query["endpoint_url"])
        try:
            endpoint.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            endpoint = endpoint._replace(scheme="")
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname or endpoint.query:
            raise ImproperlyConfigured(
                f"{name}: endpoint_url must be an http(s) address such as https://s3.example.cn:9000, "
                f"not {masked(query['endpoint_url'])}."
            )
        options["endpoint_url"] = query["endpoint_url"].rstrip("/")
    if "region" in query:
        if not re.fullmatch(r"[a-z]{2}(-[a-z0-9]+)+", query["region"]):
            raise ImproperlyConfigured(f"{name}: region must look like cn-north-1, not {masked(query['region'])}.")
        options["region_name"] = query["region"]
    if "addressing_style" in query:
        if query["addressing_style"] not in ("path", "virtual", "auto"):
            raise ImproperlyConfigured(f"{name}: addressing_style must be path, virtual or auto.")
        options["addressing_style"] = query["addressing_style"]
    return options


def _storage_credentials(name: str, value: str, parts) -> dict:
    """``s3://KEY:SECRET@bucket`` as ``S3Storage`` options (percent-decoded); none when the URL has none."""
    if not parts.netloc.rpartition("@")[0]:
        return {}
    if not parts.username or not parts.password:
        raise ImproperlyConfigured(
            f"{name} must give both the access key and the secret (s3://KEY:SECRET@bucket), or neither "
            f"(then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): {masked(value)}."
        )
    return {"access_key": unquote(parts.username), "secret_key": unquote(parts.password)}


env = Env()


def postgres_options(config: dict, *, web: bool, statement_timeout_ms: int) -> dict:
    """Connection options for PostgreSQL (``config`` is a ``DATABASES`` entry, changed in place and returned).

    JIT is off for every connection: the portal's queries are short, and JIT compilation cost seconds per query at
    the group scale (DESIGN.md §9). ``statement_timeout`` is set only for the web server's connections (``web``), so a
    runaway page query is cancelled instead of stalling a worker, while Celery jobs and management commands run
    without it.
    """
    if not config.get("ENGINE", "").endswith("postgresql"):
        return config
    settings = ["-c jit=off"]
    if web and statement_timeout_ms:
        settings.append(f"-c statement_timeout={statement_timeout_ms}")
    options = config.setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), *settings]))
    return config


def celery_redis_url(url: str) -> str:
    """The Celery (kombu) spelling of a REDIS_URL: kombu knows a Unix socket as ``redis+socket://`` with the
    database as ``?virtual_host=``; TCP URLs are the same for Django's cache and Celery."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    database = parse_qs(parts.query).get("db", ["0"])[0]
    credentials = parts.netloc.rpartition("@")[0]
    return f"redis+socket://{credentials + '@' if credentials else ''}{parts.path}?virtual_host={database}"
