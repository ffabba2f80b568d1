"""Writes of the archive app: asking for a yearly ledger archive (an export job of kind ``archive``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from archive import rules
from archive.selectors import Subject
from partnerships.models import Agreement, Organization
from portal import exports
from portal.models import ExportJob


@transaction.atomic(durable=True)
def archive_request(
    *, actor, year: int, organization: Organization | None = None, agreement: Agreement | None = None
) -> ExportJob:
    """Record the job that builds ``organization``'s or ``agreement``'s ledger of ``year`` and send it to the exports
    queue after commit. The actor must be allowed the subject's archive (``rules``); the worker checks it again."""
    if (organization is None) == (agreement is None):
        raise ValueError("an archive is of one organization or one agreement")
    allowed = (
        rules.may_start_for_organization(actor, organization)
        if organization is not None
        else rules.may_start_for_agreement(actor, agreement)
    )
    if not allowed:
        raise PermissionDenied
    if year not in rules.years_offered(timezone.localdate()):
        raise ValidationError({"year": _("Choose one of the years offered.")})
    subject = Subject(year=year, organization=organization, agreement=agreement)
    params = QueryDict(mutable=True)
    for key, values in subject.params().items():
        params.setlist(key, values)
    return exports.job_request(actor=actor, kind=ExportJob.Kind.ARCHIVE, params=params)
