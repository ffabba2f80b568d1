"""Who may act in the activities app, and the windows and limits its writes and forms enforce.

Predicates (``may_*``) answer for one actor; the 30-day lock on past activities and the closed-agreement states
are written once here for the services, forms, views and pages that check them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import COMMITTEE_KINDS, Activity
from partnerships.models import Agreement, AgreementParty, Member, Organization
from partnerships.rules import checkin_window
from portal.scoping import ROLE_LIAISON, ROLE_REVIEWER, ROLE_SECRETARY, get_scope

# A held or logged activity that ended more than this many days ago is locked: only a superuser may change it.
LOCK_DAYS = 30
# Agreements whose record is closed: no new projects, items or activities after their end under them.
CLOSED_AGREEMENT = (Agreement.Status.EXPIRED, Agreement.Status.TERMINATED)


def is_admin(actor) -> bool:
    return get_scope(actor).is_superuser


def secretary_org_ids(actor) -> set[int]:
    """The organizations where the actor is secretary (who keeps their rosters, activities, posts and teams)."""
    return get_scope(actor).org_ids(ROLE_SECRETARY)


def is_secretary_anywhere(user) -> bool:
    scope = get_scope(user)
    return scope.is_superuser or scope.has_role(ROLE_SECRETARY)


def may_create_activities(actor) -> bool:
    """A secretary of some organization (who leads its activities), or an admin."""
    scope = get_scope(actor)
    return scope.is_superuser or scope.has_role(ROLE_SECRETARY)


def is_locked(activity: Activity, now: dt.datetime | None = None) -> bool:
    """Held or logged (or ended while still marked planned) more than ``LOCK_DAYS`` days ago."""
    now = now or timezone.now()
    return activity.status != Activity.Status.CANCELLED and activity.ends_at < now - dt.timedelta(days=LOCK_DAYS)


def locked_for(actor, activity: Activity, now: dt.datetime | None = None) -> bool:
    """Whether the 30-day lock stops ``actor`` (superusers are never stopped)."""
    return is_locked(activity, now) and not get_scope(actor).is_superuser


def has_started(activity: Activity, now: dt.datetime | None = None) -> bool:
    return activity.starts_at <= (now or timezone.now())


def lock_message() -> str:
    return _("This activity ended more than %(days)s days ago and is locked; only an administrator can change it.") % {
        "days": LOCK_DAYS
    }


def may_plan(actor, agreement: Agreement | None = None) -> bool:
    """A secretary or liaison of a party of ``agreement`` (of any agreement when ``None``), or an admin."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    parties = AgreementParty.objects.filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY, ROLE_LIAISON))
    if agreement is not None:
        parties = parties.filter(agreement=agreement)
    return parties.exists()


def plan_row_errors(rows: Sequence[dict], parties: Sequence[Organization]) -> dict[int, dict[str, list[str]]]:
    """Check plan rows against the agreement's parties; ``{row index: {field: [messages]}}``.

    The service raises these; the rows formset calls the same function so each message lands on its row.
    """
    party_ids = {org.pk for org in parties}
    errors: dict[int, dict[str, list[str]]] = {}

    def add(index: int, field: str, message: str) -> None:
        errors.setdefault(index, {}).setdefault(field, []).append(message)

    for index, row in enumerate(rows):
        if not (row.get("theme") or "").strip():
            add(index, "theme", _("Enter the theme of the activity."))
        month = row.get("month")
        if month is None or not 1 <= int(month) <= 12:
            add(index, "month", _("The planned month is between 1 and 12."))
        if row.get("type") is None:
            add(index, "type", _("Choose the type of activity."))
        lead = row.get("lead")
        if lead is None:
            add(index, "lead", _("Choose the lead unit, or rotate the hosts."))
        elif lead.pk not in party_ids:
            add(index, "lead", _("%(org)s is not a party of the agreement.") % {"org": lead.name})
        co_organizers = list(row.get("co_organizers") or ())
        outsiders = [org.name for org in co_organizers if org.pk not in party_ids]
        if outsiders:
            add(
                index,
                "co_organizers",
                _("%(orgs)s: co-organizing units must be parties of the agreement.") % {"orgs": "、".join(outsiders)},
            )
        if lead is not None and any(org.pk == lead.pk for org in co_organizers):
            add(index, "co_organizers", _("The lead unit cannot also be a co-organizing unit."))
    return errors


