"""Demo activities for ``manage.py seed_demo``: yearly joint plans, five quarters of activities (most of them
logged with headcounts, named participants and photos), and — in ``activities.demo_projects`` — the key project with
its red responsibility zones, zone checks, pioneer posts and teams.

Built on ``ctx.data["partnerships"]`` (organizations, rosters, users, agreements). What it makes, all invented:

* **Plans**: a yearly plan for every agreement in force, expired or terminated, for each year its term overlaps the
  demo window (from ``ctx.clock.start``, the first day of the oldest quarter the demo shows, to three months
  ahead): the current year in full (8–14 rows: theme, content, type, month, a lead unit rotating among the
  parties — 轮流举办 — the other parties co-organizing), the part of last year inside the window, and next year
  when the window reaches into it.
* **Activities**: every plan row's sessions inside the window (a row may recur monthly or quarterly), the company
  branches' own activities (主题党日, 党课, 理论学习 …, no agreement), and a few fixed ones for ``secretary1``'s branch
  so its home page has work: held but not logged in the last week, planned in the current week. Past ones are
  mostly logged (summary, outcomes, headcount per participating organization, named participants from those
  organizations' rosters, 1–3 photos, sometimes a publicity note); some are held but not logged, a few cancelled
  with a reason, a few plan rows were never held. ``secretary2``'s branch has activities of its own (some
  co-organized with other head-office branches) and shares none with ``secretary1``'s branch or its partners.

Direct ORM writes (this is seed data), in bulk where it matters, but every row satisfies the models' constraints and
the rules the services enforce (lead and co-organizers of an agreement's activity are its parties; participants
come from participating organizations; no organization has more named participants than its headcount). Timestamps
and history rows carry the dates of the story: ``created_at``/``logged_at`` before "now", one history row when an
activity was scheduled and one when it was held, logged or cancelled.

Deterministic and idempotent: dates are relative to the demo's clock (``ctx.clock``: the day the partnerships demo
was first seeded — on a fresh database, today), random draws come from ``random.Random`` seeded per plan, row and activity, and everything is keyed
on natural keys — plans on (agreement, year), activities on (title, start, lead), projects on name, zones on
(project, name), posts on (organization, member, post, start), teams on name. A second run creates nothing.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import io
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from activities.models import (
    Activity,
    ActivityParticipation,
    ActivityPhoto,
    ActivityPlan,
    ActivityType,
    PlannedActivity,
)
from activities.photos import store_photo
from demo.clock import DemoClock, as_of
from demo.engine.context import DemoContext
from partnerships.models import Agreement, AgreementParty, Member, Organization
from portal.models import Membership
from portal.uploads import CheckedUpload

SEED = 20261122
FUTURE_DAYS = 90

Status = Activity.Status
ACTIVE_MEMBERS = (Member.Status.FULL, Member.Status.PROBATIONARY, Member.Status.ACTIVIST)


# --- the demo's clock ------------------------------------------------------------------------------------------


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# --- the world the seeders share ------------------------------------------------------------------------------


@dataclass
class World:
    """What the partnerships demo made, loaded once, plus the demo's clock."""

    clock: DemoClock
    orgs: dict[str, Organization]
    agreements: dict[str, Agreement]
    users: dict
    types: dict[str, ActivityType]
    secretaries: dict[int, object]  # organization pk -> its secretary's user
    keepers: dict[int, object]  # organization pk -> its secretary's or liaison's user
    rosters: dict[int, list[Member]]  # organization pk -> active members, by name
    pictures: Pictures

    @property
    def today(self) -> dt.date:
        return self.clock.today

    @property
    def now(self) -> dt.datetime:
        return self.clock.now

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """From the first day of the oldest quarter the demo shows to ``FUTURE_DAYS`` ahead."""
        return self.clock.start, self.clock.today + dt.timedelta(days=FUTURE_DAYS)

    def user(self, username: str):
        return self.users.get(username)


def load_world(ctx: DemoContext, pictures: Pictures) -> World:
    """Read back what the partnerships seeder left: organizations, agreements, users by role, active rosters."""
    data = ctx.data["partnerships"]
    orgs: dict[str, Organization] = data["organizations"]
    agreements: dict[str, Agreement] = data.get("agreements", {})
    User = get_user_model()
    users = {user.username: user for user in User.objects.all()}
    secretaries: dict[int, object] = {}
    keepers: dict[int, object] = {}
    for membership in Membership.objects.select_related("user").order_by("pk"):
        if membership.role == Membership.Role.SECRETARY:
            secretaries.setdefault(membership.organization_id, membership.user)
        if membership.role in (Membership.Role.SECRETARY, Membership.Role.LIAISON):
            keepers.setdefault(membership.organization_id, membership.user)
    rosters: dict[int, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(organization__in=list(orgs.values()), status__in=ACTIVE_MEMBERS).order_by(
        "organization", "name", "pk"
    ):
        rosters[member.organization_id].append(member)
    return World(
        clock=ctx.clock,
        orgs=orgs,
        agreements=agreements,
        users=users,
        types=ActivityType.objects.in_bulk(field_name="code"),
        secretaries=secretaries,
        keepers=keepers,
        rosters=dict(rosters),
        pictures=pictures,
    )


# --- generated photos --------------------------------------------------------------------------------------------


class Pictures:
    """A few small JPEGs standing in for site photos, drawn once per run and reused (seeding stays fast)."""

    SIZE = (640, 480)

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], bytes] = {}

    def jpeg(self, colour: str, variant: int) -> bytes:
        key = (colour, variant)
        if key not in self._cache:
            self._cache[key] = self._draw(colour, variant)
        return self._cache[key]

    def upload(self, colour: str, variant: int, name: str) -> CheckedUpload:
        content = self.jpeg(colour, variant)
        return CheckedUpload(
            file=ContentFile(content, name=name),
            content_type="image/jpeg",
            extension=".jpg",
            size=len(content),
            original_name=name,
        )

    def _draw(self, colour: str, variant: int) -> bytes:
        rng = random.Random(f"{SEED}|picture|{colour}|{variant}")
        base = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        width, height = self.SIZE
        image = Image.new("RGB", self.SIZE)
        draw = ImageDraw.Draw(image)
        # Sky: the type's colour fading to white; ground: a darker band.
        horizon = int(height * rng.uniform(0.55, 0.7))
        for y in range(horizon):
            t = y / horizon
            draw.line([(0, y), (width, y)], fill=tuple(int(c + (255 - c) * (0.35 + 0.6 * t)) for c in base))
        draw.rectangle((0, horizon, width, height), fill=tuple(int(c * 0.55) for c in base))
        # A banner, a board and a few "people" standing in a row.
        left = rng.randrange(40, 200)
        draw.rectangle((left, 40, left + rng.randrange(240, 380), 100), fill=(200, 22, 29), outline=(250, 220, 80))
        board = rng.randrange(20, width - 160)
        draw.rectangle((board, horizon - 150, board + 130, horizon - 10), fill=(245, 245, 240), outline=(60, 60, 60))
        x = rng.randrange(10, 40)
        for _ in range(rng.randrange(5, 10)):
            x += rng.randrange(50, 75)
            if x > width - 40:
                break
            y = horizon + rng.randrange(-40, 10)
            shirt = rng.choice([(200, 22, 29), (30, 60, 120), (240, 240, 240), (230, 150, 30)])
            draw.ellipse((x, y - 60, x + 30, y - 30), fill=(235, 200, 170))
            draw.rectangle((x - 5, y - 30, x + 35, y + 40), fill=shirt)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=78)
        return buffer.getvalue()


