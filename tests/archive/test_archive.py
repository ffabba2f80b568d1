"""The yearly ledger archive (年度台账): who may start it and download it, what the bundle holds, how it fails.

Jobs run eagerly here (in-process, after the commit); tests/archive/test_archive_worker.py runs one through a real
worker on PostgreSQL and Redis.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import bundle, rules, services
from partnerships.models import JointMeeting
from portal import exports
from portal.models import ExportJob, Membership, Notification
from portal.scoping import get_scope
from tests.archive.ledger_world import build_ledger, check_bundle, pdf_text
from tests.factories import ActivityFactory, JointMeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORTS_DIR = tmp_path / "exports"


def start(client, url: str, year: int, capture):
    with capture(execute=True):
        return client.post(url, {"year": year})


def test_secretary_starts_the_branch_archive_and_downloads_every_section(
    client_for, world, media, django_capture_on_commit_callbacks
):
    ledger = build_ledger(world)
    client = client_for(world.secretary1)
    url = reverse("archive:organization", args=[world.branch_a.pk])
    response = start(client, url, ledger.year, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(requester=world.secretary1)
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert job.kind == ExportJob.Kind.ARCHIVE and job.status == ExportJob.Status.DONE, job.error
    assert job.rows_done == job.rows_total == 7  # the sections, shown as the progress bar
    assert job.filename == f"甲项目党支部{ledger.year}年度台账.zip"
    page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert "7 个部分中已完成 7 个" in page and job.filename in page
    download = client.get(reverse("export_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    check_bundle(b"".join(download.streaming_content), ledger, world)
    notice = Notification.objects.get(kind=exports.EXPORT_READY, recipient=world.secretary1)
    assert notice.title == f"年度台账已生成：{job.filename}"


def test_the_agreement_archive_is_for_its_parties_and_the_committee_over_them(
    client_for, world, media, django_capture_on_commit_callbacks
):
    ledger = build_ledger(world)
    url = reverse("archive:agreement", args=[ledger.agreement.pk])
    for user in (world.liaison1, world.committee):
        response = start(client_for(user), url, ledger.year, django_capture_on_commit_callbacks)
        assert response.status_code == 302
        job = ExportJob.objects.filter(requester=user).get()
        assert job.status == ExportJob.Status.DONE, job.error
        assert job.filename == f"GJ-ARC-001 甲项目与和平街道结对共建协议{ledger.year}年度台账.zip"


@pytest.mark.parametrize("name", ["secretary2", "outsider"])
def test_others_get_404_for_the_branch_and_the_agreement(client_for, world, name):
    ledger = build_ledger(world)
    client = client_for(world.user(name))
    for url in (
        reverse("archive:organization", args=[world.branch_a.pk]),
        reverse("archive:agreement", args=[ledger.agreement.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"year": ledger.year}).status_code == 404
    assert not ExportJob.objects.exists()


def test_a_member_who_only_reads_gets_403(client_for, world):
    ledger = build_ledger(world)
    Membership.objects.create(user=world.member1, organization=world.partner, role=Membership.Role.MEMBER)
    client = client_for(world.member1)
    for url in (
        reverse("archive:organization", args=[world.branch_a.pk]),
        reverse("archive:agreement", args=[ledger.agreement.pk]),
    ):
        assert client.post(url, {"year": ledger.year}).status_code == 403
    assert not ExportJob.objects.exists()
    with pytest.raises(PermissionDenied):
        services.archive_request(actor=world.member1, year=ledger.year, organization=world.branch_a)


def test_secretary2_cannot_download_secretary1s_archive(client_for, world, media, django_capture_on_commit_callbacks):
    ledger = build_ledger(world)
    url = reverse("archive:organization", args=[world.branch_a.pk])
    start(client_for(world.secretary1), url, ledger.year, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert client_for(world.secretary2).get(reverse("export_download", args=[job.pk])).status_code == 404


def test_a_requester_who_lost_the_branch_can_no_longer_download_it(
    client_for, world, media, django_capture_on_commit_callbacks
):
    ledger = build_ledger(world)
    url = reverse("archive:organization", args=[world.branch_a.pk])
    client = client_for(world.secretary1)
    start(client, url, ledger.year, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 200
    Membership.objects.filter(user=world.secretary1).delete()
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 404


def test_a_job_whose_requester_lost_the_scope_fails_with_a_readable_message(client_for, world, media):
    ledger = build_ledger(world)
    job = services.archive_request(actor=world.secretary1, year=ledger.year, organization=world.branch_a)
    Membership.objects.filter(user=world.secretary1).delete()
    result = exports.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "failed" in result
    assert job.message.startswith("你已无权查看") and not job.file
    page = client_for(world.secretary1).get(reverse("export_job", args=[job.pk])).content.decode()
    assert job.message in page
    notice = Notification.objects.get(kind=exports.EXPORT_READY, recipient=world.secretary1, occurrence="failed")
    assert job.message in notice.title


def test_a_year_not_offered_is_refused_next_to_the_field(client_for, world):
    client = client_for(world.secretary1)
    response = client.post(reverse("archive:organization", args=[world.branch_a.pk]), {"year": 1990})
    assert response.status_code == 200
    assert response.context["form"].errors["year"] == ["请选择列出的年份之一。"]
    assert not ExportJob.objects.exists()


def test_the_default_year_is_last_year_until_march_then_this_year():
    assert rules.default_year(dt.date(2027, 1, 5)) == 2026
    assert rules.default_year(dt.date(2027, 3, 31)) == 2026
    assert rules.default_year(dt.date(2027, 4, 1)) == 2027
    assert rules.years_offered(dt.date(2027, 4, 1))[:2] == [2027, 2026]


def test_the_card_shows_on_the_pages_of_those_who_may_start_it(client_for, world):
    ledger = build_ledger(world)
    org_url = reverse("partnerships:organization_detail", args=[world.branch_a.pk])
    agreement_url = reverse("partnerships:agreement_detail", args=[ledger.agreement.pk])
    secretary = client_for(world.secretary1)
    for url in (org_url, agreement_url):
        page = secretary.get(url).content.decode()
        assert 'data-testid="archive-start"' in page and "下载年度台账" in page
    member = client_for(world.member1)
    for url in (org_url, agreement_url):
        assert 'data-testid="archive-start"' not in member.get(url).content.decode()


def test_starting_costs_the_same_queries_whatever_the_year_holds(client_for, world, media):
    ledger = build_ledger(world)
    client = client_for(world.secretary1)
    url = reverse("archive:organization", args=[world.branch_a.pk])
    with CaptureQueriesContext(connection) as few:
        assert client.post(url, {"year": ledger.year}).status_code == 302
    on = dt.datetime(ledger.year, 8, 1, 9, tzinfo=dt.UTC)
    for index in range(40):
        ActivityFactory(title=f"批量活动{index}", lead=world.branch_a, starts_at=on, ends_at=on + dt.timedelta(hours=1))
    with CaptureQueriesContext(connection) as many:
        assert client.post(url, {"year": ledger.year}).status_code == 302
    assert len(many.captured_queries) == len(few.captured_queries) <= 12
    assert ExportJob.objects.count() == 2


def _bundle(world, ledger, tmp_path, name: str) -> dict[str, bytes]:
    subject = bundle.subject_from(
        world.secretary1, {"organization": [str(world.branch_a.pk)], "year": [str(ledger.year)]}
    )
    target = tmp_path / name
    done = []
    assert bundle.write_bundle(world.secretary1, subject, target, done.append) == len(bundle.SECTIONS)
    assert done == list(range(1, len(bundle.SECTIONS) + 1))
    with zipfile.ZipFile(target) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_evidence_over_the_budget_is_listed_not_copied(world, media, tmp_path, monkeypatch):
    ledger = build_ledger(world)
    monkeypatch.setattr(bundle, "EVIDENCE_BUDGET", 0)
    files = _bundle(world, ledger, tmp_path, "small.zip")
    assert not [name for name in files if "佐证材料/" in name]
    (items,) = [data for name, data in files.items() if "/04 督办事项/督办事项" in name]
    text = pdf_text(items)
    assert "设计稿.txt" in text and "未打包（超出大小上限或文件缺失）" in text


def test_the_bundle_reads_the_same_queries_for_one_activity_or_many(world, media, tmp_path):
    ledger = build_ledger(world)
    get_scope(world.secretary1)  # the requester's scope, read once and kept on the user for both runs
    with CaptureQueriesContext(connection) as few:
        _bundle(world, ledger, tmp_path, "few.zip")
    for index in range(6):
        ActivityFactory(
            title=f"追加活动{index}",
            lead=world.branch_a,
            agreement=ledger.agreement,
            starts_at=ledger.activity.starts_at,
            ends_at=ledger.activity.ends_at,
        )
    with CaptureQueriesContext(connection) as many:
        files = _bundle(world, ledger, tmp_path, "many.zip")
    assert len(many.captured_queries) == len(few.captured_queries)
    activities = "".join(pdf_text(data) for name, data in files.items() if "/03 活动台账/" in name)
    assert all(f"追加活动{index}" in activities for index in range(6))


def test_two_meetings_of_one_day_with_one_title_are_both_in_the_zip(world, media, tmp_path):
    """Unpacked, neither file may overwrite the other: the second gets "(2)" in its name."""
    ledger = build_ledger(world)
    JointMeetingFactory(
        agreement=ledger.agreement,
        title=ledger.meeting.title,
        starts_at=ledger.meeting.starts_at + dt.timedelta(hours=3),
        minutes="下午续会。",
        minutes_status=JointMeeting.MinutesStatus.PUBLISHED,
        minutes_version=1,
        published_at=ledger.meeting.published_at,
    )
    files = _bundle(world, ledger, tmp_path, "twice.zip")
    minutes = sorted(name for name in files if "/02 联席会议纪要/" in name)
    first, second = sorted(minutes, key=len)
    assert second == first.replace(".pdf", " (2).pdf")
    assert "下午续会" in "".join(pdf_text(files[name]) for name in minutes)
