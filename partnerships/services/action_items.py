"""Every write to supervised action items (督办事项): raise, edit, progress, close, confirm, send back, cancel.

Each function checks who may act, validates, writes the item and one ``ActionItemUpdate`` (the item's story, shown
as its timeline) inside one transaction; simple_history records the item row itself (the 变更记录 tab).
Each public service is its private body (``_action_item_create`` …) in an outermost, durable transaction: no
caller can fold it into a bigger transaction that might roll it back after its notices were sent. The demo seeder
calls the bodies inside its own transaction (one per agreement story); minutes publishing applies its carry-over
rulings with its own ``_apply_ruling``, not through these.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Agreement,
    Decision,
    Evidence,
    Need,
    Organization,
    Pairing,
)
from partnerships.rules import WORKING, check_evidence, may_raise_items, may_rule_on_closure
from partnerships.services import notices
from portal.models import Membership
from portal.names import display_name
from portal.scoping import ensure_editable
from portal.uploads import IMAGES, CheckedUpload, jpeg_thumbnail, upright

CLOSED_AGREEMENT = (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED)
UNCHANGED = object()  # action_item_edit: "leave this field as it is" (None means "no responsible person")


# --- helpers ------------------------------------------------------------------------------------------------


def _store_evidence(update: ActionItemUpdate, checked: list[CheckedUpload]) -> list[Evidence]:
    stored = []
    for upload in checked:
        evidence = Evidence(
            update=update,
            original_name=(upload.original_name or "file")[-200:],
            content_type=upload.content_type,
            size=upload.size,
        )
        stem = uuid.uuid4().hex
        if upload.content_type in IMAGES:
            # check_upload decoded the image within its pixel cap: decoding it again for the thumbnail is safe.
            upload.file.seek(0)
            with Image.open(upload.file) as image:
                evidence.thumbnail.save(f"{stem}.jpg", ContentFile(jpeg_thumbnail(upright(image))), save=False)
        upload.file.seek(0)
        # The stored name is ours (random, with the extension the content proved); the user's name is kept as data.
        evidence.file.save(f"{stem}{upload.extension}", upload.file, save=False)
        evidence.save()
        stored.append(evidence)
    return stored


def _lock(item: ActionItem) -> ActionItem:
    """Lock the row and reload it, so two people acting at once cannot both move the item from the same state."""
    list(ActionItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True))
    item.refresh_from_db()
    return item


def _save(item: ActionItem, actor, fields: list[str]) -> None:
    # created_by may be empty on imported or legacy rows; it is not what these writes are about.
    item.full_clean(exclude=["created_by"])
    item._history_user = actor  # simple_history: who, even outside a request
    item.save(update_fields=[*fields, "updated_at"])


def _record(item: ActionItem, actor, kind: str, note: str = "", percent: int | None = None) -> ActionItemUpdate:
    return ActionItemUpdate.objects.create(item=item, author=actor, kind=kind, note=note, percent=percent)


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message}, code="required")
    return value


def _meeting_date(decision: Decision | None) -> dt.date | None:
    if decision is None:
        return None
    return timezone.localdate(decision.meeting.starts_at)


def _check_due(due_on: dt.date, decision: Decision | None) -> None:
    meeting_date = _meeting_date(decision)
    if meeting_date and due_on < meeting_date:
        raise ValidationError(
            {"due_on": _("The due date cannot be before the meeting (%(date)s).") % {"date": meeting_date.isoformat()}},
            code="before_meeting",
        )


def _check_person(person, party: Organization) -> None:
    if person is not None and not Membership.objects.filter(user=person, organization=party).exists():
        raise ValidationError(
            {"responsible_person": _("The responsible person must belong to the responsible party.")},
            code="not_in_party",
        )


def _project_need(item: ActionItem) -> Need | None:
    """The need a joint project was agreed for (through its accepted pairing), locked."""
    return Need.objects.select_for_update().filter(pairings__action_item=item).first()


def _need_met(actor, item: ActionItem, now) -> None:
    """A joint project confirmed closed meets the need it was agreed for (需求 → 已满足)."""
    need = _project_need(item)
    if need is None or need.status != Need.Status.MATCHED:
        return
    need.status = Need.Status.MET
    need.met_at = now
    need._history_user = actor
    need.save(update_fields=["status", "met_at", "updated_at"])


def _need_reopened(actor, item: ActionItem) -> None:
    """A cancelled joint project gives its need back to the list (open again) and ends its pairing."""
    need = _project_need(item)
    Pairing.objects.filter(action_item=item, status=Pairing.Status.ACCEPTED).update(status=Pairing.Status.WITHDRAWN)
    if need is None or need.status != Need.Status.MATCHED:
        return
    need.status = Need.Status.OPEN
    need._history_user = actor
    need.save(update_fields=["status", "updated_at"])


# --- services -----------------------------------------------------------------------------------------------


def _action_item_create(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    title: str,
    responsible_party: Organization,
    due_on: dt.date,
    responsible_person=None,
    priority: int = ActionItem.Priority.NORMAL,
    description: str = "",
    decision: Decision | None = None,
    kind: str = ActionItem.Kind.ITEM,
    partner: Organization | None = None,
) -> ActionItem:
    """Raise an action item under an agreement, optionally from a meeting decision.

    The actor is a secretary or liaison of one of the parties; the responsible party is a party of the agreement; the
    responsible person belongs to it; an item from a decision is not due before that meeting.
    """
    if not may_raise_items(actor, agreement):
        raise PermissionDenied
    if agreement.status in CLOSED_AGREEMENT:
        raise ValidationError(_("Items cannot be raised under an agreement that is no longer in force."), code="closed")
    if decision is not None and decision.meeting.agreement_id != agreement.pk:
        raise ValidationError({"decision": _("The decision belongs to another agreement.")}, code="other_agreement")
    if responsible_party is None or not agreement.parties.filter(organization=responsible_party).exists():
        raise ValidationError(
            {"responsible_party": _("The responsible party must be a party of the agreement.")}, code="not_a_party"
        )
    _check_person(responsible_person, responsible_party)
    _check_due(due_on, decision)
    item = ActionItem(
        agreement=agreement,
        decision=decision,
        title=(title or "").strip(),
        description=description or "",
        responsible_party=responsible_party,
        responsible_person=responsible_person,
        due_on=due_on,
        priority=priority,
        kind=kind,
        partner=partner,
        created_by=actor,
    )
    item.full_clean()
    item._history_user = actor
    item.save()
    notices.item_assigned(actor=actor, item=item)
    return item


action_item_create = transaction.atomic(durable=True)(_action_item_create)


@transaction.atomic(durable=True)
def action_item_edit(
    *,
    actor: AbstractBaseUser,
    item: ActionItem,
    due_on: dt.date | None = None,
    responsible_person=UNCHANGED,
    priority: int | None = None,
    description: str | None = None,
    note: str = "",
) -> ActionItem:
    """Change an open item's due date, person, priority or description (the responsible party).

    A new due date is recorded as an extension and a new person as a reassignment in the item's timeline; priority
    and description changes are in the item's change history.
    """
    ensure_editable(actor, item)
    item = _lock(item)
    if not item.is_open:
        raise ValidationError(_("A closed or cancelled item can no longer be changed."), code="closed")
    note = (note or "").strip()
    changed: list[str] = []
    entries: list[tuple[str, str]] = []
    if due_on is not None and due_on != item.due_on:
        _check_due(due_on, item.decision)
        entries.append(
            (
                ActionItemUpdate.Kind.EXTEND,
                note or _("Due date %(old)s → %(new)s") % {"old": item.due_on.isoformat(), "new": due_on.isoformat()},
            )
        )
        item.due_on = due_on
        changed.append("due_on")
    if responsible_person is not UNCHANGED and responsible_person != item.responsible_person:
        _check_person(responsible_person, item.responsible_party)
        old = item.responsible_person
        entries.append(
            (
                ActionItemUpdate.Kind.REASSIGN,
                note
                or _("Responsible person %(old)s → %(new)s")
                % {"old": _person(old), "new": _person(responsible_person)},
            )
        )
        item.responsible_person = responsible_person
        changed.append("responsible_person")
    if priority is not None and priority != item.priority:
        item.priority = priority
        changed.append("priority")
    if description is not None and description != item.description:
        item.description = description
        changed.append("description")
    if not changed:
        return item
    _save(item, actor, changed)
    for kind, text in entries:
        _record(item, actor, kind, text)
    ensure_editable(actor, item)
    return item


def _person(user) -> str:
    if user is None:
        return "—"
    return display_name(user)


def _action_item_update_progress(
    *,
    actor: AbstractBaseUser,
    item: ActionItem,
    note: str,
    percent: int,
    evidence: Sequence[UploadedFile] = (),
) -> ActionItemUpdate:
    """Post a progress update (text, percent, optional evidence) — the responsible party's secretary or liaison.

    The percent may go down as well as up: an honest figure beats a monotone one (a send-back often means it did).
    """
    ensure_editable(actor, item)
    item = _lock(item)
    if item.status not in WORKING:
        raise ValidationError(_("Progress can only be posted on an item that is still being worked on."), code="state")
    note = _require_text(note, "note", _("Describe the progress."))
    if percent is None or not 0 <= int(percent) <= 100:
        raise ValidationError({"percent": _("Progress is a percentage between 0 and 100.")}, code="range")
    checked = check_evidence(evidence)
    item.status = ActionItem.Status.IN_PROGRESS
    item.progress = int(percent)
    _save(item, actor, ["status", "progress"])
    update = _record(item, actor, ActionItemUpdate.Kind.PROGRESS, note, int(percent))
    _store_evidence(update, checked)
    ensure_editable(actor, item)
    return update


action_item_update_progress = transaction.atomic(durable=True)(_action_item_update_progress)


def _action_item_close(
    *, actor: AbstractBaseUser, item: ActionItem, note: str, evidence: Sequence[UploadedFile]
) -> ActionItem:
    """Ask the other side to confirm the item is done: at least one evidence file; status → awaiting confirmation."""
    ensure_editable(actor, item)
    item = _lock(item)
    if item.status not in WORKING:
        raise ValidationError(_("Only an item still being worked on can be submitted for closure."), code="state")
    note = _require_text(note, "note", _("Describe what was done."))
    if not [f for f in evidence or () if f]:
        raise ValidationError(
            {"evidence": _("Closing an item needs at least one piece of evidence.")}, code="evidence_required"
        )
    checked = check_evidence(evidence)
    item.status = ActionItem.Status.AWAITING_CONFIRMATION
    item.progress = 100
    _save(item, actor, ["status", "progress"])
    update = _record(item, actor, ActionItemUpdate.Kind.CLOSE_REQUEST, note, 100)
    _store_evidence(update, checked)
    ensure_editable(actor, item)
    notices.item_awaiting_confirmation(actor=actor, item=item, update=update)
    return item


action_item_close = transaction.atomic(durable=True)(_action_item_close)


def _confirmer_checks(actor, item: ActionItem) -> ActionItem:
    """Who may act first, then the state: someone without the right is refused whatever state the item is in."""
    if not ActionItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise PermissionDenied
    if not may_rule_on_closure(actor, item):
        raise PermissionDenied
    item = _lock(item)
    if item.status != ActionItem.Status.AWAITING_CONFIRMATION:
        raise ValidationError(_("This item is not awaiting confirmation."), code="state")
    return item


def _action_item_confirm(*, actor: AbstractBaseUser, item: ActionItem, note: str = "") -> ActionItem:
    """Confirm a closure (验收确认): the other party's liaison or the meeting host, never the responsible party."""
    item = _confirmer_checks(actor, item)
    now = timezone.now()
    item.status = ActionItem.Status.DONE
    item.confirmed_by = actor
    item.confirmed_at = now
    item.closed_at = now
    _save(item, actor, ["status", "confirmed_by", "confirmed_at", "closed_at"])
    update = _record(item, actor, ActionItemUpdate.Kind.CONFIRM, (note or "").strip(), item.progress)
    if not ActionItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise PermissionDenied
    if item.kind == ActionItem.Kind.PROJECT:
        _need_met(actor, item, now)
    notices.item_confirmed(actor=actor, item=item, update=update)
    return item


