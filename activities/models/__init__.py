"""Joint activities and the work on key projects.

* Yearly plans (``ActivityPlan`` + ``PlannedActivity``) agreed per agreement, with a rotating lead unit.
* Activities (``Activity``) scheduled from a plan row or on their own, then logged by the lead organization's
  secretary with headcounts (``ActivityParticipation``), named participants, photos; a logged activity becomes publicity items
  (``PublicityItem``), reviewed and credited to its agreement's or branch's brand.
* Key projects (``KeyProject``) divided into red responsibility zones (``ResponsibilityZone``) claimed by members
  of the parties (``ZoneAssignment``) and checked periodically (``ZoneCheck``);
  their milestones (``ProjectMilestone``) and monthly business figures (``ProjectMonthlyFigure``) — 党建+业务.
* Pioneer posts (``PioneerPost``) and commando / vanguard teams (``Team`` + ``TeamMember``).
* A personal, revocable iCal feed token (``CalendarToken``).
* Venue bookings (``VenueBooking``): a partner's shared venue booked for an activity or a joint meeting.

Scope (DESIGN.md §4): an organization's people see what it leads or co-organizes and what any agreement it is party
to touches; reviewers see their subtree; only the owning organization's secretary edits.

One module per area; every model is imported here, where Django and the callers find them."""

from activities.models.activities import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityPlan,
    ActivityQuerySet,
    ActivityType,
    CalendarToken,
    LogSubmission,
    PendingPhoto,
    Photo,
    PlannedActivity,
)
from activities.models.bookings import VenueBooking, VenueBookingQuerySet
from activities.models.business import ProjectMilestone, ProjectMonthlyFigure
from activities.models.checkins import ActivityCheckIn, ActivityCheckInCode
from activities.models.projects import (
    KeyProject,
    PioneerPost,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
    ZoneCheckPhoto,
    ZoneDimension,
)
from activities.models.publicity import COMMITTEE_KINDS, PublicityItem, reviewer_q

__all__ = [
    "ProjectMilestone",
    "ProjectMonthlyFigure",
    "ActivityType",
    "ActivityPlan",
    "PlannedActivity",
    "ActivityQuerySet",
    "Activity",
    "ActivityParticipation",
    "Photo",
    "ActivityPhoto",
    "PendingPhoto",
    "KeyProject",
    "ZoneDimension",
    "ResponsibilityZone",
    "ZoneAssignment",
    "ZoneCheck",
    "ZoneCheckPhoto",
    "PioneerPost",
    "Team",
    "TeamMember",
    "CalendarToken",
    "VenueBookingQuerySet",
    "VenueBooking",
    "PublicityItem",
    "COMMITTEE_KINDS",
    "reviewer_q",
    "LogSubmission",
    "ActivityCheckInCode",
    "ActivityCheckIn",
]
