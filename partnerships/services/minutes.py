"""Every write to a joint meeting's minutes (会议纪要): the draft with its decisions and rulings, publication, corrections.

Rules kept here:

* Only the host's secretary or liaison (``JointMeeting.objects.editable_by``) records, publishes and corrects the
  minutes. Published minutes are never edited: a correction is a new ``MinutesVersion``.
* A new decision may name its responsible party (责任单位), person (责任人), due date (时限) and priority (优先级).
  Publishing the minutes turns every such decision into a supervised action item (督办事项) in the same transaction,
  exactly once (a decision that already has items gets none); decisions without a responsible party stay decisions.
* Publishing applies the meeting's rulings on carried-over items (extend / reassign / close), each recorded in the
  item's history with the publishing user as author.

Rulings on carried-over items keep their parameters on the decision (``new_due_on`` for extend,
``new_responsible_party`` for reassign) until the minutes are published and the ruling is applied.

Public services are durable (outermost) transactions; those the demo batches wrap private bodies (``_minutes_publish``…).
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import ActionItem, ActionItemUpdate, Decision, JointMeeting, MinutesVersion, Organization
from partnerships.models.meetings import ItemPriority
from partnerships.selectors.meetings import decision_ruling
from partnerships.services import notices
from partnerships.services.action_items import _action_item_create
from partnerships.services.meetings import (
    _check_host_and_attendees,
    _ensure_not_cancelled,
    _ensure_not_published,
    _lock,
    _party_ids,
)
from portal.models import Membership
from portal.scoping import ensure_editable

Outcome = Decision.Outcome


# --- minutes -----------------------------------------------------------------------------------------------------


class RulingError(ValidationError):
    """A bad ruling, naming the carried-over item it was about (so a page can show it next to that item)."""

    def __init__(self, error: ValidationError, item_id: int):
        super().__init__(error.error_dict)
        self.item_id = item_id


def _validate_ruling(
    meeting: JointMeeting, item: ActionItem, outcome: str, data: dict, party_ids: set[int]
) -> tuple[str, dict]:
    """Check one ruling on a carried-over item; return its text and parameters. Errors keyed by field."""
    text = (data.get("text") or "").strip()
    if outcome == Outcome.EXTEND:
        due_on = data.get("due_on")
        if not due_on:
            raise ValidationError({"due_on": _("Extending an item needs a new due date.")})
        if due_on < timezone.localtime(meeting.starts_at).date():
            raise ValidationError({"due_on": _("The new due date cannot be before the meeting.")})
        if due_on <= item.due_on:
            raise ValidationError({"due_on": _("The new due date must be later than the current one.")})
        return text, {"due_on": due_on}
    if outcome == Outcome.REASSIGN:
        party = data.get("responsible_party")
        party_id = getattr(party, "pk", party)
        if not party_id:
            raise ValidationError({"responsible_party": _("Reassigning an item needs a new responsible party.")})
        if int(party_id) not in party_ids:
            raise ValidationError(
                {"responsible_party": _("The new responsible party must be a party of the agreement.")}
            )
        if int(party_id) == item.responsible_party_id:
            raise ValidationError({"responsible_party": _("The item already belongs to this party.")})
        return text, {"party_id": int(party_id)}
    if outcome == Outcome.CLOSE:
        if not text:
            raise ValidationError({"text": _("Closing an item at the meeting needs a note on why it is done.")})
        return text, {}
    raise ValidationError({"outcome": _("Choose extend, reassign or close for a carried-over item.")})


def _minutes_save_draft(
    *,
    actor: AbstractBaseUser,
    meeting: JointMeeting,
    minutes: str,
    attendee_ids: Iterable[int] = (),
    guests: str = "",
    decisions: Sequence[dict[str, Any]] = (),
) -> JointMeeting:
    """Record (or rework) the draft minutes, attendance and decisions of a meeting not yet published.

    ``decisions`` is the full list; each dict has ``text`` and optionally ``id`` (an existing decision to keep),
    ``outcome`` (``new`` by default) and, for a ruling on a carried-over item, ``carried_item`` with ``due_on``
    (extend) or ``responsible_party`` (reassign); a closing ruling's ``text`` is its note. A new decision may
    carry the action item it becomes on publication: ``responsible_party`` (a party of the agreement), with
    ``due_on`` (not before the meeting), ``responsible_person`` (of that party) and ``priority``. Decisions left out
    are removed, unless action items were already raised from them. A bad new decision raises ``DecisionError``
    naming its place in ``decisions``; a bad ruling ``RulingError`` naming its item.
    """
    ensure_editable(actor, meeting)
    meeting = _lock(meeting)
    _ensure_not_published(meeting)
    _ensure_not_cancelled(meeting)
    attendee_ids = [int(pk) for pk in attendee_ids]
    _check_host_and_attendees(meeting.agreement, meeting.host, attendee_ids)
    meeting.minutes = minutes or ""
    meeting.guests = (guests or "").strip()
    meeting.minutes_status = JointMeeting.MinutesStatus.DRAFT
    meeting.full_clean()
    meeting._history_user = actor
    meeting.save()
    meeting.attendees.set(attendee_ids)
    _save_decisions(meeting, decisions)
    return meeting


minutes_save_draft = transaction.atomic(durable=True)(_minutes_save_draft)


def _save_decisions(meeting: JointMeeting, decisions: Sequence[dict[str, Any]]) -> None:
    existing = {decision.pk: decision for decision in meeting.decisions.all()}
    carried = {
        row.carried_item_id: row.carried_item
        for row in meeting.agenda.filter(carried_item__isnull=False).select_related("carried_item")
    }
    party_ids = _party_ids(meeting.agreement)
    kept: set[int] = set()
    ruled: set[int] = set()
    to_save: list[Decision] = []
    for index, data in enumerate(decisions, start=1):
        outcome = data.get("outcome") or Outcome.NEW
        if outcome not in Outcome.values:
            raise ValidationError({"outcome": _("Unknown kind of decision.")})
        decision = _decision_row(meeting, existing, data.get("id"), kept)
        if outcome == Outcome.NEW:
            text, params, item = (data.get("text") or "").strip(), {}, None
            try:
                _assign(decision, meeting, data, party_ids)
            except ValidationError as exc:
                raise DecisionError(exc, index - 1) from exc
        else:
            text, params, item = _ruling(meeting, carried, ruled, outcome, data, party_ids)
        if not text and outcome in (Outcome.NEW, Outcome.CLOSE):
            raise ValidationError({"text": _("A decision needs its text.")})
        decision.order = index
        decision.outcome = outcome
        decision.carried_item = item
        decision.text = text
        decision.new_due_on = params.get("due_on")
        decision.new_responsible_party_id = params.get("party_id")
        decision.full_clean(exclude=["meeting"])
        to_save.append(decision)
    dropped = [pk for pk in existing if pk not in kept]
    if dropped and ActionItem.objects.filter(decision_id__in=dropped).exists():
        raise ValidationError(_("A decision that already has action items cannot be removed."))
    Decision.objects.filter(pk__in=dropped).delete()
    for decision in to_save:
        decision.save()


class DecisionError(ValidationError):
    """A bad new decision, naming its position in the list given (so a page can show it next to that row)."""

    def __init__(self, error: ValidationError, index: int):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else {"text": error.messages})
        self.index = index


def _assign(decision: Decision, meeting: JointMeeting, data: dict[str, Any], party_ids: set[int]) -> None:
    """Set a new decision's assignment (the action item it becomes on publication), checked."""
    party = _ref(data.get("responsible_party"))
    person = _ref(data.get("responsible_person"))
    due_on = data.get("due_on")
    if (person or due_on) and not party:
        raise ValidationError(
            {"responsible_party": _("Choose the responsible party that carries the decision out.")}, code="no_party"
        )
    if party:
        if party not in party_ids:
            raise ValidationError(
                {"responsible_party": _("The responsible party must be a party of the agreement.")}, code="not_a_party"
            )
        if not due_on:
            raise ValidationError({"due_on": _("A decision with a responsible party needs a due date.")}, code="due")
        meeting_date = timezone.localtime(meeting.starts_at).date()
        if due_on < meeting_date:
            raise ValidationError(
                {"due_on": _("The due date cannot be before the meeting (%(date)s).") % {"date": meeting_date}},
                code="before_meeting",
            )
        if person and not Membership.objects.filter(user_id=person, organization_id=party).exists():
            raise ValidationError(
                {"responsible_person": _("The responsible person must belong to the responsible party.")},
                code="not_in_party",
            )
    decision.responsible_party_id = party
    decision.responsible_person_id = person if party else None
    decision.due_on = due_on if party else None
    decision.priority = int(data.get("priority") or ItemPriority.NORMAL)


