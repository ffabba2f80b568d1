"""Composed reads of key projects, zones, checks, pioneer posts and teams: each page's rows in a fixed number of
queries, whatever the number of zones, claims, checks, posts or teams."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from math import ceil

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

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
from activities.services.projects import party_for, party_organizations, roster_pool
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
