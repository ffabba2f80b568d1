"""The 年度台账 card on an organization's and an agreement's page: the year and the "下载年度台账" button, for those
who may start the archive (``rules``); nothing for anyone else. At most one query (an agreement's parties)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from archive import rules
from archive.forms import ArchiveForm
from portal.home import register_section


def _section(url: str) -> dict:
    return {
        "template": "archive/section.html",
        "title": _("Yearly ledger for inspection"),
        "form": ArchiveForm(),
        "start_url": url,
    }


@register_section("organization_detail", 80)
def organization_archive(user, organization) -> dict | None:
    if organization is None or not rules.may_start_for_organization(user, organization):
        return None
    return _section(reverse("archive:organization", args=[organization.pk]))


@register_section("agreement_detail", 80)
def agreement_archive(user, agreement) -> dict | None:
    if agreement is None or not rules.may_start_for_agreement(user, agreement):
        return None
    return _section(reverse("archive:agreement", args=[agreement.pk]))
