"""Every write to co-construction agreements (共建协议) and their parties goes through these functions.

Errors are ``ValidationError``s keyed by the form field they belong to (``term_end``, ``parties``, ``liaison``,
``document``, ``reason`` …) so the pages can show each one next to its field; a refused call writes nothing.

Each public service runs in an outermost, durable transaction; it is the durable wrapper of a private body
(``_agreement_update`` …), which ``agreement_attach_document`` and the demo seeder (one transaction per agreement
story) call inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from partnerships.models import Agreement, AgreementParty, Dimension
from partnerships.rules import CLOSED_STATUSES, DOCUMENT_MAX_BYTES, term_errors
from partnerships.selectors.agreements import party_errors
from portal.scoping import ROLE_LIAISON, ROLE_SECRETARY, ensure_editable, get_scope
from portal.uploads import DOCUMENTS, check_upload

AGREEMENT_FIELDS = ("number", "title", "brand", "goals", "signed_on", "term_start", "term_end")
PARTY_FIELDS = ("organization", "role", "signatory", "liaison", "commitments")


# --- rules shared with the forms ---------------------------------------------------------------------------------


def _check_parties(parties: Sequence[dict]) -> dict[str, list[str]]:
    general, by_row = party_errors(parties)
    errors: dict[str, list[str]] = {}
    if general:
        errors["parties"] = general
    for row in by_row.values():
        for field, messages in row.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def _check_document(document):
    if document is None:
        return None, {}
    try:
        return check_upload(document, allowed=DOCUMENTS, max_bytes=DOCUMENT_MAX_BYTES), {}
    except ValidationError as exc:
        return None, {"document": exc.messages}


def _merge(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def _full_clean(agreement: Agreement, errors: dict[str, list[str]]) -> None:
    """Run the model's own validation and raise everything found so far, field by field."""
    try:
        # The term constraints are already reported under their dates when broken; skip repeating them above the form.
        agreement.full_clean(
            exclude=["document"], validate_constraints=not (errors.get("term_end") or errors.get("signed_on"))
        )
    except ValidationError as exc:
        errors = _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _store_document(agreement: Agreement, checked) -> None:
    # The stored name keeps the uploader's file name (shown again when the scan is opened) but takes the extension
    # of what the content really is; a folder per agreement keeps two scans called 协议.pdf apart.
    stem = get_valid_filename(PurePath(checked.original_name).stem)[:80] or "agreement"
    agreement.document.save(f"{agreement.pk}/{stem}{checked.extension}", checked.file, save=False)


def _write_parties(agreement: Agreement, parties: Sequence[dict], actor) -> None:
    """Make the agreement's parties exactly ``parties``, keeping (and updating) rows of organizations that stay."""
    existing = {party.organization_id: party for party in agreement.parties.all()}
    wanted = {party["organization"].pk for party in parties}
    leaving = [party for org_id, party in existing.items() if org_id not in wanted]
    if leaving:
        # Meetings and items point at organizations, not at party rows: a party with history cannot just leave.
        busy = set(
            agreement.meetings.filter(host_id__in=[p.organization_id for p in leaving]).values_list(
                "host_id", flat=True
            )
        ) | set(
            agreement.action_items.filter(responsible_party_id__in=[p.organization_id for p in leaving]).values_list(
                "responsible_party_id", flat=True
            )
        )
        if busy:
            names = "、".join(p.organization.name for p in leaving if p.organization_id in busy)
            raise ValidationError(
                {
                    "parties": [
                        _("%(orgs)s hosted meetings or own action items under this agreement and cannot be removed.")
                        % {"orgs": names}
                    ]
                }
            )
        for party in leaving:
            party._history_user = actor
            party.delete()
    for data in parties:
        party = existing.get(data["organization"].pk) or AgreementParty(agreement=agreement)
        for field in PARTY_FIELDS:
            if field in data:
                setattr(party, field, data[field])
        party.role = party.role or AgreementParty.Role.PARTNER
        party.full_clean(exclude=["agreement"])
        party._history_user = actor
        party.save()


# --- services ------------------------------------------------------------------------------------------------------


