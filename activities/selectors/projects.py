"""Composed reads of key projects, zones, checks, pioneer posts and teams: each page's rows in a fixed number of
queries, whatever the number of zones, claims, checks, posts or teams."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import ceil

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import (
    KeyProject,
    PioneerPost,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
)
from activities.rules import CLOSED_AGREEMENT, is_admin, secretary_org_ids, subtree_q
from partnerships.models import Agreement, AgreementParty, Member, Organization
from portal.queries import correlated_count
from portal.scoping import ROLE_SECRETARY, get_scope

# A finding still to be fixed: something was found and no fix date recorded.
OPEN_FINDING = Q(fixed_on__isnull=True) & ~Q(category=ZoneCheck.Category.NONE)
# The publicity board must fit one A4 landscape page. Its type shrinks (CSS classes chosen here) when the taller of
# its two columns — the members table, or the area and pledges — runs past these many lines: more than ten members
# always do. A board is read from a few steps away, so the large type is kept while it fits.
BOARD_DENSE_LINES = 11
BOARD_XDENSE_LINES = 20


def with_project_figures(queryset: QuerySet[KeyProject]) -> QuerySet[KeyProject]:
    """Annotate ``zone_count``, ``member_count`` (distinct claiming members) and ``open_findings``."""
    project = OuterRef("pk")
    return queryset.annotate(
        zone_count=correlated_count(ResponsibilityZone.objects.filter(project=project), "project_id"),
        member_count=correlated_count(
            ZoneAssignment.objects.filter(zone__project=project), "zone__project_id", "member_id"
        ),
        open_findings=correlated_count(
            ZoneCheck.objects.filter(OPEN_FINDING, zone__project=project), "zone__project_id"
        ),
    )


def project_list(user) -> QuerySet[KeyProject]:
    """The projects the user may see, with agreement and owner joined and the zone / member / finding figures."""
    return with_project_figures(KeyProject.objects.visible_to(user).select_related("agreement", "owner")).order_by(
        "name", "pk"
    )


def creatable_agreements(user) -> QuerySet[Agreement]:
    """Agreements (draft or in force) under which the user may record a key project."""
    scope = get_scope(user)
    agreements = Agreement.objects.filter(status__in=(Agreement.Status.DRAFT, Agreement.Status.ACTIVE))
    if scope.is_superuser:
        return agreements.order_by("-term_start", "-pk")
    parties = AgreementParty.objects.filter(scope.in_orgs_q("organization_id", ROLE_SECRETARY))
    return agreements.filter(pk__in=parties.values("agreement_id")).order_by("-term_start", "-pk")


# --- members grouped by party -------------------------------------------------------------------------------------


@dataclass
class PartyGroup:
    """The claims of one party (its own roster and its sub-organizations'); ``party`` is None for anyone else."""

    party: Organization | None
    rows: list = field(default_factory=list)


def group_by_party(rows, parties: list[Organization], member=lambda row: row.member) -> list[PartyGroup]:
    """Group claims (or team memberships) by the party their member belongs to, in the agreement's party order."""
    groups = {party.pk: PartyGroup(party) for party in parties}
    others = PartyGroup(None)
    for row in rows:
        party = party_for(member(row).organization, parties)
        (groups[party.pk] if party else others).rows.append(row)
    result = [group for group in groups.values() if group.rows]
    if others.rows:
        result.append(others)
    return result


def _assignments_prefetch() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=ZoneAssignment.objects.select_related("member__organization").order_by("role", "pk"),
    )


def _mark_overdue(checks, today: dt.date) -> list[ZoneCheck]:
    for check in checks:
        check.is_overdue = bool(check.is_open and check.fix_due_on and check.fix_due_on < today)
    return checks


# --- pages ----------------------------------------------------------------------------------------------------------


