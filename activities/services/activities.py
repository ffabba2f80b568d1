"""Every write to joint activities: schedule, edit, log (headcounts, participants, photos), cancel, and
the sweep that marks ended activities as held.

Rules (issue 4): only the lead organization's secretary (or an admin) writes an activity; under an agreement the
lead and co-organizers are its parties and a plan row is one of its plan's rows; an activity is planned, held once
it has ended, logged once its log is written, or cancelled with a reason (never once logged). A held or logged
activity that ended more than ``LOCK_DAYS`` days ago is locked: only a superuser may still change it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityType,
    LogSubmission,
    PlannedActivity,
)
from activities.photos import check_photos, store_photo
from activities.rules import (
    CLOSED_AGREEMENT,
    LOCK_DAYS,
    has_started,
    headcount_errors,
    lock_message,
    locked_for,
    may_create_activities,
)
from activities.selectors.activities import participant_groups, participating_ids
from activities.services import bookings
from activities.services.photo_uploads import attach_pending_photos, pending_photos_for
from partnerships.models import Agreement, AgreementParty, Member, Organization
from portal.scoping import ROLE_SECRETARY, ensure_editable, get_scope

EDITABLE_FIELDS = (
    "title",
    "type",
    "agreement",
    "plan_row",
    "lead",
    "co_organizers",
    "starts_at",
    "ends_at",
    "place",
    "description",
)
Status = Activity.Status


# --- helpers ------------------------------------------------------------------------------------------------


def _merge(*groups: Mapping[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def _lock_row(activity: Activity) -> Activity:
    """Lock the row and load a fresh copy, so two people acting at once cannot both move it from the same state.

    The caller's object is left as it was: a refused write leaves nothing half-changed in memory either.
    """
    return Activity.objects.select_for_update().get(pk=activity.pk)


def _check_not_locked(actor, activity: Activity, now: dt.datetime) -> None:
    if locked_for(actor, activity, now):
        raise ValidationError(lock_message(), code="locked")


def _check_fields(
    actor,
    *,
    lead: Organization | None,
    co_organizers: Sequence[Organization],
    agreement: Agreement | None,
    plan_row: PlannedActivity | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    now: dt.datetime,
) -> dict[str, list[str]]:
    """Every rule on who leads, who co-organizes, under which agreement and plan row, and when."""
    scope = get_scope(actor)
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    _check_lead(scope, lead, co_organizers, add)
    if agreement is not None:
        _check_agreement(agreement, lead, co_organizers, starts_at, add)
    if plan_row is not None and (agreement is None or plan_row.plan.agreement_id != agreement.pk):
        add("plan_row", _("The plan row belongs to another agreement."))
    if starts_at is not None and ends_at is not None:
        _check_times(scope, starts_at, ends_at, now, add)
    return errors


def _check_lead(scope, lead: Organization | None, co_organizers: Sequence[Organization], add) -> None:
    if lead is None:
        add("lead", _("Choose the lead organization."))
    elif not scope.is_superuser and lead.pk not in scope.org_ids(ROLE_SECRETARY):
        add("lead", _("You can only lead activities for an organization where you are the secretary."))
    if lead is not None and any(org.pk == lead.pk for org in co_organizers):
        add("co_organizers", _("The lead organization cannot also be a co-organizer."))


def _check_agreement(
    agreement: Agreement,
    lead: Organization | None,
    co_organizers: Sequence[Organization],
    starts_at: dt.datetime | None,
    add,
) -> None:
    """The lead and co-organizers are parties of the agreement, and it was still in force on the day."""
    parties = set(AgreementParty.objects.filter(agreement=agreement).values_list("organization_id", flat=True))
    if lead is not None and lead.pk not in parties:
        add("lead", _("%(org)s is not a party of the agreement.") % {"org": lead.name})
    outsiders = [org.name for org in co_organizers if org.pk not in parties]
    if outsiders:
        add(
            "co_organizers",
            _("%(orgs)s: co-organizers must be parties of the agreement.") % {"orgs": "、".join(outsiders)},
        )
    if agreement.status in CLOSED_AGREEMENT and starts_at is not None:
        last_day = agreement.terminated_on or agreement.term_end
        if timezone.localdate(starts_at) > last_day:
            add(
                "agreement",
                _("The agreement ended on %(date)s; an activity after that cannot be held under it.")
                % {"date": last_day.isoformat()},
            )


def _check_times(scope, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime, add) -> None:
    if ends_at < starts_at:
        add("ends_at", _("The activity cannot end before it starts."))
    elif not scope.is_superuser and ends_at < now - dt.timedelta(days=LOCK_DAYS):
        add(
            "ends_at",
            _("An activity that ended more than %(days)s days ago can only be recorded by an administrator.")
            % {"days": LOCK_DAYS},
        )


def _full_clean(activity: Activity, errors: dict[str, list[str]]) -> None:
    """The model's own validation, merged with what was found so far, raised field by field."""
    try:
        # The end-before-start constraint is already reported under ends_at; don't repeat it above the form.
        activity.full_clean(exclude=["created_by", "logged_by"], validate_constraints=not errors.get("ends_at"))
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _status_for_times(activity: Activity, now: dt.datetime) -> str:
    """Planned until it ends, held once it has; a logged or cancelled activity keeps its status."""
    if activity.status in (Status.LOGGED, Status.CANCELLED):
        return activity.status
    return Status.HELD if activity.ends_at <= now else Status.PLANNED