def _agreement_create(
    *,
    actor: AbstractBaseUser,
    number: str,
    title: str,
    parties: Sequence[dict],
    term_start: dt.date,
    term_end: dt.date,
    dimensions: Iterable[Dimension] = (),
    brand: str = "",
    goals: str = "",
    signed_on: dt.date | None = None,
    document=None,
) -> Agreement:
    """Create a draft agreement with its parties, dimensions and (optionally) the signed scan.

    ``parties`` is a list of dicts with ``organization`` and optionally ``role``, ``signatory``, ``liaison`` and
    ``commitments``. Only a secretary or liaison of one of the parties (or an admin) may create it. Refuses a term
    ending before it starts, fewer than two parties, an organization named twice, a liaison who is not a liaison
    officer of that party, and a scan that is not a PDF or image by content or is larger than 10 MB.
    """
    scope = get_scope(actor)
    party_orgs = {party["organization"].pk for party in parties if party.get("organization") is not None}
    if not scope.is_superuser and not party_orgs & scope.org_ids(ROLE_SECRETARY, ROLE_LIAISON):
        raise PermissionDenied(_("You can only record agreements your own organization is a party to."))
    checked, document_errors = _check_document(document)
    agreement = Agreement(
        number=number,
        title=title,
        brand=brand,
        goals=goals,
        signed_on=signed_on,
        term_start=term_start,
        term_end=term_end,
        status=Agreement.Status.DRAFT,
        created_by=actor,
    )
    errors = _merge(term_errors(term_start, term_end, signed_on), _check_parties(parties), document_errors)
    _full_clean(agreement, errors)
    agreement._history_user = actor
    agreement.save()
    agreement.dimensions.set(list(dimensions))
    _write_parties(agreement, parties, actor)
    if checked is not None:
        _store_document(agreement, checked)
        agreement.save(update_fields=["document", "updated_at"])
    # Re-check inside the transaction: the creator must be able to keep the record they just made.
    ensure_editable(actor, agreement)
    return agreement


agreement_create = transaction.atomic(durable=True)(_agreement_create)


def _agreement_update(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    parties: Sequence[dict] | None = None,
    dimensions: Iterable[Dimension] | None = None,
    document=None,
    **fields: Any,
) -> Agreement:
    """Edit a draft or active agreement: its fields (``number``, ``title``, ``brand``, ``goals``, ``signed_on``,
    ``term_start``, ``term_end``), and when given its parties (the full new list), dimensions and signed scan.

    Same rules as ``agreement_create``. A party that hosted meetings or owns action items cannot be removed. The
    editor must still be able to edit the agreement afterwards (a secretary cannot write their own organization out).
    """
    ensure_editable(actor, agreement)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status in CLOSED_STATUSES:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("An expired or terminated agreement is a closed record and cannot be edited.")]}
        )
    for key in AGREEMENT_FIELDS:
        if key in fields:
            setattr(agreement, key, fields[key])
    checked, document_errors = _check_document(document)
    errors = _merge(
        term_errors(agreement.term_start, agreement.term_end, agreement.signed_on),
        _check_parties(parties) if parties is not None else {},
        document_errors,
    )
    _full_clean(agreement, errors)
    if checked is not None:
        _store_document(agreement, checked)
    agreement._history_user = actor
    agreement.save()
    if dimensions is not None:
        agreement.dimensions.set(list(dimensions))
    if parties is not None:
        _write_parties(agreement, parties, actor)
    ensure_editable(actor, agreement)
    return agreement


agreement_update = transaction.atomic(durable=True)(_agreement_update)


def _agreement_attach_document(*, actor: AbstractBaseUser, agreement: Agreement, document) -> Agreement:
    """Attach (or replace) the signed scan: a PDF or image by content, at most 10 MB. Closed records keep theirs."""
    return _agreement_update(actor=actor, agreement=agreement, document=document)


agreement_attach_document = transaction.atomic(durable=True)(_agreement_attach_document)


def _agreement_activate(*, actor: AbstractBaseUser, agreement: Agreement) -> Agreement:
    """Put a draft agreement in force (draft → active). Its term must not be over already."""
    ensure_editable(actor, agreement)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != Agreement.Status.DRAFT:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only a draft agreement can be put in force.")]})
    if agreement.term_end < timezone.localdate():
        raise ValidationError(
            {"term_end": [_("The term of this agreement is already over; renew it or correct the dates.")]}
        )
    if agreement.parties.count() < 2:
        raise ValidationError({"parties": [_("An agreement needs at least two parties.")]})
    agreement.status = Agreement.Status.ACTIVE
    agreement.full_clean()
    agreement._history_user = actor
    agreement.save(update_fields=["status", "updated_at"])
    ensure_editable(actor, agreement)
    return agreement