# --- what happens at an activity: text ------------------------------------------------------------------------

# Start time and length in minutes, by type.
TIMES = {
    "theme_day": ((14, 30), 120),
    "lecture": ((15, 0), 90),
    "study": ((9, 0), 120),
    "visit": ((8, 30), 450),
    "volunteer": ((9, 0), 150),
    "student_aid": ((9, 30), 120),
    "care_visit": ((9, 0), 180),
    "tech_exchange": ((14, 0), 180),
    "contest": ((14, 30), 150),
    "sports": ((14, 0), 180),
    "other": ((9, 30), 120),
}
WEEKEND_TYPES = {"volunteer", "sports", "student_aid"}

# Share of an organization's roster named as participants, by type (the lead's share; co-organizers send fewer).
TURNOUT = {
    "theme_day": (0.55, 0.85),
    "lecture": (0.6, 0.9),
    "study": (0.6, 0.9),
    "visit": (0.35, 0.65),
    "volunteer": (0.25, 0.45),
    "student_aid": (0.15, 0.3),
    "care_visit": (0.1, 0.25),
    "tech_exchange": (0.25, 0.5),
    "contest": (0.35, 0.6),
    "sports": (0.45, 0.75),
    "other": (0.2, 0.4),
}
# People who are not on a roster but came (workers, residents, guests): the extra headcount on top of the named.
EXTRA = {"volunteer": (4, 18), "care_visit": (1, 5), "sports": (5, 20), "contest": (2, 10), "student_aid": (1, 4)}

ARRANGEMENTS = {
    "visit": "活动当天8:00在项目部门口集合，统一乘车前往；请党员佩戴党员徽章，着装整洁。",
    "volunteer": "请各单位报送志愿者名单，统一穿志愿者马甲；现场服从安全员指挥，不进入施工围挡。",
    "sports": "请各单位提前组队报名，穿运动服装；现场设医疗点和饮水点。",
    "contest": "每单位组织一支代表队（3人），题目范围提前一周下发。",
    "tech_exchange": "请交流单位提前三天报送交流材料（PPT），会后形成纪要。",
    "care_visit": "慰问名单由各单位提前确认，慰问品统一采购、登记发放。",
}
DEFAULT_ARRANGEMENTS = (
    "请各单位于活动前两天报送参加人员名单；党员统一佩戴党员徽章。",
    "请参加人员提前十分钟签到，会场手机静音。",
    "请参加人员穿戴安全帽和反光背心，进入现场服从安全员指挥。",
)

BODIES = {
    "theme_day": (
        "全体党员面向党旗重温入党誓词，支部书记通报了近期党建和生产重点工作。",
        "大家结合岗位实际交流了“我为群众办实事”的做法，现场认领了下月实事清单。",
        "党员们观看了安全生产警示教育片，逐条学习了岗位安全责任制。",
        "活动最后开展党员承诺践诺，承诺书在党建园地公示。",
    ),
    "lecture": (
        "党课由{speaker}主讲，结合工程建设实际讲述了党员在急难险重任务中的担当作为。",
        "党课采用“理论+案例”的方式，穿插了一线党员攻坚克难的真实故事，大家听得认真。",
        "课后党员代表交流了学习体会，表示要把党课所学转化为推动工作的实际行动。",
    ),
    "study": (
        "集中学习了上级党委有关文件精神和党章相关章节。",
        "采取领学、自学、交流研讨相结合的方式，每名党员结合分管工作谈认识。",
        "学习后进行了简短测试，大家对照测试结果查漏补缺。",
    ),
    "visit": (
        "党员们在讲解员带领下参观展厅，了解了本地党组织在革命年代的斗争历程。",
        "在纪念碑前，全体党员敬献花篮、默哀，并重温入党誓词。",
        "参观结束后召开简短座谈会，大家交流了所思所感。",
    ),
    "volunteer": (
        "志愿者分成交通疏导、政策宣讲、环境清洁三个小组，在施工围挡周边开展服务。",
        "现场发放《地铁施工告居民书》和便民联系卡，解答居民关心的出行和噪声问题。",
        "党员志愿者为行动不便的老人代办出行路线咨询和生活物品代购。",
    ),
    "student_aid": (
        "为困难家庭学生送去助学金和学习用品，并与家长交流了孩子的学习和生活情况。",
        "党员与受助学生结成“一对一”帮扶对子，约定每学期回访一次。",
    ),
    "care_visit": (
        "慰问组走访了一线班组和工人宿舍，送去慰问品，详细询问工友的工作和生活困难。",
        "走访了困难党员和老党员，听取他们对工程建设和社区工作的意见建议。",
        "对走访中了解到的宿舍维修、子女入学咨询等问题建立清单，明确专人跟进。",
    ),
    "tech_exchange": (
        "技术骨干围绕盾构姿态控制、同步注浆和沉降监测作了专题交流。",
        "双方就施工难点逐项研讨，形成优化建议，明确了下一步试验段安排。",
        "交流会演示了智慧工地平台的监测数据和预警案例。",
    ),
    "contest": (
        "竞赛分必答、抢答、风险题三个环节，各代表队比拼激烈。",
        "题目涵盖党章党规、安全生产法律法规和岗位操作规程，现场气氛热烈。",
    ),
    "sports": (
        "活动设置了拔河、接力跑、趣味投篮等项目，各单位职工混合编队参赛。",
        "活动增进了各单位职工之间的了解和友谊，展示了建设者的良好精神面貌。",
    ),
    "other": (
        "活动对照任务清单逐项检查落实情况，现场反馈存在的问题。",
        "对发现的问题明确了整改责任人和完成时限，纳入督办台账跟踪。",
    ),
}
OUTCOMES = {
    "theme_day": ("形成党员承诺事项{k}条，已在党建园地公示。", "征集合理化建议{k}条，交项目部研究采纳。"),
    "lecture": ("党员撰写心得体会{k}篇，择优在公司内网刊发。", "课件已上传党建平台，供未到场党员补学。"),
    "study": ("形成学习研讨记录1份，收集意见建议{k}条。", "未到场党员{k}人已安排补学。"),
    "visit": ("党员撰写参观心得{k}篇。", "整理参观图文资料一份，纳入支部学习资料库。"),
    "volunteer": ("服务居民{k}人次，收集施工相关意见{m}条，已全部转办。", "劝导不文明通行{k}人次，发放宣传资料{m}份。"),
    "student_aid": ("资助困难学生{k}名，发放助学金{money}元。",),
    "care_visit": ("走访慰问{k}户（人），收集困难诉求{m}件，建立跟踪清单。",),
    "tech_exchange": ("形成技术改进建议{k}条，其中{m}条已列入施工方案优化。",),
    "contest": ("评出一等奖1个、二等奖2个、三等奖3个。",),
    "sports": ("评出优秀组织奖3个、体育道德风尚奖1个。",),
    "other": ("发现问题{k}项，已全部明确整改责任人和时限。",),
}
CAPTIONS = {
    "theme_day": ("重温入党誓词", "活动现场", "承诺践诺"),
    "lecture": ("党课现场", "主讲人授课", "交流发言"),
    "study": ("集中学习", "交流研讨", "签到"),
    "visit": ("参观展厅", "敬献花篮", "集体合影"),
    "volunteer": ("志愿服务现场", "政策宣讲", "集体合影"),
    "student_aid": ("助学金发放", "与受助学生交流", "集体合影"),
    "care_visit": ("走访慰问", "送上慰问品", "座谈交流"),
    "tech_exchange": ("技术交流", "现场观摩", "专题研讨"),
    "contest": ("竞赛现场", "抢答环节", "颁奖"),
    "sports": ("拔河比赛", "接力跑", "集体合影"),
    "other": ("现场检查", "问题反馈", "活动现场"),
}
CANCEL_REASONS = (
    "受强降雨天气影响，按防汛应急要求取消户外活动。",
    "盾构进入下穿居民区关键阶段，党员全部在岗值守，经各方协商取消本次活动。",
    "与上级党委集中培训时间冲突，经商定取消，相关内容并入下月活动。",
    "活动场地临时用于应急物资存放，无法使用，本次活动取消。",
    "主讲人临时出差，经支委会研究取消，另行安排。",
)


