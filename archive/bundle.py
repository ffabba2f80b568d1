"""The yearly ledger archive (年度台账) as one ZIP, written by an export job's worker (portal/exports.py).

``export_spec`` is the archive's entry in ``exports.BUILDERS``: the worker rebuilds it from the job's requester and
parameters, so the requester's scope is checked again when the job runs (a subject no longer theirs fails the job
with a readable message, ``exports.JobFailed``). The job machinery — claim, progress bar, notice, requester-only
download, housekeeping — is the exports' own; this module only writes the file it is handed, section by section,
reporting each section done as progress.

Memory stays bounded: each PDF is rendered from one chunk of rows to a temporary file and added to the ZIP before the
next chunk is read; evidence files are copied into the ZIP in blocks from Django's storage; the Excel ledgers stream
from their exports' own writers to a temporary file. Photos appear as thumbnails (at most
``selectors.PHOTOS_PER_ACTIVITY`` per activity), and evidence files beyond ``EVIDENCE_BUDGET`` bytes in all are
listed but not copied.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from activities.models import Activity
from activities.views.activities import export_spec as activity_export_spec
from archive import rules, selectors
from archive.pdf import PdfWriter, data_uri
from archive.selectors import Subject
from partnerships.models import ActionItem, Agreement, Organization
from partnerships.views.action_items import export_spec as action_item_export_spec
from partnerships.views.agreements import export_spec as agreement_export_spec
from portal import exports
from portal.models import ExportJob
from portal.richtext import render
from portal.xlsx import write_sheets

MB = 1024 * 1024
EVIDENCE_BUDGET = 200 * MB  # evidence files copied into one bundle; the rest are listed only
ACTIVITIES_PER_PDF = 25
ITEMS_PER_PDF = 50
ZONES_PER_PDF = 40
COPY_BLOCK = 1 * MB
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(text: str, limit: int = 60) -> str:
    """A file or folder name that every unzip tool accepts (Windows' forbidden characters replaced)."""
    cleaned = _UNSAFE.sub("_", str(text)).strip(" .") or "_"
    return cleaned[:limit]


def subject_from(user, params: dict[str, list[str]]) -> Subject:
    """The job's subject, checked against the requester's scope as it is now."""
    obj = rules.subject_of(user, params)
    if obj is None:
        raise exports.JobFailed(
            _("You may no longer see this organization's or agreement's records, so its yearly ledger was not made.")
        )
    try:
        year = int((params.get("year") or [""])[0])
    except ValueError:
        raise exports.JobFailed(_("The year of the ledger is not a year.")) from None
    if isinstance(obj, Organization):
        return Subject(year=year, organization=obj)
    return Subject(year=year, agreement=obj)


def filename(subject: Subject) -> str:
    return safe_name(_("%(name)s yearly ledger %(year)s") % {"name": subject.name, "year": subject.year}, 80) + ".zip"


def export_spec(request) -> exports.ExportSpec:
    """The archive's job, for the worker (``exports.BUILDERS``)."""
    subject = subject_from(request.user, dict(request.GET.lists()))
    queryset = (
        Organization.objects.filter(pk=subject.organization.pk)
        if subject.organization is not None
        else Agreement.objects.filter(pk=subject.agreement.pk)
    )
    return exports.ExportSpec(
        kind=ExportJob.Kind.ARCHIVE,
        filename=filename(subject),
        title=subject.header(),
        headers=[],
        queryset=queryset,
        total=lambda: len(SECTIONS),
        write=partial(write_bundle, request.user, subject),
    )


@dataclass
class Bundle:
    """The ZIP being written and the list of what went in (for the contents page)."""

    zip: zipfile.ZipFile
    root: str
    tmp: Path
    pdf: PdfWriter
    user: object
    subject: Subject
    entries: list[tuple[str, str]] = field(default_factory=list)  # (path in the ZIP, what it is)
    agreement_ids: list[int] = field(default_factory=list)
    evidence_bytes: int = 0
    used: set[str] = field(default_factory=set)  # paths already in the ZIP

    def path(self, folder: str, name: str) -> str:
        """A new path in the ZIP for ``name``: two meetings of one day with one title, or two evidence files of one
        name, become "名称.pdf" and "名称 (2).pdf" — unpacked, neither overwrites the other."""
        stem, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
        candidate, n = name, 1
        while (path := f"{self.root}/{folder}/{candidate}" if folder else f"{self.root}/{candidate}") in self.used:
            n += 1
            candidate = f"{stem} ({n}){dot}{extension}"
        self.used.add(path)
        return path

    def add_pdf(self, folder: str, name: str, template: str, context: dict, what: str) -> str:
        target = self.tmp / "part.pdf"
        self.pdf.write(target, template, {"subject": self.subject, **context})
        arcname = self.path(folder, safe_name(name) + ".pdf")
        self.zip.write(target, arcname)
        target.unlink()
        self.entries.append((arcname, what))
        return arcname

    def add_stored(self, folder: str, name: str, field_file, what: str) -> str | None:
        """Copy a stored file (local or S3, through Django's storage) into the ZIP in blocks; None when missing."""
        arcname = self.path(folder, safe_name(name, 100))
        try:
            with field_file.open("rb") as source, self.zip.open(arcname, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, COPY_BLOCK)
        except (FileNotFoundError, OSError):
            return None
        self.entries.append((arcname, what))
        return arcname

    def add_ledger(self, name: str, spec: exports.ExportSpec, ids: QuerySet) -> None:
        spec.queryset = spec.queryset.filter(pk__in=ids)
        target = self.tmp / "ledger.xlsx"
        write_sheets(target, [(spec.title, spec.headers, spec.rows())], scope=self.subject.name)
        arcname = self.path(_("07 Excel ledgers"), safe_name(name) + ".xlsx")
        self.zip.write(target, arcname)
        target.unlink()
        self.entries.append((arcname, _("Excel ledger")))


def _agreements(bundle: Bundle) -> None:
    rows = list(selectors.agreements(bundle.user, bundle.subject))
    bundle.agreement_ids = [agreement.pk for agreement in rows]
    folder = _("01 Agreements")
    bundle.add_pdf(folder, _("Agreements"), "archive/pdf/agreements.html", {"agreements": rows}, _("Agreements"))
    for agreement in rows:
        if agreement.document:
            suffix = Path(agreement.document.name).suffix
            name = _("%(number)s signed scan") % {"number": agreement.number} + suffix
            bundle.add_stored(folder, name, agreement.document, _("Signed agreement scan"))


def _meetings(bundle: Bundle) -> None:
    folder = _("02 Joint meeting minutes")
    meetings = selectors.meetings(bundle.user, bundle.agreement_ids, bundle.subject)
    for chunk in selectors.chunks(meetings, 20):
        for meeting in chunk:
            name = f"{meeting.starts_at.astimezone(bundle.subject.start.tzinfo):%Y-%m-%d} {meeting.title}"
            context = {"meeting": meeting, "minutes": render(meeting.minutes)}
            bundle.add_pdf(folder, name, "archive/pdf/meeting.html", context, _("Minutes and decisions"))


def _activities(bundle: Bundle) -> None:
    folder = _("03 Activity ledger")
    queryset = selectors.activities(bundle.user, bundle.subject, bundle.agreement_ids)
    number = 0
    for number, chunk in enumerate(selectors.chunks(queryset, ACTIVITIES_PER_PDF), 1):
        for activity in chunk:
            activity.archive_images = [data_uri(photo.thumbnail) for photo in activity.archive_photos]
        name = _("Activity ledger %(n)02d") % {"n": number}
        context = {"activities": chunk, "first": (number - 1) * ACTIVITIES_PER_PDF}
        bundle.add_pdf(folder, name, "archive/pdf/activities.html", context, _("Activities with photos"))
    if not number:
        context = {"activities": [], "first": 0}
        bundle.add_pdf(folder, _("Activity ledger"), "archive/pdf/activities.html", context, _("No activities"))


def _action_items(bundle: Bundle) -> None:
    folder = _("04 Action items")
    evidence_folder = f"{folder}/{_('Evidence')}"
    queryset = selectors.action_items(bundle.user, bundle.subject, bundle.agreement_ids)
    number = 0
    for number, chunk in enumerate(selectors.chunks(queryset, ITEMS_PER_PDF), 1):
        for item in chunk:
            for update in item.updates.all():
                for evidence in update.evidence.all():
                    evidence.archived = None
                    if bundle.evidence_bytes + evidence.size <= EVIDENCE_BUDGET:
                        name = f"{item.pk}-{evidence.pk}-{evidence.original_name}"
                        evidence.archived = bundle.add_stored(evidence_folder, name, evidence.file, _("Evidence"))
                        if evidence.archived:
                            bundle.evidence_bytes += evidence.size
                            evidence.archived = evidence.archived.removeprefix(f"{bundle.root}/")
        name = _("Action items %(n)02d") % {"n": number}
        context = {"items": chunk, "statuses": dict(ActionItem.Status.choices)}
        bundle.add_pdf(folder, name, "archive/pdf/action_items.html", context, _("Action items with progress"))
    if not number:
        context = {"items": [], "statuses": {}}
        bundle.add_pdf(folder, _("Action items"), "archive/pdf/action_items.html", context, _("No action items"))


def _zones(bundle: Bundle) -> None:
    folder = _("05 Red responsibility zones")
    queryset = selectors.zones(bundle.user, bundle.subject, bundle.agreement_ids)
    number = 0
    for number, chunk in enumerate(selectors.chunks(queryset, ZONES_PER_PDF), 1):
        name = _("Zones and checks %(n)02d") % {"n": number}
        bundle.add_pdf(folder, name, "archive/pdf/zones.html", {"zones": chunk}, _("Zones, members and checks"))
    if not number:
        bundle.add_pdf(folder, _("Zones and checks"), "archive/pdf/zones.html", {"zones": []}, _("No zones"))


def _results(bundle: Bundle) -> None:
    rows = list(selectors.results(bundle.user, bundle.subject))
    bundle.add_pdf(
        _("06 Quarterly results"),
        _("Quarterly results"),
        "archive/pdf/results.html",
        {"results": rows},
        _("Quarterly assessment results"),
    )


def _ledgers(bundle: Bundle) -> None:
    """The Excel ledgers, written by the exports' own writers, narrowed to the subject's year."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict()
    request.user = bundle.user
    subject, ids = bundle.subject, bundle.agreement_ids
    activities = Activity.objects.filter(selectors.activity_filter(subject, ids)).values("pk")
    bundle.add_ledger(_("Activity ledger"), activity_export_spec(request), activities)
    items = ActionItem.objects.filter(selectors.action_item_filter(subject, ids)).values("pk")
    bundle.add_ledger(_("Action item ledger"), action_item_export_spec(request), items)
    bundle.add_ledger(_("Agreement ledger"), agreement_export_spec(request), Agreement.objects.filter(pk__in=ids))


SECTIONS: list[Callable[[Bundle], None]] = [_agreements, _meetings, _activities, _action_items, _zones, _results]
SECTIONS += [_ledgers]


def write_bundle(user, subject: Subject, path: Path, progress: Callable[[int], None]) -> int:
    """Write the ZIP to ``path``; ``progress(sections done)`` after each section. Returns the sections written."""
    root = safe_name(_("%(name)s yearly ledger %(year)s") % {"name": subject.name, "year": subject.year}, 80)
    with tempfile.TemporaryDirectory(prefix="gongjian-archive-") as tmp:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            bundle = Bundle(archive, root, Path(tmp), PdfWriter(subject.header()), user, subject)
            for done, section in enumerate(SECTIONS, 1):
                section(bundle)
                progress(done)
            entries = list(bundle.entries)
            bundle.add_pdf("", _("00 Contents"), "archive/pdf/contents.html", {"entries": entries}, _("Contents"))
    return len(SECTIONS)
