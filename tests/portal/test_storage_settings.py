"""MEDIA_STORAGE_URL and DATABASE_REPLICA_URL: read strictly, a bad value stops start-up naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env
from portal.storage import storages_setting
from tests.portal.test_settings_env import PRODUCTION, _manage

GOOD = "s3://gj-files/gongjian?endpoint_url=https://s3.example.cn:9000&region=cn-north-1&addressing_style=path"


def media(value: str, **more) -> dict | None:
    return Env({"MEDIA_STORAGE_URL": value, **more}).media_storage("MEDIA_STORAGE_URL")


def test_it_reads_a_bucket_its_prefix_endpoint_region_and_addressing():
    assert media(GOOD) == {
        "bucket_name": "gj-files",
        "location": "gongjian",
        "endpoint_url": "https://s3.example.cn:9000",
        "region_name": "cn-north-1",
        "addressing_style": "path",
    }
    assert media("s3://gj-files") == {"bucket_name": "gj-files", "location": ""}
    assert Env({}).media_storage("MEDIA_STORAGE_URL") is None


def test_credentials_come_from_the_url_or_else_from_the_aws_variables():
    options = media("s3://AKIDEXAMPLE:s%2Fecret%40x@gj-files/p")
    assert options["access_key"] == "AKIDEXAMPLE" and options["secret_key"] == "s/ecret@x"
    assert "access_key" not in media("s3://gj-files/p")  # boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY


@pytest.mark.parametrize(
    "value",
    [
        "gj-files",  # no scheme
        "https://gj-files.s3.example.cn",  # an address, not s3://
        "s3://",  # no bucket
        "s3://GJ_Files/p",  # not a bucket name
        "s3://ab",  # too short
        "s3://gj-files/a//b",  # empty prefix segment
        "s3://gj-files/../etc",
        "s3://gj-files?endpoint_url=s3.example.cn",  # endpoint without http(s)
        "s3://gj-files?endpoint_url=https://s3.example.cn:port",
        "s3://gj-files?region=北京",
        "s3://gj-files?addressing_style=sideways",
        "s3://gj-files?bucket_acl=public-read",  # unknown parameter
        "s3://gj-files?region=cn-north-1&region=cn-north-2",
        "s3://gj-files?region=",
        "s3://onlykey@gj-files",  # a key without its secret
    ],
)
def test_it_refuses_a_malformed_storage_url(value):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL"):
        media(value)


def test_the_secret_never_reaches_the_message():
    with pytest.raises(ImproperlyConfigured) as refused:
        media("s3://AKID:TopSecret99@gj-files?bucket_acl=public-read")
    assert "TopSecret99" not in str(refused.value) and "***" in str(refused.value)


def test_both_storages_go_to_one_private_bucket_under_their_prefixes():
    setting = storages_setting(media(GOOD), debug=False)
    default, generated = setting["default"], setting["exports"]
    assert default["BACKEND"] == generated["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["location"] == "gongjian" and generated["OPTIONS"]["location"] == "gongjian/exports"
    for options in (default["OPTIONS"], generated["OPTIONS"]):
        assert options["default_acl"] is None and options["custom_domain"] is None
        assert options["querystring_auth"] is True and options["querystring_expire"] <= 300
        assert options["file_overwrite"] is False
    local = storages_setting(None, debug=False)
    assert local["default"]["BACKEND"].endswith("FileSystemStorage")
    assert local["exports"]["BACKEND"] == "portal.storage.ExportsFileSystemStorage"
    assert local["staticfiles"]["BACKEND"].startswith("whitenoise")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEDIA_STORAGE_URL", "https://bucket.example.cn/media"),
        ("MEDIA_STORAGE_URL", "s3://AKID:TopSecret99@Bad_Bucket"),
        ("MEDIA_STORAGE_URL", ""),
        ("DATABASE_REPLICA_URL", "mysql://replica/gongjian"),
        ("DATABASE_REPLICA_URL", ""),
    ],
)
def test_a_bad_storage_or_replica_setting_stops_start_up_naming_it(variable, value):
    result = _manage("check", **{**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr
    assert "TopSecret99" not in result.stderr


def test_production_starts_with_a_bucket_and_a_replica():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        MEDIA_STORAGE_URL=GOOD,
        DATABASE_REPLICA_URL="postgres://reader:pw@replica.example.cn:5432/gongjian",
    )
    assert result.returncode == 0, result.stdout + result.stderr
