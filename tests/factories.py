"""factory_boy factories, one per aggregate root (and the rows tests add to one). Organizations go through treebeard
so their paths are real.

Every factory builds a valid row (the model's check and unique constraints hold) from defaults a test overrides with
the fields it cares about. Dates are relative to today (``timezone.localdate()`` / ``timezone.now()`` at creation, so
a test under ``fixed_clock`` gets dates relative to the fixed day). Rows the data migrations seed (activity types,
co-construction dimensions) are looked up, never created: ``ActivityFactory(type_code="volunteer")``.

An agreement is made with its parties: ``AgreementFactory(parties=[world.branch_a, world.partner],
liaisons={world.partner: world.liaison1})`` — the first party initiates, the others are partners; the cast's usual
one (甲项目党支部 and the street community, liaison1 its liaison) is ``cast_agreement(world, number=…)``.

Nullable "who did it" columns (``created_by``, ``author``, ``checked_by``, ``logged_by`` …) stay empty unless a test
gives them: a factory never adds users a test did not ask for (they would be notified, counted, listed).
Set-based growth in the query-budget tests stays ``bulk_create`` (one INSERT, no history rows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPlan,
    ActivityType,
    KeyProject,
    PioneerPost,
    PlannedActivity,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
)
from assessments.models import AssessmentScheme, Indicator, QuarterRollup
from partnerships.models import (
    ActionItem,
    ActionItemUpdate,
    Agreement,
    AgreementParty,
    Decision,
    JointMeeting,
    Member,
    Organization,
)
from portal.models import Membership


def _today() -> dt.date:
    return timezone.localdate()


def _days(n: int) -> dt.date:
    return _today() + dt.timedelta(days=n)


def _first_party(agreement: Agreement) -> Organization:
    """The agreement's initiating (else first) party, or a new organization if it has none yet."""
    party = agreement.parties.select_related("organization").order_by("role", "pk").first()
    return party.organization if party else OrganizationFactory()


# --- people and the party tree --------------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "建国"
    last_name = "王"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", "pass-for-tests")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试第{n}党支部")
    kind = Organization.Kind.BRANCH
    sector = Organization.Sector.SOE
    parent = None

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        if parent is None:
            return model_class.objects.add_root(kwargs)
        parent.refresh_from_db()
        return model_class.objects.add_child(parent, kwargs)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"党员{n:03d}")
    title = "技术员"
    status = Member.Status.FULL
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A user's role in an organization (``role=Membership.Role.LIAISON`` …); secretary by default."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.SECRETARY


# --- agreements, meetings, action items -----------------------------------------------------------------------------


class AgreementPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementParty

    agreement = factory.SubFactory("tests.factories.AgreementFactory")
    organization = factory.SubFactory(OrganizationFactory)
    role = AgreementParty.Role.PARTNER


class AgreementFactory(factory.django.DjangoModelFactory):
    """An agreement in force, a year long around today, with the ``parties`` given (organizations, the first one the
    initiator) and their ``liaisons`` (organization -> user). A terminated one gets a reason."""

    class Meta:
        model = Agreement

    number = factory.Sequence(lambda n: f"GJ-T-{n:04d}")
    title = factory.LazyAttribute(lambda a: f"共建协议 {a.number}")
    term_start = factory.LazyFunction(lambda: _days(-90))
    term_end = factory.LazyAttribute(lambda a: a.term_start + dt.timedelta(days=360))
    status = Agreement.Status.ACTIVE
    termination_reason = factory.LazyAttribute(lambda a: "合并" if a.status == Agreement.Status.TERMINATED else "")

    @classmethod
    def _create(cls, model_class, *args, parties=(), liaisons=None, **kwargs):
        agreement = super()._create(model_class, *args, **kwargs)
        liaisons = liaisons or {}
        for index, organization in enumerate(parties):
            AgreementParty.objects.create(
                agreement=agreement,
                organization=organization,
                role=AgreementParty.Role.INITIATOR if index == 0 else AgreementParty.Role.PARTNER,
                liaison=liaisons.get(organization),
            )
        return agreement