# --- plans, as data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSpec:
    """A plan row (or, in ``OWN``, a branch's own recurring activity).

    ``lead`` indexes the agreement's parties (initiator first); ``None`` rotates the lead among them (轮流举办).
    ``every`` is the recurrence in months (0: once). ``place`` empty: the lead's own place. ``movable``: not tied
    to a season, so a plan whose term misses its month may hold it in another. ``co`` and ``until`` (days from
    today) are for a branch's own activities only.
    """

    month: int
    type: str
    theme: str
    content: str = ""
    lead: int | None = None
    every: int = 0
    place: str = ""
    co: tuple[str, ...] = ()
    until: int | None = None
    movable: bool = False


HOME_PLACES = {
    "branch_a": "5号线项目部驻地党员活动室",
    "contractor_branch": "中晟5号线土建总承包项目部二楼会议室",
    "street_committee": "望江社区党群服务中心",
    "dev_zone_committee": "高新区党群服务中心",
    "dev_zone_office": "高新区管委会办公大楼五楼第二会议室",
    "private_branch": "睿联科技大厦十二楼党员活动室",
    "branch_b": "中衡大厦13层党员活动室",
    "office_1": "中衡大厦12层党员活动室",
    "office_3": "中衡大厦14层会议室",
    "intercity": "江北城际铁路项目部会议室",
    "corridor": "滨湖综合管廊项目部党员活动室",
    "resettlement": "科创城安置房项目部会议室",
    "joint_branch": "科创城片区开发项目现场党建活动室",
    "equipment": "设备物资中心二楼会议室",
    "lab": "试验检测中心党员活动室",
}

JOINT_ROWS = (
    RowSpec(
        1,
        "volunteer",
        "党员志愿服务进社区",
        "每月第二个周六，三方党员在望江路站周边开展交通疏导、文明劝导和施工政策解答，收集居民意见。",
        lead=2,
        every=1,
        place="望江路站施工围挡周边及望江社区第三网格",
    ),
    RowSpec(
        1,
        "other",
        "“党员身边无隐患”安全联合督查",
        "三方党员组成督查组，每月对红旗责任区开展一次安全文明施工联合督查，发现的问题纳入督办台账。",
        lead=1,
        every=1,
        place="望江路站至湖光路站施工现场",
    ),
    RowSpec(
        2,
        "study",
        "联合理论学习",
        "双月一次，集中学习党的创新理论和安全生产、城市建设方面的法规政策，交流学习体会。",
        lead=0,
        every=2,
    ),
    RowSpec(
        1,
        "care_visit",
        "新春走访慰问一线建设者和困难党员",
        "三方党员分组走访春节坚守岗位的一线工人和社区困难党员、老党员。",
    ),
    RowSpec(
        2,
        "lecture",
        "“开工第一课”安全生产联合党课",
        "节后复工前，由项目安全总监和社区党委书记联合讲授安全生产和文明施工党课，班组长参加。",
        lead=1,
        place="盾构始发井党员活动室",
    ),
    RowSpec(
        3,
        "volunteer",
        "“学雷锋”地铁安全知识进楼栋",
        "党员进楼栋讲解地铁施工安全常识，发放告居民书和便民联系卡。",
        lead=2,
    ),
    RowSpec(
        4,
        "visit",
        "清明共访红色教育基地",
        "三方党员赴湖光山革命烈士纪念馆敬献花篮、重温入党誓词。",
        place="湖光山革命烈士纪念馆",
    ),
    RowSpec(
        5,
        "tech_exchange",
        "盾构下穿居民区施工技术交流会",
        "交流盾构下穿老旧居民区的沉降控制经验，研究监测预警方案。",
        lead=1,
        movable=True,
    ),
    RowSpec(
        6,
        "contest",
        "“安全生产月”党员安全知识竞赛",
        "三方各组两支代表队，竞赛内容为安全生产法律法规和岗位操作规程。",
        lead=0,
    ),
    RowSpec(
        7,
        "theme_day",
        "“七一”联合主题党日：重温入党誓词",
        "三方党员共同重温入党誓词，表彰优秀共产党员和红旗责任区。",
        lead=0,
    ),
    RowSpec(
        8,
        "care_visit",
        "“夏送清凉”慰问高温一线建设者",
        "为一线工人送去防暑降温用品，检查高温作业防护措施落实情况。",
        lead=2,
    ),
    RowSpec(
        9, "student_aid", "“金秋助学”资助沿线社区困难家庭学生", "资助望江社区困难家庭学生，党员与学生结对帮扶。", lead=1
    ),
    RowSpec(
        10,
        "theme_day",
        "红旗责任区观摩评比联合主题党日",
        "现场观摩四个红旗责任区，三方党员代表打分评比，评出季度流动红旗。",
        place="望江路站施工现场",
        movable=True,
    ),
    RowSpec(
        11,
        "lecture",
        "“红色引擎”联合课堂：全会精神宣讲",
        "邀请区委党校教师宣讲全会精神，三方党员和参建职工代表参加。",
        lead=0,
    ),
    RowSpec(
        12,
        "sports",
        "“红色引擎”迎新年职工趣味运动会",
        "三方职工和社区居民混合编队，开展拔河、接力等趣味项目。",
        lead=2,
        place="望江社区文体广场",
    ),
)