def project_detail(user, project: KeyProject, today: dt.date | None = None) -> dict:
    """A project's page: parties, zones with their members grouped by party, open findings, posts and teams."""
    today = today or timezone.localdate()
    parties = [party.organization for party in project.agreement.parties.select_related("organization")]
    zones = list(
        project.zones.select_related("lead")
        .prefetch_related(_assignments_prefetch())
        .annotate(
            open_findings=correlated_count(ZoneCheck.objects.filter(OPEN_FINDING, zone=OuterRef("pk")), "zone_id")
        )
        .order_by("order", "pk")
    )
    for zone in zones:
        zone.groups = group_by_party(zone.assignments.all(), parties)
        zone.member_total = len(zone.assignments.all())
    findings = _mark_overdue(
        list(
            ZoneCheck.objects.filter(OPEN_FINDING, zone__project=project)
            .select_related("zone")
            .order_by(Coalesce("fix_due_on", "checked_on"), "pk")
        ),
        today,
    )
    return {
        "parties": parties,
        "zones": zones,
        "findings": findings,
        "posts": mark_editable_posts(user, project_posts(user, project)),
        "teams": list(teams_with_counts(Team.objects.visible_to(user).filter(project=project))),
        "history": list(project.history.select_related("history_user").order_by("-history_date")[:30]),
    }


def project_posts(user, project: KeyProject) -> QuerySet[PioneerPost]:
    return current_first(
        PioneerPost.objects.visible_to(user).filter(project=project).select_related("member", "organization", "project")
    )