def _drop_leavers(activity: Activity, participating: Iterable[int]) -> None:
    """An organization no longer taking part takes its headcount and its named participants with it."""
    participating = list(participating)
    activity.participations.exclude(organization_id__in=participating).delete()
    leaving = activity.participants.exclude(organization_id__in=participating)
    if leaving.exists():
        activity.participants.remove(*leaving)


# --- services -----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def activity_create(
    *,
    actor: AbstractBaseUser,
    title: str,
    type: ActivityType,
    lead: Organization,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    agreement: Agreement | None = None,
    plan_row: PlannedActivity | None = None,
    co_organizers: Sequence[Organization] = (),
    description: str = "",
) -> Activity:
    """Schedule an activity (from a plan row, under an agreement, or the branch's own).

    The lead is one of the actor's organizations where they are secretary (admins: any). Under an agreement the lead
    and co-organizers are its parties and the plan row belongs to its plan. It cannot end before it starts. It is
    planned, or held at once when its end has already passed (recorded afterwards).
    """
    if not may_create_activities(actor):
        raise PermissionDenied
    now = timezone.now()
    co_organizers = list(co_organizers or ())
    errors = _check_fields(
        actor,
        lead=lead,
        co_organizers=co_organizers,
        agreement=agreement,
        plan_row=plan_row,
        starts_at=starts_at,
        ends_at=ends_at,
        now=now,
    )
    activity = Activity(
        title=(title or "").strip(),
        type=type,
        agreement=agreement,
        plan_row=plan_row,
        lead=lead,
        starts_at=starts_at,
        ends_at=ends_at,
        place=(place or "").strip(),
        description=description or "",
        created_by=actor,
    )
    if starts_at is not None and ends_at is not None:
        activity.status = _status_for_times(activity, now)
    _full_clean(activity, errors)
    activity._history_user = actor
    activity.save()
    activity.co_organizers.set(co_organizers)
    # Re-check inside the transaction: the creator must be able to keep what they just made.
    ensure_editable(actor, activity)
    return activity


