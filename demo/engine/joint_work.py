"""Demo joint work for ``manage.py seed_demo``: co-construction agreements, a year of joint meetings with minutes,
decisions and supervised action items, built on the organizations and users of ``partnerships.demo``.

What it makes (all of it invented):

* ``joint`` (HD5-LJ-001): the 党建联建 of branch A, the general contractor's project branch (``liaison1``) and
  望江社区党委 — brand 红色引擎·共建地铁, in force, six joint meetings over the past year, one more scheduled within
  the next two weeks (its agenda carries over every open item), the signed scan attached.
* ``central_local`` (HD5-YD-001): the 央地共建 of branch A and the high-tech zone's 党工委, quarterly meetings.
* ``private_old`` (HD5-QY-001) → ``private`` (HD5-QY-002): branch A and the private technology supplier; the first
  agreement ran out about three months ago and was renewed (predecessor / successor).
* ``draft`` (HD5-ZJ-001): a draft being negotiated with the district construction bureau, one meeting with draft
  minutes.
* ``terminated`` (KCC-GJ-001): the 科创城 joint branch and the zone's office branch, ended early with a reason.

Branch B (``secretary2``) is a party to none of them. Partners without a liaison get one demo user each
(``liaison2`` … ``liaison5``), holding the liaison role there.

History is made "as of" the past: every write goes through the services, each run under
``demo.clock.as_of(moment)``, which makes ``django.utils.timezone.now`` return that moment. The services then validate against the date they would have
seen (an agreement is activated while its term runs, an item is due after its meeting), and ``created_at``,
``updated_at``, ``published_at``, the updates' times and the django-simple-history rows all carry the dates of the
story — no timestamp is patched afterwards. Dates are days from today on the demo's clock (``ctx.clock.story_day``:
the recent past day for day, the older past stretched so that the story's year fills every quarter the demo shows,
from its first day), so the demo always looks alive: meetings over the past five quarters, one in the next two
weeks, items due soon and overdue.

Idempotent: agreements are keyed by number, and an agreement that exists already is skipped with everything under
it; users by username; roles through ``membership_grant`` (which does nothing when the role is held).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image, ImageDraw

from demo.clock import STORY_RECENT, DemoClock, as_of
from demo.engine.context import DEMO_PASSWORD, DemoContext
from partnerships.models import ActionItem, Agreement, AgreementParty, Decision, Dimension, JointMeeting, Member
from partnerships.services import member_update
from partnerships.services.action_items import (
    action_item_cancel,
    action_item_close,
    action_item_confirm,
    action_item_create,
    action_item_send_back,
    action_item_update_progress,
)
from partnerships.services.agreements import (
    agreement_activate,
    agreement_attach_document,
    agreement_create,
    agreement_renew,
    agreement_terminate,
    agreement_update,
)
from partnerships.services.meetings import meeting_schedule, minutes_correct, minutes_publish, minutes_save_draft
from portal.models import Membership
from portal.services import membership_grant

SEED = 20261121

Role = Membership.Role
Priority = ActionItem.Priority
Outcome = Decision.Outcome
INITIATOR = AgreementParty.Role.INITIATOR
PARTNER = AgreementParty.Role.PARTNER

# Item fates: where the story leaves each item today.
OPEN = "open"  # raised, not started
PROGRESS = "progress"  # progress posted, still being worked on
AWAITING = "awaiting"  # closure requested, waiting for the other side
DONE = "done"  # closure requested and confirmed
SENT_BACK = "sent_back"  # closure requested, sent back, worked on again
SENT_BACK_DONE = "sent_back_done"  # sent back once, then closed and confirmed
CANCELLED = "cancelled"
RULED = "ruled"  # progress posted; a later joint meeting closes it by ruling


# --- the partner liaisons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiaisonSpec:
    username: str
    last_name: str
    first_name: str
    email: str
    org: str  # where the user is liaison officer
    roster_org: str  # whose roster has their row (the directory's contact person)


LIAISONS: tuple[LiaisonSpec, ...] = (
    LiaisonSpec(
        "liaison2", "沈", "桂英", "shenguiying@wangjiang-sq.example.com", "street_committee", "street_committee"
    ),
    LiaisonSpec("liaison3", "蔡", "文华", "caiwenhua@ljhtz.example.gov.cn", "dev_zone_committee", "dev_zone_office"),
    LiaisonSpec("liaison4", "钱", "雨婷", "qianyuting@ruilian-tech.example.com", "private_branch", "private_branch"),
    LiaisonSpec("liaison5", "万", "丽", "wanli@bhzjj.example.gov.cn", "local_committee", "local_committee"),
)

# The user who keeps each party's record: its liaison officer (branch A's secretary doubles as liaison).
KEEPER = {
    "branch_a": "secretary1",
    "contractor_branch": "liaison1",
    "street_committee": "liaison2",
    "dev_zone_committee": "liaison3",
    "private_branch": "liaison4",
    "local_committee": "liaison5",
}


# --- the story, as data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An action item and how far it has got. ``due`` counts days after its meeting (or after it was raised)."""

    title: str
    party: str
    due: int
    fate: str
    notes: tuple[str, ...] = ()  # progress notes, in order (after a send-back, the last one is the rework)
    close: str = ""  # the closing request's note
    back: str = ""  # why the other side sent the closure back
    cancel: str = ""
    priority: int = Priority.NORMAL
    description: str = ""


@dataclass(frozen=True)
class Dec:
    text: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Ruling:
    """A ruling on a carried-over item: extend (``days`` after the meeting), reassign (to ``party``) or close."""

    item: str
    outcome: str
    text: str
    days: int = 0
    party: str = ""


@dataclass(frozen=True)
class Meeting:
    title: str
    day: int  # days from today; negative is the past
    host: str
    place: str
    agenda: tuple[str, ...]
    minutes: str = ""  # the narrative (light Markdown); the decisions are listed after it
    decisions: tuple[Dec, ...] = ()
    rulings: tuple[Ruling, ...] = ()
    guests: tuple[str, ...] = ()
    publish: bool = True
    correction: tuple[str, str, str] | None = None  # (reason, text replaced, replacement)


@dataclass(frozen=True)
class Direct:
    """An item raised directly under the agreement, ``day`` days from today, by ``raiser``'s keeper."""

    day: int
    raiser: str
    item: Item


@dataclass(frozen=True)
class Party:
    org: str
    role: str
    signatory: str
    commitments: str


@dataclass(frozen=True)
class AgreementSpec:
    key: str
    number: str
    title: str
    brand: str
    dimensions: tuple[str, ...]
    goals: str
    parties: tuple[Party, ...]
    actor: str  # who records it: a party's org key, or "admin"
    created: int  # days from today
    term_start: int
    term_days: int
    signed: int | None = None  # None: still a draft
    document: str = ""  # file name of the signed scan, attached the day after signing
    meetings: tuple[Meeting, ...] = ()
    direct: tuple[Direct, ...] = ()
    terminated: tuple[int, str] | None = None
    renews: str = ""  # key of the agreement this one renews (created by agreement_renew)


A1_GUESTS = (
    "郑国平（中晟5号线项目党支部书记、项目经理）",
    "孔令华（望江社区第三网格党支部书记）",
    "邓海波（5号线项目部盾构施工党小组组长）",
)
A2_GUESTS = ("黄振宇（高新区党工委书记）", "范立军（5号线项目部车站主体党小组组长）")
A3_GUESTS = ("吴明远（睿联科技党支部书记、总经理）", "邓海波（5号线项目部盾构施工党小组组长）")

SITE_ROOM = "5号线项目部驻地党员活动室"
CONTRACTOR_ROOM = "中晟5号线土建总承包项目部二楼会议室"
COMMUNITY_ROOM = "望江社区党群服务中心三楼会议室"
ZONE_ROOM = "高新区管委会办公大楼五楼第二会议室"
RUILIAN_ROOM = "睿联科技大厦十二楼会议室"

