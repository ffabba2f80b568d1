"""Who may act in the partnerships app, and the windows and limits its writes and forms enforce.

Predicates (``may_*``) answer for one actor; the constants name the states and sizes the services, forms, views
and reminders all check against, so each rule is written once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import ActionItem, Agreement, AgreementParty, JointMeeting, Need, Organization, Pairing
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, get_scope
from portal.uploads import EVIDENCE, MB, CheckedUpload, check_upload

# Agreements whose record is closed: their terms, parties and document are what was in force and stay so.
CLOSED_STATUSES = (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED)
# Agreements that accept meetings: parties often meet before signing; expired and terminated ones do not.
SCHEDULABLE_STATUSES = (Agreement.Status.DRAFT, Agreement.Status.ACTIVE)
# Open states in which the responsible party still works on an item.
WORKING = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)
DOCUMENT_MAX_BYTES = 10 * MB
EVIDENCE_MAX_BYTES = 10 * MB
EVIDENCE_MAX_FILES = 10
# "Expiring soon": active agreements whose term ends within this many days — the committee's to-do and the agreement
# list's filter. Two months: time enough to agree the renewal (续签) before the term runs out.
AGREEMENT_EXPIRING_DAYS = 60
# 督办升级: an item still open this many days after its due date is escalated to the committee — the default of the
# ``action_item.escalated`` reminder rule, which admins may change (the to-do reads the rule as it stands).
ESCALATE_AFTER_DAYS = 7

# A new joint meeting is offered for the next working day (Monday to Friday) at half past nine, project time.
MEETING_DEFAULT_TIME = dt.time(9, 30)
WORKING_HOURS = (dt.time(8, 30), dt.time(18, 0))


def default_meeting_start(now: dt.datetime | None = None) -> dt.datetime:
    """When a meeting being scheduled starts unless the user says otherwise: the next working day after ``now`` at
    ``MEETING_DEFAULT_TIME`` in the project's time zone (Asia/Shanghai), whatever the hour or the user's zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    day = (now or timezone.now()).astimezone(zone).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, MEETING_DEFAULT_TIME, tzinfo=zone)


def may_create_agreement(actor) -> bool:
    """Whether the actor may start an agreement at all: a secretary or liaison somewhere, or an admin."""
    scope = get_scope(actor)
    return scope.is_superuser or scope.has_role(ROLE_SECRETARY, ROLE_LIAISON)


def term_errors(term_start, term_end, signed_on=None) -> dict[str, list[str]]:
    """The term's own rules, by field: it ends on or after it starts, and the agreement is signed by its end.

    Checked here, not only by the CheckConstraints, so each message sits under its date, not above the form; the
    agreement and renewal forms call the same function."""
    errors: dict[str, list[str]] = {}
    if term_start and term_end and term_end < term_start:
        errors["term_end"] = [_("The term cannot end before it starts.")]
    if signed_on and term_end and signed_on > term_end:
        errors["signed_on"] = [_("An agreement cannot be signed after its term ends.")]
    return errors


def may_raise_items(actor, agreement: Agreement) -> bool:
    """A secretary or liaison of one of the agreement's parties (or an admin) may raise items under it."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    return (
        AgreementParty.objects.filter(agreement=agreement)
        .filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY, ROLE_LIAISON))
        .exists()
    )


def check_evidence(files: Sequence[UploadedFile]) -> list[CheckedUpload]:
    """Check every file by content and size; all problems at once, under the ``evidence`` key."""
    files = [f for f in files or () if f]
    if len(files) > EVIDENCE_MAX_FILES:
        raise ValidationError(
            {"evidence": _("Attach at most %(n)s files at a time.") % {"n": EVIDENCE_MAX_FILES}}, code="too_many"
        )
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload, allowed=EVIDENCE, max_bytes=EVIDENCE_MAX_BYTES))
        except ValidationError as exc:
            problems.extend(exc.error_list)
    if problems:
        raise ValidationError({"evidence": problems})
    return checked


def may_rule_on_closure(actor, item: ActionItem) -> bool:
    """Whether the actor confirms or sends back this item's closures (whatever its state now)."""
    return ActionItem.objects.confirmer_rights(actor).filter(pk=item.pk).exists()