CENTRAL_LOCAL_ROWS = (
    RowSpec(
        1,
        "volunteer",
        "“央地同心”党员服务企业日",
        "每月走访高新区段沿线企业，通报施工和交通导改安排，协调解决企业出行、用电等问题。",
        lead=1,
        every=1,
        place="高新区段沿线园区企业",
    ),
    RowSpec(
        3,
        "lecture",
        "“央地同心”联合课堂",
        "每季度由双方轮流邀请专家讲授一堂党课，内容涵盖营商环境和重大项目建设。",
        lead=0,
        every=3,
    ),
    RowSpec(
        1,
        "care_visit",
        "春节前走访慰问征迁户和困难群众",
        "走访高新区段征迁户和困难群众，听取对工程建设的意见。",
        lead=1,
    ),
    RowSpec(
        3, "study", "联合学习全国两会精神", "双方党员集中学习全国两会精神，结合项目建设和园区发展开展研讨。", lead=0
    ),
    RowSpec(
        4,
        "visit",
        "共访高新区“科创党建馆”",
        "参观高新区科创党建馆，学习园区非公企业党建经验。",
        lead=1,
        place="高新区科创党建馆",
        movable=True,
    ),
    RowSpec(
        5,
        "tech_exchange",
        "高新区段管线迁改方案联合攻关会",
        "双方技术和协调人员研究管线迁改难点，明确责任分工和时间节点。",
        lead=0,
        movable=True,
    ),
    RowSpec(
        6,
        "volunteer",
        "“安全生产月”安全宣讲进园区",
        "党员走进沿线园区企业开展安全生产宣讲和应急演练指导。",
        lead=0,
        place="高新区科创大道沿线园区",
    ),
    RowSpec(7, "theme_day", "“七一”央地联合主题党日", "双方党员共过政治生日，交流党建引领项目建设的做法。", lead=1),
    RowSpec(
        9,
        "sports",
        "央地职工篮球友谊赛",
        "项目部与管委会职工篮球友谊赛。",
        lead=1,
        place="高新区体育中心",
        movable=True,
    ),
    RowSpec(
        10,
        "theme_day",
        "“国庆”主题党日：交通导改党员服务岗上岗",
        "党员在交通导改路口设立服务岗，引导车辆和行人通行。",
        lead=0,
    ),
    RowSpec(
        11,
        "visit",
        "观摩5号线高新区段施工现场",
        "组织管委会党员观摩施工现场，了解工程进展和文明施工措施。",
        lead=0,
        place="5号线科创大道站施工现场",
        movable=True,
    ),
    RowSpec(12, "study", "年度共建工作总结暨理论学习交流会", "总结全年共建工作，学习交流，谋划下一年度计划。", lead=1),
)

PRIVATE_ROWS = (
    RowSpec(
        2,
        "tech_exchange",
        "“数智先锋”智慧工地技术沙龙",
        "每两个月一次，睿联科技技术骨干与项目技术人员交流盾构姿态监测和智慧工地平台应用。",
        lead=1,
        every=2,
    ),
    RowSpec(3, "lecture", "“数智先锋”联合党课", "每季度一次，双方书记轮流讲授党课。", lead=0, every=3),
    RowSpec(1, "care_visit", "春节前慰问驻场技术人员", "慰问春节期间驻场保障的技术人员。", lead=0),
    RowSpec(
        3,
        "volunteer",
        "“学雷锋”科技助老进社区",
        "青年党员到社区教老人使用智能手机和出行软件。",
        lead=1,
        place="望江社区党群服务中心",
    ),
    RowSpec(
        4,
        "visit",
        "共访临江市党史教育馆",
        "双方党员参观党史教育馆，重温入党誓词。",
        lead=0,
        place="临江市党史教育馆",
        movable=True,
    ),
    RowSpec(
        5,
        "other",
        "青年党员“工地实践日”",
        "睿联科技青年党员到施工一线跟班实践一天。",
        lead=0,
        place="望江路站施工现场",
        movable=True,
    ),
    RowSpec(6, "contest", "网络安全与保密知识竞赛", "围绕网络安全和数据保密开展知识竞赛。", lead=1, movable=True),
    RowSpec(7, "theme_day", "“七一”主题党日：结对支部共过政治生日", "双方党员共过政治生日，交流入党初心。", lead=1),
    RowSpec(9, "study", "民营企业党建工作交流座谈", "交流非公企业党建与生产经营融合的做法。", lead=0, movable=True),
    RowSpec(
        10, "sports", "“数智杯”羽毛球联谊赛", "双方职工羽毛球联谊赛。", lead=1, place="高新区体育中心", movable=True
    ),
    RowSpec(
        11,
        "other",
        "盾构监测系统应急演练观摩",
        "观摩监测系统报警后的应急处置演练。",
        lead=0,
        place="盾构始发井",
        movable=True,
    ),
    RowSpec(12, "study", "年度共建工作总结交流会", "总结全年共建工作，研究下一年度计划。", lead=1),
)

KCC_ROWS = (
    RowSpec(
        1,
        "volunteer",
        "科创城“党员先锋服务日”",
        "每月组织参建单位党员和管委会机关党员到园区开展志愿服务。",
        lead=0,
        every=1,
        place="科创城片区",
    ),
    RowSpec(2, "care_visit", "节后走访慰问返岗务工人员", "走访返岗务工人员，了解工资发放和食宿情况。", lead=0),
    RowSpec(
        3,
        "study",
        "联合学习：优化营商环境政策解读",
        "管委会讲解优化营商环境政策，参建单位交流落实情况。",
        lead=1,
        movable=True,
    ),
    RowSpec(4, "visit", "共访湖光山革命烈士纪念馆", "双方党员参观纪念馆，重温入党誓词。", place="湖光山革命烈士纪念馆"),
    RowSpec(
        5,
        "other",
        "科创城安置房交付前联合检查",
        "双方党员对安置房交付条件开展联合检查。",
        lead=1,
        place="科创城安置房小区",
        movable=True,
    ),
    RowSpec(6, "contest", "安全生产知识竞赛", "参建单位和管委会党员安全生产知识竞赛。", lead=0, movable=True),
    RowSpec(7, "theme_day", "“七一”联合主题党日", "双方党员共过政治生日，表彰优秀党员。", lead=1),
    RowSpec(8, "care_visit", "“夏送清凉”慰问一线工人", "为一线工人送去防暑降温用品。", lead=0),
    RowSpec(9, "study", "片区开发项目党建工作总结交流会", "总结片区开发项目党建联建经验。", lead=0),
)

# Plan pools by the agreement's key in ``ctx.data["partnerships"]["agreements"]``.
POOLS = {
    "joint": JOINT_ROWS,
    "central_local": CENTRAL_LOCAL_ROWS,
    "private_old": PRIVATE_ROWS,
    "private": PRIVATE_ROWS,
    "terminated": KCC_ROWS,
}