@transaction.atomic(durable=True)
def activity_update(*, actor: AbstractBaseUser, activity: Activity, **fields) -> Activity:
    """Edit an activity's details (any of ``EDITABLE_FIELDS``); same rules as ``activity_create``.

    Not once cancelled, not once locked (ended more than 30 days ago; superusers excepted). Moving the times moves a
    planned activity to held and back, and its venue bookings with it (refused when a venue is taken then); a logged
    activity cannot be moved to start in the future. An organization that stops taking part loses its headcount and
    named participants from the log.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    ensure_editable(actor, activity)
    activity = _lock_row(activity)
    now = timezone.now()
    if activity.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled activity can no longer be changed."), code="cancelled")
    _check_not_locked(actor, activity, now)
    previous_start, previous_end = activity.starts_at, activity.ends_at
    co_organizers = fields.pop("co_organizers", None)
    if co_organizers is None:
        co_organizers = list(activity.co_organizers.all())
    co_organizers = list(co_organizers)
    for key, value in fields.items():
        if key in ("title", "place"):
            value = (value or "").strip()
        elif key == "description":
            value = value or ""
        setattr(activity, key, value)
    errors = _check_fields(
        actor,
        lead=activity.lead,
        co_organizers=co_organizers,
        agreement=activity.agreement,
        plan_row=activity.plan_row,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        now=now,
    )
    if activity.status == Status.LOGGED and activity.starts_at and activity.starts_at > now:
        errors = _merge(errors, {"starts_at": [_("A logged activity cannot be moved to start in the future.")]})
    if activity.starts_at is not None and activity.ends_at is not None:
        activity.status = _status_for_times(activity, now)
    _full_clean(activity, errors)
    activity._history_user = actor
    activity.save()
    if {org.pk for org in co_organizers} != set(activity.co_organizers.values_list("pk", flat=True)):
        activity.co_organizers.set(co_organizers)
    _drop_leavers(activity, [activity.lead_id, *(org.pk for org in co_organizers)])
    # Its venue bookings move with it (or the move is refused when it would double-book a venue).
    bookings.follow_event(actor=actor, event=activity, previous_start=previous_start, previous_end=previous_end)
    ensure_editable(actor, activity)
    return activity


@transaction.atomic(durable=True)
def activity_log(
    *,
    actor: AbstractBaseUser,
    activity: Activity,
    summary: str,
    headcounts: Mapping,
    participants: Sequence[Member] = (),
    outcomes: str = "",
    photos: Sequence[UploadedFile] = (),
    pending_photos: Iterable = (),
    remove_photos: Iterable = (),
    client_key: uuid.UUID | None = None,
) -> Activity:
    """Log (or re-log) an activity that has started: summary, outcomes, a headcount for each participating
    organization (``headcounts``: organization or its id → number), named participants from their rosters, photos
    to add and to remove (publicity is a separate item: ``activities.services.publicity``). ``pending_photos`` are
    photos the actor uploaded ahead (``PendingPhoto`` or ids); they become the activity's photos.

    Refuses a participant from an organization not taking part (``participants``), a headcount below the number of
    named participants from that organization or its party groups (``headcount_<organization id>``), a file that is
    not an image or is over 10 MB, or a pending photo that is not the actor's (``photos``). Nothing is saved when anything is refused. The first log time and logger are kept.

    ``client_key`` is the form's idempotency key (an offline draft keeps it across retries): a key already applied
    changes nothing and returns the activity with ``log_replayed`` set; a key used by someone else or for another
    activity is refused. The unique key in the database decides a race between two submissions of one draft.
    """
    ensure_editable(actor, activity)
    activity = _lock_row(activity)
    activity.log_replayed = _claim_log_key(actor, activity, client_key)
    if activity.log_replayed:
        return activity
    now = timezone.now()
    if activity.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot be logged."), code="cancelled")
    if not has_started(activity, now):
        raise ValidationError(_("An activity can be logged once it has started."), code="not_started")
    _check_not_locked(actor, activity, now)

    participating = participating_ids(activity)
    names = dict(Organization.objects.filter(pk__in=participating).values_list("pk", "name"))
    participants = list(participants or ())
    groups = participant_groups(participating)
    counts, errors = headcount_errors(activity, participating, headcounts, participants, names, groups)
    summary = (summary or "").strip()
    if not summary:
        errors = _merge(errors, {"summary": [_("Write a short summary of what happened.")]})
    checked, pending, photo_errors = _checked_photos(actor, photos, pending_photos)
    errors = _merge(errors, photo_errors)

    activity.summary = summary
    activity.outcomes = (outcomes or "").strip()
    activity.status = Status.LOGGED
    activity.logged_at = activity.logged_at or now
    activity.logged_by = activity.logged_by or actor
    # Constraints hold once the summary is there; checking them with an empty summary would repeat its error.
    try:
        activity.full_clean(exclude=["created_by", "logged_by"], validate_constraints=not errors.get("summary"))
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)

    activity._history_user = actor
    activity.save()
    existing = {p.organization_id: p for p in activity.participations.all()}
    for org_id, headcount in counts.items():
        participation = existing.get(org_id)
        if participation is None:
            ActivityParticipation.objects.create(activity=activity, organization_id=org_id, headcount=headcount)
        elif participation.headcount != headcount:
            participation.headcount = headcount
            participation.save(update_fields=["headcount"])
    activity.participations.exclude(organization_id__in=participating).delete()
    activity.participants.set(participants)
    _remove_photos(activity, remove_photos)
    for upload in checked:
        store_photo(ActivityPhoto, upload=upload, uploaded_by=actor, activity=activity)
    attach_pending_photos(actor=actor, activity=activity, photos=pending)
    ensure_editable(actor, activity)
    return activity


def _claim_log_key(actor, activity: Activity, key: uuid.UUID | None) -> bool:
    """Record ``key`` as applied to ``activity`` by ``actor`` (rolled back with the log if the log is refused);
    True when the same actor had already applied it to the same activity. No key, nothing to record."""
    if key is None:
        return False
    try:
        with transaction.atomic():
            LogSubmission.objects.create(key=key, activity=activity, user=actor)
    except IntegrityError:
        earlier = LogSubmission.objects.filter(key=key).first()
        if earlier is None or earlier.user_id != actor.pk or earlier.activity_id != activity.pk:
            raise ValidationError(
                _("This log was already sent for another activity; open the form again."), code="key_reused"
            ) from None
        return True
    return False


def _checked_photos(actor, photos: Sequence[UploadedFile], pending_photos: Iterable) -> tuple[list, list, dict]:
    """The new files checked and the actor's own pending photos, with what is wrong with either (key ``photos``)."""
    checked, pending, errors = [], [], {}
    try:
        checked = check_photos(photos)
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    try:
        pending = pending_photos_for(actor, pending_photos)
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    return checked, pending, errors