def cast_agreement(world, *parties, **fields) -> Agreement:
    """An agreement of the test cast (``tests.conftest.World``): 甲项目党支部 initiates and the street community is the
    partner, liaison1 its liaison; ``parties`` replace the two (the community keeps liaison1 wherever it is a party)."""
    return AgreementFactory(
        parties=parties or (world.branch_a, world.partner), liaisons={world.partner: world.liaison1}, **fields
    )


class JointMeetingFactory(factory.django.DjangoModelFactory):
    """A meeting held yesterday, hosted by the agreement's initiating party."""

    class Meta:
        model = JointMeeting

    agreement = factory.SubFactory(AgreementFactory)
    title = "联席会议"
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    place = "项目部会议室"
    host = factory.LazyAttribute(lambda m: _first_party(m.agreement))


class DecisionFactory(factory.django.DjangoModelFactory):
    """A decision recorded in a meeting's minutes."""

    class Meta:
        model = Decision

    meeting = factory.SubFactory(JointMeetingFactory)
    text = "在项目围挡设置共建宣传栏"


class ActionItemFactory(factory.django.DjangoModelFactory):
    """An open item due in twenty days, owned by the agreement's initiating party. A cancelled one gets a reason."""

    class Meta:
        model = ActionItem

    agreement = factory.SubFactory(AgreementFactory)
    title = "督办事项"
    responsible_party = factory.LazyAttribute(lambda i: _first_party(i.agreement))
    due_on = factory.LazyFunction(lambda: _days(20))
    status = ActionItem.Status.OPEN
    cancel_reason = factory.LazyAttribute(lambda i: "不再需要" if i.status == ActionItem.Status.CANCELLED else "")


class ActionItemUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItemUpdate

    item = factory.SubFactory(ActionItemFactory)
    kind = ActionItemUpdate.Kind.PROGRESS
    note = "进展说明"


# --- activities and plans -------------------------------------------------------------------------------------------


def _activity_type(code: str) -> ActivityType:
    return ActivityType.objects.get(code=code)


class ActivityFactory(factory.django.DjangoModelFactory):
    """A planned theme party day tomorrow, two hours long. ``type_code`` picks a seeded type, ``hours`` the length;
    ``co_organizers`` and ``participants`` set the many-to-many rows. A logged one gets a summary, a cancelled one a
    reason."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    class Params:
        type_code = "theme_day"
        hours = 2

    title = "共建主题党日"
    type = factory.LazyAttribute(lambda a: _activity_type(a.type_code))
    lead = factory.SubFactory(OrganizationFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(hours=a.hours))
    place = "项目部党员活动室"
    status = Activity.Status.PLANNED
    summary = factory.LazyAttribute(lambda a: "活动已开展。" if a.status == Activity.Status.LOGGED else "")
    cancel_reason = factory.LazyAttribute(lambda a: "因故取消" if a.status == Activity.Status.CANCELLED else "")

    @factory.post_generation
    def co_organizers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.co_organizers.set(extracted)

    @factory.post_generation
    def participants(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.participants.set(extracted)


class ActivityParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityParticipation

    activity = factory.SubFactory(ActivityFactory)
    organization = factory.SelfAttribute("activity.lead")
    headcount = 10


class ActivityPlanFactory(factory.django.DjangoModelFactory):
    """This year's plan of an agreement (the one there is, if the agreement has one for the year)."""

    class Meta:
        model = ActivityPlan
        django_get_or_create = ("agreement", "year")

    agreement = factory.SubFactory(AgreementFactory)
    year = factory.LazyFunction(lambda: _today().year)
    title = factory.LazyAttribute(lambda p: f"{p.year}年度共建活动计划")


class PlannedActivityFactory(factory.django.DjangoModelFactory):
    """A row of a yearly plan (``type_code`` picks a seeded type, ``co_organizers`` sets the co-organizing units)."""

    class Meta:
        model = PlannedActivity
        skip_postgeneration_save = True

    class Params:
        type_code = "theme_day"

    plan = factory.SubFactory(ActivityPlanFactory)
    month = 3
    theme = "共建主题党日"
    type = factory.LazyAttribute(lambda r: _activity_type(r.type_code))
    lead = factory.LazyAttribute(lambda r: _first_party(r.plan.agreement))

    @factory.post_generation
    def co_organizers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.co_organizers.set(extracted)


