"""What a sweep owes each group robot: which organizations' groups hear of which reminder (the deliveries planned
from the reminders' candidates, ``plan`` / ``plan_events``), and how one robot's due rows go out within its pace —
one message each, or digests, at most ``WEBHOOK_POSTS_PER_MINUTE`` per rolling minute (``plan_posts``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Value, When
from django.utils import translation
from django.utils.translation import ngettext

from portal import reminders
from portal.models import Membership, WebhookDelivery, WebhookEndpoint
from portal.scoping import ROLE_REVIEWER, UserScope
from portal.webhooks.client import MAX_MARKDOWN_BYTES, render_markdown, truncate_bytes

TEST_KIND = "webhook.test"  # a test message from the robot's page: posted alone, never retried


# --- which robots hear of which reminder (called by portal.sweep) ------------------------------------------------------------------


def _org_scope(org_id: int, roles: Iterable[str], path: str) -> UserScope:
    """What an organization's people, with the roles the recipients hold there, may see."""
    roles = frozenset(roles)
    return UserScope(user_id=0, roles={org_id: roles}, reviewer_paths=(path,) if ROLE_REVIEWER in roles else ())


def _organizations(found: dict[str, list], endpoint_orgs: set[int]) -> dict[tuple, set[int]]:
    """For every candidate, the organizations (among those with a robot) whose groups hear of it.

    One query for the recipients' memberships, then one per kind of object reminded for the visibility check.
    """
    result: dict[tuple, set[int]] = {}
    derived: list[tuple[tuple, object, list]] = []
    for kind, items in found.items():
        for target_type, candidate in items:
            key = (kind, target_type.pk, candidate.target.pk, candidate.occurrence)
            explicit = getattr(candidate, "organizations", None)
            if explicit is not None:
                result[key] = {getattr(org, "pk", org) for org in explicit} & endpoint_orgs
            else:
                derived.append((key, candidate.target, candidate.recipients))
    if derived:
        result.update(_recipients_organizations(derived, endpoint_orgs))
    return result


def _recipients_organizations(
    derived: list[tuple[tuple, object, list]], endpoint_orgs: set[int]
) -> dict[tuple, set[int]]:
    """The organizations (among those with a robot) where the recipients hold a role, kept only where the
    organization may see the reminded object."""
    user_orgs, org_roles, org_paths = _memberships(derived, endpoint_orgs)
    result: dict[tuple, set[int]] = {}
    wanted: dict[type, dict[int, set[int]]] = {}  # model -> target id -> org ids
    for key, target, recipients in derived:
        orgs = set().union(*(user_orgs.get(user.pk, set()) for user in recipients))
        result[key] = orgs
        if orgs:
            wanted.setdefault(type(target), {}).setdefault(target.pk, set()).update(orgs)
    for model, targets in wanted.items():
        if not hasattr(model, "scope_visible_q"):
            continue  # a model without scope rules: the recipients' organizations stand
        visible = _visible_to(model, targets, org_roles, org_paths)
        for key, target, _recipients in derived:
            if type(target) is model:
                result[key] &= visible.get(target.pk, set())
    return result


def _memberships(derived: list[tuple[tuple, object, list]], endpoint_orgs: set[int]):
    """In one query: each recipient's organizations, and the roles and path of each organization concerned."""
    user_ids = {user.pk for _key, _target, recipients in derived for user in recipients}
    user_orgs: dict[int, set[int]] = {}
    org_roles: dict[int, set[str]] = {}
    org_paths: dict[int, str] = {}
    memberships = Membership.objects.filter(user_id__in=user_ids, organization_id__in=endpoint_orgs).values_list(
        "user_id", "organization_id", "role", "organization__path"
    )
    for user_id, org_id, role, path in memberships:
        user_orgs.setdefault(user_id, set()).add(org_id)
        org_roles.setdefault(org_id, set()).add(role)
        org_paths[org_id] = path
    return user_orgs, org_roles, org_paths