def may_create_project(actor, agreement: Agreement | None = None) -> bool:
    """A secretary of a party of the agreement (of any agreement in force or draft when none is given), or an admin."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if agreement is not None and agreement.status in CLOSED_AGREEMENT:
        return False
    if scope.is_superuser:
        return True
    parties = AgreementParty.objects.filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY))
    if agreement is not None:
        return parties.filter(agreement=agreement).exists()
    return parties.exclude(agreement__status__in=CLOSED_AGREEMENT).exists()


def may_add_on_project(user, parties) -> bool:
    """Whether the user keeps a roster under one of the project's parties (so may add posts and teams there)."""
    scope = get_scope(user)
    if scope.is_superuser:
        return True
    ids = sorted(scope.org_ids(ROLE_SECRETARY))
    return bool(ids) and Organization.objects.filter(pk__in=ids).filter(subtree_q(parties)).exists()


def subtree_q(organizations: Iterable[Organization], path_field: str = "path") -> Q:
    """Rows whose organization path lies in the subtree of one of ``organizations`` (the organizations included)."""
    conditions = [Q(**{f"{path_field}__startswith": org.path}) for org in organizations]
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def may_hold_calendar_token(actor) -> bool:
    """Any signed-in, active user may have a personal feed token (the feed shows only what they may see)."""
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active)


def headcount_errors(
    activity: Activity,
    participating: list[int],
    headcounts: Mapping,
    participants: Sequence[Member],
    names: Mapping[int, str],
    groups: Mapping[int, int] | None = None,
) -> tuple[dict[int, int], dict[str, list[str]]]:
    """Normalise headcounts to ``{organization id: n}`` and check them against the named participants.

    ``groups`` maps a party group (党小组) to the participating organization it belongs to: its members count
    towards that organization. Errors about one organization's headcount are keyed ``headcount_<organization id>``
    (the log form's fields).
    """
    errors: dict[str, list[str]] = {}
    counts = _read_headcounts(participating, headcounts, names, errors)
    _check_named(participating, counts, participants, names, errors, groups or {})
    return {org_id: counts[org_id] for org_id in participating if isinstance(counts.get(org_id), int)}, errors


def _read_headcounts(
    participating: list[int], headcounts: Mapping, names: Mapping[int, str], errors: dict[str, list[str]]
) -> dict:
    """``{organization id: headcount}``, each participating organization's count made a whole number when it is one."""
    counts: dict = {}
    for key, value in (headcounts or {}).items():
        org_id = key.pk if isinstance(key, Organization) else int(key)
        counts[org_id] = value
    strangers = set(counts) - set(participating)
    if strangers:
        errors["headcounts"] = [_("Headcounts can only be given for the organizations taking part.")]
    for org_id in participating:
        value = counts.get(org_id)
        field = f"headcount_{org_id}"
        if value is None or value == "":
            errors.setdefault(field, []).append(_("Enter how many people %(org)s sent.") % {"org": names[org_id]})
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            errors.setdefault(field, []).append(_("A headcount is a whole number, 0 or more."))
            continue
        counts[org_id] = value
    return counts