def _ref(value) -> int | None:
    """An object's or an id's primary key (None for nothing)."""
    value = getattr(value, "pk", value)
    return int(value) if value else None


def _decision_row(meeting: JointMeeting, existing: dict[int, Decision], decision_id, kept: set[int]) -> Decision:
    """The meeting's decision being edited (noted as kept), or a new one."""
    if not decision_id:
        return Decision(meeting=meeting)
    decision = existing.get(int(decision_id))
    if decision is None:
        raise ValidationError(_("A decision being edited does not belong to this meeting."))
    kept.add(decision.pk)
    return decision


def _ruling(
    meeting: JointMeeting,
    carried: dict[int, ActionItem],
    ruled: set[int],
    outcome: str,
    data: dict[str, Any],
    party_ids: set[int],
) -> tuple[str, dict, ActionItem]:
    """A ruling on one carried-over item (one ruling per item): its text, parameters and item."""
    item_ref = data.get("carried_item")
    item_id = getattr(item_ref, "pk", item_ref)
    if not item_id or int(item_id) not in carried:
        raise ValidationError({"carried_item": _("Rulings are made only on the items carried over to this meeting.")})
    item = carried[int(item_id)]
    if item.pk in ruled:
        raise ValidationError({"carried_item": _("Each carried-over item takes one ruling.")})
    ruled.add(item.pk)
    try:
        text, params = _validate_ruling(meeting, item, outcome, data, party_ids)
    except ValidationError as exc:
        raise RulingError(exc, item.pk) from exc
    return text, params, item