def _visible_to(model, targets: dict[int, set[int]], org_roles, org_paths) -> dict[int, set[int]]:
    """Which of those organizations may see each object: one query per model, a flag per organization."""
    orgs = sorted(set().union(*targets.values()))
    flags = {}
    for org in orgs:
        condition = model.scope_visible_q(_org_scope(org, org_roles[org], org_paths[org]))
        flags[f"org_{org}"] = (
            Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
            if condition
            else Value(True)  # an empty Q: everyone may see these objects
        )
    visible: dict[int, set[int]] = {}
    for row in model._default_manager.filter(pk__in=list(targets)).annotate(**flags).values("pk", *flags):
        visible[row["pk"]] = {org for org in orgs if row[f"org_{org}"]}
    return visible


def _wanted(found: dict[str, list]) -> dict[tuple, WebhookDelivery]:
    """The deliveries the candidates call for, keyed by (robot, kind, object type, object, occurrence)."""
    endpoints = list(WebhookEndpoint.objects.filter(enabled=True).only("pk", "organization_id", "kinds"))
    wanted: dict[tuple, WebhookDelivery] = {}
    if not endpoints or not any(found.values()):
        return wanted
    by_org: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_org.setdefault(endpoint.organization_id, []).append(endpoint)
    orgs_for = _organizations(found, set(by_org))
    with translation.override(settings.LANGUAGE_CODE):
        for kind, items in found.items():
            label = str(reminders.label_for(kind))
            for target_type, candidate in items:
                orgs = orgs_for.get((kind, target_type.pk, candidate.target.pk, candidate.occurrence), ())
                markdown = None
                for org in sorted(orgs):
                    for endpoint in by_org[org]:
                        if not endpoint.posts_kind(kind):
                            continue
                        key = (endpoint.pk, kind, target_type.pk, candidate.target.pk, candidate.occurrence)
                        if markdown is None:
                            markdown = render_markdown(
                                title=str(candidate.title), label=label, body=str(candidate.body), link=candidate.url
                            )
                        wanted[key] = WebhookDelivery(
                            endpoint_id=endpoint.pk,
                            kind=kind,
                            target_type=target_type,
                            target_id=candidate.target.pk,
                            occurrence=candidate.occurrence,
                            title=str(candidate.title)[:200],
                            body=markdown,
                            due_at=candidate.due_at,
                        )
    return wanted


def _insert_new(new: list[WebhookDelivery]) -> int:
    """Insert deliveries; rows sent or cancelled before are skipped by the unique constraint and not counted."""
    if not new:
        return 0
    existing = set(
        WebhookDelivery.objects.filter(
            endpoint_id__in={row.endpoint_id for row in new}, target_id__in={row.target_id for row in new}
        ).values_list("endpoint_id", "kind", "target_type_id", "target_id", "occurrence")
    )
    new = [
        row
        for row in new
        if (row.endpoint_id, row.kind, row.target_type_id, row.target_id, row.occurrence) not in existing
    ]
    if not new:
        return 0
    return len(WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=500))


def plan_events(found: dict[str, list]) -> int:
    """The deliveries of event notices (portal.sweep.notify_event): inserted once, never cancelled by planning."""
    return _insert_new(list(_wanted(found).values()))


def plan(found: dict[str, list], now: dt.datetime) -> dict[str, int]:
    """Create the deliveries for the current candidates and cancel the pending ones that no longer are.

    ``found`` maps every timed kind to its current ``(ContentType, Candidate)`` pairs (empty when the rule is off);
    pending deliveries of other kinds (event notices, test messages) are not this step's to cancel. A constant
    number of queries however many candidates and robots.
    """
    pending = {
        tuple(row[1:]): row[0]
        for row in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, kind__in=list(found))
        .exclude(kind=TEST_KIND)
        .values_list("pk", "endpoint_id", "kind", "target_type_id", "target_id", "occurrence")
    }
    wanted = _wanted(found)
    cancelled = created = 0
    stale = [pk for key, pk in pending.items() if key not in wanted]
    if stale:
        cancelled = WebhookDelivery.objects.filter(pk__in=stale, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.CANCELLED, claim_token=""
        )
    created = _insert_new([row for key, row in wanted.items() if key not in pending])
    return {"created": created, "cancelled": cancelled}


