"""Writes owned by the portal: memberships and background-job bookkeeping."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal import exports, housekeeping_files
from portal.models import Membership, TaskRun
from portal.scoping import forget_scope

HOUSEKEEPING = "housekeeping"


@transaction.atomic(durable=True)
def membership_grant(*, actor, user, organization, role: str) -> Membership:
    """Give ``user`` a role in ``organization`` (admins only); idempotent."""
    if not actor.is_superuser:
        raise PermissionDenied
    membership, _created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    forget_scope(user)
    return membership


@transaction.atomic(durable=True)
def housekeeping_request(*, actor) -> TaskRun:
    """Queue a housekeeping run now (admins), recorded as queued; the task is sent after commit."""
    from portal.tasks import housekeeping  # noqa: PLC0415 (a service queueing its own task: the task calls services)

    if not actor.is_superuser:
        raise PermissionDenied
    run, _created = TaskRun.objects.get_or_create(name=HOUSEKEEPING)
    run.status = TaskRun.Status.QUEUED
    run.queued_at = timezone.now()
    run.save(update_fields=["status", "queued_at"])
    housekeeping.delay_on_commit()
    return run


def housekeeping_run(*, now=None) -> dict:
    """Nightly clean-up: expired sessions, stale login-failure records, inactive-user memberships, and uploaded
    files no row references any more (``portal.housekeeping_files``).

    Records its start and result in ``TaskRun`` so the admin's 工作台 shows when it last ran.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        run, _created = TaskRun.objects.select_for_update().get_or_create(name=HOUSEKEEPING)
        run.status = TaskRun.Status.RUNNING
        run.started_at = now
        run.save(update_fields=["status", "started_at"])
    summary: dict[str, int] = {}
    try:
        with transaction.atomic(durable=True):
            summary["expired_sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
            cutoff = now - timedelta(hours=settings.AXES_COOLOFF_TIME)
            summary["stale_login_failures"] = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
            summary["inactive_user_memberships"] = Membership.objects.filter(
                user__in=get_user_model().objects.filter(is_active=False)
            ).delete()[0]
            summary["expired_temporary_uploads"] = housekeeping_files.expire_temporary_rows(now=now)
        # Files are not transactional: swept after the database work, outside any transaction.
        summary["orphan_files_removed"] = housekeeping_files.remove_orphaned_files(now=now)
        summary["expired_exports_removed"] = exports.remove_expired(now=now)
    except Exception:
        TaskRun.objects.filter(name=HOUSEKEEPING).update(status=TaskRun.Status.FAILED, finished_at=timezone.now())
        raise
    TaskRun.objects.filter(name=HOUSEKEEPING).update(
        status=TaskRun.Status.DONE, finished_at=timezone.now(), summary=summary, run_count=F("run_count") + 1
    )
    return summary