def _remove_photos(activity: Activity, photos: Iterable) -> None:
    ids = [photo.pk if isinstance(photo, ActivityPhoto) else int(photo) for photo in photos or ()]
    if not ids:
        return
    # Only this activity's photos, whatever ids were sent.
    doomed = list(ActivityPhoto.objects.filter(activity=activity, pk__in=ids))
    if not doomed:
        return
    files = [(photo.image.storage, name) for photo in doomed for name in (photo.image.name, photo.thumbnail.name)]
    ActivityPhoto.objects.filter(pk__in=[photo.pk for photo in doomed]).delete()

    def delete_files() -> None:
        for storage, name in files:
            if name:
                storage.delete(name)

    # The files go only once the rows are gone for good; a rolled-back log keeps its photos.
    transaction.on_commit(delete_files)


@transaction.atomic(durable=True)
def activity_cancel(*, actor: AbstractBaseUser, activity: Activity, reason: str) -> Activity:
    """Cancel a planned or held activity with a reason (not once logged, not once locked); its venue bookings are
    cancelled with it."""
    ensure_editable(actor, activity)
    activity = _lock_row(activity)
    now = timezone.now()
    if activity.status == Status.LOGGED:
        raise ValidationError(_("A logged activity cannot be cancelled."), code="logged")
    if activity.status == Status.CANCELLED:
        raise ValidationError(_("This activity is already cancelled."), code="cancelled")
    _check_not_locked(actor, activity, now)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Cancelling an activity needs a reason.")]}, code="required")
    activity.status = Status.CANCELLED
    activity.cancel_reason = reason
    activity.full_clean(exclude=["created_by", "logged_by"])
    activity._history_user = actor
    activity.save(update_fields=["status", "cancel_reason", "updated_at"])
    bookings.cancel_with_event(actor=actor, event=activity)
    ensure_editable(actor, activity)
    return activity


@transaction.atomic(durable=True)
def activities_mark_held(*, now: dt.datetime | None = None) -> int:
    """Mark every planned activity whose end has passed as held (awaiting its log); return how many changed.

    Set-based (one select, one update, one bulk history insert whatever the number) and idempotent: a second run
    finds nothing. Meant for a beat task every few minutes.
    """
    now = now or timezone.now()
    due = list(Activity.objects.select_for_update().filter(status=Status.PLANNED, ends_at__lte=now).order_by("pk"))
    if not due:
        return 0
    # The status condition is repeated so a row changed in between (e.g. cancelled) is never overwritten.
    changed = Activity.objects.filter(pk__in=[a.pk for a in due], status=Status.PLANNED).update(
        status=Status.HELD, updated_at=now
    )
    for activity in due:
        activity.status = Status.HELD
        activity.updated_at = now
    # .update() bypasses simple_history; write the history rows in bulk so the 变更记录 tab shows the change.
    Activity.history.bulk_history_create(due, update=True, default_change_reason="held", default_date=now)
    return changed
