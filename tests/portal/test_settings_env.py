"""Settings come from the environment, and a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
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
