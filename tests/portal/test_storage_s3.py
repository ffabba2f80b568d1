"""Shared storage on a real S3-compatible server (portal/storage.py): moto's server mode, started by this test run.

``MEDIA_STORAGE_URL`` is parsed by the real reader (``Env.media_storage``) and turned into ``STORAGES`` by the real
``storages_setting``; each test gets a bucket of its own. What is checked: an upload through the real page lands in
the bucket and nowhere on disk; its download is streamed by the scoped view (the owner gets the bytes, secretary2
and an outsider 404), never a redirect to the bucket, whose objects refuse anonymous reads; removing a photo removes
its objects; the orphan sweep works on the bucket; an export job's file — written in-process and by a real worker on
the ``exports`` queue — lands under the bucket's ``exports/`` prefix, downloads, and goes with housekeeping.
"""

from __future__ import annotations

import io
import socket
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer
from openpyxl import load_workbook

from activities.services import activities as activity_services
from partnerships.models import Evidence
from portal import exports, housekeeping_files, storage
from portal.env import Env
from portal.models import ExportJob
from tests.activities.test_activities import at, held, log_kwargs, make_activity, make_agreement, partnership, png
from tests.factories import ActionItemFactory
from tests.partnerships.test_action_items import PDF, pdf
from tests.workers_support import wait_until

__all__ = ["held", "partnership"]  # fixtures used by the tests below

pytestmark = pytest.mark.django_db

ACCESS_KEY, SECRET = "gj-test-key", "gj-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible HTTP server for the whole run (moto in server mode, on a free port)."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class Bucket:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.name = f"gj-{uuid.uuid4().hex[:12]}"
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET,
            region_name="cn-north-1",
        )
        self.client.create_bucket(Bucket=self.name, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        self.url = (
            f"s3://{ACCESS_KEY}:{SECRET}@{self.name}/media"
            f"?endpoint_url={endpoint}&region=cn-north-1&addressing_style=path"
        )

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3_server, settings, tmp_path):
    """A fresh bucket, and the portal's storages pointed at it through MEDIA_STORAGE_URL's own reader."""
    made = Bucket(s3_server)
    options = Env({"MEDIA_STORAGE_URL": made.url, "DEBUG": "true"}).media_storage("MEDIA_STORAGE_URL")
    settings.STORAGES = storage.storages_setting(options, debug=True)
    # Nothing may land in the local folders while the bucket is configured.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORTS_DIR = tmp_path / "exports"
    return made


def test_the_storages_are_s3_and_private(bucket):
    name = default_storage.save("evidence/probe.txt", io.BytesIO(b"probe"))
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    assert bucket.keys("media/") == ["media/evidence/probe.txt"] and bucket.read("media/evidence/probe.txt") == b"probe"
    # The object is private: an anonymous GET of its address is refused, and its ACL grants nobody else.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{bucket.endpoint}/{bucket.name}/media/{name}", timeout=5)
    assert refused.value.code == 403
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=f"media/{name}")["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"]["Type"] == "CanonicalUser" for grant in grants)
    # Should anything ever ask for an address, it is signed and lives five minutes.
    assert "X-Amz-Expires=300" in default_storage.url(name) and "X-Amz-Signature=" in default_storage.url(name)


def test_evidence_uploaded_on_the_page_lands_in_the_bucket_and_is_served_by_scope(bucket, client_for, world):
    item = make_item(world)
    response = client_for(world.secretary1).post(
        reverse("partnerships:action_item_progress", args=[item.pk]),
        {"note": "上传到对象存储", "percent": 40, "evidence": [pdf("验收单.pdf")]},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(update__item=item)
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".pdf")
    assert bucket.keys("media/evidence/") == [f"media/{evidence.file.name}"]
    assert bucket.read(f"media/{evidence.file.name}") == PDF
    assert not list(Path(django_settings.MEDIA_ROOT).rglob("*.pdf"))

    url = reverse("partnerships:evidence_download", args=[evidence.pk])
    for user in (world.secretary1, world.liaison1, world.committee):
        download = client_for(user).get(url)
        assert download.status_code == 200, user
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf" and "Location" not in download
        assert bucket.name not in str(download.headers)
    for user in (world.secretary2, world.outsider):
        assert client_for(user).get(url).status_code == 404, user
    # An object gone from the bucket is a 404, not a server error.
    bucket.client.delete_object(Bucket=bucket.name, Key=f"media/{evidence.file.name}")
    assert client_for(world.secretary1).get(url).status_code == 404