def may_write_roster(actor, organization: Organization) -> bool:
    """The organization's secretary (or an admin) adds and edits its roster."""
    scope = get_scope(actor)
    return scope.is_superuser or "secretary" in scope.roles.get(organization.pk, ())


def may_create_organization(user, parent: Organization | None) -> bool:
    """Admins create anywhere (a new root too); a reviewer creates inside their committee's subtree."""
    scope = get_scope(user)
    if scope.is_superuser:
        return True
    return parent is not None and scope.reviews_path(parent.path)


# --- 扫码签到 (check-in with a QR code) -------------------------------------------------------------------------
# The check-in page opens an hour before an event starts and closes when it ends.
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=1)
# A joint meeting has a start but no end: check-in stays open three hours after it starts (the calendar shows a
# two-hour slot; meetings run over, and late arrivals still sign the attendance).
MEETING_CHECKIN_LENGTH = dt.timedelta(hours=3)
# Attempts (posts of the check-in form) allowed per client address and per event in each window. An address is
# often shared — a site's Wi-Fi, a carrier's NAT — so the first is generous; the second caps a flood on one event.
CHECKIN_RATE_PER_ADDRESS = "30/10m"
CHECKIN_RATE_PER_EVENT = "300/10m"


def checkin_window(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When an event's check-in page accepts check-ins: from an hour before the start to the end."""
    return starts_at - CHECKIN_OPENS_BEFORE, ends_at


def meeting_checkin_window(meeting) -> tuple[dt.datetime, dt.datetime]:
    return checkin_window(meeting.starts_at, meeting.starts_at + MEETING_CHECKIN_LENGTH)


def may_manage_meeting_checkin(actor, meeting) -> bool:
    """Who shows and regenerates a meeting's check-in code: who edits the meeting (the host's secretary or liaison)."""
    return JointMeeting.objects.editable_by(actor).filter(pk=meeting.pk).exists()


# --- the partners' lists (需求清单 / 资源清单) and their pairings --------------------------------------------------

# Agreements under which partners may still pair needs with resources: those that are not closed.
PAIRING_STATUSES = (Agreement.Status.DRAFT, Agreement.Status.ACTIVE)
# A need still open this many days before its wanted-by date without an accepted pairing is reminded to its owners.
NEED_REMINDER_DAYS = 7


def list_keepers(actor):
    """Organizations whose lists the actor keeps: where they are secretary or liaison (every one for an admin)."""
    scope = get_scope(actor)
    if scope.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(pk__in=sorted(scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON)))


def may_publish_lists(actor, organization: Organization) -> bool:
    """The organization's own secretary or liaison (or an admin) publishes and edits its needs and resources."""
    scope = get_scope(actor)
    return scope.is_superuser or bool(scope.roles.get(organization.pk, frozenset()) & {ROLE_SECRETARY, ROLE_LIAISON})


def shared_agreements(first_org_id: int, second_org_id: int):
    """Agreements, not closed, that both organizations are party to: what a pairing between them is made under."""
    return (
        Agreement.objects.filter(status__in=PAIRING_STATUSES, parties__organization_id=first_org_id)
        .filter(parties__organization_id=second_org_id)
        .distinct()
        .order_by("-term_start", "-pk")
    )


def offering_organizations(actor, need: Need):
    """The actor's organizations (secretary or liaison) that may answer this need: a partner of the need's
    organization under an agreement that is not closed — never the need's own organization."""
    scope = get_scope(actor)
    partners = AgreementParty.objects.filter(
        agreement__status__in=PAIRING_STATUSES,
        agreement__parties__organization_id=need.organization_id,
    ).exclude(organization_id=need.organization_id)
    if not scope.is_superuser:
        partners = partners.filter(organization_id__in=sorted(scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON)))
    return Organization.objects.filter(pk__in=partners.values("organization_id")).order_by("path")


def may_offer(actor, need: Need) -> bool:
    """Whether the actor may offer a resource against the need or claim it (资源对接 / 认领需求)."""
    return need.status == Need.Status.OPEN and offering_organizations(actor, need).exists()


def may_decide_pairing(actor, pairing: Pairing) -> bool:
    """The need's organization (its secretary or liaison, or an admin) accepts or declines a proposal."""
    return may_publish_lists(actor, pairing.need.organization)
