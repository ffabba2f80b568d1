"""下载年度台账: the page (and the card on an organization's or agreement's page) that starts a yearly ledger archive.

GET shows the year form, a valid POST records the job (``services.archive_request``) and goes to the export job's
page, which shows its live progress and then the download link (portal/views/exports.py). Out of the user's scope:
404; seen but only read (a member): 403, for GET and POST alike, since the page does nothing but start the job.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from archive import rules, services
from archive.forms import ArchiveForm
from portal.views.base import ServiceFormView


class ArchiveStartView(ServiceFormView):
    form_class = ArchiveForm
    template_name = "archive/start.html"
    service = services.archive_request
    success_message = _(
        "The yearly ledger is being prepared: this page shows its progress, and a notice tells you when it is ready."
    )
    subject_key = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.visible(request.user), pk=kwargs["pk"])
            if not self.allowed(request.user, self.object):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_service_kwargs(self, form) -> dict:
        return {"year": form.cleaned_data["year"], self.subject_key: self.object}

    def get_success_url(self) -> str:
        return reverse("export_job", args=[self.result.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(subject=self.object, subject_key=self.subject_key, **kwargs)


class OrganizationArchiveView(ArchiveStartView):
    subject_key = "organization"

    @staticmethod
    def visible(user):
        return rules.visible_organizations(user)

    @staticmethod
    def allowed(user, obj) -> bool:
        return rules.may_start_for_organization(user, obj)


class AgreementArchiveView(ArchiveStartView):
    subject_key = "agreement"

    @staticmethod
    def visible(user):
        return rules.visible_agreements(user)

    @staticmethod
    def allowed(user, obj) -> bool:
        return rules.may_start_for_agreement(user, obj)