# Branches' own activities (no agreement). Branch B keeps to head-office partners: never branch A or its partners.
OWN: dict[str, tuple[RowSpec, ...]] = {
    "branch_a": (
        RowSpec(1, "study", "支部党员集中学习", "两个党小组轮流领学，结合盾构和车站施工谈体会。", every=3),
        RowSpec(2, "lecture", "支部书记讲党课", "支部书记结合项目建设讲党课。", every=3),
        RowSpec(5, "other", "党员先锋岗授牌暨承诺践诺", "为新认定的党员先锋岗授牌，党员现场承诺。", place="盾构始发井"),
        RowSpec(12, "other", "年度组织生活会暨民主评议党员", "开展批评与自我批评，民主评议党员。"),
    ),
    "branch_b": (
        RowSpec(
            1, "theme_day", "“清廉财务”主题党日", "学习财经纪律和廉洁从业规定，通报资金支付和合同管理风险点。", every=1
        ),
        RowSpec(2, "lecture", "“清廉财务”专题党课", "支部书记讲授廉洁从业专题党课。", every=3),
        RowSpec(
            3,
            "volunteer",
            "机关党员“学雷锋”志愿服务",
            "到区福利院开展志愿服务。",
            place="滨湖区福利院",
            co=("office_3",),
        ),
        RowSpec(
            7, "visit", "参观临江市廉政教育基地", "接受廉政警示教育。", place="临江市廉政教育基地", co=("office_1",)
        ),
        RowSpec(
            10, "contest", "财经法规与合规知识竞赛", "机关支部联合举办财经法规知识竞赛。", co=("office_1", "office_3")
        ),
        RowSpec(11, "study", "“三重一大”决策制度专题学习", "学习公司“三重一大”决策制度和审计整改要求。"),
    ),
    "office_1": (
        RowSpec(2, "theme_day", "机关第一党支部主题党日", "学习上级文件，交流机关作风建设。", every=2),
        RowSpec(
            6, "lecture", "“七一”机关联合专题党课", "公司党委书记为机关党员讲专题党课。", co=("branch_b", "office_3")
        ),
        RowSpec(
            9, "sports", "机关职工秋季健步走", "机关党支部联合组织健步走。", place="滨湖湿地公园", co=("branch_b",)
        ),
    ),
    "office_3": (
        RowSpec(
            1, "other", "安全质量督导进项目", "机关党员到项目开展安全质量督导。", every=3, place="江北城际铁路项目部"
        ),
        RowSpec(4, "theme_day", "科技创新主题党日", "交流BIM和智慧工地应用成果。"),
    ),
    "intercity": (RowSpec(1, "theme_day", "高架段“党旗红”主题党日", "在高架施工一线开展主题党日。", every=2),),
    "corridor": (
        RowSpec(1, "theme_day", "“文明施工”主题党日", "围绕扬尘治理和文明施工开展主题党日。", every=2),
        RowSpec(8, "care_visit", "“夏送清凉”慰问管廊一线工人", "为一线工人送去防暑降温用品。"),
    ),
    "resettlement": (
        RowSpec(2, "theme_day", "“安居工程”主题党日", "围绕安置房质量和按期交房开展主题党日。", every=3),
        RowSpec(1, "care_visit", "春节前走访慰问安置户", "走访即将回迁的安置户。"),
    ),
    "joint_branch": (
        RowSpec(1, "volunteer", "参建单位党员进园区志愿服务", "联合党支部党员到园区开展志愿服务。", every=2, until=-60),
    ),
    "equipment": (RowSpec(2, "study", "廉洁采购警示教育学习", "学习采购领域典型案例，筑牢廉洁防线。", every=3),),
    "lab": (
        RowSpec(1, "theme_day", "“检测数据零差错”主题党日", "学习检测规范，开展数据质量自查。", every=2),
        RowSpec(5, "tech_exchange", "试验检测技能比武", "试验检测岗位技能比武。", co=("office_3",)),
    ),
}

# How promptly a lead organization records its activities: <1 logs quickly, >1 leaves more unlogged and late.
DILIGENCE = {
    "branch_b": 0.5,
    "lab": 0.5,
    "office_1": 0.7,
    "branch_a": 0.8,
    "contractor_branch": 1.0,
    "intercity": 1.0,
    "private_branch": 1.1,
    "dev_zone_committee": 1.3,
    "street_committee": 1.4,
    "joint_branch": 1.5,
    "corridor": 2.0,
    "resettlement": 2.5,
}

# Branches whose secretary logs in to the demo: nothing of theirs is left unlogged past the 30-day edit lock, so every
# activity on their "to log" list can still be logged.
TIDY = {"branch_a", "branch_b"}


# --- the plans -----------------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    spec: RowSpec
    month: int
    order: int
    lead: Organization
    co: list[Organization]
    row: PlannedActivity | None = None


@dataclass
class PlanDraft:
    key: str
    agreement: Agreement
    year: int
    months: list[int]
    rows: list[PlanRow]
    plan: ActivityPlan | None = None
    created: bool = False


def _in_force(agreement: Agreement) -> tuple[dt.date, dt.date]:
    return agreement.term_start, agreement.terminated_on or agreement.term_end


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _plan_months(world: World, agreement: Agreement, year: int) -> list[int]:
    """Months of ``year`` the agreement is in force; for a past year, only those inside the demo window."""
    start, end = _in_force(agreement)
    window_start, _ = world.window
    months = []
    for month in range(1, 13):
        first, last = _month_range(year, month)
        if last < start or first > end:
            continue
        if year < world.today.year and last < window_start:
            continue
        months.append(month)
    return months


def _choose_rows(rng: random.Random, pool: tuple[RowSpec, ...], months: list[int]) -> list[tuple[RowSpec, int]]:
    """The rows of one plan and their months: recurring rows always, one-off rows to fill 8–14 (fewer when short)."""
    recurring = [spec for spec in pool if spec.every]
    once = [spec for spec in pool if not spec.every]
    if len(months) >= 4:
        total = rng.randint(11, 14) if len(months) >= 10 else rng.randint(8, 10)
    else:
        total = len(recurring) + len(months)
    wanted = max(total - len(recurring), 0)
    inside = [spec for spec in once if spec.month in months]
    # 春节, 清明 or 七一 themes stay in their month; only the others move into a short term.
    outside = [spec for spec in once if spec.month not in months and spec.movable]
    if len(inside) > wanted:
        keep = set(rng.sample(range(len(inside)), wanted))
        inside = [spec for index, spec in enumerate(inside) if index in keep]
    chosen = [(spec, spec.month) for spec in inside]
    for spec in outside[: max(wanted - len(inside), 0)]:
        # A theme whose usual month is outside the term goes to the least busy month in force.
        counts = Counter(month for _, month in chosen)
        chosen.append((spec, min(months, key=lambda m, s=spec: (counts[m], abs(m - s.month), m))))
    for spec in recurring:
        first = next((m for m in months if m >= spec.month), months[0])
        chosen.append((spec, first))
    return sorted(chosen, key=lambda pair: (pair[1], pool.index(pair[0])))


def _parties(agreement: Agreement) -> list[Organization]:
    parties = sorted(agreement.parties.all(), key=lambda p: (p.role != AgreementParty.Role.INITIATOR, p.pk))
    return [party.organization for party in parties]


