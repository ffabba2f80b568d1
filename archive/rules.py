"""Who may start and download a yearly ledger archive (年度台账, for 迎检), and which years it offers.

An organization's archive: its secretary or liaison, a reviewer whose committee's subtree holds it, an admin. An
agreement's: a party's secretary or liaison, a reviewer over one of its parties, an admin. Others who see the
organization's roster or the agreement (its members) only read: they are refused (403); everyone else never sees
the page (404). The same rule holds when the job runs and again when its file is downloaded.
"""

from __future__ import annotations

import datetime as dt

from partnerships.models import Agreement, AgreementParty, Organization
from partnerships.selectors.directory import roster_organizations
from portal.models import ExportJob
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope

YEARS_OFFERED = 6  # the current year and the five before it
# 迎检 at the turn of the year checks the year just closed (年度考核, 年终检查): until the end of March the form
# offers the previous year; from April on, inspections look at the year under way.
PREVIOUS_YEAR_UNTIL_MONTH = 3


def default_year(today: dt.date) -> int:
    return today.year - 1 if today.month <= PREVIOUS_YEAR_UNTIL_MONTH else today.year


def years_offered(today: dt.date) -> list[int]:
    return [today.year - offset for offset in range(YEARS_OFFERED)]


def visible_organizations(user):
    """Organizations whose records (and so whose archive page) the user may see: the roster's scope."""
    return roster_organizations(user)


def visible_agreements(user):
    return Agreement.objects.visible_to(user)


def may_start_for_organization(actor, organization: Organization) -> bool:
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    return organization.pk in scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON) or scope.reviews_path(organization.path)


def may_start_for_agreement(actor, agreement: Agreement) -> bool:
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    writers = scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON)
    parties = AgreementParty.objects.filter(agreement_id=agreement.pk).values_list(
        "organization_id", "organization__path"
    )
    return any(org_id in writers or scope.reviews_path(path) for org_id, path in parties)


def subject_of(user, params: dict):
    """The organization or agreement a job's parameters name, if the user still sees it and may have its archive;
    else None."""
    for key, queryset, rule in (
        ("organization", visible_organizations, may_start_for_organization),
        ("agreement", visible_agreements, may_start_for_agreement),
    ):
        values = params.get(key)
        if values:
            try:
                pk = int(values[0])
            except (TypeError, ValueError):
                return None
            obj = queryset(user).filter(pk=pk).first()
            return obj if obj is not None and rule(user, obj) else None
    return None


def may_download(job: ExportJob) -> bool:
    """At download, the requester must still be allowed the archive's organization or agreement."""
    return subject_of(job.requester, job.params or {}) is not None