def _minutes_publish(*, actor: AbstractBaseUser, meeting: JointMeeting) -> JointMeeting:
    """Publish the minutes: lock them as version 1, apply the meeting's rulings on carried-over items, and raise an
    action item from every new decision that names a responsible party (all in this one transaction)."""
    ensure_editable(actor, meeting)
    meeting = _lock(meeting)
    _ensure_not_published(meeting)
    _ensure_not_cancelled(meeting)
    if not meeting.minutes.strip():
        raise ValidationError({"minutes": _("Write the minutes before publishing them.")})
    now = timezone.now()
    meeting.minutes_status = JointMeeting.MinutesStatus.PUBLISHED
    meeting.minutes_version = 1
    meeting.published_at = now
    meeting.published_by = actor
    meeting.full_clean()
    meeting._history_user = actor
    meeting.save()
    MinutesVersion.objects.create(meeting=meeting, number=1, body=meeting.minutes, published_at=now, published_by=actor)
    rulings = meeting.decisions.exclude(outcome=Outcome.NEW).filter(carried_item__isnull=False)
    for decision in rulings.select_related("carried_item").order_by("order", "pk"):
        _apply_ruling(actor=actor, meeting=meeting, decision=decision, now=now)
    _raise_items(actor=actor, meeting=meeting)
    ensure_editable(actor, meeting)
    notices.minutes_published(actor=actor, meeting=meeting)
    return meeting


minutes_publish = transaction.atomic(durable=True)(_minutes_publish)


def _raise_items(*, actor: AbstractBaseUser, meeting: JointMeeting) -> list[ActionItem]:
    """Turn every new decision that names a responsible party into a supervised action item, with the decision's
    person, due date and priority; a decision that already has items gets none (so nothing is raised twice)."""
    decisions = (
        meeting.decisions.filter(outcome=Outcome.NEW, responsible_party__isnull=False, items__isnull=True)
        .select_related("meeting", "responsible_party", "responsible_person")
        .order_by("order", "pk")
    )
    title_length = ActionItem._meta.get_field("title").max_length
    raised = []
    for decision in decisions:
        text = decision.text.strip()
        first_line = text.splitlines()[0].strip() if text else ""
        title = first_line if len(first_line) <= title_length else first_line[: title_length - 1] + "…"
        raised.append(
            _action_item_create(
                actor=actor,
                agreement=meeting.agreement,
                title=title,
                description=text if text != title else "",
                responsible_party=decision.responsible_party,
                responsible_person=decision.responsible_person,
                due_on=decision.due_on,
                priority=decision.priority,
                decision=decision,
            )
        )
    return raised