def plan_drafts(world: World) -> list[PlanDraft]:
    """Every plan the demo wants, with its rows, computed without looking at what exists."""
    window_start, window_end = world.window
    wanted = []
    for key, pool in POOLS.items():
        agreement = world.agreements.get(key)
        if agreement is None or agreement.status == Agreement.Status.DRAFT:
            continue
        parties = _parties(agreement)
        for year in range(window_start.year, window_end.year + 1):
            months = _plan_months(world, agreement, year)
            if len(months) < 2:
                continue
            rng = random.Random(f"{SEED}|plan|{agreement.number}|{year}")
            rows = []
            turn = 0
            for order, (spec, month) in enumerate(_choose_rows(rng, pool, months), start=1):
                if spec.lead is None:
                    lead = parties[turn % len(parties)]
                    turn += 1
                else:
                    lead = parties[spec.lead % len(parties)]
                co = [org for org in parties if org != lead]
                rows.append(PlanRow(spec=spec, month=month, order=order, lead=lead, co=co))
            wanted.append(PlanDraft(key=key, agreement=agreement, year=year, months=months, rows=rows))
    return wanted


def _plan_title(agreement: Agreement, year: int) -> str:
    if agreement.brand:
        return f"{year}年“{agreement.brand}”党建共建活动计划"
    return f"{year}年党建共建活动计划"


def ensure_plans(ctx: DemoContext, world: World) -> list[PlanDraft]:
    """Create the missing plans (with their rows); link every wanted row to its row in the database."""
    drafts = plan_drafts(world)
    existing = {
        (plan.agreement_id, plan.year): plan
        for plan in ActivityPlan.objects.filter(agreement__in=[d.agreement for d in drafts]).prefetch_related("rows")
    }
    through = PlannedActivity.co_organizers.through
    created = 0
    for draft in drafts:
        plan = existing.get((draft.agreement.pk, draft.year))
        if plan is None:
            plan = _create_plan(world, draft)
            rows = PlannedActivity.objects.bulk_create(
                [
                    PlannedActivity(
                        plan=plan,
                        month=row.month,
                        theme=row.spec.theme,
                        content=row.spec.content,
                        type=world.types[row.spec.type],
                        lead=row.lead,
                        order=row.order,
                    )
                    for row in draft.rows
                ]
            )
            through.objects.bulk_create(
                [
                    through(plannedactivity_id=db_row.pk, organization_id=org.pk)
                    for db_row, row in zip(rows, draft.rows, strict=True)
                    for org in row.co
                ]
            )
            for db_row, row in zip(rows, draft.rows, strict=True):
                row.row = db_row
            draft.created = True
            created += 1
        else:
            by_theme = {row.theme: row for row in plan.rows.all()}
            for row in draft.rows:
                row.row = by_theme.get(row.spec.theme)
        draft.plan = plan
    ctx.step(f"activity plans: {created} created, {len(drafts) - created} already there")
    return drafts


def _create_plan(world: World, draft: PlanDraft) -> ActivityPlan:
    agreement = draft.agreement
    # Agreed at a joint meeting early in the year, or soon after signing; next year's in the last weeks.
    adopted = max(dt.date(draft.year, 1, 1) - dt.timedelta(days=25), agreement.term_start + dt.timedelta(days=12))
    moment = min(at(adopted, 10, 0), world.now - dt.timedelta(days=3))
    parties = _parties(agreement)
    # Whoever keeps the initiator's record; the admin typed in the plans of partners without an account.
    author = world.secretaries.get(parties[0].pk) or world.keepers.get(parties[0].pk) or world.user("admin")
    plan = ActivityPlan(
        agreement=agreement,
        year=draft.year,
        title=_plan_title(agreement, draft.year),
        notes=(
            "经联席会议审议通过。活动由各方轮流牵头举办：牵头单位负责方案、通知和活动记录，配合单位做好人员组织；"
            "确需调整的，提前一周在联建工作群通报。"
        ),
        created_by=author,
    )
    plan._history_user = author
    with as_of(moment):
        plan.full_clean()
        plan.save()
    return plan


# --- the activities --------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """One activity the demo wants; ``status`` is set only for the fixed ones, the others draw their fate."""

    title: str
    type: str
    lead: Organization
    co: list[Organization]
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    agreement: Agreement | None = None
    plan_row: PlannedActivity | None = None
    status: str | None = None
    may_be_skipped: bool = False
    lead_key: str = ""
    content: str = ""
    theme: str = ""  # the title without the month of a recurring row

    @property
    def key(self) -> tuple:
        return (self.title, self.starts_at, self.lead.pk)

    def rng(self) -> random.Random:
        return random.Random(f"{SEED}|{self.title}|{self.starts_at:%Y%m%d%H%M}|{self.lead.name}")


def _pick_day(rng: random.Random, year: int, month: int, type_code: str, lo: dt.date, hi: dt.date) -> dt.date | None:
    first, last = _month_range(year, month)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    days = [day for day in days if lo <= day <= hi]
    if not days:
        return None
    weekend = type_code in WEEKEND_TYPES and rng.random() < 0.6
    preferred = [day for day in days if (day.weekday() == 5 if weekend else day.weekday() < 5)]
    return rng.choice(preferred or days)


def _times(rng: random.Random, day: dt.date, type_code: str) -> tuple[dt.datetime, dt.datetime]:
    (hour, minute), length = TIMES[type_code]
    shift = rng.choice((0, 0, 0, 30, -30))
    starts_at = at(day, hour, minute) + dt.timedelta(minutes=shift)
    return starts_at, starts_at + dt.timedelta(minutes=length)


def _place(spec: RowSpec, lead_key: str) -> str:
    return spec.place or HOME_PLACES.get(lead_key, "党员活动室")


def _key_of(world: World) -> dict[int, str]:
    return {org.pk: key for key, org in world.orgs.items()}


def activity_drafts(world: World, plans: list[PlanDraft]) -> list[Draft]:
    """Every activity the demo wants, computed without looking at what exists."""
    window_start, window_end = world.window
    keys = _key_of(world)
    drafts: list[Draft] = []
    for plan in plans:
        start, end = _in_force(plan.agreement)
        lo, hi = max(start, window_start), min(end, window_end)
        for row in plan.rows:
            spec = row.spec
            months = [row.month] if not spec.every else [m for m in plan.months if m >= row.month]
            months = [m for m in months if not spec.every or (m - row.month) % spec.every == 0]
            for month in months:
                rng = random.Random(f"{SEED}|row|{plan.agreement.number}|{plan.year}|{spec.theme}|{month}")
                day = _pick_day(rng, plan.year, month, spec.type, lo, hi)
                if day is None:
                    continue
                starts_at, ends_at = _times(rng, day, spec.type)
                lead_key = keys.get(row.lead.pk, "")
                drafts.append(
                    Draft(
                        title=f"{spec.theme}（{month}月）" if spec.every else spec.theme,
                        type=spec.type,
                        lead=row.lead,
                        co=list(row.co),
                        starts_at=starts_at,
                        ends_at=ends_at,
                        place=_place(spec, lead_key),
                        agreement=plan.agreement,
                        plan_row=row.row,
                        may_be_skipped=True,
                        lead_key=lead_key,
                        content=spec.content,
                        theme=spec.theme,
                    )
                )
    for org_key, specs in OWN.items():
        org = world.orgs.get(org_key)
        if org is None:
            continue
        for spec in specs:
            hi = window_end if spec.until is None else min(window_end, world.today + dt.timedelta(days=spec.until))
            for year in range(window_start.year, window_end.year + 1):
                for month in range(1, 13):
                    if (spec.every and (month - spec.month) % spec.every) or (not spec.every and month != spec.month):
                        continue
                    rng = random.Random(f"{SEED}|own|{org_key}|{spec.theme}|{year}|{month}")
                    day = _pick_day(rng, year, month, spec.type, window_start, hi)
                    if day is None:
                        continue
                    starts_at, ends_at = _times(rng, day, spec.type)
                    drafts.append(
                        Draft(
                            title=f"{spec.theme}（{month}月）" if spec.every else spec.theme,
                            type=spec.type,
                            lead=org,
                            co=[world.orgs[key] for key in spec.co if key in world.orgs],
                            starts_at=starts_at,
                            ends_at=ends_at,
                            place=_place(spec, org_key),
                            lead_key=org_key,
                            content=spec.content,
                            theme=spec.theme,
                        )
                    )
    drafts.extend(_fixed_drafts(world))
    unique = {draft.key: draft for draft in drafts}
    return sorted(unique.values(), key=lambda d: (d.starts_at, d.title))