agreement_activate = transaction.atomic(durable=True)(_agreement_activate)


def _agreement_terminate(
    *, actor: AbstractBaseUser, agreement: Agreement, reason: str, on: dt.date | None = None
) -> Agreement:
    """End a draft or active agreement early, with the reason (required) and the date (default: today)."""
    ensure_editable(actor, agreement)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status not in (Agreement.Status.DRAFT, Agreement.Status.ACTIVE):
        raise ValidationError({NON_FIELD_ERRORS: [_("Only a draft or active agreement can be terminated.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for terminating the agreement.")]})
    agreement.status = Agreement.Status.TERMINATED
    agreement.termination_reason = reason
    agreement.terminated_on = on or timezone.localdate()
    agreement.full_clean()
    agreement._history_user = actor
    agreement.save(update_fields=["status", "termination_reason", "terminated_on", "updated_at"])
    ensure_editable(actor, agreement)
    return agreement


agreement_terminate = transaction.atomic(durable=True)(_agreement_terminate)


def _agreement_renew(
    *,
    actor: AbstractBaseUser,
    agreement: Agreement,
    term_start: dt.date,
    term_end: dt.date,
    number: str,
    title: str | None = None,
    signed_on: dt.date | None = None,
) -> Agreement:
    """Renew an active or expired agreement: a new draft agreement linked to it (``predecessor``), carrying its
    parties (roles, signatories, liaisons, commitments), dimensions, brand and goals over.

    The predecessor stays as it is, or becomes expired when its term is already over. An agreement is renewed once.
    """
    ensure_editable(actor, agreement)
    old = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if old.status not in (Agreement.Status.ACTIVE, Agreement.Status.EXPIRED):
        raise ValidationError({NON_FIELD_ERRORS: [_("Only an active or expired agreement can be renewed.")]})
    if Agreement.objects.filter(predecessor=old).exists():
        raise ValidationError({NON_FIELD_ERRORS: [_("This agreement has already been renewed.")]})
    parties = [
        {field: getattr(party, field) for field in PARTY_FIELDS}
        for party in old.parties.select_related("organization", "liaison")
    ]
    successor = Agreement(
        number=number,
        title=title or old.title,
        brand=old.brand,
        goals=old.goals,
        signed_on=signed_on,
        term_start=term_start,
        term_end=term_end,
        status=Agreement.Status.DRAFT,
        predecessor=old,
        created_by=actor,
    )
    # Liaisons are checked again: someone may have left the liaison role since the first agreement.
    errors = _merge(term_errors(term_start, term_end, signed_on), _check_parties(parties))
    _full_clean(successor, errors)
    successor._history_user = actor
    successor.save()
    successor.dimensions.set(list(old.dimensions.all()))
    _write_parties(successor, parties, actor)
    if old.status == Agreement.Status.ACTIVE and old.term_end < timezone.localdate():
        old.status = Agreement.Status.EXPIRED
        old._history_user = actor
        old.save(update_fields=["status", "updated_at"])
    ensure_editable(actor, successor)
    return successor


agreement_renew = transaction.atomic(durable=True)(_agreement_renew)


@transaction.atomic(durable=True)
def agreements_expire(*, today: dt.date | None = None) -> int:
    """Mark every active agreement whose term ended before ``today`` as expired; return how many changed.

    Set-based (one select, one update, one history insert whatever the number) and idempotent: a second run the
    same day finds nothing. Meant for a daily beat task.
    """
    today = today or timezone.localdate()
    due = list(
        Agreement.objects.select_for_update().filter(status=Agreement.Status.ACTIVE, term_end__lt=today).order_by("pk")
    )
    if not due:
        return 0
    now = timezone.now()
    # The status condition is repeated so a row changed in between (e.g. terminated) is never overwritten.
    changed = Agreement.objects.filter(pk__in=[a.pk for a in due], status=Agreement.Status.ACTIVE).update(
        status=Agreement.Status.EXPIRED, updated_at=now
    )
    for agreement in due:
        agreement.status = Agreement.Status.EXPIRED
        agreement.updated_at = now
    # .update() bypasses simple_history; write the history rows in bulk so the 变更记录 tab shows the expiry.
    Agreement.history.bulk_history_create(due, update=True, default_change_reason="expired", default_date=now)
    return changed