action_item_confirm = transaction.atomic(durable=True)(_action_item_confirm)


def _action_item_send_back(*, actor: AbstractBaseUser, item: ActionItem, reason: str) -> ActionItem:
    """Refuse a closure with a reason (the same people who may confirm); the item goes back to in progress."""
    item = _confirmer_checks(actor, item)
    reason = _require_text(reason, "reason", _("Say why the item is sent back."))
    item.status = ActionItem.Status.IN_PROGRESS
    _save(item, actor, ["status"])
    update = _record(item, actor, ActionItemUpdate.Kind.SEND_BACK, reason)
    if not ActionItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise PermissionDenied
    notices.item_sent_back(actor=actor, item=item, update=update)
    return item


action_item_send_back = transaction.atomic(durable=True)(_action_item_send_back)


def _action_item_cancel(*, actor: AbstractBaseUser, item: ActionItem, reason: str) -> ActionItem:
    """Cancel an open item with a reason (the responsible party, or an admin)."""
    ensure_editable(actor, item)
    item = _lock(item)
    if not item.is_open:
        raise ValidationError(_("Only an open item can be cancelled."), code="state")
    reason = _require_text(reason, "reason", _("Cancelling an item needs a reason."))
    item.status = ActionItem.Status.CANCELLED
    item.cancel_reason = reason
    item.closed_at = timezone.now()
    _save(item, actor, ["status", "cancel_reason", "closed_at"])
    _record(item, actor, ActionItemUpdate.Kind.CANCEL, reason)
    if item.kind == ActionItem.Kind.PROJECT:
        _need_reopened(actor, item)
    ensure_editable(actor, item)
    return item


action_item_cancel = transaction.atomic(durable=True)(_action_item_cancel)
