"""Export jobs (portal/exports.py): the requester's list, a job's page with its live progress, and the download.

Every queryset is the requester's own jobs: anyone else gets 404, whatever their role (an export carries its
requester's scope, which may be wider than the reader's).
"""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.generic import ListView, TemplateView

from portal import exports
from portal.models import ExportJob

RECENT = 20


def _own(request):
    return ExportJob.objects.filter(requester=request.user)


class ExportJobListView(ListView):
    """My exports: the latest jobs, newest first (files are kept EXPORT_KEEP_DAYS days)."""

    template_name = "portal/exports/list.html"
    context_object_name = "jobs"

    def get_queryset(self):
        return _own(self.request)[:RECENT]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["settings_keep_days"] = settings.EXPORT_KEEP_DAYS
        return context


class ExportJobView(TemplateView):
    """One job: the full page, or (htmx) its status card, which polls itself every 2 s while queued or running."""

    def get_template_names(self):
        if self.request.htmx:
            return ["portal/exports/_status.html"]
        return ["portal/exports/detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["job"] = get_object_or_404(_own(self.request), pk=kwargs["pk"])
        return context


def export_download(request, pk: int):
    """The job's file, to its requester only (streamed from the storage, local or S3); 404 while it is not done,
    once housekeeping removed it, or when the requester has since lost the scope the file was made from (a yearly
    archive)."""
    job = get_object_or_404(_own(request), pk=pk)
    if not exports.may_download(job):
        raise Http404
    handle = exports.job_file_open(job)
    if handle is None:
        raise Http404
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.filename or posixpath.basename(job.file),
        content_type=exports.content_type(job),
    )