def _check_named(
    participating: list[int],
    counts: Mapping,
    participants: Sequence[Member],
    names: Mapping[int, str],
    errors: dict[str, list[str]],
    groups: Mapping[int, int],
) -> None:
    """Named participants come from the organizations taking part (or their party groups), and no more of them than
    their organization's headcount."""
    homes = {member: groups.get(member.organization_id, member.organization_id) for member in participants}
    outsiders = [member for member, home in homes.items() if home not in participating]
    if outsiders:
        errors["participants"] = [
            _("%(names)s: named participants must be members of an organization taking part.")
            % {"names": "、".join(member.name for member in outsiders)}
        ]
    named = count_named(participants, groups)
    for org_id, count in named.items():
        value = counts.get(org_id)
        if org_id in participating and isinstance(value, int) and value < count:
            errors.setdefault(f"headcount_{org_id}", []).append(
                _("%(org)s: the headcount (%(headcount)s) is below the %(named)s participants named from it.")
                % {"org": names[org_id], "headcount": value, "named": count}
            )


def count_named(participants: Sequence[Member], groups: Mapping[int, int]) -> dict[int, int]:
    """``{participating organization id: named participants}``, a party group's members counted to its branch."""
    named: dict[int, int] = {}
    for member in participants:
        home = groups.get(member.organization_id, member.organization_id)
        named[home] = named.get(home, 0) + 1
    return named


def may_publicize(actor, activity: Activity) -> bool:
    """Whether ``actor`` may turn ``activity`` into a publicity item: its lead's secretary (or an admin), once logged."""
    scope = get_scope(actor)
    if scope.is_anonymous or activity.status != Activity.Status.LOGGED:
        return False
    return scope.is_superuser or activity.lead_id in scope.org_ids(ROLE_SECRETARY)


def may_review_publicity(actor, item) -> bool:
    """The reviewing organization's secretary; for a committee-level one also its reviewers (上级党委) and those
    reviewing above it; admins — never the item's own author. The same rule as ``activities.models.reviewer_q``, for one item."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    if scope.is_superuser:
        return True
    if item.created_by_id == scope.user_id:
        return False  # nobody approves their own report
    org = item.reviewer_org
    if org.pk in scope.org_ids(ROLE_SECRETARY):
        return True
    return org.kind in COMMITTEE_KINDS and (org.pk in scope.org_ids(ROLE_REVIEWER) or scope.reviews_path(org.path))


def may_edit_branch_brand(actor, organization: Organization) -> bool:
    """The branch's secretary (一支部一特色 is the branch's own), its committee's reviewers, or an admin."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    return (
        scope.is_superuser or organization.pk in scope.org_ids(ROLE_SECRETARY) or scope.reviews_path(organization.path)
    )


def may_see_branch_brand(actor, organization: Organization) -> bool:
    """A branch's brand page: its own people (any role), the committees reviewing it, admins."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    return scope.is_superuser or organization.pk in scope.org_ids() or scope.reviews_path(organization.path)


# --- 党建+业务: a key project's milestones and monthly figures ---------------------------------------------------

# A project is 按计划 (on schedule) while its deviation stays within this many days either way; beyond it, 超前
# (ahead, deviation ≤ −7) or 滞后 (behind, deviation ≥ +7). A week is the granularity the monthly figures and the
# weekly site meetings work at: a few days either way is noise, not a status. See
# ``activities.selectors.business.project_deviation`` for how a project's deviation is read from its milestones.
SCHEDULE_TOLERANCE_DAYS = 7


def may_edit_project_business(actor, project) -> bool:
    """The project's branch keeps its milestones and monthly figures: the secretary of the project's responsible
    organization (or an admin). The committee and the other parties read them."""
    scope = get_scope(actor)
    if scope.is_anonymous:
        return False
    return scope.is_superuser or project.owner_id in scope.org_ids(ROLE_SECRETARY)


def activity_checkin_window(activity: Activity) -> tuple[dt.datetime, dt.datetime]:
    """When the activity's check-in page takes check-ins: an hour before it starts until it ends."""
    return checkin_window(activity.starts_at, activity.ends_at)


def may_manage_activity_checkin(actor, activity: Activity) -> bool:
    """Who shows and regenerates an activity's check-in code: who logs it (the lead's secretary, or an admin)."""
    return Activity.objects.editable_by(actor).filter(pk=activity.pk).exists()