def _apply_ruling(*, actor, meeting: JointMeeting, decision: Decision, now: datetime.datetime) -> None:
    """Carry one ruling into the item's record; the meeting is the authority, the publishing user the author."""
    item = ActionItem.objects.select_for_update().get(pk=decision.carried_item_id)
    if not item.is_open:
        return  # closed or cancelled since the meeting: nothing left to rule on
    ruling = decision_ruling(decision)
    former = None
    if decision.outcome == Outcome.EXTEND and ruling.due_on:
        what = _("due date moved from %(old)s to %(new)s") % {"old": item.due_on, "new": ruling.due_on}
    elif decision.outcome == Outcome.REASSIGN and ruling.party_id:
        new_party = Organization.objects.get(pk=ruling.party_id)
        what = _("reassigned from %(old)s to %(new)s") % {"old": item.responsible_party.name, "new": new_party.name}
    else:
        what = _("closed")
    note = _("Joint meeting “%(meeting)s” decided: %(what)s.") % {"meeting": meeting.title, "what": what}
    if ruling.text:
        note = f"{note} {ruling.text}"
    if decision.outcome == Outcome.EXTEND and ruling.due_on:
        item.due_on = ruling.due_on
        kind, fields = ActionItemUpdate.Kind.EXTEND, ["due_on", "updated_at"]
    elif decision.outcome == Outcome.REASSIGN and ruling.party_id:
        former = copy.copy(item)
        item.responsible_party_id = ruling.party_id
        item.responsible_person = None  # the person belonged to the previous party
        kind, fields = ActionItemUpdate.Kind.REASSIGN, ["responsible_party", "responsible_person", "updated_at"]
    elif decision.outcome == Outcome.CLOSE:
        item.status = ActionItem.Status.DONE
        item.progress = 100
        item.closed_at = now
        item.confirmed_by = actor
        item.confirmed_at = now
        kind = ActionItemUpdate.Kind.CONFIRM
        fields = ["status", "progress", "closed_at", "confirmed_by", "confirmed_at", "updated_at"]
    else:
        return
    # Validate what the ruling changes; an unrelated gap (say a creator since deleted) must not block it.
    item.full_clean(exclude=[field.name for field in ActionItem._meta.fields if field.name not in fields])
    item._history_user = actor
    item.save(update_fields=fields)
    update = ActionItemUpdate.objects.create(
        item=item, kind=kind, note=note, author=actor, percent=100 if kind == ActionItemUpdate.Kind.CONFIRM else None
    )
    notices.item_ruled(actor=actor, item=item, update=update, former=former)


def _minutes_correct(*, actor: AbstractBaseUser, meeting: JointMeeting, minutes: str, reason: str) -> MinutesVersion:
    """Correct published minutes: a new version with its reason; earlier versions stay as they were."""
    ensure_editable(actor, meeting)
    meeting = _lock(meeting)
    if not meeting.is_published:
        raise ValidationError({"minutes": _("Only published minutes are corrected; edit the draft instead.")})
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("A correction needs a reason.")]
    if not (minutes or "").strip():
        errors["minutes"] = [_("The minutes cannot be empty.")]
    elif minutes.strip() == meeting.minutes.strip():
        errors["minutes"] = [_("The correction changes nothing.")]
    if errors:
        raise ValidationError(errors)
    number = (meeting.minutes_versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    now = timezone.now()
    version = MinutesVersion(
        meeting=meeting, number=number, body=minutes, reason=reason, published_at=now, published_by=actor
    )
    version.full_clean()
    version.save()
    meeting.minutes = minutes
    meeting.minutes_version = number
    meeting._history_user = actor
    meeting.save(update_fields=["minutes", "minutes_version", "updated_at"])
    ensure_editable(actor, meeting)
    return version


minutes_correct = transaction.atomic(durable=True)(_minutes_correct)