def test_a_bad_upload_is_refused_before_anything_reaches_the_bucket(bucket, client_for, world):
    item = make_item(world)
    forged = SimpleUploadedFile("报告.pdf", b"MZ" + b"\x00" * 200, content_type="application/pdf")
    response = client_for(world.secretary1).post(
        reverse("partnerships:action_item_progress", args=[item.pk]), {"note": "x", "percent": 10, "evidence": [forged]}
    )
    assert response.status_code == 200 and "evidence" in response.context["form"].errors
    assert bucket.keys() == [] and not item.updates.exists()


def test_removing_a_photo_removes_its_objects(
    bucket, world, partnership, held, member_a, django_capture_on_commit_callbacks, client_for
):
    with django_capture_on_commit_callbacks(execute=True):
        activity = activity_services.activity_log(
            actor=world.secretary1, activity=held, photos=[png("一.png"), png("二.png")], **log_kwargs(world)
        )
    first, second = activity.photos.order_by("pk")
    names = [f"media/{name}" for photo in (first, second) for name in (photo.image.name, photo.thumbnail.name)]
    assert bucket.keys("media/photos/") == sorted(names)
    photo_url = reverse("activities:activity_photo", args=[first.pk])
    shown = client_for(world.secretary1).get(photo_url)
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == bucket.read(names[0])
    assert client_for(world.outsider).get(photo_url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        activity_services.activity_log(
            actor=world.secretary1, activity=activity, remove_photos=[first.pk], **log_kwargs(world)
        )
    assert bucket.keys("media/photos/") == sorted(names[2:])


def test_the_orphan_sweep_walks_the_bucket(bucket, world):
    kept = default_storage.save("evidence/2026/12/kept.pdf", io.BytesIO(PDF))
    orphan = default_storage.save("evidence/2026/12/orphan.pdf", io.BytesIO(PDF))
    Evidence.objects.create(
        update=make_item_update(world), file=kept, original_name="kept.pdf", content_type="application/pdf", size=1
    )
    later = timezone.now() + housekeeping_files.GRACE_PERIOD * 2
    assert housekeeping_files.remove_orphaned_files(now=later) == 1
    assert bucket.keys("media/evidence/") == [f"media/{kept}"] and orphan != kept


def make_item(world):
    """An open item of an agreement between secretary1's branch and liaison1's partner, owned by the branch."""
    return ActionItemFactory(agreement=make_agreement(world), responsible_party=world.branch_a)


def make_item_update(world):
    return make_item(world).updates.create(author=world.secretary1, note="佐证", kind="progress")


def _activities_for_export(world):
    agreement = make_agreement(world)
    for i in range(3):
        make_activity(world, agreement=agreement, title=f"存储导出{i}", starts=at(-i - 1))


def test_an_export_job_file_lands_in_the_bucket_downloads_and_expires(bucket, world, client_for, settings):
    _activities_for_export(world)
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities", params={})
    assert exports.job_run(job.pk) == {"job": job.pk, "rows": 3}
    job.refresh_from_db()
    key = f"media/exports/{job.file}"
    assert bucket.keys("media/exports/") == [key] and job.file.startswith(f"{world.secretary1.pk}/{job.pk}-")
    assert not Path(settings.EXPORTS_DIR).exists()

    url = reverse("export_download", args=[job.pk])
    download = client_for(world.secretary1).get(url)
    assert download.status_code == 200 and "Location" not in download
    content = b"".join(download.streaming_content)
    assert content == bucket.read(key)
    titles = sorted(
        row[3] for row in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(min_row=3, values_only=True)
    )
    assert titles == [f"存储导出{i}" for i in range(3)]
    for user in (world.secretary2, world.outsider, world.committee):
        assert client_for(user).get(url).status_code == 404

    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(days=30))
    assert exports.remove_expired() == 1
    assert bucket.keys("media/exports/") == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_export_into_the_bucket(bucket, harness, world, client_for):
    _activities_for_export(world)
    job = ExportJob.objects.create(requester=world.secretary1, kind="activities", params={})
    worker = harness.start_worker("exports", queues="exports", MEDIA_STORAGE_URL=bucket.url)
    harness.producer.conf.task_routes = django_settings.CELERY_TASK_ROUTES
    task_id = harness.producer.send_task("portal.tasks.run_export", args=[job.pk]).id
    wait_until(lambda: worker.task_done(task_id), 60, "the export was never written", [worker])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    key = f"media/exports/{job.file}"
    assert bucket.keys("media/exports/") == [key]
    download = client_for(world.secretary1).get(reverse("export_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == bucket.read(key)