def _fixed_drafts(world: World) -> list[Draft]:
    """Branch A's recent and coming work, so ``secretary1``'s home page has something to log and to prepare."""
    orgs, agreements = world.orgs, world.agreements
    branch_a = orgs.get("branch_a")
    if branch_a is None:
        return []
    joint, central_local = agreements.get("joint"), agreements.get("central_local")
    today = world.today
    held = [
        (-1, (19, 0), 90, "study", "盾构施工党小组夜学：安全生产法规解读", None, "5号线项目部驻地党员活动室"),
        (-3, (9, 0), 180, "volunteer", "望江路站“工地开放日”：邀请居民代表走进地铁工地", joint, "望江路站施工现场"),
        (
            -5,
            (14, 30),
            120,
            "lecture",
            "“央地同心”联合课堂：交通导改期间的群众工作",
            central_local,
            "高新区党群服务中心",
        ),
    ]
    # Planned in the current week (Monday to Sunday): today and the days left, at most three.
    days_left = 6 - today.weekday()
    coming_days = [0, *range(1, days_left + 1)][:3]
    coming = [
        ("theme_day", "“党员身边无隐患”主题党日：盾构始发井安全交底", None, "盾构始发井", (16, 0), 90),
        ("volunteer", "望江路站周边交通疏导志愿服务", joint, "望江路与湖光路交叉口", (8, 0), 150),
        ("tech_exchange", "联络通道冻结施工方案交流会", None, "5号线项目部驻地党员活动室", (14, 0), 150),
    ]
    fixed = []
    for offset, (hour, minute), length, type_code, title, agreement, place in held:
        starts_at = at(today + dt.timedelta(days=offset), hour, minute)
        fixed.append((title, type_code, agreement, place, starts_at, length, Status.HELD))
    for offset, (type_code, title, agreement, place, (hour, minute), length) in zip(coming_days, coming, strict=False):
        starts_at = at(today + dt.timedelta(days=offset), hour, minute)
        # Already over when seeding late in the day: secretary1 logged it at once (its fate decides).
        status = None if starts_at + dt.timedelta(minutes=length) <= world.now else Status.PLANNED
        fixed.append((title, type_code, agreement, place, starts_at, length, status))
    drafts = []
    for title, type_code, agreement, place, starts_at, length, status in fixed:
        if agreement is not None and agreement.status != Agreement.Status.ACTIVE:
            agreement = None
        co = [org for org in _parties(agreement) if org != branch_a] if agreement is not None else []
        ends_at = starts_at + dt.timedelta(minutes=length)
        if status == Status.HELD and ends_at > world.now:
            status = Status.PLANNED
        drafts.append(
            Draft(
                title=title,
                type=type_code,
                lead=branch_a,
                co=co,
                starts_at=starts_at,
                ends_at=ends_at,
                place=place,
                agreement=agreement,
                status=status,
                lead_key="branch_a",
            )
        )
    return drafts


def _fate(world: World, draft: Draft, rng: random.Random) -> str | None:
    """Planned / held / logged / cancelled — or None when a plan row's session was never held."""
    if draft.status is not None:
        return draft.status
    diligence = DILIGENCE.get(draft.lead_key, 1.0)
    draw = rng.random()
    if draft.ends_at > world.now:
        return Status.CANCELLED if draw < 0.02 else Status.PLANNED
    if draft.may_be_skipped and draw < 0.04:
        return None
    if rng.random() < 0.06:
        return Status.CANCELLED
    age = (world.now - draft.ends_at).days
    if draft.lead_key == "branch_a" or (age > 30 and draft.lead_key in TIDY):
        return Status.LOGGED  # secretary1's "to log" list is exactly the fixed activities of the last week
    held = (0.4 if age <= 7 else 0.2 if age <= 30 else 0.05) * diligence
    draw = rng.random()
    if draw < held:
        return Status.HELD
    if age > 20 and draw < held + 0.015 * diligence:
        return Status.PLANNED  # held, but nobody ever marked it
    return Status.LOGGED


@dataclass
class Built:
    activity: Activity
    co: list[Organization]
    participations: list[tuple[Organization, int]] = field(default_factory=list)
    participants: list[Member] = field(default_factory=list)
    photos: list[tuple[str, int, str]] = field(default_factory=list)  # colour, variant, caption
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def _build(world: World, draft: Draft, status: str, rng: random.Random) -> Built:
    author = world.secretaries.get(draft.lead.pk)
    # Scheduled one to three weeks ahead; the coming days' activities were scheduled before today.
    created_at = min(
        draft.starts_at - dt.timedelta(days=rng.randint(5, 20), hours=rng.randint(0, 8)),
        world.now - dt.timedelta(minutes=rng.randint(5, 600)),
    )
    activity = Activity(
        title=draft.title,
        type=world.types[draft.type],
        agreement=draft.agreement,
        plan_row=draft.plan_row,
        lead=draft.lead,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        place=draft.place,
        description="\n\n".join(
            filter(None, [draft.content, ARRANGEMENTS.get(draft.type) or rng.choice(DEFAULT_ARRANGEMENTS)])
        ),
        status=status,
        created_by=author,
    )
    built = Built(activity=activity, co=draft.co, created_at=created_at, updated_at=created_at)
    if status == Status.CANCELLED:
        activity.cancel_reason = rng.choice(CANCEL_REASONS)
        cancelled = draft.starts_at - dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
        built.updated_at = min(max(cancelled, created_at + dt.timedelta(hours=1)), world.now)
    elif status == Status.HELD:
        built.updated_at = min(draft.ends_at + dt.timedelta(hours=rng.randint(1, 30)), world.now)
    elif status == Status.LOGGED:
        _log(world, draft, built, rng)
    return built