JOINT = AgreementSpec(
    key="joint",
    number="HD5-LJ-001",
    title="临江地铁5号线“红色引擎·共建地铁”党建联建协议",
    brand="红色引擎·共建地铁",
    dimensions=("组织共建", "活动联办", "事务联商", "难题共解"),
    goals=(
        "以5号线一期工程建设为纽带，业主方项目部党支部、施工总承包方项目党支部和沿线望江社区党委结成联建共同体，"
        "做到组织生活互通、重点难题共解、居民诉求快办。\n\n"
        "- 每两个月召开一次联席会议，会议决定事项逐项督办、按期销号；\n"
        "- 共同划分并认领红旗责任区，把安全、质量、进度和文明施工落到党员身上；\n"
        "- 建立施工扰民问题的收集、转办、反馈闭环，居民诉求原则上七日内答复。"
    ),
    parties=(
        Party(
            "branch_a",
            INITIATOR,
            "周振华",
            "牵头召集联席会议，统筹红旗责任区考评；向社区开放项目党员活动室和安全体验区。",
        ),
        Party(
            "contractor_branch",
            PARTNER,
            "郑国平",
            "组织施工一线党员认领责任区、设立党员先锋岗；落实降噪、围挡和交通疏导等文明施工措施。",
        ),
        Party(
            "street_committee",
            PARTNER,
            "沈桂英",
            "收集并转办沿线居民诉求，组织网格党员参与施工安全劝导；协调社区场地用于联建活动。",
        ),
    ),
    actor="branch_a",
    created=-402,
    signed=-392,
    term_start=-390,
    term_days=3 * 365 - 1,
    document="红色引擎·共建地铁党建联建协议书（三方签章）.pdf",
    meetings=(
        Meeting(
            title="党建联建第一次联席会议",
            day=-350,
            host="branch_a",
            place=SITE_ROOM,
            agenda=(
                "通报联建协议签订情况和全年工作设想",
                "研究望江路站至湖光路站区间红旗责任区划分",
                "商议施工扰民问题的收集和反馈办法",
            ),
            minutes=(
                "本次会议是联建协议签订后的第一次联席会议，由5号线项目部党支部书记周振华主持，三方联络员和网格、"
                "党小组负责同志参加。\n\n"
                "周振华通报了协议签订情况：三方按“组织共建、活动联办、事务联商、难题共解”四个方面开展联建，"
                "联席会议原则上每两个月召开一次，由三方轮流承办。\n\n"
                "马志强介绍了盾构始发和车站主体施工的总体安排，提出区间沿线施工战线长、与居民区距离近，"
                "需要社区提前介入做好解释工作。沈桂英反映，近期居民对围挡占道和夜间运输车辆意见较多，"
                "希望有固定的渠道收集和答复。"
            ),
            decisions=(
                Dec(
                    "建立三方联络员周报制度，每周汇总一次问题清单，在联建工作群通报。",
                    (
                        Item(
                            "建立三方联络员周报和问题清单制度",
                            "branch_a",
                            30,
                            DONE,
                            ("周报模板已拟定，发三方征求意见。", "按反馈修改了模板，增加“居民诉求”一栏，已试行两周。"),
                            "周报制度印发执行，已连续报送四期，问题清单同步建立。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "将望江路站至湖光路站区间划分为四个红旗责任区，由三方党员认领并设牌公示。",
                    (
                        Item(
                            "划分区间四个红旗责任区并设立公示牌",
                            "contractor_branch",
                            45,
                            DONE,
                            ("完成责任区范围踏勘，初定四个责任区和责任党员名单。", "公示牌已制作，正在现场安装。"),
                            "四个责任区公示牌全部安装到位，责任党员28名已公示。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "在望江社区党群服务中心设立地铁施工意见收集点，安排专人登记转办。",
                    (
                        Item(
                            "在社区党群服务中心设立地铁施工意见收集点",
                            "street_committee",
                            30,
                            DONE,
                            ("收集点位置已确定，登记表和转办流程已印制。",),
                            "意见收集点已挂牌运行，首月登记居民意见17条，均已转办。",
                        ),
                    ),
                ),
                Dec(
                    "在施工一线开展党员先锋岗创建，首批认定不少于十个岗位。",
                    (
                        Item(
                            "开展党员先锋岗创建，首批认定不少于十个岗位",
                            "contractor_branch",
                            75,
                            DONE,
                            ("各工区已申报先锋岗14个。", "完成申报岗位的现场考察，拟认定12个。"),
                            "首批12个党员先锋岗已授牌，名单报业主方项目部党支部备案。",
                        ),
                    ),
                ),
            ),
            guests=A1_GUESTS,
        ),
        Meeting(
            title="党建联建第二次联席会议",
            day=-290,
            host="contractor_branch",
            place=CONTRACTOR_ROOM,
            agenda=(
                "通报第一次联席会议决定事项落实情况",
                "研究安全生产联合主题党日安排",
                "研究夜间施工噪声投诉的处理办法",
            ),
            minutes=(
                "会议由中晟5号线项目党支部承办，项目党支部副书记马志强主持。\n\n"
                "会议逐项听取了第一次联席会议决定事项的落实情况：联络员周报已运行，红旗责任区和党员先锋岗正在推进，"
                "社区意见收集点运行良好。\n\n"
                "沈桂英通报，收集点登记的意见中夜间施工噪声占一半以上，居民最不满意的是“事先不知道”。"
                "三方认为，夜间施工既要依法办理许可，也要提前告知、事后反馈，形成双向沟通。"
            ),
            decisions=(
                Dec(
                    "由总承包方牵头，三方党员共同开展一次安全生产联合主题党日。",
                    (
                        Item(
                            "组织三方党员开展安全生产联合主题党日",
                            "contractor_branch",
                            40,
                            DONE,
                            ("活动方案已报三方确认，安排在盾构始发井现场。",),
                            "联合主题党日已举办，三方党员46人参加，开展了安全承诺签名和应急演练观摩。",
                        ),
                    ),
                ),
                Dec(
                    "建立夜间施工“双向告知”机制：施工前一天在楼栋群公告，施工后收集反馈。",
                    (
                        Item(
                            "建立夜间施工噪声“双向告知”机制",
                            "street_committee",
                            30,
                            SENT_BACK_DONE,
                            (
                                "已在第三网格六个楼栋群试行施工预告。",
                                "按意见补充了施工后反馈环节，由楼栋长每周汇总一次居民反映。",
                            ),
                            "双向告知机制已在六个楼栋群运行。",
                            back="目前只有施工前的告知，施工后的反馈还没有形成记录，请补充反馈台账后再提交。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "研究盾构始发井周边道路临时停车位的调整方案。",
                    (
                        Item(
                            "研究盾构始发井周边临时停车位调整方案",
                            "branch_a",
                            60,
                            CANCELLED,
                            ("已与交警滨湖大队初步沟通。",),
                            cancel="交警部门对望江路沿线停车位统一作了调整，本事项不再需要单独推进。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
                Dec(
                    "编发联建工作简报，及时宣传三方联建成效。",
                    (
                        Item(
                            "编写联建工作简报第1期",
                            "branch_a",
                            20,
                            DONE,
                            (),
                            "简报第1期已编发，报送公司党委和街道党工委。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
            ),
            guests=A1_GUESTS,
        ),
        Meeting(
            title="党建联建第三次联席会议",
            day=-225,
            host="street_committee",
            place=COMMUNITY_ROOM,
            agenda=(
                "通报居民诉求办理情况",
                "研究临街居民楼加装隔音屏事宜",
                "商议地铁建设进社区开放日和联合党课安排",
            ),
            minutes=(
                "会议由望江社区党委承办，社区党委书记沈桂英主持，第三网格党支部书记孔令华列席。\n\n"
                "沈桂英通报：协议签订以来共收到居民诉求41条，已办结36条，其余5条集中在紧邻车站围挡的两栋楼，"
                "主要是噪声和采光问题。\n\n"
                "会议认为，居民诉求办理要从“解释”转向“解决”，能用工程措施的尽量用工程措施；"
                "同时要让居民走近工地、了解地铁，增进理解和支持。"
            ),
            decisions=(
                Dec(
                    "总承包方在紧邻车站的临街居民楼一侧加装隔音屏。",
                    (
                        Item(
                            "为临街居民楼一侧加装施工隔音屏",
                            "contractor_branch",
                            60,
                            DONE,
                            ("隔音屏方案已确定，材料已进场。", "完成安装约120米，剩余部分下周完成。"),
                            "隔音屏共安装186米，夜间噪声监测值较安装前下降约8分贝。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "项目部举办一次“地铁建设进社区”开放日，邀请居民代表参观工地。",
                    (
                        Item(
                            "举办“地铁建设进社区”开放日",
                            "branch_a",
                            45,
                            DONE,
                            ("参观路线和安全防护方案已确定，社区正在报名。",),
                            "开放日已举办，居民代表35人参观了车站基坑和盾构展示区。",
                        ),
                    ),
                ),
                Dec(
                    "社区摸排第三网格受施工影响的困难家庭，建立走访台账。",
                    (
                        Item(
                            "摸排受施工影响的困难家庭并建立走访台账",
                            "street_committee",
                            30,
                            DONE,
                            ("已摸排六栋楼，初步确定需重点关注的家庭9户。",),
                            "走访台账已建立，9户家庭均已走访，三方党员结对联系。",
                        ),
                    ),
                ),
                Dec(
                    "三方联合举办一次党课，主题为党建引领城市轨道交通建设。",
                    (
                        Item(
                            "举办“党建引领轨道交通建设”联合党课",
                            "branch_a",
                            50,
                            DONE,
                            ("授课提纲已完成，拟请公司党群工作部部长授课。",),
                            "联合党课已举办，三方党员52人参加。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
            ),
            guests=A1_GUESTS,
            correction=(
                "补正居民诉求数字：会上通报的办结数有误",
                "已办结36条，其余5条",
                "已办结35条，其余6条",
            ),
        ),
        Meeting(
            title="党建联建第四次联席会议",
            day=-160,
            host="branch_a",
            place=SITE_ROOM,
            agenda=(
                "通报前三次联席会议决定事项办理情况",
                "研究望江路站B出入口围挡优化",
                "研究基坑险情联防联控预案修订",
                "商议盾构技术交流和“金点子”征集",
            ),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持。\n\n"
                "会议听取了前三次联席会议决定事项的办理情况：11项已办结，1项因交警统一调整停车位而取消。"
                "与会同志认为，督办台账让每件事都有人管、有时限，要坚持下去。\n\n"
                "沈桂英反映，B出入口围挡占用人行道后，居民绕行距离较长，学校上下学时段人车混行，存在安全隐患。"
                "马志强表示将优化围挡方案，同时调整施工车辆通行时间。"
            ),
            decisions=(
                Dec(
                    "优化望江路站B出入口围挡，恢复临时人行通道。",
                    (
                        Item(
                            "优化B出入口围挡，恢复临时人行通道",
                            "contractor_branch",
                            40,
                            DONE,
                            ("围挡优化方案已报监理审批。", "围挡已内收1.5米，临时人行通道正在铺装。"),
                            "临时人行通道已开通，宽2米，设置了夜间照明和警示标志。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "社区建立地铁施工“红色网格”联络群，楼栋长、网格员和施工员入群。",
                    (
                        Item(
                            "建立地铁施工“红色网格”联络群",
                            "street_committee",
                            20,
                            DONE,
                            (),
                            "联络群已建立，楼栋长、网格员和各工区施工员共63人入群。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
                Dec(
                    "项目部组织一次盾构技术交流，同时向三方党员征集“金点子”。",
                    (
                        Item(
                            "组织盾构技术交流暨“金点子”征集",
                            "branch_a",
                            60,
                            RULED,
                            ("技术交流已举办，征集到金点子23条，正在组织评审。",),
                        ),
                    ),
                ),
                Dec(
                    "修订基坑突发险情联防联控预案，并开展一次联合演练。",
                    (
                        Item(
                            "修订基坑险情联防联控预案并开展联合演练",
                            "branch_a",
                            45,
                            DONE,
                            ("预案修订稿已发三方征求意见。", "演练脚本已确定，社区负责组织居民疏散。"),
                            "预案已印发，联合演练已完成，参演人员80余人。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "总承包方协调施工车辆错峰通行，避开学校上下学时段。",
                    (
                        Item(
                            "协调施工车辆错峰通行，避开学校上下学时段",
                            "contractor_branch",
                            30,
                            PROGRESS,
                            (
                                "已调整土方车出场时间，早高峰时段停止出土。",
                                "下午放学时段的混凝土罐车仍有交叉，正在与搅拌站协调供料时间。",
                                "搅拌站已同意调整两个时段供料，还需与交警确认临时通行证时段。",
                            ),
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
            ),
            guests=A1_GUESTS,
        ),
        Meeting(
            title="党建联建第五次联席会议",
            day=-95,
            host="contractor_branch",
            place=CONTRACTOR_ROOM,
            agenda=(
                "通报上次联席会议决定事项办理情况",
                "研究高处作业和临时用电联合安全检查",
                "研究社区老年活动室修缮的技术支持",
            ),
            minutes=(
                "会议由中晟5号线项目党支部承办，马志强主持。\n\n"
                "会议对上次联席会议的决定事项逐项过堂：B出入口人行通道已开通，居民反映较好；"
                "“金点子”评审已完成，其中6条已在现场应用；施工车辆错峰通行尚未完全落实，罐车供料时间还在协调。\n\n"
                "会议还研究了第二轮居民满意度调查、联合安全检查和社区老年活动室修缮等事项。"
            ),
            decisions=(
                Dec(
                    "三方党员组成联合检查组，对高处作业和临时用电开展一次联合安全检查。",
                    (
                        Item(
                            "开展高处作业和临时用电联合安全检查",
                            "contractor_branch",
                            50,
                            PROGRESS,
                            ("联合检查组已组建，完成车站工区检查，发现问题7项。",),
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "社区开展第二轮居民满意度问卷调查。",
                    (
                        Item(
                            "开展第二轮居民满意度问卷调查",
                            "street_committee",
                            40,
                            AWAITING,
                            ("问卷已发放，回收312份。",),
                            "调查完成，满意度为91.6%，较第一轮提高7个百分点，调查报告已上传。",
                        ),
                    ),
                ),
                Dec(
                    "编印联建工作简报第3期，报送上级党委。",
                    (
                        Item(
                            "编印联建工作简报第3期并报送上级党委",
                            "branch_a",
                            30,
                            DONE,
                            (),
                            "简报第3期已编印并报送。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
                Dec(
                    "项目部为社区老年活动室修缮提供技术支持。",
                    (
                        Item(
                            "为社区老年活动室修缮提供技术支持",
                            "branch_a",
                            60,
                            OPEN,
                            description="活动室屋面渗漏、墙面空鼓，社区希望项目部派技术人员出具修缮建议并协助选材。",
                        ),
                    ),
                ),
            ),
            rulings=(
                Ruling(
                    "组织盾构技术交流暨“金点子”征集",
                    Outcome.CLOSE,
                    "技术交流已举办，金点子评审完成，6条已在现场应用，会议确认办结。",
                ),
                Ruling(
                    "协调施工车辆错峰通行，避开学校上下学时段",
                    Outcome.EXTEND,
                    "罐车供料时间涉及搅拌站，给予延期，请总承包方加快协调。",
                    days=40,
                ),
            ),
            guests=A1_GUESTS,
        ),
        Meeting(
            title="党建联建第六次联席会议",
            day=-35,
            host="street_committee",
            place=COMMUNITY_ROOM,
            agenda=(
                "通报上次联席会议决定事项办理情况",
                "研究车站周边夜间照明补盲和沉降监测信息公开",
                "审议党建联建工作考核细则修订思路",
            ),
            minutes=(
                "会议由望江社区党委承办，沈桂英主持。\n\n"
                "会议听取了上次联席会议决定事项的办理情况。联合安全检查发现的问题正在整改；"
                "第二轮满意度调查已完成，待确认；施工车辆错峰通行延期后仍未完全落实，会议提出批评，要求总承包方"
                "拿出明确时间表。社区老年活动室修缮尚未启动，考虑到施工班组在现场，会议决定改由总承包方负责。\n\n"
                "会议还研究了车站周边夜间照明、沉降监测数据公开和联建考核细则修订等事项。"
            ),
            decisions=(
                Dec(
                    "总承包方对望江路站周边夜间照明盲区进行补光。",
                    (
                        Item(
                            "望江路站周边夜间照明补盲",
                            "contractor_branch",
                            25,
                            PROGRESS,
                            ("已排查照明盲区5处，完成2处补光。",),
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "组织第三网格党员志愿者在学校周边开展施工安全劝导。",
                    (
                        Item(
                            "组织网格党员志愿者开展施工安全劝导",
                            "street_committee",
                            30,
                            AWAITING,
                            ("志愿者排班表已确定，每个上学日早晚各2人。",),
                            "安全劝导已连续开展四周，累计劝导行人和非机动车200余人次。",
                        ),
                    ),
                ),
                Dec(
                    "修订党建联建工作考核细则，提交下次联席会议审议。",
                    (
                        Item(
                            "修订党建联建工作考核细则",
                            "branch_a",
                            45,
                            PROGRESS,
                            ("修订稿初稿已完成，增加了诉求办理时限和督办事项按期办结率两项指标。",),
                        ),
                    ),
                ),
                Dec(
                    "组织三方党员赴红色教育基地开展一次联合主题党日。",
                    (
                        Item(
                            "组织三方党员赴红色教育基地开展联合主题党日",
                            "branch_a",
                            60,
                            OPEN,
                            priority=Priority.LOW,
                        ),
                    ),
                ),
                Dec(
                    "盾构下穿望江小区期间，沉降监测数据每周向社区公示。",
                    (
                        Item(
                            "盾构下穿期间沉降监测数据每周向社区公示",
                            "contractor_branch",
                            20,
                            SENT_BACK,
                            ("已在社区公告栏张贴第一周监测数据。", "按要求改为每周一更新，并补充了测点位置示意图。"),
                            "监测数据已连续公示三周。",
                            back="公示内容只有数字，没有测点位置和预警值，居民看不懂，请补充示意图和说明后再提交。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "社区收集居民对B出入口永久恢复方案的意见。",
                    (Item("收集居民对B出入口永久恢复方案的意见", "street_committee", 40, OPEN),),
                ),
            ),
            rulings=(
                Ruling(
                    "为社区老年活动室修缮提供技术支持",
                    Outcome.REASSIGN,
                    "施工班组在现场，改由总承包方负责。",
                    party="contractor_branch",
                ),
            ),
            guests=A1_GUESTS,
        ),
    ),
    direct=(
        Direct(
            -20,
            "street_committee",
            Item(
                "临时用电线路穿越社区绿化带整改",
                "contractor_branch",
                10,
                AWAITING,
                ("线路已改为架空敷设，正在恢复绿化带。",),
                "临时用电线路已全部架空，绿化带已补植恢复。",
                priority=Priority.HIGH,
                description="网格员巡查发现，车站工区一条临时用电线路直接铺设在社区绿化带内，存在触电隐患。",
            ),
        ),
    ),
)

LAST_JOINT_MEETING = JOINT.meetings[-1]
assert -STORY_RECENT <= LAST_JOINT_MEETING.day < 0, "the demo's clock is read back from a meeting told day for day"

UPCOMING = Meeting(
    title="党建联建第七次联席会议",
    day=9,
    host="branch_a",
    place=SITE_ROOM,
    agenda=(
        "通报近两个月联建工作进展",
        "审议党建联建工作考核细则修订稿",
        "研究下一阶段红旗责任区考评办法",
    ),
    guests=A1_GUESTS,
)

CENTRAL_LOCAL = AgreementSpec(
    key="central_local",
    number="HD5-YD-001",
    title="5号线项目部党支部与临江高新区党工委“央地同心·轨道先行”共建协议",
    brand="央地同心·轨道先行",
    dimensions=("思想共建", "事务联商", "资源共享", "难题共解"),
    goals=(
        "围绕5号线高新区段建设，央企项目党组织与开发区党工委共商征迁、管线迁改和交通导改等难题，"
        "共享党建阵地和教育资源。\n\n"
        "- 每季度召开一次联席会议，重大问题随时召开专题会；\n"
        "- 征迁和管线迁改问题实行周调度，做到问题不过周；\n"
        "- 联合开设课堂，推动项目建设与园区产业发展相互促进。"
    ),
    parties=(
        Party(
            "branch_a",
            INITIATOR,
            "周振华",
            "按节点推进高新区段施工，向园区企业开放工地参观，配合做好交通导改期间的服务保障。",
        ),
        Party(
            "dev_zone_committee",
            PARTNER,
            "黄振宇",
            "牵头协调征迁、管线迁改和夜间施工许可等事项，提供园区党群服务中心作为共建活动阵地。",
        ),
    ),
    actor="branch_a",
    created=-338,
    signed=-330,
    term_start=-330,
    term_days=2 * 365,
    meetings=(
        Meeting(
            title="央地共建第一次联席会议",
            day=-300,
            host="dev_zone_committee",
            place=ZONE_ROOM,
            agenda=("通报高新区段征迁和管线迁改进展", "研究科创大道站交通导改方案", "研究夜间施工许可办理"),
            minutes=(
                "会议由高新区党工委承办，党群工作部部长蔡文华主持，管委会规划建设局和项目部有关同志参加。\n\n"
                "周振华通报，高新区段共涉及征迁点位9处、需迁改的燃气和通信管线4条，是全线工期的控制性因素。"
                "蔡文华表示，党工委将把5号线建设作为园区重点工作，建立周调度，逐项销号。"
            ),
            decisions=(
                Dec(
                    "建立征迁和管线迁改问题周调度机制，由党工委牵头。",
                    (
                        Item(
                            "建立征迁和管线迁改问题周调度机制",
                            "dev_zone_committee",
                            20,
                            DONE,
                            (),
                            "周调度机制已建立，每周四召开调度会，问题清单同步抄送项目部。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "项目部会同规划建设局对科创大道站交通导改方案进行联合审查。",
                    (
                        Item(
                            "科创大道站交通导改方案联合审查",
                            "branch_a",
                            30,
                            DONE,
                            ("导改方案已提交规划建设局。",),
                            "联合审查意见已落实，交通导改方案获批。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "为高新区段夜间施工许可开辟绿色通道。",
                    (
                        Item(
                            "协调夜间施工许可办理绿色通道",
                            "dev_zone_committee",
                            45,
                            DONE,
                            ("已与综合执法局对接，明确了材料清单。",),
                            "绿色通道已开通，许可办理时间由5个工作日压缩为2个工作日。",
                        ),
                    ),
                ),
            ),
            guests=A2_GUESTS,
        ),
        Meeting(
            title="央地共建第二次联席会议",
            day=-210,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("通报上次联席会议决定事项落实情况", "研究科创大道站剩余征迁", "商议联合课堂安排"),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持。\n\n"
                "会议听取了周调度机制运行情况，征迁点位已完成6处，剩余3户涉及补偿标准分歧。"
                "与会同志认为，剩余征迁要依法依规，党员干部多上门、多沟通，不搞简单化。\n\n"
                "双方还商定联合开设课堂，请项目部技术骨干和园区企业负责人互相授课。"
            ),
            decisions=(
                Dec(
                    "党工委组织专班，对科创大道站剩余3户征迁进行攻坚。",
                    (
                        Item(
                            "科创大道站剩余3户征迁攻坚",
                            "dev_zone_committee",
                            60,
                            DONE,
                            ("已完成2户签约。", "第3户已达成一致，正在办理签约手续。"),
                            "剩余3户均已签约腾空，场地已移交项目部。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "开设“轨道交通与产业发展”联合课堂。",
                    (
                        Item(
                            "开设“轨道交通与产业发展”联合课堂",
                            "branch_a",
                            40,
                            DONE,
                            ("第一讲已确定由项目总工讲授盾构施工技术。",),
                            "联合课堂已开讲两期，园区企业党员和项目部党员共90余人次参加。",
                        ),
                    ),
                ),
                Dec(
                    "做好高新区段燃气和通信管线迁改的衔接。",
                    (
                        Item(
                            "高新区段燃气和通信管线迁改衔接",
                            "dev_zone_committee",
                            50,
                            DONE,
                            ("通信管线迁改已完成。", "燃气管线迁改方案已获燃气公司批复。"),
                            "燃气和通信管线迁改全部完成，已移交施工作业面。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
            ),
            guests=A2_GUESTS,
        ),
        Meeting(
            title="央地共建第三次联席会议",
            day=-120,
            host="dev_zone_committee",
            place=ZONE_ROOM,
            agenda=("通报征迁和管线迁改完成情况", "研究终点站周边企业员工通勤接驳", "商议工地开放和青年党员结对"),
            minutes=(
                "会议由高新区党工委承办，蔡文华主持。\n\n"
                "会议听取了征迁和管线迁改完成情况，高新区段作业面已全部移交。"
                "蔡文华介绍，终点站周边园区企业员工约1.2万人，施工期间通勤受影响较大，企业反映集中。\n\n"
                "会议商定，党工委牵头研究接驳公交方案，项目部向园区企业开放工地参观，增进企业对工程建设的理解。"
            ),
            decisions=(
                Dec(
                    "党工委牵头研究终点站周边企业员工通勤接驳方案。",
                    (
                        Item(
                            "研究终点站周边企业员工通勤接驳方案",
                            "dev_zone_committee",
                            60,
                            PROGRESS,
                            ("已完成园区企业通勤需求问卷，回收问卷2100份。", "接驳公交线路初步方案已与公交公司对接。"),
                        ),
                    ),
                ),
                Dec(
                    "项目部为园区企业开放盾构工地参观。",
                    (
                        Item(
                            "为园区企业开放盾构工地参观",
                            "branch_a",
                            45,
                            DONE,
                            ("参观安全须知和路线已确定。",),
                            "已接待园区企业参观4批次，共120人。",
                        ),
                    ),
                ),
                Dec(
                    "组织双方青年党员开展“技术+服务”结对。",
                    (
                        Item(
                            "组织双方青年党员开展“技术+服务”结对",
                            "branch_a",
                            40,
                            CANCELLED,
                            cancel="经双方商定，并入公司党委统一组织的青年人才共育计划实施，不再单独推进。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
                Dec(
                    "统一设计高新区段施工围挡的公益广告和党建宣传内容。",
                    (
                        Item(
                            "统一设计高新区段施工围挡公益广告和党建宣传",
                            "dev_zone_committee",
                            30,
                            DONE,
                            ("设计稿已完成第一轮修改。",),
                            "围挡宣传画面已全部更换，共计1.6公里。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
            ),
            guests=A2_GUESTS,
        ),
        Meeting(
            title="央地共建第四次联席会议",
            day=-30,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("通报上次联席会议决定事项办理情况", "研究车站出入口与园区慢行系统衔接", "商议年度工作总结"),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持。\n\n"
                "会议听取了上次决定事项的办理情况：工地开放参观已完成，围挡宣传已更换；"
                "通勤接驳方案涉及公交线路审批，进度慢于预期，会议同意延期。\n\n"
                "会议研究了车站出入口与园区慢行系统衔接、材料周转场地和安全宣传进园区企业等事项。"
            ),
            decisions=(
                Dec(
                    "党工委牵头研究科创大道站出入口与园区慢行系统的衔接方案。",
                    (
                        Item(
                            "科创大道站出入口与园区慢行系统衔接方案",
                            "dev_zone_committee",
                            45,
                            PROGRESS,
                            ("规划建设局已完成现场踏勘。",),
                        ),
                    ),
                ),
                Dec(
                    "项目部编制央地共建年度工作总结。",
                    (Item("编制央地共建年度工作总结", "branch_a", 40, OPEN, priority=Priority.LOW),),
                ),
                Dec(
                    "党工委协调临时借用园区停车场作为材料周转场地。",
                    (
                        Item(
                            "办理临时借用园区停车场作为材料周转场地的手续",
                            "dev_zone_committee",
                            14,
                            OPEN,
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "联合开展安全生产宣传进园区企业活动。",
                    (
                        Item(
                            "联合开展安全生产宣传进园区企业",
                            "branch_a",
                            25,
                            PROGRESS,
                            ("宣传材料已印制，已走访企业3家。",),
                        ),
                    ),
                ),
            ),
            rulings=(
                Ruling(
                    "研究终点站周边企业员工通勤接驳方案",
                    Outcome.EXTEND,
                    "接驳线路需公交公司报批，同意延期。",
                    days=45,
                ),
            ),
            guests=A2_GUESTS,
        ),
    ),
)

PRIVATE_OLD = AgreementSpec(
    key="private_old",
    number="HD5-QY-001",
    title="5号线项目部党支部与睿联科技党支部“数智先锋”结对共建协议",
    brand="数智先锋",
    dimensions=("组织共建", "资源共享", "人才共育"),
    goals=(
        "业主方项目党组织与民营科技企业党组织结对，把党建工作融入智慧工地建设，"
        "以技术服务促进工程质量和安全管理水平提升。\n\n"
        "- 每季度至少开展一次共建活动；\n"
        "- 共同培养懂技术、会管理的青年党员骨干。"
    ),
    parties=(
        Party("branch_a", INITIATOR, "周振华", "为睿联科技党员提供工地实践和组织生活阵地。"),
        Party("private_branch", PARTNER, "吴明远", "为项目提供盾构姿态监测和智慧工地平台的技术支持和培训。"),
    ),
    actor="branch_a",
    created=-840,
    signed=-831,
    term_start=-830,
    term_days=730,
    meetings=(
        Meeting(
            title="结对共建第一次联席会议",
            day=-330,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("回顾结对共建工作", "研究监测平台接入党建阵地大屏", "商议技术党课"),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持，睿联科技党支部书记吴明远和党务专员钱雨婷参加。\n\n"
                "双方回顾了结对以来的工作，认为技术服务与党建活动结合得比较紧密，下一步要让监测数据在党建阵地上"
                "看得见、用得上。"
            ),
            decisions=(
                Dec(
                    "将盾构姿态监测平台接入项目部党建阵地大屏。",
                    (
                        Item(
                            "盾构姿态监测平台接入党建阵地大屏",
                            "private_branch",
                            45,
                            DONE,
                            ("接口调试完成，正在测试数据刷新。",),
                            "平台已接入大屏，实时显示掘进姿态和党员先锋岗信息。",
                        ),
                    ),
                ),
                Dec(
                    "联合举办一次“数字化施工”技术党课。",
                    (
                        Item(
                            "联合举办“数字化施工”技术党课",
                            "branch_a",
                            40,
                            DONE,
                            (),
                            "技术党课已举办，双方党员38人参加。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
            ),
            guests=A3_GUESTS,
        ),
        Meeting(
            title="结对共建第二次联席会议",
            day=-230,
            host="private_branch",
            place=RUILIAN_ROOM,
            agenda=("通报上次会议事项落实情况", "研究智慧工地平台操作培训", "商议党建创新案例申报"),
            minutes=(
                "会议由睿联科技党支部承办，钱雨婷主持。\n\n"
                "会议听取了平台接入大屏的情况，双方认为效果明显。项目部反映青年技术人员对平台功能掌握不够，"
                "希望睿联科技组织专题培训。"
            ),
            decisions=(
                Dec(
                    "睿联科技为项目部青年党员开展智慧工地平台操作培训。",
                    (
                        Item(
                            "为项目部青年党员开展智慧工地平台操作培训",
                            "private_branch",
                            30,
                            DONE,
                            ("培训课件已完成。",),
                            "培训已完成两期，参训28人，考核全部合格。",
                        ),
                    ),
                ),
                Dec(
                    "双方联合申报公司“党建+科技创新”案例。",
                    (
                        Item(
                            "联合申报“党建+科技创新”案例",
                            "branch_a",
                            50,
                            DONE,
                            ("案例材料初稿已完成。",),
                            "案例已申报，入选公司党委优秀案例。",
                        ),
                    ),
                ),
            ),
            guests=A3_GUESTS,
        ),
        Meeting(
            title="结对共建第三次联席会议",
            day=-130,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("总结协议期内共建工作", "研究监测数据异常预警复核", "商议协议续签"),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持。\n\n"
                "协议将于近期到期。双方总结了两年来的共建工作，一致同意续签，并在续签协议中增加数据看板二期等内容。\n\n"
                "会议还研究了监测数据异常预警的复核办法。"
            ),
            decisions=(
                Dec(
                    "建立平台数据异常预警“双人复核”机制。",
                    (
                        Item(
                            "建立平台数据异常预警“双人复核”机制",
                            "private_branch",
                            25,
                            DONE,
                            (),
                            "双人复核机制已运行，误报率明显下降。",
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "项目部牵头起草续签协议文本。",
                    (
                        Item(
                            "起草续签协议文本",
                            "branch_a",
                            20,
                            DONE,
                            (),
                            "续签协议文本已起草，双方已确认。",
                        ),
                    ),
                ),
                Dec(
                    "睿联科技开发盾构掘进数据看板二期。",
                    (
                        Item(
                            "开发盾构掘进数据看板二期",
                            "private_branch",
                            60,
                            CANCELLED,
                            ("需求调研已完成。",),
                            cancel="原协议到期，本事项纳入续签协议，在续签后的联席会议上重新部署。",
                        ),
                    ),
                ),
            ),
            guests=A3_GUESTS,
        ),
    ),
)

# Renewed a few days after the first term ended; the new term starts the day after it.
PRIVATE = AgreementSpec(
    key="private",
    number="HD5-QY-002",
    title="5号线项目部党支部与睿联科技党支部“数智先锋”结对共建协议（续签）",
    brand="数智先锋",
    dimensions=(),
    goals="",
    parties=(),
    actor="branch_a",
    renews="private_old",
    created=-96,
    signed=-90,
    term_start=-100,
    term_days=730,
    meetings=(
        Meeting(
            title="续签后第一次联席会议",
            day=-75,
            host="private_branch",
            place=RUILIAN_ROOM,
            agenda=("部署续签后的共建工作", "研究数据看板二期", "商议党员技术攻关小组"),
            minutes=(
                "会议由睿联科技党支部承办，钱雨婷主持。\n\n"
                "续签协议已生效。会议重新部署了盾构掘进数据看板二期，并商定成立党员技术攻关小组。"
            ),
            decisions=(
                Dec(
                    "睿联科技完成盾构掘进数据看板二期并上线。",
                    (
                        Item(
                            "盾构掘进数据看板二期上线",
                            "private_branch",
                            50,
                            PROGRESS,
                            ("完成需求确认和原型设计。", "后端接口开发完成，前端页面正在联调。"),
                            priority=Priority.HIGH,
                        ),
                    ),
                ),
                Dec(
                    "双方党员组成技术攻关小组，开展一次联合攻关活动。",
                    (
                        Item(
                            "开展党员技术攻关小组活动",
                            "branch_a",
                            45,
                            DONE,
                            ("攻关课题确定为管片上浮预警。",),
                            "攻关活动已开展，形成预警模型一套，已在现场试用。",
                        ),
                    ),
                ),
                Dec(
                    "项目部向睿联科技党员开放红色阵地。",
                    (
                        Item(
                            "向睿联科技党员开放项目部红色阵地",
                            "branch_a",
                            20,
                            DONE,
                            (),
                            "红色阵地已开放，睿联科技党支部已在阵地开展一次组织生活。",
                            priority=Priority.LOW,
                        ),
                    ),
                ),
            ),
            guests=A3_GUESTS,
        ),
        Meeting(
            title="续签后第二次联席会议",
            day=-15,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("通报上次会议事项办理情况", "研究年度共建计划", "研究平台运维驻场人员安全培训"),
            minutes=(
                "会议由5号线项目部党支部承办，周振华主持。\n\n"
                "数据看板二期前端联调遇到数据接口变更，未能按期上线，睿联科技表示将增派人员。"
                "会议研究了年度共建计划和驻场人员安全培训。"
            ),
            decisions=(
                Dec(
                    "项目部制定续签后年度共建计划。",
                    (
                        Item(
                            "制定续签后年度共建计划",
                            "branch_a",
                            30,
                            AWAITING,
                            ("计划初稿已发睿联科技征求意见。",),
                            "年度共建计划已定稿，共安排共建活动8项，请睿联科技确认。",
                        ),
                    ),
                ),
                Dec(
                    "睿联科技组织平台运维驻场人员参加项目安全培训。",
                    (Item("组织平台运维驻场人员安全培训", "private_branch", 20, OPEN),),
                ),
            ),
            guests=A3_GUESTS,
        ),
    ),
)

DRAFT = AgreementSpec(
    key="draft",
    number="HD5-ZJ-001",
    title="5号线项目部党支部与滨湖区住建局机关党委“质量安全同守护”共建协议",
    brand="质量安全同守护",
    dimensions=("思想共建", "事务联商", "人才共育"),
    goals=(
        "建设单位项目党组织与行业主管部门机关党委结对，共同抓好工程质量安全。\n\n"
        "- 联合开展质量安全“党员示范岗”评选；\n"
        "- 每半年组织一次质量安全联合党课。"
    ),
    parties=(
        Party("branch_a", INITIATOR, "周振华", "组织项目党员参加质量安全示范岗评选，开放工地作为教学现场。"),
        Party("local_committee", PARTNER, "石保国", "组织质量安全监督人员为项目党员授课。"),
    ),
    actor="branch_a",
    created=-25,
    term_start=30,
    term_days=2 * 365,
    meetings=(
        Meeting(
            title="共建协议商谈会",
            day=-12,
            host="branch_a",
            place=SITE_ROOM,
            agenda=("商谈共建协议文本", "确定协议签订时间"),
            minutes=(
                "双方就共建协议文本进行了商谈，对共建内容基本达成一致。\n\n"
                "- 住建局机关党委建议增加“联合质量安全巡查”内容；\n"
                "- 项目部建议把党课改为现场教学。\n\n"
                "双方同意修改后再行确认，择期签订。"
            ),
            guests=("石保国（滨湖区住建局机关党委书记、局长）",),
            publish=False,
        ),
    ),
)

TERMINATED = AgreementSpec(
    key="terminated",
    number="KCC-GJ-001",
    title="科创城联合党支部与高新区管委会机关党支部结对共建协议",
    brand="科创同行",
    dimensions=("组织共建", "活动联办"),
    goals="围绕科创城片区开发项目，联合党支部与管委会机关党支部结对，共同做好项目建设协调和企业服务。",
    parties=(
        Party("joint_branch", INITIATOR, "潘志远", "组织参建单位党员参与园区志愿服务。"),
        Party("dev_zone_office", PARTNER, "蔡文华", "协调项目建设中的审批和周边环境问题。"),
    ),
    actor="admin",
    created=-705,
    signed=-700,
    term_start=-700,
    term_days=3 * 365,
    terminated=(
        -60,
        "科创城片区开发项目主体完工，联合党支部按程序撤销，经双方协商一致提前终止本协议；"
        "尚需协调的事项并入5号线项目部党支部与高新区党工委的央地共建协议统筹推进。",
    ),
)

AGREEMENTS: tuple[AgreementSpec, ...] = (JOINT, CENTRAL_LOCAL, PRIVATE_OLD, PRIVATE, DRAFT, TERMINATED)

CONFIRM_NOTES = (
    "经现场核实，已按要求办结，同意销号。",
    "佐证材料齐全，确认办结。",
    "已核实，效果良好，确认办结。",
    "办结情况属实，同意销号。",
)
MINUTES_ENDINGS = (
    "各方联络员按分工抓好落实，每周在平台更新进展，下次联席会议逐项过堂。",
    "会议要求各责任方明确责任人和时间节点，按期办结；未能按期办结的，在下次会议上说明原因。",
    "请各方对照决定事项抓好落实，办理情况通过督办台账及时反馈。",
)
PHOTO_NAMES = ("现场照片.png", "活动照片.png", "整改后现场照片.png", "工作群截图.png", "签到表照片.png")
REPORT_NAMES = ("办结情况说明.pdf", "工作方案.pdf", "活动总结.pdf", "验收记录.pdf", "会议签到表.pdf")


class Story:
    """The writes of one agreement's history, run in time order, each "as of" its moment."""

    def __init__(self, clock: DemoClock):
        self.clock = clock
        self.now = clock.now
        self.events: list[tuple[dt.datetime, int, Callable[[], None]]] = []

    def day(self, day: int) -> dt.date:
        """The date of the story's ``day`` (days from today), on the demo's clock."""
        return self.clock.story_day(day)

    def moment(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        moment = timezone.make_aware(dt.datetime.combine(self.day(day), dt.time(hour, minute)))
        if moment >= self.now:
            raise ValueError(f"the demo story must stay in the past: day {day} {hour}:{minute:02d}")
        return moment

    def at(self, day: int, hour: int, minute: int, action: Callable[[], None]) -> None:
        self.events.append((self.moment(day, hour, minute), len(self.events), action))

    def run(self) -> None:
        for moment, _order, action in sorted(self.events, key=lambda event: event[:2]):
            with as_of(moment):
                action()


# --- files ----------------------------------------------------------------------------------------------------


def _png(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small, valid PNG: a few coloured blocks standing in for a site photo."""
    image = Image.new("RGB", (240, 160), (rng.randrange(150, 230), rng.randrange(150, 230), rng.randrange(150, 230)))
    draw = ImageDraw.Draw(image)
    for _ in range(5):
        x, y = rng.randrange(0, 200), rng.randrange(0, 120)
        colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
        draw.rectangle((x, y, x + rng.randrange(20, 80), y + rng.randrange(15, 60)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _pdf_bytes(lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF (A4) with a few lines of ASCII text."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 12 Tf 72 770 Td 18 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def _pdf(name: str, *lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _pdf_bytes(["Gongjian demo document", *lines]), content_type="application/pdf")


# --- building one agreement -------------------------------------------------------------------------------------


@dataclass
class Builder:
    """Turns one ``AgreementSpec`` into a ``Story`` and runs it."""

    spec: AgreementSpec
    ctx: DemoContext
    orgs: dict
    users: dict
    rng: random.Random
    story: Story
    agreement: Agreement | None = None
    predecessor: Agreement | None = None
    items: dict[str, ActionItem] = field(default_factory=dict)
    meetings: dict[str, JointMeeting] = field(default_factory=dict)

    # -- who does what
    def keeper(self, org_key: str):
        if self.spec.actor == "admin":
            return self.users["admin"]
        return self.users[KEEPER[org_key]]

    def party_keys(self) -> list[str]:
        spec = self.spec
        if spec.renews:
            return [party.org for party in next(s for s in AGREEMENTS if s.key == spec.renews).parties]
        return [party.org for party in spec.parties]

    def confirmer(self, item: Item, host: str | None):
        """The other side: the meeting's host when it is not the responsible party, else another party's keeper."""
        if host and host != item.party:
            return self.keeper(host)
        return self.keeper(next(key for key in self.party_keys() if key != item.party))

    def attendees(self) -> list:
        return [self.users[KEEPER[key]] for key in self.party_keys() if key in KEEPER]

    # -- the plan
    def plan(self) -> None:
        spec, story = self.spec, self.story
        story.at(spec.created, 9, 30, self.create)
        if spec.signed is not None:
            story.at(spec.signed, 10, 0, self.sign)
            if spec.document:
                story.at(spec.signed + 1, 15, 0, self.attach_document)
        elif spec.key == "draft":
            # A second pass on the text while negotiating: the goals grew by one line.
            story.at(spec.created + 15, 16, 0, self.revise_draft)
        extensions = {
            ruling.item: meeting.day + ruling.days
            for meeting in spec.meetings
            for ruling in meeting.rulings
            if ruling.outcome == Outcome.EXTEND
        }
        for index, meeting in enumerate(spec.meetings):
            self.plan_meeting(meeting)
            following = spec.meetings[index + 1].day if index + 1 < len(spec.meetings) else None
            for dec in meeting.decisions:
                for item in dec.items:
                    created = meeting.day + 2
                    due = extensions.get(item.title, meeting.day + item.due)
                    story.at(created, 9, 0, lambda m=meeting, d=dec, i=item: self.raise_item(m, d, i))
                    self.plan_item(item, created, due, meeting.host, following)
        for direct in spec.direct:
            story.at(direct.day, 11, 0, lambda d=direct: self.raise_direct(d))
            self.plan_item(direct.item, direct.day, direct.day + direct.item.due, None, None)
        if spec.terminated:
            story.at(spec.terminated[0], 10, 0, self.terminate)

    def plan_meeting(self, meeting: Meeting) -> None:
        story = self.story
        story.at(meeting.day - 7, 10, 0, lambda: self.schedule(meeting))
        if meeting.minutes:
            story.at(meeting.day + 1, 10, 0, lambda: self.record_minutes(meeting))
        if meeting.publish:
            story.at(meeting.day + 1, 17, 0, lambda: self.publish(meeting))
        if meeting.correction:
            story.at(meeting.day + 4, 11, 0, lambda: self.correct(meeting))

    def plan_item(self, item: Item, created: int, due: int, host: str | None, following: int | None) -> None:
        """Spread the item's progress, closing and confirmation between its creation and its due date (or today)."""
        story, rng = self.story, self.rng
        latest = -1  # the last day of the story: yesterday
        fate = item.fate
        notes = list(item.notes)
        if fate == OPEN:
            return
        if fate == CANCELLED:
            cancel_day = min(created + max((due - created) // 2, 3), latest)
            self.spread(item, notes, created + 2, cancel_day - 1, closing=False)
            story.at(cancel_day, 16, 0, lambda: self.cancel(item))
            return
        if fate == RULED:
            # Kept open until the next meeting rules on it (scheduled seven days before that meeting).
            end = min(due, following - 9) if following is not None else min(due, latest)
            self.spread(item, notes, created + 3, end, closing=False)
            return
        if fate == PROGRESS:
            end = min(due - 2, latest) if due - 2 > created + 3 else min(due, latest)
            self.spread(item, notes, created + 3, end, closing=False)
            return
        span = max(due - created, 6)
        if fate in (SENT_BACK, SENT_BACK_DONE):
            first, rework = notes[:-1], notes[-1:]
            close_day = min(created + int(span * 0.6), latest - 8)
            self.spread(item, first, created + 2, close_day - 2, closing=True)
            story.at(close_day, 17, 0, lambda: self.close(item))
            story.at(close_day + 2, 9, 30, lambda: self.send_back(item, host))
            self.spread(item, rework, close_day + 5, close_day + 5, closing=True, start_percent=85)
            if fate == SENT_BACK_DONE:
                story.at(close_day + 8, 17, 0, lambda: self.close(item, again=True))
                story.at(close_day + 10, 10, 0, lambda: self.confirm(item, host))
            return
        factor = rng.uniform(0.6, 0.95) if fate == DONE else rng.uniform(0.75, 0.95)
        close_day = created + int(span * factor)
        close_day = min(close_day, latest - 3 if fate == DONE else latest)
        self.spread(item, notes, created + 2, close_day - 2, closing=True)
        story.at(close_day, 16, 30, lambda: self.close(item))
        if fate == DONE:
            story.at(min(close_day + rng.randint(1, 3), latest), 10, 30, lambda: self.confirm(item, host))

    def spread(self, item: Item, notes: list[str], first: int, last: int, *, closing: bool, start_percent=0) -> None:
        """Post ``notes`` as progress updates evenly between days ``first`` and ``last`` with rising percentages."""
        if not notes:
            return
        last = max(last, first)
        count = len(notes)
        top = self.rng.choice((75, 80, 85)) if closing else self.rng.choice((50, 60, 70))
        for index, note in enumerate(notes):
            day = first + (last - first) * index // max(count - 1, 1) if count > 1 else last
            if start_percent:
                percent = start_percent
            else:
                percent = max(10, min(95, round(top * (index + 1) / count / 5) * 5 + self.rng.choice((-5, 0, 5))))
            with_photo = index == count - 1 and self.rng.random() < 0.7
            hour = self.rng.choice((10, 11, 15, 16))
            self.story.at(day, hour, 0, lambda n=note, p=percent, w=with_photo: self.progress(item, n, p, w))

    # -- the writes (each runs "as of" its moment)
    def create(self) -> None:
        spec = self.spec
        actor = self.users["admin"] if spec.actor == "admin" else self.keeper(spec.actor)
        if spec.renews:
            self.agreement = agreement_renew(
                actor=actor,
                agreement=self.predecessor,
                number=spec.number,
                title=spec.title,
                term_start=self.story.day(spec.term_start),
                term_end=self.term_end(),
            )
            return
        start = self.story.day(spec.term_start)
        parties = [
            {
                "organization": self.orgs[party.org],
                "role": party.role,
                "signatory": party.signatory,
                "liaison": self.users[KEEPER[party.org]] if party.org in KEEPER else None,
                "commitments": party.commitments,
            }
            for party in spec.parties
        ]
        goals = spec.goals
        if spec.key == "draft":
            goals = goals.rsplit("\n", 1)[0]  # the last line is added while negotiating (revise_draft)
        self.agreement = agreement_create(
            actor=actor,
            number=spec.number,
            title=spec.title,
            brand=spec.brand,
            goals=goals,
            parties=parties,
            dimensions=list(Dimension.objects.filter(name__in=spec.dimensions)),
            term_start=start,
            term_end=self.term_end(),
        )

    def term_end(self) -> dt.date:
        """A term that has ended ends on its story day (the renewal follows it); one still running keeps its length."""
        spec = self.spec
        last = spec.term_start + spec.term_days - 1
        if last < 0:
            return self.story.day(last)
        return self.story.day(spec.term_start) + dt.timedelta(days=spec.term_days - 1)

    def revise_draft(self) -> None:
        self.agreement = agreement_update(
            actor=self.keeper(self.spec.actor), agreement=self.agreement, goals=self.spec.goals
        )

    def sign(self) -> None:
        actor = self.users["admin"] if self.spec.actor == "admin" else self.keeper(self.spec.actor)
        signed_on = self.story.day(self.spec.signed)
        self.agreement = agreement_update(actor=actor, agreement=self.agreement, signed_on=signed_on)
        self.agreement = agreement_activate(actor=actor, agreement=self.agreement)

    def attach_document(self) -> None:
        scan = _pdf(self.spec.document, f"Agreement {self.spec.number}", "Signed and sealed by all parties")
        self.agreement = agreement_attach_document(
            actor=self.keeper(self.spec.actor), agreement=self.agreement, document=scan
        )

    def terminate(self) -> None:
        day, reason = self.spec.terminated
        self.agreement = agreement_terminate(
            actor=self.users["admin"],
            agreement=self.agreement,
            reason=reason,
            on=self.story.day(day),
        )

    def schedule(self, meeting: Meeting) -> None:
        starts_at = timezone.make_aware(dt.datetime.combine(self.story.day(meeting.day), dt.time(14, 30)))
        self.meetings[meeting.title] = meeting_schedule(
            actor=self.keeper(meeting.host),
            agreement=self.agreement,
            title=meeting.title,
            starts_at=starts_at,
            place=meeting.place,
            host=self.orgs[meeting.host],
            attendees=self.attendees(),
            guests="\n".join(meeting.guests),
            agenda=meeting.agenda,
        )

    def minutes_text(self, meeting: Meeting) -> str:
        lines = [meeting.minutes.strip()]
        if meeting.decisions or meeting.rulings:
            lines.append("会议议定以下事项：")
            listed = [f"- {dec.text}" for dec in meeting.decisions]
            listed += [f"- 关于“{ruling.item}”：{ruling.text}" for ruling in meeting.rulings]
            lines.append("\n".join(listed))
            lines.append(self.rng.choice(MINUTES_ENDINGS))
        return "\n\n".join(lines)

    def record_minutes(self, meeting: Meeting) -> None:
        decisions: list[dict] = [{"text": dec.text, "outcome": Outcome.NEW} for dec in meeting.decisions]
        for ruling in meeting.rulings:
            row: dict = {"outcome": ruling.outcome, "carried_item": self.items[ruling.item], "text": ruling.text}
            if ruling.outcome == Outcome.EXTEND:
                row["due_on"] = self.story.day(meeting.day + ruling.days)
            elif ruling.outcome == Outcome.REASSIGN:
                row["responsible_party"] = self.orgs[ruling.party]
            decisions.append(row)
        self.meetings[meeting.title] = minutes_save_draft(
            actor=self.keeper(meeting.host),
            meeting=self.meetings[meeting.title],
            minutes=self.minutes_text(meeting),
            attendee_ids=[user.pk for user in self.attendees()],
            guests="\n".join(meeting.guests),
            decisions=decisions,
        )

    def publish(self, meeting: Meeting) -> None:
        self.meetings[meeting.title] = minutes_publish(
            actor=self.keeper(meeting.host), meeting=self.meetings[meeting.title]
        )

    def correct(self, meeting: Meeting) -> None:
        reason, old, new = meeting.correction
        current = self.meetings[meeting.title]
        current.refresh_from_db()
        minutes_correct(
            actor=self.keeper(meeting.host), meeting=current, minutes=current.minutes.replace(old, new), reason=reason
        )

    def raise_item(self, meeting: Meeting, dec: Dec, item: Item) -> None:
        decision = self.meetings[meeting.title].decisions.get(text=dec.text)
        self._create_item(self.keeper(meeting.host), item, meeting.day, decision)

    def raise_direct(self, direct: Direct) -> None:
        self._create_item(self.keeper(direct.raiser), direct.item, direct.day, None)

    def _create_item(self, actor, item: Item, day: int, decision: Decision | None) -> None:
        person = self.users.get(KEEPER.get(item.party, ""))
        self.items[item.title] = action_item_create(
            actor=actor,
            agreement=self.agreement,
            title=item.title,
            description=item.description,
            responsible_party=self.orgs[item.party],
            responsible_person=person,
            due_on=self.story.day(day + item.due),
            priority=item.priority,
            decision=decision,
        )

    def owner(self, item: Item):
        """Whoever keeps the item's responsible party now (a ruling may have reassigned it)."""
        current = self.items[item.title]
        current.refresh_from_db(fields=["responsible_party"])
        key = next(key for key, org in self.orgs.items() if org.pk == current.responsible_party_id)
        return self.keeper(key)

    def progress(self, item: Item, note: str, percent: int, with_photo: bool) -> None:
        evidence = [_png(self.rng, self.rng.choice(PHOTO_NAMES))] if with_photo else []
        action_item_update_progress(
            actor=self.owner(item), item=self.items[item.title], note=note, percent=percent, evidence=evidence
        )

    def close(self, item: Item, again: bool = False) -> None:
        evidence = [_pdf(self.rng.choice(REPORT_NAMES), f"Action item report, agreement {self.spec.number}")]
        if self.rng.random() < 0.5:
            evidence.append(_png(self.rng, self.rng.choice(PHOTO_NAMES)))
        note = item.close or "已按要求办结，佐证材料见附件。"
        if again:
            note = f"已按退回意见补充完善。{note}"
        self.items[item.title] = action_item_close(
            actor=self.owner(item), item=self.items[item.title], note=note, evidence=evidence
        )

    def confirm(self, item: Item, host: str | None) -> None:
        self.items[item.title] = action_item_confirm(
            actor=self.confirmer(item, host), item=self.items[item.title], note=self.rng.choice(CONFIRM_NOTES)
        )

    def send_back(self, item: Item, host: str | None) -> None:
        self.items[item.title] = action_item_send_back(
            actor=self.confirmer(item, host), item=self.items[item.title], reason=item.back
        )

    def cancel(self, item: Item) -> None:
        self.items[item.title] = action_item_cancel(
            actor=self.owner(item), item=self.items[item.title], reason=item.cancel
        )


# --- seeding --------------------------------------------------------------------------------------------------


def _ensure_liaisons(ctx: DemoContext, admin, orgs: dict) -> dict:
    """The partners' liaison officers: users created when missing, the liaison role granted, roster rows linked."""
    User = get_user_model()
    existing = {user.username: user for user in User.objects.filter(username__in=[s.username for s in LIAISONS])}
    missing = [spec for spec in LIAISONS if spec.username not in existing]
    password = make_password(DEMO_PASSWORD) if missing and ctx.create_passwords else None
    users = dict(existing)
    for spec in missing:
        user = User(username=spec.username, last_name=spec.last_name, first_name=spec.first_name, email=spec.email)
        if password:
            user.password = password
        else:
            user.set_unusable_password()
        user.save()
        users[spec.username] = user
    before = Membership.objects.count()
    for spec in LIAISONS:
        user = users[spec.username]
        membership_grant(actor=admin, user=user, organization=orgs[spec.org], role=Role.LIAISON)
        # The directory names them as their organization's contact; link their roster row when it is free.
        row = Member.objects.filter(
            organization=orgs[spec.roster_org], name=spec.last_name + spec.first_name, user=None
        ).first()
        if row is not None and not Member.objects.filter(user=user).exists():
            member_update(actor=admin, member=row, user=user)
    granted = Membership.objects.count() - before
    ctx.step(f"partner liaisons: {len(missing)} created, {len(existing)} already there, {granted} roles granted")
    return users


def seed(ctx: DemoContext) -> None:
    """Add the agreements, meetings, minutes and action items; an agreement already there is left as it is."""
    data = ctx.data["partnerships"]
    orgs, admin = data["organizations"], data["users"]["admin"]
    with translation.override(settings.LANGUAGE_CODE):
        liaisons = _ensure_liaisons(ctx, admin, orgs)
        users = {**data["users"], **liaisons}
        today = ctx.clock.today
        existing = {a.number: a for a in Agreement.objects.filter(number__in=[s.number for s in AGREEMENTS])}
        agreements: dict[str, Agreement] = {}
        created = 0
        for done, spec in enumerate(AGREEMENTS, start=1):
            if spec.number in existing:
                agreements[spec.key] = existing[spec.number]
            elif spec.renews and spec.renews not in agreements:
                pass  # nothing to renew
            else:
                builder = Builder(spec, ctx, orgs, users, random.Random(f"{SEED}-{spec.key}"), Story(ctx.clock))
                builder.predecessor = agreements.get(spec.renews)
                builder.plan()
                builder.story.run()
                builder.agreement.refresh_from_db()
                agreements[spec.key] = builder.agreement
                if spec.key == "joint":
                    _schedule_upcoming(builder, today)
                created += 1
            ctx.progress("agreements", done, len(AGREEMENTS))
        for agreement in agreements.values():
            agreement.refresh_from_db()
    items = ActionItem.objects.filter(agreement__in=agreements.values())
    counts = {status: items.filter(status=status).count() for status in ActionItem.Status.values}
    ctx.step(
        f"agreements: {created} created, {len(AGREEMENTS) - created} already there; "
        f"meetings: {JointMeeting.objects.filter(agreement__in=agreements.values()).count()}; "
        f"action items: {items.count()} ("
        + ", ".join(f"{status} {count}" for status, count in counts.items())
        + f", overdue {items.overdue().count()})"
    )
    data["agreements"] = agreements
    data["partner_liaisons"] = liaisons
    upcoming = JointMeeting.objects.filter(agreement=agreements.get("joint"), title=UPCOMING.title).first()
    data["upcoming_meeting"] = upcoming


def resume_clock(clock: DemoClock) -> DemoClock:
    """The demo's clock, on the day the story was first told when the world is there already.

    The joint agreement's last meeting before today was held ``LAST_JOINT_MEETING.day`` days before that day (recent
    enough to be told day for day, and locked by its published minutes); reading it back keeps a re-run on a later
    day from drawing a second, shifted set of rows.
    """
    meeting = JointMeeting.objects.filter(agreement__number=JOINT.number, title=LAST_JOINT_MEETING.title).first()
    if meeting is None:
        return clock
    held_on = timezone.localtime(meeting.starts_at).date()
    return clock.resumed(held_on - dt.timedelta(days=LAST_JOINT_MEETING.day))


def _schedule_upcoming(builder: Builder, today: dt.date) -> None:
    """The next joint meeting, in the coming days: scheduled now, so its agenda carries over every open item."""
    starts_at = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=UPCOMING.day), dt.time(14, 30)))
    meeting_schedule(
        actor=builder.keeper(UPCOMING.host),
        agreement=builder.agreement,
        title=UPCOMING.title,
        starts_at=starts_at,
        place=UPCOMING.place,
        host=builder.orgs[UPCOMING.host],
        attendees=builder.attendees(),
        guests="\n".join(UPCOMING.guests),
        agenda=UPCOMING.agenda,
    )