# --- pacing: the messages a robot's rows go out as ---------------------------------------------------------------


PACING_WINDOW = dt.timedelta(minutes=1)


def _footer() -> str:
    return f"\n\n—— {settings.SITE_NAME}"


def _section(row: WebhookDelivery) -> str:
    """A row's message without the site's name at its end (a digest signs once, at the bottom)."""
    footer = _footer()
    return row.body[: -len(footer)] if row.body.endswith(footer) else row.body


def digest_markdown(rows: list[WebhookDelivery]) -> str:
    """Several reminders in one message: a heading with their number, each reminder's message, the site's name."""
    with translation.override(settings.LANGUAGE_CODE):
        heading = ngettext("## %(count)s reminder", "## %(count)s reminders", len(rows)) % {"count": len(rows)}
    return "\n\n".join([heading, *(_section(row) for row in rows)]) + _footer()


def digest_title(rows: list[WebhookDelivery]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext("%(count)s reminder", "%(count)s reminders", len(rows)) % {"count": len(rows)}


def pack(rows: list[WebhookDelivery], budget: int) -> list[list[WebhookDelivery]]:
    """The messages one robot's rows go out as, in order: one per row when they fit in ``budget`` posts; otherwise
    digests, each as full as ``MAX_MARKDOWN_BYTES`` allows (a row too big to share a message goes alone). A test
    message always goes alone. The caller posts the first ``budget`` messages and defers the rest."""
    if len(rows) <= budget:
        return [[row] for row in rows]
    messages: list[list[WebhookDelivery]] = []
    current: list[WebhookDelivery] = []
    size = 0
    fixed = len(digest_markdown([]).encode()) + 8  # heading and footer; a longer count adds a few bytes
    for row in rows:
        if row.kind == TEST_KIND:
            messages.append([row])
            continue
        section = len(_section(row).encode()) + 2
        if current and size + section > MAX_MARKDOWN_BYTES:
            messages.append(current)
            current, size = [], fixed
        if not current:
            size = fixed
        current.append(row)
        size += section
    if current:
        messages.append(current)
    return messages


def as_message(rows: list[WebhookDelivery]) -> tuple[str, str]:
    """(title, markdown) of one message: a single row as it was planned, several as a digest."""
    if len(rows) == 1:
        return rows[0].title, rows[0].body
    markdown = digest_markdown(rows)
    if len(markdown.encode()) > MAX_MARKDOWN_BYTES:  # only a row that could not share: pack() sends those alone
        markdown = truncate_bytes(markdown, MAX_MARKDOWN_BYTES)
    return digest_title(rows), markdown


def _parse_times(values) -> list[dt.datetime]:
    times = []
    for value in values or ():
        try:
            times.append(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return times


def plan_posts(
    endpoint_id: int, rows: list[WebhookDelivery], now: dt.datetime
) -> tuple[list[list[WebhookDelivery]], int, dt.datetime]:
    """The messages a robot's rows go out as (``pack``), how many of them it may post now, and when its next post
    frees. At most ``WEBHOOK_POSTS_PER_MINUTE`` per rolling minute ending at ``now``, counted across sweeps and
    workers: the robot's row is locked while its recent post times are read and the granted ones added."""
    limit = settings.WEBHOOK_POSTS_PER_MINUTE
    with transaction.atomic():
        stored = _parse_times(
            WebhookEndpoint.objects.select_for_update()
            .filter(pk=endpoint_id)
            .values_list("recent_posts", flat=True)
            .first()
        )
        # Posts stamped after ``now`` (a worker whose clock is ahead) still count.
        taken = sorted(t for t in stored if t > now - PACING_WINDOW)
        free = max(limit - len(taken), 0)
        messages = pack(rows, free)
        granted = min(len(messages), free)
        if granted or len(taken) != len(stored):
            taken = sorted(taken + [now] * granted)
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(recent_posts=[t.isoformat() for t in taken])
    frees_at = taken[-limit] + PACING_WINDOW if len(taken) >= limit else now
    return messages, granted, frees_at
