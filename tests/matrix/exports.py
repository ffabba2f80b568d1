"""Access-matrix rows for export jobs: my exports, a job's page, its file.

A job belongs to its requester alone (it carries the requester's scope): everyone else, the outsider included,
gets 404; there is nothing to write, so no read-only role. The read-only reviewer is covered in
tests/portal/test_exports.py (404 for secretary1's job).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from portal.models import ExportJob
from portal.storage import save_generated
from portal.xlsx import write_streaming
from tests.matrix import Case

FILENAME = "矩阵导出.xlsx"


def objects(world) -> dict:
    job = ExportJob.objects.create(
        requester=world.secretary1,
        kind=ExportJob.Kind.ACTIVITIES,
        status=ExportJob.Status.DONE,
        rows_done=1,
        rows_total=1,
        filename=FILENAME,
        finished_at=timezone.now(),
    )
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "matrix.xlsx"
        write_streaming(local, "矩阵", ["标题"], [["矩阵活动"]])
        stored = save_generated(f"{world.secretary1.pk}/{job.pk}-matrix.xlsx", local)
    ExportJob.objects.filter(pk=job.pk).update(file=stored)
    return {"export_job": job}


CASES: dict[str, Case] = {
    "export_jobs": Case(
        lambda w, o: reverse("export_jobs"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: reverse("export_job", args=[o["export_job"].pk]),
    ),
    "export_job": Case(lambda w, o: reverse("export_job", args=[o["export_job"].pk]), owner="secretary1"),
    "export_download": Case(lambda w, o: reverse("export_download", args=[o["export_job"].pk]), owner="secretary1"),
}
