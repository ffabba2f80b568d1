"""Writes of self-assessment (自评), review (评审) and publishing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_update_with_history

from assessments import reminders
from assessments.models import IndicatorScore, QuarterRollup, Review, SelfAssessment, SelfAssessmentAttachment
from assessments.rules import (
    ATTACHMENT_MAX_TOTAL,
    MANUAL,
    PUBLISH_ALL_LIMIT,
    TENTH,
    check_attachments,
    locked_message,
    may_request_rollup,
    may_self_assess,
    self_assessment_window,
)
from assessments.scoring import final_points_of
from assessments.selectors.review import missing_review_points
from assessments.selectors.review_queue import reviewed_results, state_conditions
from assessments.services.rollup_totals import rollup_totals_refresh
from portal.scoping import ensure_editable, get_scope
from portal.uploads import CheckedUpload


def _lock_rollup(rollup: QuarterRollup) -> QuarterRollup:
    locked = QuarterRollup.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=rollup.pk)
    if locked.status == QuarterRollup.Status.PUBLISHED:
        raise ValidationError(locked_message(), code="locked")
    return locked


def _points_value(raw, *, key: str, maximum: Decimal, errors: dict) -> Decimal | None:
    """A manual score: empty → None; otherwise a number with at most one decimal between 0 and ``maximum``."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        errors[key] = _("Enter a number.")
        return None
    if not value.is_finite():
        errors[key] = _("Enter a number.")
        return None
    if value != value.quantize(TENTH):
        errors[key] = _("Use at most one decimal place.")
    elif not Decimal(0) <= value <= maximum:
        errors[key] = _("Enter a score between 0 and %(max)s.") % {"max": maximum}
    return value


def _scores(rollup: QuarterRollup) -> dict[int, IndicatorScore]:
    return {
        s.indicator_id: s
        for s in IndicatorScore.objects.select_for_update().filter(rollup=rollup).select_related("indicator")
    }


def _save_score(score: IndicatorScore, actor, fields: list[str]) -> None:
    score.final_points = final_points_of(
        score.indicator,
        points=score.points,
        self_points=score.self_points,
        review_points=score.review_points,
        adjustment=score.adjustment,
    )
    score.full_clean(exclude=["rollup", "indicator"], validate_unique=False)
    score._history_user = actor
    score.save(update_fields=[*fields, "final_points"])


