"""Organizations (the party tree and external partners), the member roster, co-construction agreements, joint
meetings, supervised action items, and the partners' needs and resources (三张清单).

One module per area; every model is imported here, where Django and the callers find them."""

from partnerships.models.action_items import ActionItem, ActionItemQuerySet, ActionItemUpdate, Evidence
from partnerships.models.agreements import (
    Agreement,
    AgreementParty,
    AgreementQuerySet,
    Dimension,
    agreement_ids_for,
    in_scope_agreements,
)
from partnerships.models.checkins import CheckInCode, CheckInEntry, MeetingCheckIn, MeetingCheckInCode
from partnerships.models.directory import (
    PHONE_MESSAGE,
    PHONE_REGEX,
    Member,
    MemberQuerySet,
    Organization,
    OrganizationManager,
    OrganizationQuerySet,
    phone_validator,
)
from partnerships.models.meetings import AgendaItem, Decision, JointMeeting, MinutesVersion
from partnerships.models.resources import Need, Pairing, Resource, partner_org_ids

__all__ = [
    "PHONE_REGEX",
    "PHONE_MESSAGE",
    "phone_validator",
    "OrganizationQuerySet",
    "OrganizationManager",
    "Organization",
    "MemberQuerySet",
    "Member",
    "agreement_ids_for",
    "in_scope_agreements",
    "Dimension",
    "AgreementQuerySet",
    "Agreement",
    "AgreementParty",
    "JointMeeting",
    "MinutesVersion",
    "AgendaItem",
    "Decision",
    "ActionItemQuerySet",
    "ActionItem",
    "ActionItemUpdate",
    "Evidence",
    "Need",
    "Resource",
    "Pairing",
    "partner_org_ids",
    "CheckInCode",
    "CheckInEntry",
    "MeetingCheckInCode",
    "MeetingCheckIn",
]