# --- key projects, red responsibility zones, pioneer posts and teams ------------------------------------------------


class KeyProjectFactory(factory.django.DjangoModelFactory):
    """A key project under way, kept by the agreement's initiating party."""

    class Meta:
        model = KeyProject

    agreement = factory.SubFactory(AgreementFactory)
    owner = factory.LazyAttribute(lambda p: _first_party(p.agreement))
    name = factory.Sequence(lambda n: f"重点工程{n:03d}")


class ResponsibilityZoneFactory(factory.django.DjangoModelFactory):
    """A red responsibility zone (红旗责任区) of a key project, kept by the project's owner."""

    class Meta:
        model = ResponsibilityZone

    project = factory.SubFactory(KeyProjectFactory)
    name = factory.Sequence(lambda n: f"责任区{n:03d}")
    area = "一号站点"
    lead = factory.SelfAttribute("project.owner")


class ZoneAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoneAssignment

    zone = factory.SubFactory(ResponsibilityZoneFactory)
    member = factory.SubFactory(MemberFactory, organization=factory.SelfAttribute("..zone.lead"))
    role = ZoneAssignment.Role.MEMBER


class ZoneCheckFactory(factory.django.DjangoModelFactory):
    """A check of a zone today; give ``category`` (and a ``finding`` is filled in) for one that found a problem."""

    class Meta:
        model = ZoneCheck

    zone = factory.SubFactory(ResponsibilityZoneFactory)
    checked_on = factory.LazyFunction(_today)
    category = ZoneCheck.Category.NONE
    finding = factory.LazyAttribute(lambda c: "" if c.category == ZoneCheck.Category.NONE else "发现问题")


class PioneerPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PioneerPost

    organization = factory.SubFactory(OrganizationFactory)
    member = factory.SubFactory(MemberFactory, organization=factory.SelfAttribute("..organization"))
    post = "安全生产先锋岗"
    starts_on = factory.LazyFunction(lambda: _days(-30))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"党员突击队{n:03d}")
    kind = Team.Kind.COMMANDO
    purpose = "攻坚克难"
    organization = factory.SubFactory(OrganizationFactory)
    starts_on = factory.LazyFunction(lambda: _days(-30))


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    member = factory.SubFactory(MemberFactory, organization=factory.SelfAttribute("..team.organization"))
    role = TeamMember.Role.MEMBER


# --- assessment -----------------------------------------------------------------------------------------------------


class AssessmentSchemeFactory(factory.django.DjangoModelFactory):
    """This year's scheme (one per year); ``indicators=[{...}, ...]`` adds indicators (``IndicatorFactory`` fields)."""

    class Meta:
        model = AssessmentScheme
        django_get_or_create = ("year",)
        skip_postgeneration_save = True

    year = factory.LazyFunction(lambda: _today().year)
    name = factory.LazyAttribute(lambda s: f"{s.year}年度共建考核方案")

    @factory.post_generation
    def indicators(obj, create, extracted, **kwargs):
        for order, fields in enumerate(extracted or ()):
            IndicatorFactory(scheme=obj, **{"order": order, **fields})


class IndicatorFactory(factory.django.DjangoModelFactory):
    """A manual indicator by default; give ``metric`` for an automatic one (the source follows)."""

    class Meta:
        model = Indicator

    scheme = factory.SubFactory(AssessmentSchemeFactory)
    category = Indicator.Category.ACTIVITIES
    name = factory.Sequence(lambda n: f"指标{n:03d}")
    points = Decimal("10")
    metric = ""
    source = factory.LazyAttribute(lambda i: Indicator.Source.AUTOMATIC if i.metric else Indicator.Source.MANUAL)


class QuarterRollupFactory(factory.django.DjangoModelFactory):
    """A branch's provisional result for a quarter (give ``agreement=`` and ``organization=None`` for an agreement's)."""

    class Meta:
        model = QuarterRollup

    organization = factory.SubFactory(OrganizationFactory)
    agreement = None
    year = factory.LazyFunction(lambda: _today().year)
    quarter = 1
    scheme = factory.SubFactory(AssessmentSchemeFactory, year=factory.SelfAttribute("..year"))
    computed_at = factory.LazyFunction(timezone.now)
