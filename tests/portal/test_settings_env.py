"""Settings come from the environment, and a bad value stops start-up naming the variable."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "Zq8-Lm3_Wx9!Rt5@Yp2#Vn7$Bc4%" + "x" * 10


def test_it_reads_booleans_strictly():
    assert Env({"DEBUG": "true"}).bool("DEBUG") is True
    assert Env({"DEBUG": "0"}).bool("DEBUG") is False
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        Env({"DEBUG": "yes please"}).bool("DEBUG")


def test_it_refuses_a_malformed_database_url():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        Env({"DATABASE_URL": "mysql://root@localhost/x"}).database("DATABASE_URL", "sqlite:///x")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        Env({"DATABASE_URL": "not a url"}).database("DATABASE_URL", "sqlite:///x")
    config = Env({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/gongjian"}).database("DATABASE_URL", "")
    assert config["NAME"] == "gongjian" and config["ENGINE"].endswith("postgresql")


def test_it_refuses_a_malformed_redis_url():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        Env({"REDIS_URL": "127.0.0.1:6379"}).redis_url("REDIS_URL")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        Env({"REDIS_URL": "redis://localhost:notaport/0"}).redis_url("REDIS_URL")
    assert Env({}).redis_url("REDIS_URL") is None


def test_it_checks_time_zone_language_lists_and_numbers():
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE"):
        Env({"TIME_ZONE": "Mars/Olympus"}).time_zone("TIME_ZONE", "Asia/Shanghai")
    assert Env({}).time_zone("TIME_ZONE", "Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(ImproperlyConfigured, match="LANGUAGE_CODE"):
        Env({"LANGUAGE_CODE": "fr"}).choice("LANGUAGE_CODE", "zh-hans", ["zh-hans", "en"])
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        Env({"ALLOWED_HOSTS": "a.cn,,b.cn"}).list("ALLOWED_HOSTS")
    with pytest.raises(ImproperlyConfigured, match="LOGIN_FAILURE_LIMIT"):
        Env({"LOGIN_FAILURE_LIMIT": "five"}).int("LOGIN_FAILURE_LIMIT", 5)


def test_it_parses_email_urls():
    config = Env({"EMAIL_URL": "smtp://bot%40a.cn:p%40ss@mail.a.cn:587?tls=1"}).email("EMAIL_URL", "console://")
    assert config["EMAIL_HOST"] == "mail.a.cn" and config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "bot@a.cn" and config["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert config["EMAIL_USE_TLS"] is True
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        Env({"EMAIL_URL": "pigeon://coop"}).email("EMAIL_URL", "console://")


# Variables the test process itself sets (the browser tests allow sync ORM calls in Playwright's loop thread).
SCRUBBED = ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.setdefault("DATABASE_URL", "sqlite:////tmp/gongjian-deploy-check.sqlite3")
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "gongjian.example.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://mail.example.cn:587?tls=1",
    "SITE_URL": "https://gongjian.example.cn",
}


def test_deploy_check_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "oracle://x"),
        ("REDIS_URL", "localhost"),
        ("TIME_ZONE", "Moon/Base"),
        ("LANGUAGE_CODE", "de"),
        ("EMAIL_URL", "fax://x"),
        ("SITE_URL", "gongjian.example.cn"),
        ("SITE_URL", "ftp://gongjian.example.cn"),
        ("WEBHOOK_TIMEOUT", "soon"),
    ],
)
def test_a_bad_variable_stops_start_up_naming_it(variable, value):
    result = _manage("check", **{**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


def test_production_refuses_a_weak_or_missing_secret_key():
    for key in ("", "short-key", "django-insecure-" + "a" * 50):
        result = _manage("check", **{**PRODUCTION, "SECRET_KEY": key})
        assert result.returncode != 0 and "SECRET_KEY" in result.stderr, key


def test_production_needs_allowed_hosts_redis_and_the_site_address():
    assert "ALLOWED_HOSTS" in _manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ""}).stderr
    assert "REDIS_URL" in _manage("check", **{**PRODUCTION, "REDIS_URL": ""}).stderr
    assert "SITE_URL" in _manage("check", **{**PRODUCTION, "SITE_URL": ""}).stderr


def test_it_reads_the_site_address_strictly():
    assert Env({"SITE_URL": "https://gongjian.example.cn/"}).url("SITE_URL") == "https://gongjian.example.cn"
    assert Env({}).url("SITE_URL", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    for bad in ("gongjian.example.cn", "https://", "https://a.cn/?x=1", "https://a.cn:port/"):
        with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
            Env({"SITE_URL": bad}).url("SITE_URL")


# --- empty values, Redis and database URLs, masked credentials ---------------------------------------------------

PASSWORD = "Sup3r-Secr3t"


@pytest.mark.parametrize(
    "variable",
    ["DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL", "ALLOWED_HOSTS", "TIME_ZONE", "WEBHOOK_TIMEOUT"],
)
def test_an_empty_variable_stops_production_start_up_naming_it(variable):
    result = _manage("check", **{**PRODUCTION, variable: ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{variable} is set but empty" in result.stderr


def test_an_empty_database_url_never_falls_back_to_sqlite_in_production():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is set but empty"):
        Env({"DEBUG": "false", "DATABASE_URL": "  "}).database("DATABASE_URL", "sqlite:///x")
    with pytest.raises(ImproperlyConfigured, match="DEBUG is set but empty"):
        Env({"DEBUG": ""}).bool("DEBUG")


def test_with_debug_on_an_empty_variable_means_its_default():
    source = {"DEBUG": "true", "DATABASE_URL": "", "EMAIL_URL": "", "WEBHOOK_TIMEOUT": "", "ALLOWED_HOSTS": ""}
    env = Env(source)
    assert env.database("DATABASE_URL", "sqlite:///x")["ENGINE"].endswith("sqlite3")
    assert env.email("EMAIL_URL", "console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert env.int("WEBHOOK_TIMEOUT", 5) == 5
    assert env.list("ALLOWED_HOSTS", ["localhost"]) == ["localhost"]
    assert env.redis_url("REDIS_URL") is None


def test_an_unset_optional_variable_takes_its_default_in_production():
    env = Env({"DEBUG": "false"})
    assert env.email("EMAIL_URL", "smtp://localhost:25")["EMAIL_HOST"] == "localhost"
    assert env.list("CSRF_TRUSTED_ORIGINS", []) == []
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL is set but empty"):
        Env({"DEBUG": "false", "EMAIL_URL": ""}).email("EMAIL_URL", "smtp://localhost:25")


@pytest.mark.parametrize(
    "value",
    [
        "redis://h:6379/abc",
        "redis://h:6379/16",
        "redis://h:6379/-1",
        "redis://h:6379/0/1",
        "redis://h:6379?db=x",
        "redis://h:6379/1?db=2",
        "redis://h:port/0",
        "redis:///0",
        "http://h:6379/0",
        "unix://",
        "unix://host/run/redis.sock",
        "unix:///run/redis.sock?db=99",
    ],
)
def test_it_refuses_a_redis_url_with_a_bad_scheme_host_port_or_database(value):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        Env({"REDIS_URL": value}).redis_url("REDIS_URL")


@pytest.mark.parametrize(
    "value",
    [
        "redis://127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/15",
        "redis://127.0.0.1",
        "redis://127.0.0.1:6379/",
        "redis://:pw@127.0.0.1:6379/3",
        "redis://127.0.0.1:6379?db=4",
        "rediss://user:pw@redis.example.cn:6380/1",
        "unix:///run/redis/redis.sock",
        "unix:///run/redis/redis.sock?db=2",
    ],
)
def test_it_accepts_well_formed_redis_urls(value):
    assert Env({"REDIS_URL": value}).redis_url("REDIS_URL") == value


@pytest.fixture
def unix_redis(tmp_path):
    """A real redis-server listening only on a Unix socket."""
    from tests.conftest import require

    server = shutil.which("redis-server")
    require(bool(server), "redis-server is not installed")
    socket_path = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", str(socket_path), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        # Wait until the server answers (it exits instead if it cannot start).
        while process.poll() is None:
            try:
                redis.Redis(unix_socket_path=str(socket_path)).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        assert process.poll() is None, "redis-server did not start"
        yield socket_path
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_unix_socket_redis_url_works_for_the_cache_and_for_celery(unix_redis):
    import redis
    from django.core.cache.backends.redis import RedisCache
    from kombu import Connection

    from portal.env import celery_redis_url

    url = Env({"REDIS_URL": f"unix://{unix_redis}?db=2"}).redis_url("REDIS_URL")
    cache = RedisCache(url, {})
    cache.set("gj-probe", "cache-value")
    assert cache.get("gj-probe") == "cache-value"

    assert celery_redis_url("redis://h:6379/2") == "redis://h:6379/2"
    with Connection(celery_redis_url(url)) as connection:
        queue = connection.SimpleQueue("gj-probe-queue")
        queue.put({"hello": "worker"})
        assert queue.get(timeout=5).payload == {"hello": "worker"}
        queue.close()
    # Both used database 2 of that server, as the URL asked.
    assert redis.Redis(unix_socket_path=str(unix_redis), db=2).dbsize() > 0
    assert redis.Redis(unix_socket_path=str(unix_redis), db=0).dbsize() == 0


@pytest.mark.parametrize(
    "value",
    ["mysql://root@localhost/x", "postgis://u@h/x", "oracle://h/x", "gongjian", "sqlite:/relative", "redis://h/0"],
)
def test_a_database_url_must_be_postgres_or_sqlite(value):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must be a postgres"):
        Env({"DATABASE_URL": value}).database("DATABASE_URL", "sqlite:///x")


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://user:Sup3r-Secr3t@db.example.cn:5432/gongjian",
        "postgres://user:Sup3r-Secr3t@db.example.cn:port/gongjian",
        "postgres://user:Sup3r-Secr3t@db.example.cn:5432/",
    ],
)
def test_postgres_urls_are_parsed_or_refused(value):
    if value.endswith("/gongjian") and ":5432" in value:
        config = Env({"DATABASE_URL": value}).database("DATABASE_URL", "")
        assert config["PASSWORD"] == PASSWORD and config["NAME"] == "gongjian"
    else:
        with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
            Env({"DATABASE_URL": value}).database("DATABASE_URL", "")


@pytest.mark.parametrize(
    ("variable", "reader", "value"),
    [
        ("DATABASE_URL", "database", "mysql://admin:Sup3r-Secr3t@db.example.cn/gongjian"),
        ("DATABASE_URL", "database", "postgres://admin:Sup3r-Secr3t@db.example.cn:54x2/gongjian"),
        ("DATABASE_URL", "database", "postgres://admin:Sup3r-Secr3t@db.example.cn:5432"),
        ("DATABASE_URL", "database", "admin:Sup3r-Secr3t@db.example.cn/gongjian"),
        ("REDIS_URL", "redis_url", "redis://:Sup3r-Secr3t@h:6379/abc"),
        ("REDIS_URL", "redis_url", "redis://default:Sup3r-Secr3t@h:63a9/0"),
        ("REDIS_URL", "redis_url", "redis://u:Sup3r/Secr3t@h:6379/99"),
        ("REDIS_URL", "redis_url", "memcached://u:Sup3r-Secr3t@h"),
        ("REDIS_URL", "redis_url", "redis://h:6379/abc?password=Sup3r-Secr3t"),
        ("EMAIL_URL", "email", "smtp://bot:Sup3r-Secr3t@mail.example.cn:58x"),
        ("EMAIL_URL", "email", "imap://bot:Sup3r-Secr3t@mail.example.cn"),
        ("EMAIL_URL", "email", "smtp://bot:Sup3r-Secr3t@:587"),
        ("SITE_URL", "url", "ftp://bot:Sup3r-Secr3t@gongjian.example.cn"),
        ("SITE_URL", "url", "https://bot:Sup3r-Secr3t@gongjian.example.cn/?token=Sup3r-Secr3t"),
        ("ALLOWED_HOSTS", "list", "a.cn,,https://u:Sup3r-Secr3t@b.cn"),
        ("LANGUAGE_CODE", "choice", "u:Sup3r-Secr3t@x"),
    ],
)
def test_no_message_shows_a_password(variable, reader, value):
    env = Env({variable: value})
    arguments = {
        "database": ("sqlite:///x",),
        "redis_url": (),
        "email": ("console://",),
        "url": (),
        "list": (),
        "choice": ("zh-hans", ["zh-hans", "en"]),
    }[reader]
    with pytest.raises(ImproperlyConfigured, match=variable) as raised:
        getattr(env, reader)(variable, *arguments)
    message = str(raised.value)
    assert PASSWORD not in message and "Sup3r" not in message
    assert "***" in message


def test_the_masking_helper_hides_only_the_password():
    from portal.env import masked

    assert masked("postgres://user:Sup3r-Secr3t@host/db") == "'postgres://user:***@host/db'"
    assert masked("redis://:pw@h:6379/0") == "'redis://:***@h:6379/0'"
    assert masked("postgres://user@host/db") == "'postgres://user@host/db'"
    assert masked("redis://Sup3r-Secr3t@h:6379/0") == "'redis://***@h:6379/0'"
    assert masked("redis://h/0?password=pw&db=1") == "'redis://h/0?password=***&db=1'"
    # A password holding '@' is hidden whole.
    assert masked("postgres://user:p@ss@host/db") == "'postgres://user:***@host/db'"


def test_start_up_error_output_never_shows_the_password():
    result = _manage("check", **{**PRODUCTION, "REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:6379/abc"})
    assert result.returncode != 0 and "REDIS_URL" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
