"""Reads for 扫码签到: matching a name and a phone's last four digits against the participating rosters, the
participating organization a guest's unit names, and an event's check-in list (meetings here; activities reuse the
matching).

The matching reads one organization's roster by its (organization, name) index: the same cost whatever the size of
the rosters. Its answer is never shown to the person checking in (the page says 签到成功 either way)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db.models import Q

from partnerships.models import JointMeeting, MeetingCheckIn, MeetingCheckInCode, Member, Organization

_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """A typed name as the roster writes it: no spaces (phones often add one between the characters)."""
    return _SPACES.sub("", name or "")


def normalize_unit(unit: str) -> str:
    return _SPACES.sub(" ", (unit or "").strip())


def party_groups_under(organization_ids: Sequence[int]) -> dict[int, int]:
    """``{party group id: organization id}``: the 党小组 directly under each of the organizations, whose members take
    part under their branch (one query, a few rows)."""
    parents = list(Organization.objects.filter(pk__in=list(organization_ids)).values_list("pk", "path", "depth"))
    if not parents:
        return {}
    condition = Q()
    for _pk, path, depth in parents:
        condition |= Q(path__startswith=path, depth=depth + 1)
    groups = Organization.objects.filter(condition, kind=Organization.Kind.GROUP).values_list("pk", "path")
    by_path = {path: pk for pk, path, _depth in parents}
    step = Organization.steplen
    return {pk: by_path[path[:-step]] for pk, path in groups if path[:-step] in by_path}


def roster_match(organization_ids: Sequence[int], name: str, last_four: str) -> tuple[Member, int] | None:
    """The roster member of one of the organizations (or of a party group under one) with this name whose phone
    ends in these four digits, with the participating organization they count towards; the first organization
    wins when two match. Members transferred out never match."""
    name = normalize_name(name)
    if not name or not re.fullmatch(r"\d{4}", last_four or ""):
        return None
    organization_ids = list(organization_ids)
    groups = party_groups_under(organization_ids)
    candidates = list(
        Member.objects.filter(
            organization_id__in=[*organization_ids, *groups], name=name, phone__endswith=last_four
        ).exclude(status=Member.Status.TRANSFERRED_OUT)[:10]
    )
    order = {org_id: index for index, org_id in enumerate(organization_ids)}
    best = None
    for member in candidates:
        home = groups.get(member.organization_id, member.organization_id)
        rank = (order.get(home, len(order)), member.pk)
        if best is None or rank < best[0]:
            best = (rank, member, home)
    return (best[1], best[2]) if best else None


def unit_organization(organization_ids: Sequence[int], unit: str) -> int | None:
    """The participating organization a guest's unit names (its full or short name), if any."""
    unit = normalize_unit(unit)
    if not unit:
        return None
    found = (
        Organization.objects.filter(pk__in=list(organization_ids))
        .filter(Q(name=unit) | Q(short_name=unit))
        .values_list("pk", flat=True)
        .first()
    )
    return found


def meeting_code_lookup(token: str) -> MeetingCheckInCode | None:
    """The meeting code holding this token (with its meeting), or None for an unknown or replaced token."""
    if not token:
        return None
    return MeetingCheckInCode.objects.select_related("meeting__agreement", "meeting__host").filter(token=token).first()


def meeting_checkins(meeting: JointMeeting) -> list[MeetingCheckIn]:
    """Everyone who checked in at the meeting, in order of arrival (one query)."""
    return list(
        MeetingCheckIn.objects.filter(meeting=meeting)
        .select_related("member__organization", "organization")
        .order_by("created_at", "pk")
    )


def meeting_party_ids(meeting: JointMeeting) -> list[int]:
    """The agreement's parties, the host first: the rosters a meeting's check-in is matched against."""
    ids = list(meeting.agreement.parties.order_by("pk").values_list("organization_id", flat=True))
    return [meeting.host_id, *(pk for pk in ids if pk != meeting.host_id)]