def _log(world: World, draft: Draft, built: Built, rng: random.Random) -> None:
    activity = built.activity
    diligence = DILIGENCE.get(draft.lead_key, 1.0)
    delay = dt.timedelta(hours=rng.uniform(2, 30) if rng.random() < 0.7 / diligence else rng.uniform(30, 24 * 12))
    activity.logged_at = min(draft.ends_at + delay, world.now - dt.timedelta(minutes=rng.randint(5, 120)))
    activity.logged_at = max(activity.logged_at, draft.ends_at)
    built.updated_at = activity.logged_at
    activity.logged_by = world.secretaries.get(draft.lead.pk)

    low, high = TURNOUT[draft.type]
    total = 0
    for org in [draft.lead, *draft.co]:
        roster = world.rosters.get(org.pk, [])
        share = rng.uniform(low, high) * (1 if org == draft.lead else 0.6)
        named = rng.sample(roster, min(len(roster), max(1, round(len(roster) * share)))) if roster else []
        lo_extra, hi_extra = EXTRA.get(draft.type, (0, 3))
        headcount = len(named) + rng.randint(lo_extra, hi_extra) + (0 if roster else rng.randint(2, 6))
        built.participations.append((org, headcount))
        built.participants.extend(named)
        total += headcount

    lead_name = draft.lead.display_name
    co_names = "、".join(org.display_name for org in draft.co)
    day = timezone.localtime(draft.starts_at)
    opening = f"{day.month}月{day.day}日，{lead_name}" + (f"联合{co_names}" if co_names else "")
    theme = draft.theme or draft.title
    phrase = theme if "“" in theme else f"“{theme}”"
    opening += f"在{draft.place}开展{phrase}活动，共{total}人参加。"
    bodies = rng.sample(BODIES[draft.type], min(2, len(BODIES[draft.type])))
    speaker = draft.lead.secretary_name or "支部书记"
    activity.summary = "\n\n".join([opening, "".join(bodies).format(speaker=speaker)])
    activity.outcomes = rng.choice(OUTCOMES[draft.type]).format(
        k=rng.randint(3, 12), m=rng.randint(1, 4), money=rng.choice((6000, 8000, 10000, 12000))
    )
    if rng.random() < 0.3:
        activity.publicity_title = f"{lead_name}开展{phrase}活动"[:120]
        activity.publicity_text = f"{opening}{bodies[0].format(speaker=speaker)}"
        if rng.random() < 0.4:
            activity.publicity_url = (
                f"https://www.hd-zhongheng.example.com/news/{day:%Y%m%d}-{rng.randint(100, 999)}.html"
            )
    colour = world.types[draft.type].color
    captions = CAPTIONS[draft.type]
    for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
        built.photos.append((colour, rng.randrange(2), captions[index % len(captions)]))


def ensure_activities(ctx: DemoContext, world: World, drafts: list[Draft]) -> dict:
    """Create the activities that are missing, with their headcounts, participants, photos and history."""
    if not drafts:
        return {"created": 0}
    starts = [draft.starts_at for draft in drafts]
    existing = set(
        Activity.objects.filter(starts_at__gte=min(starts), starts_at__lte=max(starts)).values_list(
            "title", "starts_at", "lead_id"
        )
    )
    new: list[Built] = []
    skipped = 0
    for draft in drafts:
        if draft.key in existing:
            continue
        rng = draft.rng()
        status = _fate(world, draft, rng)
        if status is None:
            skipped += 1
            continue
        new.append(_build(world, draft, status, rng))
    already = len(drafts) - len(new) - skipped
    if new:
        _write(ctx, world, new)
    counts = Counter(built.activity.status for built in new)
    ctx.step(
        f"activities: {len(new)} created ("
        + ", ".join(f"{status} {counts.get(status, 0)}" for status in Status.values)
        + f"), {already} already there; photos: {sum(len(b.photos) for b in new)}"
    )
    return {"created": len(new)}


def _write(ctx: DemoContext, world: World, new: list[Built]) -> None:
    activities = Activity.objects.bulk_create([built.activity for built in new], batch_size=200)
    # bulk_create stamps auto_now(_add) fields with the real time; put the story's back.
    for built, activity in zip(new, activities, strict=True):
        built.activity = activity
        activity.created_at, activity.updated_at = built.created_at, built.updated_at
    Activity.objects.bulk_update(activities, ["created_at", "updated_at"], batch_size=200)
    co_through = Activity.co_organizers.through
    co_through.objects.bulk_create(
        [co_through(activity_id=b.activity.pk, organization_id=org.pk) for b in new for org in b.co], batch_size=500
    )
    ActivityParticipation.objects.bulk_create(
        [
            ActivityParticipation(activity=b.activity, organization=org, headcount=headcount)
            for b in new
            for org, headcount in b.participations
        ],
        batch_size=500,
    )
    people = Activity.participants.through
    people.objects.bulk_create(
        [people(activity_id=b.activity.pk, member_id=member.pk) for b in new for member in b.participants],
        batch_size=500,
    )
    _history(new)
    photos = []
    total = len(new)
    for done, built in enumerate(new, start=1):
        activity = built.activity
        for number, (colour, variant, caption) in enumerate(built.photos, start=1):
            upload = world.pictures.upload(colour, variant, f"现场照片{number}.jpg")
            photo = store_photo(
                ActivityPhoto, upload=upload, uploaded_by=activity.logged_by, caption=caption, activity=activity
            )
            photo.created_at = activity.logged_at
            photos.append(photo)
        if done % 10 == 0 or done == total:
            ctx.progress("activities", done, total)
    ActivityPhoto.objects.bulk_update(photos, ["created_at"], batch_size=200)


def _history(new: list[Built]) -> None:
    """One history row when the activity was scheduled, one when it was held, logged or cancelled."""
    scheduled, changed = [], []
    for built in new:
        activity = built.activity
        first = copy.copy(activity)
        first.status = Status.PLANNED
        first.summary = first.outcomes = first.cancel_reason = ""
        first.publicity_title = first.publicity_text = first.publicity_url = ""
        first.logged_at, first.logged_by_id = None, None
        first.updated_at = activity.created_at
        first._history_date = activity.created_at
        first._history_user = activity.created_by
        scheduled.append(first)
        if activity.status != Status.PLANNED:
            activity._history_date = activity.updated_at
            activity._history_user = activity.logged_by or activity.created_by
            changed.append(activity)
    Activity.history.bulk_history_create(scheduled, batch_size=200)
    Activity.history.bulk_history_create(changed, batch_size=200, update=True)


# --- the hook ----------------------------------------------------------------------------------------------------


def seed(ctx: DemoContext) -> None:
    """Add the plans, activities, key project, zones, posts and teams; what exists already is left as it is."""
    from demo.engine import projects as demo_projects

    if "partnerships" not in ctx.data:
        ctx.step("activities: skipped (no partnerships demo data)")
        return
    world = load_world(ctx, Pictures())
    plans = ensure_plans(ctx, world)
    ensure_activities(ctx, world, activity_drafts(world, plans))
    projects = demo_projects.seed_projects(ctx, world)
    ctx.data["activities"] = {
        "today": world.today,
        "plans": {(draft.key, draft.year): draft.plan for draft in plans},
        **projects,
    }