def _store_attachments(sa: SelfAssessment, checked: list[CheckedUpload], actor) -> list[SelfAssessmentAttachment]:
    stored = []
    for upload in checked:
        attachment = SelfAssessmentAttachment(
            self_assessment=sa,
            original_name=(upload.original_name or "file")[-200:],
            content_type=upload.content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        upload.file.seek(0)
        # The stored name is ours (random, with the extension the content proved); the user's name is kept as data.
        attachment.file.save(f"{uuid.uuid4().hex}{upload.extension}", upload.file, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _self_assessment_for(rollup: QuarterRollup, actor) -> SelfAssessment:
    sa = SelfAssessment.objects.select_for_update().filter(rollup=rollup).first()
    if sa is None:
        sa = SelfAssessment(rollup=rollup)
        sa._history_user = actor
        sa.save()
    return sa


@transaction.atomic(durable=True)
def self_assessment_save(
    *,
    actor,
    rollup: QuarterRollup,
    narrative: str,
    self_points: dict,
    attachments: Sequence = (),
    submit: bool = False,
) -> SelfAssessment:
    """Save the self-assessment's draft — narrative, self scores ``{indicator_id: value or None}`` on the manual
    indicators, new attachments — and, with ``submit``, hand it in (one transaction either way)."""
    return _self_assessment_write(
        actor=actor, rollup=rollup, narrative=narrative, self_points=self_points, attachments=attachments, submit=submit
    )


def _manual_points(scores: dict[int, IndicatorScore], raw_points: dict | None, *, prefix: str, errors: dict) -> dict:
    """Points given on manual indicators, checked: ``{indicator id: value or None}``; problems under
    ``<prefix>_<indicator id>``."""
    wrong_source = {
        "self": _("Self scores are given only on manual indicators."),
        "review": _("Reviewer's points are given only on manual indicators."),
    }[prefix]
    values: dict[int, Decimal | None] = {}
    for indicator_id, raw in (raw_points or {}).items():
        score = scores.get(int(indicator_id))
        key = f"{prefix}_{indicator_id}"
        if score is None:
            errors[key] = _("This indicator is not part of the result.")
        elif score.indicator.source != MANUAL:
            errors[key] = wrong_source
        else:
            values[score.indicator_id] = _points_value(raw, key=key, maximum=score.indicator.points, errors=errors)
    return values


def _submit_errors(scores: dict[int, IndicatorScore], values: dict, narrative: str, errors: dict) -> None:
    """Handing in needs a narrative and a self score on every manual indicator."""
    if not narrative:
        errors["narrative"] = _("Write the self-assessment before submitting it.")
    for indicator_id, score in scores.items():
        if score.indicator.source == MANUAL and values.get(indicator_id, score.self_points) is None:
            errors.setdefault(f"self_{indicator_id}", _("Give a self score before submitting."))


def _checked_attachments(sa: SelfAssessment, attachments: Sequence, errors: dict) -> list[CheckedUpload]:
    checked = []
    try:
        checked = check_attachments(attachments)
    except ValidationError as exc:
        errors["attachments"] = exc.message_dict["attachments"]
    if checked and sa.attachments.count() + len(checked) > ATTACHMENT_MAX_TOTAL:
        errors["attachments"] = _("A self-assessment has at most %(n)s attachments.") % {"n": ATTACHMENT_MAX_TOTAL}
    return checked


def _self_assessment_write(*, actor, rollup, narrative, self_points, attachments, submit) -> SelfAssessment:
    if not may_self_assess(actor, rollup):
        raise PermissionDenied
    rollup = _lock_rollup(rollup)
    opens_on, _due = self_assessment_window(rollup.year, rollup.quarter)
    if timezone.localdate() < opens_on:
        raise ValidationError(
            _("The self-assessment of this quarter opens on %(date)s.") % {"date": opens_on.isoformat()},
            code="not_open",
        )
    sa = _self_assessment_for(rollup, actor)
    if sa.status == SelfAssessment.Status.SUBMITTED:
        raise ValidationError(
            _("The self-assessment has been submitted; the reviewer may return it for changes."), code="submitted"
        )
    scores = _scores(rollup)
    narrative = (narrative or "").strip()
    errors: dict[str, str] = {}
    values = _manual_points(scores, self_points, prefix="self", errors=errors)
    if submit:
        _submit_errors(scores, values, narrative, errors)
    checked = _checked_attachments(sa, attachments, errors)
    if errors:
        raise ValidationError(errors)

    for indicator_id, value in values.items():
        score = scores[indicator_id]
        if score.self_points != value:
            score.self_points = value
            _save_score(score, actor, ["self_points"])
    sa.narrative = narrative
    fields = ["narrative", "updated_at"]
    if submit:
        sa.status = SelfAssessment.Status.SUBMITTED
        sa.submitted_at = timezone.now()
        sa.submitted_by = actor
        fields += ["status", "submitted_at", "submitted_by"]
    elif sa.status == SelfAssessment.Status.RETURNED:
        pass  # a returned one stays "returned" (with its reason shown) until it is submitted again
    sa._history_user = actor
    sa.full_clean(exclude=["rollup"], validate_unique=False)
    sa.save(update_fields=fields)
    _store_attachments(sa, checked, actor)
    rollup_totals_refresh([rollup.pk])
    if not may_self_assess(actor, rollup):
        raise PermissionDenied
    return sa


@transaction.atomic(durable=True)
def self_assessment_submit(*, actor, rollup: QuarterRollup) -> SelfAssessment:
    """Hand in the self-assessment as it stands (a narrative and every manual indicator's self score are needed)."""
    sa = SelfAssessment.objects.filter(rollup=rollup).first()
    return _self_assessment_write(
        actor=actor, rollup=rollup, narrative=sa.narrative if sa else "", self_points={}, attachments=(), submit=True
    )


@transaction.atomic(durable=True)
def self_assessment_attachment_delete(*, actor, attachment: SelfAssessmentAttachment) -> None:
    """Remove an attachment from a self-assessment still being drafted; the file goes after commit."""
    sa = attachment.self_assessment
    if not may_self_assess(actor, sa.rollup):
        raise PermissionDenied
    _lock_rollup(sa.rollup)
    if SelfAssessment.objects.get(pk=sa.pk).status == SelfAssessment.Status.SUBMITTED:
        raise ValidationError(_("The self-assessment has been submitted; its attachments can no longer change."))
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic(durable=True)
def self_assessment_return(*, actor, rollup: QuarterRollup, reason: str) -> SelfAssessment:
    """The reviewer sends a submitted self-assessment back with a reason; the authors may change and resubmit it."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    sa = SelfAssessment.objects.select_for_update().filter(rollup=rollup).first()
    if sa is None or sa.status != SelfAssessment.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted self-assessment can be returned."), code="state")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what should be changed.")}, code="required")
    sa.status = SelfAssessment.Status.RETURNED
    sa.return_reason = reason
    sa.returned_at = timezone.now()
    sa._history_user = actor
    sa.save(update_fields=["status", "return_reason", "returned_at", "updated_at"])
    ensure_editable(actor, rollup)
    return sa


def _adjustment_value(raw, *, key: str, errors: dict) -> Decimal | None:
    """An adjustment: empty → 0; otherwise a number with at most one decimal (None when it is not)."""
    try:
        value = Decimal(str(raw)) if raw not in (None, "") else Decimal(0)
        if not value.is_finite():
            raise ArithmeticError
    except ArithmeticError:
        errors[key] = _("Enter a number.")
        return None
    if value != value.quantize(TENTH):
        errors[key] = _("Use at most one decimal place.")
        return None
    return value


def _adjustment_changes(scores: dict[int, IndicatorScore], adjustments: dict | None, changes, errors) -> None:
    for indicator_id, (raw, reason) in (adjustments or {}).items():
        score = scores.get(int(indicator_id))
        key = f"adjust_{indicator_id}"
        if score is None:
            errors[key] = _("This indicator is not part of the result.")
            continue
        reason = (reason or "").strip()
        value = _adjustment_value(raw, key=key, errors=errors)
        if value is None:
            continue
        if value and not reason:
            errors[f"reason_{indicator_id}"] = _("An adjustment needs a reason.")
        changes.setdefault(score.indicator_id, {}).update(adjustment=value, adjustment_reason=reason if value else "")


def _limit_errors(scores: dict[int, IndicatorScore], changes: dict, errors: dict) -> None:
    """The resulting points of every changed indicator stay within ±its full points."""
    for indicator_id, fields in changes.items():
        score = scores[indicator_id]
        if f"adjust_{indicator_id}" in errors or f"review_{indicator_id}" in errors:
            continue
        result = final_points_of(
            score.indicator,
            points=score.points,
            self_points=score.self_points,
            review_points=fields.get("review_points", score.review_points),
            adjustment=fields.get("adjustment", score.adjustment),
        )
        limit = score.indicator.points
        if not -limit <= result <= limit:
            errors[f"adjust_{indicator_id}"] = _(
                "With this adjustment the indicator would count %(result)s; keep it between -%(max)s and %(max)s."
            ) % {"result": result, "max": limit}


@transaction.atomic(durable=True)
def review_save(
    *,
    actor,
    rollup: QuarterRollup,
    review_points: dict,
    adjustments: dict,
    highlights: str,
    weaknesses: str,
) -> Review:
    """The reviewer's scores and comments: ``review_points`` ``{indicator_id: value or None}`` on manual indicators,
    ``adjustments`` ``{indicator_id: (value, reason)}`` on any indicator (a non-zero one needs a reason and keeps
    the indicator's points within ±its full points), 闪光点 and 薄弱点."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    scores = _scores(rollup)
    errors: dict[str, str] = {}
    changes: dict[int, dict] = {}
    for indicator_id, value in _manual_points(scores, review_points, prefix="review", errors=errors).items():
        changes.setdefault(indicator_id, {})["review_points"] = value
    _adjustment_changes(scores, adjustments, changes, errors)
    _limit_errors(scores, changes, errors)
    if errors:
        raise ValidationError(errors)

    for indicator_id, fields in changes.items():
        score = scores[indicator_id]
        changed = [name for name, value in fields.items() if getattr(score, name) != value]
        if changed:
            for name in changed:
                setattr(score, name, fields[name])
            _save_score(score, actor, changed)
    review = Review.objects.select_for_update().filter(rollup=rollup).first() or Review(rollup=rollup)
    review.highlights = (highlights or "").strip()
    review.weaknesses = (weaknesses or "").strip()
    review.reviewer = actor
    review.reviewed_at = timezone.now()
    review._history_user = actor
    review.save()
    rollup_totals_refresh([rollup.pk])
    ensure_editable(actor, rollup)
    return review


def _publish(actor, rollup: QuarterRollup, now: dt.datetime) -> None:
    if rollup.status != QuarterRollup.Status.FINAL:
        raise ValidationError(
            _("Only a closed quarter's final result can be published; compute the quarter final first."),
            code="not_final",
        )
    missing = missing_review_points(rollup)
    if missing:
        raise ValidationError(
            _("Score every manual indicator before publishing; missing: %(names)s.")
            % {"names": "、".join(i.name for i in missing)},
            code="unscored",
        )
    rollup.status = QuarterRollup.Status.PUBLISHED
    rollup._history_user = actor
    rollup.save(update_fields=["status"])
    review = Review.objects.select_for_update().filter(rollup=rollup).first() or Review(rollup=rollup, reviewer=actor)
    review.published_at = now
    review.published_by = actor
    review._history_user = actor
    review.save()


def _after_publish(rollup_ids: list[int]) -> None:
    """The notices, as rows in the publication's own transaction: a down broker cannot lose or fail them."""

    reminders.notify_published(rollup_ids)


@transaction.atomic(durable=True)
def rollup_publish(*, actor, rollup: QuarterRollup) -> QuarterRollup:
    """Publish a reviewed final result: it is locked from now on and its subject's people are notified."""
    ensure_editable(actor, rollup)
    rollup = _lock_rollup(rollup)
    _publish(actor, rollup, timezone.now())
    ensure_editable(actor, rollup)
    _after_publish([rollup.pk])
    return rollup


@transaction.atomic(durable=True)
def rollup_publish_quarter(*, actor, year: int, quarter: int) -> dict:
    """Publish every result of a quarter in the reviewer's subtree that is final and fully scored; the others are
    left as they are and counted."""
    if not may_request_rollup(actor):
        raise PermissionDenied
    now = timezone.now()
    candidates = list(
        QuarterRollup.objects.editable_by(actor)
        .filter(year=year, quarter=quarter, status=QuarterRollup.Status.FINAL)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    published, skipped = [], 0
    for rollup in candidates:
        try:
            _publish(actor, rollup, now)
        except ValidationError:
            skipped += 1
            continue
        published.append(rollup.pk)
    if published:
        _after_publish(published)
    return {"published": len(published), "skipped": skipped}


def stale_list_message(changed: int) -> str:
    return ngettext(
        "The list has changed since it was shown: %(n)s result is no longer ready to publish. Nothing was "
        "published; check the list again.",
        "The list has changed since it was shown: %(n)s results are no longer ready to publish. Nothing was "
        "published; check the list again.",
        changed,
    ) % {"n": changed}


@transaction.atomic(durable=True)
def rollup_publish_listed(*, actor, rollup_ids: Sequence[int]) -> list[int]:
    """ "Publish all reviewed": publish exactly the results listed on the confirmation page (``rollup_ids``), all or
    none. Each is re-checked under lock in this transaction — in the actor's scope, final, reviewed, every manual
    indicator scored, not published — and a list that no longer holds (someone published, returned or changed one
    meanwhile) is refused whole with ``code="stale"``. Set-based: a fixed number of statements for the whole list."""
    if not may_request_rollup(actor):
        raise PermissionDenied
    ids = sorted({int(pk) for pk in rollup_ids})
    if not ids:
        raise ValidationError(_("There is nothing to publish."), code="empty")
    if len(ids) > PUBLISH_ALL_LIMIT:
        raise ValidationError(_("Publish at most %(n)s results at a time.") % {"n": PUBLISH_ALL_LIMIT}, code="too_many")
    locked = list(QuarterRollup.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    ready = set(
        reviewed_results(actor)
        .filter(pk__in=ids, status=QuarterRollup.Status.FINAL)
        .filter(state_conditions()["reviewed"])
        .values_list("pk", flat=True)
    )
    if ready != set(ids) or len(locked) != len(ids):
        raise ValidationError(stale_list_message(len(set(ids) - ready)), code="stale")
    now = timezone.now()
    for rollup in locked:
        rollup.status = QuarterRollup.Status.PUBLISHED
    bulk_update_with_history(locked, QuarterRollup, ["status"], default_user=actor, default_date=now)
    reviews = list(Review.objects.select_for_update().filter(rollup_id__in=ids).order_by("pk"))
    for review in reviews:
        review.published_at, review.published_by = now, actor
    bulk_update_with_history(reviews, Review, ["published_at", "published_by"], default_user=actor, default_date=now)
    _after_publish(ids)
    return ids


@transaction.atomic(durable=True)
def rollup_unpublish(*, actor, rollup: QuarterRollup) -> QuarterRollup:
    """Admins only: reopen a published result (back to final) to correct it; it must be published again."""
    if not get_scope(actor).is_superuser:
        raise PermissionDenied
    rollup = QuarterRollup.objects.select_for_update().get(pk=rollup.pk)
    if rollup.status != QuarterRollup.Status.PUBLISHED:
        raise ValidationError(_("This result is not published."), code="state")
    rollup.status = QuarterRollup.Status.FINAL
    rollup._history_user = actor
    rollup.save(update_fields=["status"])
    review = Review.objects.filter(rollup=rollup).first()
    if review:
        review.published_at = None
        review.published_by = None
        review._history_user = actor
        review.save(update_fields=["published_at", "published_by"])
    return rollup
