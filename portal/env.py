"""Small, strict readers for settings that come from the environment.

Every reader raises ``ImproperlyConfigured`` naming the variable when its value is malformed, so a typo in
production configuration stops start-up instead of surfacing at 3 a.m.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, source: Mapping[str, str] | None = None):
        self.source = os.environ if source is None else source

    def raw(self, name: str) -> str | None:
        value = self.source.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if value in (None, ""):
            if required:
                raise ImproperlyConfigured(f"{name} must be set.")
            return default
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in TRUE_VALUES:
            return True
        if lowered in FALSE_VALUES:
            return False
        raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {value!r}.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value in (None, ""):
            return list(default or [])
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfigured(f"{name} must be a comma-separated list without empty items, not {value!r}.")
        return items

    def choice(self, name: str, default: str, choices: list[str]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
        return value

    def time_zone(self, name: str, default: str) -> str:
        value = self.str(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured(
                f"{name} must be an IANA time zone such as Asia/Shanghai, not {value!r}."
            ) from None
        return value

    def database(self, name: str, default: str) -> dict:
        value = self.str(name, default)
        try:
            config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except (ValueError, KeyError) as exc:
            raise ImproperlyConfigured(f"{name} is not a usable database URL ({exc}).") from None
        engine = config.get("ENGINE", "")
        if not engine.endswith(("postgresql", "sqlite3")):
            raise ImproperlyConfigured(f"{name} must be a postgres:// or sqlite:// URL, not {value!r}.")
        if engine.endswith("postgresql") and not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://user@host:5432/gongjian.")
        if engine.endswith("sqlite3"):
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
        value = self.str(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ImproperlyConfigured(f"{name} must look like redis://host:6379/0, not {value!r}.")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port: {value!r}.") from None
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
                f"{name} must be an absolute http(s) address such as https://example.cn, not {value!r}."
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port: {value!r}.") from None
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
                f"{name} must start with smtp://, smtps://, console://, locmem:// or dummy://, not {value!r}."
            )
        config = {"EMAIL_BACKEND": backends[parts.scheme]}
        if parts.scheme in ("smtp", "smtps"):
            if not parts.hostname:
                raise ImproperlyConfigured(f"{name} must name a mail host, e.g. smtp://user:pass@mail.example.cn:587.")
            try:
                port = parts.port
            except ValueError:
                raise ImproperlyConfigured(f"{name} has an invalid port: {value!r}.") from None
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