def current_first(posts: QuerySet[PioneerPost], today: dt.date | None = None) -> QuerySet[PioneerPost]:
    """Posts still held first (no end date, or ending today or later), then ended ones; newest first within each."""
    today = today or timezone.localdate()
    return posts.annotate(
        ended=Case(When(ends_on__lt=today, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("ended", "-starts_on", "pk")


def mark_editable_posts(user, posts) -> list[PioneerPost]:
    """Set ``can_edit`` on each post: its organization's secretary (or an admin) may edit it. No query per row."""
    scope = get_scope(user)
    mine = scope.org_ids(ROLE_SECRETARY)
    posts = list(posts)
    for post in posts:
        post.can_edit = scope.is_superuser or post.organization_id in mine
    return posts


def teams_with_counts(teams: QuerySet[Team]) -> QuerySet[Team]:
    return teams.select_related("organization", "project").annotate(
        member_count=correlated_count(TeamMember.objects.filter(team=OuterRef("pk")), "team_id")
    )


def zone_detail(zone: ResponsibilityZone, today: dt.date | None = None) -> dict:
    """A zone's page: members grouped by party with role and post, checks (newest first) with photos, history."""
    today = today or timezone.localdate()
    parties = [party.organization for party in zone.project.agreement.parties.select_related("organization")]
    assignments = list(zone.assignments.select_related("member__organization").order_by("role", "pk"))
    checks = _mark_overdue(
        list(
            zone.checks.select_related("checked_by", "fixed_by")
            .prefetch_related(Prefetch("photos", queryset=ZoneCheckPhoto.objects.order_by("pk")))
            .order_by("-checked_on", "-pk")
        ),
        today,
    )
    return {
        "parties": parties,
        "groups": group_by_party(assignments, parties),
        "member_total": len(assignments),
        "checks": checks,
        "open_count": sum(1 for check in checks if check.is_open),
        "history": list(zone.history.select_related("history_user").order_by("-history_date")[:30]),
    }


def zone_board(zone: ResponsibilityZone) -> dict:
    """What the publicity board (公示牌) shows: leaders first, the pledges line by line, the supervision phone."""
    assignments = list(zone.assignments.select_related("member__organization").order_by("role", "pk"))
    # People type their own numbering ("1." "（一）" "①"); the board numbers the list itself.
    pledges = [_PLEDGE_NUMBER.sub("", line.strip()) for line in (zone.pledges or "").splitlines() if line.strip()]
    return {
        "assignments": assignments,
        "pledges": pledges,
        "phone": zone.supervision_phone or zone.project.supervision_phone,
        "density_class": board_density(assignments, pledges, zone.area),
    }


_PLEDGE_NUMBER = re.compile(r"^(\(?[0-9一二三四五六七八九十]+[.)、．）]|（[一二三四五六七八九十0-9]+）|[①-⑳])\s*")


def board_density(assignments, pledges: list[str], area: str) -> str:
    """The board's size class from an estimate of its lines: a member row wraps when its organization or post is
    long; a pledge line holds about 22 characters in the side column at the large size."""
    member_lines = 1 + sum(
        2 if len(row.member.organization.display_name) > 10 or len(row.post) > 10 else 1 for row in assignments
    )
    side_lines = 2 + ceil(len(area or "") / 30) + sum(ceil(len(pledge) / 22) for pledge in pledges)
    lines = max(member_lines, side_lines)
    if lines > BOARD_XDENSE_LINES:
        return "board-dense board-xdense"
    if lines > BOARD_DENSE_LINES:
        return "board-dense"
    return ""


def zone_member_choices(project: KeyProject, keep_ids=()) -> list[Member]:
    """Roster members who may claim a zone of ``project`` (parties and their sub-organizations), with their
    organization; members transferred out are offered only when they already claim the zone."""
    pool = roster_pool(party_organizations(project.agreement))
    return list(
        pool.filter(~Q(status=Member.Status.TRANSFERRED_OUT) | Q(pk__in=list(keep_ids)))
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )


def team_detail(team: Team) -> dict:
    memberships = list(team.memberships.select_related("member__organization").order_by("role", "pk"))
    if team.project_id:
        parties = party_organizations(team.project.agreement)
    else:
        parties = [team.organization]
    return {
        "memberships": memberships,
        "groups": group_by_party(memberships, parties),
        "history": list(team.history.select_related("history_user").order_by("-history_date")[:30]),
    }


# --- sections and the home panel -----------------------------------------------------------------------------------


def organization_work(user, organization: Organization) -> dict:
    """What an organization's page shows of its posts, teams and projects — as far as the viewer may see."""
    posts = current_first(
        PioneerPost.objects.visible_to(user)
        .filter(organization=organization)
        .select_related("member", "project", "organization")
    )
    from_here = TeamMember.objects.filter(member__organization=organization).values("team_id")
    teams = teams_with_counts(
        Team.objects.visible_to(user).filter(Q(organization=organization) | Q(pk__in=from_here))
    ).order_by("-starts_on", "pk")
    party_to = AgreementParty.objects.filter(organization=organization).values("agreement_id")
    projects = with_project_figures(
        KeyProject.objects.visible_to(user)
        .filter(Q(owner=organization) | Q(agreement_id__in=party_to))
        .select_related("owner", "agreement")
    ).order_by("name", "pk")
    return {"posts": mark_editable_posts(user, posts), "teams": list(teams), "projects": list(projects)}


def agreement_projects(user, agreement: Agreement) -> list[KeyProject]:
    return list(
        with_project_figures(KeyProject.objects.visible_to(user).filter(agreement=agreement).select_related("owner"))
    )


def kept_zone_findings(user, today: dt.date | None = None, limit: int = 10) -> dict:
    """Open findings of the zones a secretary keeps (as zone lead or project owner): the most urgent first."""
    today = today or timezone.localdate()
    orgs = sorted(get_scope(user).org_ids(ROLE_SECRETARY))
    kept = ZoneCheck.objects.filter(OPEN_FINDING).filter(
        Q(zone__lead_id__in=orgs) | Q(zone__project__owner_id__in=orgs)
    )
    counts = kept.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(fix_due_on__lt=today)))
    rows = _mark_overdue(
        list(
            kept.select_related("zone__project").order_by(
                Case(When(fix_due_on__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
                "fix_due_on",
                "checked_on",
                "pk",
            )[:limit]
        ),
        today,
    )
    return {"rows": rows, "total": counts["total"], "overdue": counts["overdue"]}


def party_organizations(agreement: Agreement) -> list[Organization]:
    """The agreement's parties (organizations), in the agreement's order."""
    return [party.organization for party in agreement.parties.select_related("organization").order_by("role", "pk")]


def party_for(organization: Organization, parties: Sequence[Organization]) -> Organization | None:
    """The party ``organization`` belongs to (itself or its nearest ancestor among ``parties``), if any."""
    best = None
    for party in parties:
        if organization.path.startswith(party.path) and (best is None or len(party.path) > len(best.path)):
            best = party
    return best


def roster_pool(organizations: Iterable[Organization]) -> QuerySet[Member]:
    """Roster members of ``organizations`` and their sub-organizations: who may claim a zone or join a team."""
    return Member.objects.filter(subtree_q(organizations, "organization__path"))


def project_owner_choices(actor, agreement: Agreement | None = None) -> QuerySet[Organization]:
    """Organizations that may own a new project: parties (of ``agreement``, or of any open agreement) where the
    actor is secretary; admins may choose any party."""
    parties = AgreementParty.objects.exclude(agreement__status__in=CLOSED_AGREEMENT)
    if agreement is not None:
        parties = parties.filter(agreement=agreement)
    if not is_admin(actor):
        parties = parties.filter(organization_id__in=sorted(secretary_org_ids(actor)))
    return Organization.objects.filter(pk__in=parties.values("organization_id")).order_by("path")


def assignment_errors(
    project: KeyProject, rows: Sequence[dict], parties: Sequence[Organization] | None = None
) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """Check a zone's full list of claims; return (errors about the list, {row index: {field: [errors]}}).

    Rows are dicts with ``member``, ``role`` and ``post``. The service raises these; the claim formset calls the same
    function so each error lands next to its row. Rules: at least one person responsible (责任人); every member from
    the roster of a party of the agreement (or of an organization under one); nobody twice; on a joint project,
    members from at least two different parties.
    """
    parties = list(parties) if parties is not None else party_organizations(project.agreement)
    general: list[str] = []
    by_row: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    parties_present: set[int] = set()
    leaders = 0
    for index, row in enumerate(rows):
        member, role = row.get("member"), row.get("role")
        if role not in ZoneAssignment.Role.values:
            by_row.setdefault(index, {}).setdefault("role", []).append(_("Choose a role."))
        if member is None:
            continue
        if member.pk in seen:
            by_row.setdefault(index, {}).setdefault("member", []).append(
                _("%(name)s is listed twice; each member claims the zone once.") % {"name": member.name}
            )
        seen.add(member.pk)
        party = party_for(member.organization, parties)
        if party is None:
            by_row.setdefault(index, {}).setdefault("member", []).append(
                _("%(name)s is not on the roster of a party of this project's agreement.") % {"name": member.name}
            )
            continue
        parties_present.add(party.pk)
        if role == ZoneAssignment.Role.LEADER:
            leaders += 1
    if not leaders:
        general.append(_("A zone needs at least one person responsible (责任人)."))
    if project.is_joint and len(parties_present) < 2:
        general.append(_("On a joint project a zone is claimed by members of at least two different parties."))
    return general, by_row


def post_member_choices(actor, organization: Organization | None = None) -> QuerySet[Member]:
    """Members who may be given a pioneer post by the actor: the rosters where the actor is secretary (admins: all)."""
    members = Member.objects.exclude(status=Member.Status.TRANSFERRED_OUT)
    if not is_admin(actor):
        members = members.filter(organization_id__in=sorted(secretary_org_ids(actor)))
    if organization is not None:
        members = members.filter(organization=organization)
    return members.select_related("organization").order_by("organization__path", "name", "pk")


def team_organization_choices(actor) -> QuerySet[Organization]:
    """Organizations that may lead a team the actor sets up: where the actor is secretary (admins: all)."""
    if is_admin(actor):
        return Organization.objects.all()
    return Organization.objects.filter(pk__in=sorted(secretary_org_ids(actor)))


def team_member_pool(organization: Organization | None, project: KeyProject | None) -> QuerySet[Member]:
    """Who may join a team: on a project, the rosters of its agreement's parties (and their sub-organizations);
    otherwise the lead organization's roster and those of the organizations under it."""
    if project is not None:
        return roster_pool(party_organizations(project.agreement))
    if organization is not None:
        return roster_pool([organization])
    return Member.objects.none()


def team_member_errors(
    organization: Organization | None, project: KeyProject | None, rows: Sequence[dict]
) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """Check a team's full member list: at least one leader (队长), nobody twice, everyone from the pool."""
    pools = party_organizations(project.agreement) if project is not None else [organization] if organization else []
    general: list[str] = []
    by_row: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    leaders = 0
    for index, row in enumerate(rows):
        member, role = row.get("member"), row.get("role")
        if role not in TeamMember.Role.values:
            by_row.setdefault(index, {}).setdefault("role", []).append(_("Choose a role."))
        if member is None:
            continue
        if member.pk in seen:
            by_row.setdefault(index, {}).setdefault("member", []).append(
                _("%(name)s is listed twice; each member joins the team once.") % {"name": member.name}
            )
        seen.add(member.pk)
        if party_for(member.organization, pools) is None:
            message = (
                _("%(name)s is not on the roster of a party of the project's agreement.")
                if project is not None
                else _("%(name)s is not on the roster of the lead organization or an organization under it.")
            )
            by_row.setdefault(index, {}).setdefault("member", []).append(message % {"name": member.name})
        if role == TeamMember.Role.LEADER:
            leaders += 1
    if not leaders:
        general.append(_("A team needs at least one team leader (队长)."))
    return general, by_row
