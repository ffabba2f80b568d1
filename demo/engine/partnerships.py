"""Demo world for ``manage.py seed_demo``: a fictional central-SOE regional company's party tree, its
external partners, a roster of about two hundred members, and the demo users with their roles.

Everything here is invented: company, city, people and phone numbers.

* ``group_committee``: 中衡建工集团华东建设有限公司党委, reviewed by ``committee``. Under it four 党总支
  (机关, 轨道交通, 市政与房建, 设备物资与检测) and ten branches, one of them a 联合党支部 on the
  科创城 project (``joint_branch``); branch A has two 党小组.
* ``branch_a``: 中衡华东公司临江地铁5号线项目部党支部, secretary ``secretary1``, the company's branch on
  the key project 临江市轨道交通5号线一期工程 (``KEY_PROJECT``). ``secretary1`` is also its liaison: on a
  project branch the secretary is the one who keeps in touch with the partners.
* ``branch_b``: 中衡华东公司机关第二党支部 (finance, audit and contracts at head office), secretary
  ``secretary2``, under another 党总支 and far from any project.
* External partners, each the root of its own tree: the general contractor's line-5 project branch
  (``contractor_branch``, liaison ``liaison1``); 望江社区党委 on the line's route (``street_committee``,
  with one grid branch); the high-tech zone's 党工委 (``dev_zone_committee``, with its office branch); a
  private technology supplier's branch (``private_branch``); the district construction bureau's 机关党委
  (``local_committee``).

Pairing rules for later demo data (agreements, meetings, activities, zones, assessments):

* Branch A pairs with ``contractor_branch``, ``street_committee`` and ``dev_zone_committee`` (in that
  order in ``branch_a_partners``): agreements, joint meetings, shared activities, the key project's red
  responsibility zones.
* Branch B gets only activities of its own: never an agreement, activity or zone shared with branch A or
  with branch A's partners, so that ``secretary1`` and ``secretary2`` never see each other's data.
* ``joint_branch``, ``private_branch`` and ``local_committee`` are free for other examples.

``seed(ctx)`` leaves in ``ctx.data["partnerships"]``: every organization by key under ``"organizations"``,
the named ones above as top-level keys, ``"branch_a_partners"``, ``"key_project"`` and ``"users"``
(username → User). Branch A's two 党小组 have no roster of their own: a Member has one organization, and
a party group is part of its branch, so the group members (and leaders) stay on branch A's roster.

Re-running changes nothing: organizations are found by their unique name, users by username, members by
(organization, name). Missing rows are created; existing ones are left alone, passwords included.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError

from demo.engine import joint_work as demo_joint_work
from demo.engine.context import DEMO_PASSWORD, DemoContext
from partnerships.models import Member, Organization
from partnerships.services import member_import, member_update, organization_create
from portal.models import Membership
from portal.services import membership_grant

SEED = 20261120

Kind = Organization.Kind
Sector = Organization.Sector
Status = Member.Status
Role = Membership.Role

KEY_PROJECT = {
    "name": "临江市轨道交通5号线一期工程",
    "short_name": "5号线一期",
    "location": "临江市滨湖区至临江高新区",
}


class OrgSpec(NamedTuple):
    """One demo organization; ``roster`` is the number of members on it, ``profile`` picks their posts."""

    key: str
    parent: str | None
    kind: str
    sector: str
    name: str
    short_name: str
    unit_name: str
    secretary: str
    contact: str
    phone: str
    address: str
    description: str
    roster: int = 0
    profile: str = ""


HQ = "临江市滨湖区湖光路168号中衡大厦"
LINE5_SITE = "临江市滨湖区望江路与湖光路交叉口5号线项目部驻地"

# In tree order: a parent always comes before its children.
ORGANIZATIONS: tuple[OrgSpec, ...] = (
    # --- the company's own tree ---------------------------------------------------------------------------
    OrgSpec(
        "group_committee",
        None,
        Kind.COMMITTEE,
        Sector.CENTRAL_SOE,
        name="中衡建工集团华东建设有限公司党委",
        short_name="华东公司党委",
        unit_name="中衡建工集团华东建设有限公司",
        secretary="陈国栋",
        contact="韩卫东",
        phone="0552-86201100",
        address=HQ,
        description="公司党委统筹所属党组织建设，牵头与项目沿线政府、街道社区和参建单位开展党建共建。",
    ),
    OrgSpec(
        "gb_office",
        "group_committee",
        Kind.GENERAL_BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司机关党总支",
        short_name="机关党总支",
        unit_name="中衡建工集团华东建设有限公司本部",
        secretary="刘晓东",
        contact="赵敏",
        phone="0552-86201108",
        address=HQ + "12层",
        description="负责公司本部各部门党员的教育管理，下设三个机关党支部。",
    ),
    OrgSpec(
        "gb_rail",
        "group_committee",
        Kind.GENERAL_BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司轨道交通工程党总支",
        short_name="轨道交通党总支",
        unit_name="中衡华东公司轨道交通事业部",
        secretary="杨志刚",
        contact="许文静",
        phone="0552-86201136",
        address=HQ + "15层",
        description="联系公司承建的地铁和城际铁路项目，把党组织建在项目一线。",
    ),
    OrgSpec(
        "gb_municipal",
        "group_committee",
        Kind.GENERAL_BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司市政与房建工程党总支",
        short_name="市政房建党总支",
        unit_name="中衡华东公司市政房建事业部",
        secretary="何建平",
        contact="罗雪梅",
        phone="0552-86201152",
        address=HQ + "16层",
        description="联系综合管廊、安置房和片区开发项目的党组织。",
    ),
    OrgSpec(
        "gb_support",
        "group_committee",
        Kind.GENERAL_BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司设备物资与检测党总支",
        short_name="设备检测党总支",
        unit_name="中衡华东公司设备物资中心、试验检测中心",
        secretary="郭德胜",
        contact="宋佳",
        phone="0552-86201170",
        address="临江市江北新区物流园路9号",
        description="服务各项目的设备、物资保障和试验检测工作。",
    ),
    OrgSpec(
        "office_1",
        "gb_office",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司机关第一党支部",
        short_name="机关第一党支部",
        unit_name="综合办公室、党群工作部、人力资源部",
        secretary="刘晓东",
        contact="赵敏",
        phone="0552-86201109",
        address=HQ + "12层",
        description="由综合办公室、党群工作部和人力资源部的党员组成，承担公司党务日常工作。",
        roster=16,
        profile="office_admin",
    ),
    OrgSpec(
        "branch_b",
        "gb_office",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司机关第二党支部",
        short_name="机关第二党支部",
        unit_name="财务资金部、审计法务部、商务合约部",
        secretary="林晓燕",
        contact="林晓燕",
        phone="13856201217",
        address=HQ + "13层",
        description="由财务、审计、法务和商务合约岗位的党员组成，以“清廉财务”为支部特色。",
        roster=14,
        profile="office_finance",
    ),
    OrgSpec(
        "office_3",
        "gb_office",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司机关第三党支部",
        short_name="机关第三党支部",
        unit_name="工程管理部、安全质量部、科技信息部",
        secretary="曹永强",
        contact="田甜",
        phone="0552-86201131",
        address=HQ + "14层",
        description="由工程、安全质量和科技信息部门的党员组成，常到项目开展安全质量督导。",
        roster=14,
        profile="office_engineering",
    ),
    OrgSpec(
        "branch_a",
        "gb_rail",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司临江地铁5号线项目部党支部",
        short_name="5号线项目部党支部",
        unit_name="中衡华东公司临江市轨道交通5号线一期工程项目经理部",
        secretary="周振华",
        contact="周振华",
        phone="13905521586",
        address=LINE5_SITE,
        description="负责5号线一期工程建设管理，与施工总承包方、沿线社区和高新区结对共建。",
        roster=30,
        profile="metro",
    ),
    OrgSpec(
        "group_shield",
        "branch_a",
        Kind.GROUP,
        Sector.CENTRAL_SOE,
        name="中衡华东公司5号线项目部盾构施工党小组",
        short_name="盾构施工党小组",
        unit_name="5号线项目部盾构工区",
        secretary="邓海波",
        contact="邓海波",
        phone="15055218342",
        address=LINE5_SITE + "盾构始发井",
        description="由盾构掘进、管片拼装和测量岗位的党员组成。",
    ),
    OrgSpec(
        "group_station",
        "branch_a",
        Kind.GROUP,
        Sector.CENTRAL_SOE,
        name="中衡华东公司5号线项目部车站主体党小组",
        short_name="车站主体党小组",
        unit_name="5号线项目部车站工区",
        secretary="范立军",
        contact="范立军",
        phone="15155209476",
        address=LINE5_SITE + "望江路站",
        description="由车站主体结构施工和安全管理岗位的党员组成。",
    ),
    OrgSpec(
        "intercity",
        "gb_rail",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司江北城际铁路项目部党支部",
        short_name="江北城际项目部党支部",
        unit_name="中衡华东公司江北城际铁路土建工程项目经理部",
        secretary="蒋文斌",
        contact="唐丽娟",
        phone="0552-87335120",
        address="临江市江北新区城际大道江北城际铁路项目部",
        description="负责城际铁路桥梁和路基施工，在高架段设立党员先锋岗。",
        roster=16,
        profile="project",
    ),
    OrgSpec(
        "corridor",
        "gb_municipal",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司滨湖综合管廊项目部党支部",
        short_name="管廊项目部党支部",
        unit_name="中衡华东公司滨湖大道综合管廊工程项目经理部",
        secretary="谢国强",
        contact="冯婷",
        phone="13956203374",
        address="临江市滨湖区滨湖大道综合管廊项目部",
        description="负责滨湖大道综合管廊施工，以文明施工和扬尘治理为重点。",
        roster=15,
        profile="project",
    ),
    OrgSpec(
        "resettlement",
        "gb_municipal",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司科创城安置房项目部党支部",
        short_name="安置房项目部党支部",
        unit_name="中衡华东公司科创城安置房工程项目经理部",
        secretary="董海峰",
        contact="韦倩",
        phone="15256217709",
        address="临江高新区科创大道安置房项目部",
        description="负责科创城安置房建设，重点抓工程质量和按期交房。",
        roster=15,
        profile="project",
    ),
    OrgSpec(
        "joint_branch",
        "gb_municipal",
        Kind.JOINT_BRANCH,
        Sector.CENTRAL_SOE,
        name="临江科创城片区开发项目联合党支部",
        short_name="科创城联合党支部",
        unit_name="中衡华东公司牵头，设计、监理和分包单位党员共同组成",
        secretary="潘志远",
        contact="贾晓雯",
        phone="0552-87691022",
        address="临江高新区科创城片区开发项目现场党建活动室",
        description="把参与科创城片区开发的各参建单位党员编在一起，统一过组织生活、认领责任区。",
        roster=14,
        profile="joint",
    ),
    OrgSpec(
        "equipment",
        "gb_support",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司设备物资中心党支部",
        short_name="设备物资中心党支部",
        unit_name="中衡华东公司设备物资中心",
        secretary="郭德胜",
        contact="宋佳",
        phone="0552-86201171",
        address="临江市江北新区物流园路9号",
        description="负责盾构机等大型设备调配和物资集中采购，设有廉洁采购监督岗。",
        roster=12,
        profile="equipment",
    ),
    OrgSpec(
        "lab",
        "gb_support",
        Kind.BRANCH,
        Sector.CENTRAL_SOE,
        name="中衡华东公司试验检测中心党支部",
        short_name="试验检测中心党支部",
        unit_name="中衡华东公司试验检测中心",
        secretary="袁立新",
        contact="彭欣怡",
        phone="0552-86201188",
        address="临江市滨湖区工业园纬三路21号",
        description="承担各项目原材料和实体质量检测，开展“检测数据零差错”活动。",
        roster=12,
        profile="lab",
    ),
    # --- external partners: each the root of its own tree ---------------------------------------------------
    OrgSpec(
        "street_committee",
        None,
        Kind.COMMITTEE,
        Sector.STREET_COMMUNITY,
        name="临江市滨湖区湖光街道望江社区党委",
        short_name="望江社区党委",
        unit_name="湖光街道望江社区居民委员会",
        secretary="沈桂英",
        contact="沈桂英",
        phone="0552-86627315",
        address="临江市滨湖区湖光街道望江路56号望江社区党群服务中心",
        description="5号线望江路站所在社区的党组织，协助项目做好施工扰民协调和居民沟通。",
        roster=8,
        profile="street",
    ),
    OrgSpec(
        "street_grid",
        "street_committee",
        Kind.BRANCH,
        Sector.STREET_COMMUNITY,
        name="望江社区第三网格党支部",
        short_name="第三网格党支部",
        unit_name="望江社区第三网格",
        secretary="孔令华",
        contact="孔令华",
        phone="13705528261",
        address="临江市滨湖区望江路56号望江社区第三网格党员驿站",
        description="覆盖紧邻车站施工围挡的六栋居民楼。",
        roster=8,
        profile="grid",
    ),
    OrgSpec(
        "contractor_branch",
        None,
        Kind.BRANCH,
        Sector.GENERAL_CONTRACTOR,
        name="中晟隧道工程有限公司临江5号线土建总承包项目部党支部",
        short_name="中晟5号线项目党支部",
        unit_name="中晟隧道工程有限公司临江5号线土建施工总承包项目部",
        secretary="郑国平",
        contact="马志强",
        phone="13805524419",
        address="临江市滨湖区望江路5号线土建总承包项目部",
        description="5号线一期土建施工总承包方的项目党支部，与业主方项目部党支部共同划分红旗责任区。",
        roster=18,
        profile="contractor",
    ),
    OrgSpec(
        "private_branch",
        None,
        Kind.BRANCH,
        Sector.PRIVATE,
        name="临江睿联智能科技有限公司党支部",
        short_name="睿联科技党支部",
        unit_name="临江睿联智能科技有限公司",
        secretary="吴明远",
        contact="钱雨婷",
        phone="18955203306",
        address="临江高新区创新大道88号睿联科技大厦",
        description="为项目提供盾构姿态监测和智慧工地平台的民营企业党组织。",
        roster=9,
        profile="private",
    ),
    OrgSpec(
        "dev_zone_committee",
        None,
        Kind.WORKING_COMMITTEE,
        Sector.DEV_ZONE,
        name="临江高新技术产业开发区党工委",
        short_name="高新区党工委",
        unit_name="临江高新技术产业开发区管理委员会",
        secretary="黄振宇",
        contact="蔡文华",
        phone="0552-87880001",
        address="临江高新区科创大道1号管委会办公大楼",
        description="5号线终点段所在开发区的党组织，牵头协调征迁和交通导改。",
    ),
    OrgSpec(
        "dev_zone_office",
        "dev_zone_committee",
        Kind.BRANCH,
        Sector.DEV_ZONE,
        name="临江高新区管委会机关党支部",
        short_name="管委会机关党支部",
        unit_name="临江高新技术产业开发区管理委员会机关",
        secretary="蔡文华",
        contact="蔡文华",
        phone="0552-87880016",
        address="临江高新区科创大道1号管委会办公大楼",
        description="由管委会各局室党员组成，负责园区企业服务和项目协调。",
        roster=10,
        profile="dev_zone",
    ),
    OrgSpec(
        "local_committee",
        None,
        Kind.COMMITTEE,
        Sector.LOCAL_PARTY,
        name="临江市滨湖区住房和城乡建设局机关党委",
        short_name="滨湖区住建局机关党委",
        unit_name="临江市滨湖区住房和城乡建设局",
        secretary="石保国",
        contact="万丽",
        phone="0552-86110285",
        address="临江市滨湖区政务服务中心B座",
        description="区级建设主管部门的机关党委，参与在建项目质量安全联合检查。",
        roster=8,
        profile="local",
    ),
)

SPECS = {spec.key: spec for spec in ORGANIZATIONS}


class Profile(NamedTuple):
    """How a unit's roster looks: share of men, years joined, one-off posts first, then repeated posts."""

    male_share: float
    joined_years: tuple[int, int]
    leads: tuple[str, ...]
    posts: tuple[str, ...]


PROFILES: dict[str, Profile] = {
    "office_admin": Profile(
        0.5,
        (1992, 2023),
        ("人力资源部部长", "党群工作部副部长", "团委书记", "纪委办公室主任"),
        ("党务专员", "宣传干事", "文秘", "人事专员", "行政专员", "档案管理员", "工会干事", "纪检干事"),
    ),
    "office_finance": Profile(
        0.4,
        (1995, 2023),
        ("审计法务部部长", "商务合约部部长", "财务资金部副部长"),
        ("会计", "出纳", "税务会计", "资金主管", "审计专员", "法务专员", "合约造价工程师", "成本核算员"),
    ),
    "office_engineering": Profile(
        0.75,
        (1993, 2023),
        ("工程管理部部长", "安全质量部部长", "科技信息部部长"),
        ("安全监督工程师", "质量工程师", "BIM工程师", "信息化专员", "计划统计员", "工程技术主管"),
    ),
    "project": Profile(
        0.82,
        (1998, 2024),
        ("项目经理", "项目总工程师", "安全总监", "生产经理", "项目综合办主任"),
        (
            "技术员",
            "施工员",
            "安全员",
            "质量员",
            "测量员",
            "试验员",
            "材料员",
            "资料员",
            "机械管理员",
            "造价员",
            "党务专员",
            "环保专员",
        ),
    ),
    "metro": Profile(
        0.82,
        (1998, 2024),
        ("项目经理", "项目总工程师", "安全总监", "生产经理", "盾构机长", "车站工区长"),
        (
            "技术员",
            "施工员",
            "安全员",
            "质量员",
            "测量员",
            "试验员",
            "资料员",
            "盾构司机",
            "管片拼装工程师",
            "注浆技术员",
            "车站土建工程师",
            "钢筋工长",
            "模板工长",
            "党务专员",
        ),
    ),
    "joint": Profile(
        0.75,
        (1996, 2024),
        ("设计院驻场代表", "总监理工程师代表", "幕墙分包项目经理"),
        ("监理工程师", "劳务分包队长", "施工员", "安全员", "技术员", "机电安装工长", "造价员"),
    ),
    "equipment": Profile(
        0.7,
        (1994, 2023),
        ("设备物资中心副主任",),
        ("设备工程师", "机械维修工程师", "物资管理员", "采购专员", "仓库管理员", "设备调度员"),
    ),
    "lab": Profile(
        0.55,
        (1997, 2024),
        ("试验室主任",),
        ("试验检测工程师", "试验员", "检测员", "仪器管理员", "资料员"),
    ),
    "street": Profile(
        0.45,
        (1975, 2023),
        ("社区居委会主任", "社区党委副书记"),
        ("社区网格员", "社区工作者", "楼栋长", "退休党员", "志愿服务队队长", "社区调解员"),
    ),
    "grid": Profile(
        0.45,
        (1975, 2023),
        ("网格支部组织委员",),
        ("楼栋长", "退休党员", "社区网格员", "志愿者", "在职党员（社区报到）"),
    ),
    "contractor": Profile(
        0.85,
        (1998, 2024),
        ("项目总工", "生产经理", "安全总监"),
        ("技术员", "施工员", "安全员", "质量员", "盾构班长", "劳务管理员", "测量员", "电工", "材料员"),
    ),
    "private": Profile(
        0.6,
        (2005, 2024),
        ("技术总监", "销售经理"),
        ("研发工程师", "软件工程师", "测试工程师", "实施工程师", "行政人事专员"),
    ),
    "dev_zone": Profile(
        0.55,
        (1995, 2023),
        ("管委会副主任", "规划建设局局长"),
        ("规划建设局科员", "招商服务专员", "企业服务专员", "综合执法队员", "党群工作部干事", "科员"),
    ),
    "local": Profile(
        0.55,
        (1990, 2022),
        ("建管科科长", "质量安全监督站站长"),
        ("建管科科员", "质量安全监督员", "办公室主任", "科员"),
    ),
}


class FixedMember(NamedTuple):
    """A named person on a roster: an organization's secretary or contact, or a demo user's own row."""

    org: str
    name: str
    gender: str
    title: str
    username: str | None = None


# The names match the secretary and contact columns above, so the directory and the rosters agree.
FIXED_MEMBERS: tuple[FixedMember, ...] = (
    FixedMember("office_1", "陈国栋", "m", "公司党委书记、董事长"),
    FixedMember("office_1", "韩卫东", "m", "党群工作部部长", "committee"),
    FixedMember("office_1", "刘晓东", "m", "机关党总支书记、综合办公室主任"),
    FixedMember("office_1", "赵敏", "f", "党群工作部党务专员"),
    FixedMember("branch_b", "林晓燕", "f", "党支部书记、财务资金部部长", "secretary2"),
    FixedMember("office_3", "曹永强", "m", "党支部书记、工程管理部副部长"),
    FixedMember("office_3", "田甜", "f", "科技信息部宣传干事"),
    FixedMember("branch_a", "周振华", "m", "党支部书记、项目副经理", "secretary1"),
    FixedMember("branch_a", "邓海波", "m", "盾构施工党小组组长、盾构工区长"),
    FixedMember("branch_a", "范立军", "m", "车站主体党小组组长、车站主体施工员"),
    FixedMember("intercity", "蒋文斌", "m", "党支部书记、项目经理"),
    FixedMember("intercity", "唐丽娟", "f", "项目综合办党务专员"),
    FixedMember("corridor", "谢国强", "m", "党支部书记、项目副经理"),
    FixedMember("corridor", "冯婷", "f", "项目综合办党务专员"),
    FixedMember("resettlement", "董海峰", "m", "党支部书记、项目经理"),
    FixedMember("resettlement", "韦倩", "f", "资料员、党务专员"),
    FixedMember("joint_branch", "潘志远", "m", "联合党支部书记、科创城项目经理"),
    FixedMember("joint_branch", "贾晓雯", "f", "监理单位资料员、联合党支部组织委员"),
    FixedMember("equipment", "郭德胜", "m", "党支部书记、设备物资中心主任"),
    FixedMember("equipment", "宋佳", "f", "物资管理员、党务专员"),
    FixedMember("lab", "袁立新", "m", "党支部书记、试验检测中心主任"),
    FixedMember("lab", "彭欣怡", "f", "试验员、党务专员"),
    FixedMember("street_committee", "沈桂英", "f", "社区党委书记"),
    FixedMember("street_grid", "孔令华", "m", "网格党支部书记、社区网格员"),
    FixedMember("contractor_branch", "郑国平", "m", "项目党支部书记、项目经理"),
    FixedMember("contractor_branch", "马志强", "m", "项目党支部副书记、党务专员", "liaison1"),
    FixedMember("private_branch", "吴明远", "m", "党支部书记、总经理"),
    FixedMember("private_branch", "钱雨婷", "f", "行政人事专员、党务专员"),
    FixedMember("dev_zone_office", "蔡文华", "m", "党支部书记、党群工作部部长"),
    FixedMember("local_committee", "石保国", "m", "机关党委书记、局长"),
    FixedMember("local_committee", "万丽", "f", "办公室党务干事"),
)


class UserSpec(NamedTuple):
    """A demo login: who it is and the roles it holds, as (organization key, role) pairs."""

    username: str
    last_name: str
    first_name: str
    email: str
    superuser: bool
    roles: tuple[tuple[str, str], ...]


USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", "孙", "立新", "admin@gongjian.example.com", True, ()),
    UserSpec(
        "committee",
        "韩",
        "卫东",
        "hanweidong@hd-zhongheng.example.com",
        False,
        (("group_committee", Role.REVIEWER),),
    ),
    # The secretary doubles as liaison: on a project branch nobody else keeps up with the partners.
    UserSpec(
        "secretary1",
        "周",
        "振华",
        "zhouzhenhua@hd-zhongheng.example.com",
        False,
        (("branch_a", Role.SECRETARY), ("branch_a", Role.LIAISON)),
    ),
    UserSpec(
        "secretary2",
        "林",
        "晓燕",
        "linxiaoyan@hd-zhongheng.example.com",
        False,
        (("branch_b", Role.SECRETARY),),
    ),
    UserSpec(
        "liaison1",
        "马",
        "志强",
        "mazhiqiang@zhongsheng-tunnel.example.com",
        False,
        (("contractor_branch", Role.LIAISON),),
    ),
)

# Repeats weight the draw: common surnames come up more often, as on a real roster.
SURNAMES = (
    "王王王王李李李李张张张张刘刘刘陈陈陈杨杨赵赵黄黄周周吴吴徐徐孙孙胡朱高林何郭马罗梁宋郑"
    "谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭"
    "廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
MALE_GIVEN = "建国伟强军磊涛斌明辉杰勇俊峰鹏志海波刚林浩宇晨东文华龙飞凯亮鑫超成新兵学庆振铭博远平利民德胜永发泽坤"
FEMALE_GIVEN = "丽娟敏静芳婷霞燕艳玲娜倩颖洁琳雪莉慧萍佳欣悦怡晓雯梅兰琴红英秀云凤洋璐蕾珊丹薇彤"
MOBILE_PREFIXES = (
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "136",
    "137",
    "187",
    "188",
    "189",
    "135",
    "186",
    "133",
    "177",
    "199",
    "182",
)


# --- the roster plan: pure and deterministic ------------------------------------------------------------


def _person_name(rng: random.Random, gender: str, taken: set[str]) -> str:
    """A surname and a one- or two-character given name that nobody in ``taken`` has yet."""
    chars = MALE_GIVEN if gender == "m" else FEMALE_GIVEN
    while True:
        given = rng.choice(chars)
        if rng.random() < 0.7:
            second = rng.choice(chars)
            if second == given:
                continue
            given += second
        name = rng.choice(SURNAMES) + given
        if name not in taken:
            taken.add(name)
            return name


def _mobile(rng: random.Random, used: set[str]) -> str:
    """An 11-digit mobile number not handed out before in this plan."""
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


def _joined(rng: random.Random, years: tuple[int, int]) -> dt.date:
    """A day in a year drawn from ``years`` (inclusive)."""
    return dt.date(rng.randint(*years), 1, 1) + dt.timedelta(days=rng.randrange(365))


def _status_and_joined(rng: random.Random, years: tuple[int, int], today: dt.date) -> tuple[str, dt.date | None]:
    """Mostly full members. A probationary member joined within the year before ``today``; an activist has not."""
    draw = rng.random()
    if draw < 0.06:
        return Status.ACTIVIST, None
    if draw < 0.15:
        return Status.PROBATIONARY, today - dt.timedelta(days=rng.randrange(20, 360))
    return (Status.TRANSFERRED_OUT if draw < 0.17 else Status.FULL), _joined(rng, years)


def roster_plan(today: dt.date) -> dict[str, list[dict]]:
    """Member rows per organization key, identical on every run from the same story day (the demo clock's
    ``today``, which a re-run resumes); ``username`` names a demo user's own row."""
    rng = random.Random(SEED)
    # The directory's mobile numbers belong to their contacts; no one else may draw them.
    contact_mobiles = {spec.contact: spec.phone for spec in ORGANIZATIONS if spec.phone.startswith("1")}
    used_phones = set(contact_mobiles.values())
    plan: dict[str, list[dict]] = {}
    for spec in ORGANIZATIONS:
        if not spec.roster:
            continue
        profile = PROFILES[spec.profile]
        fixed = [person for person in FIXED_MEMBERS if person.org == spec.key]
        taken = {person.name for person in fixed}
        # Secretaries and leads are seasoned members: they joined at least eight years ago.
        senior_years = (profile.joined_years[0], profile.joined_years[1] - 8)
        rows = [
            {
                "name": person.name,
                "gender": person.gender,
                "title": person.title,
                "status": Status.FULL,
                "joined_party_on": _joined(rng, senior_years),
                "phone": contact_mobiles.get(person.name) or _mobile(rng, used_phones),
                "username": person.username,
            }
            for person in fixed
        ]
        # A post a fixed person already holds (say 项目经理) must not turn up twice on the same roster.
        leads = [lead for lead in profile.leads if not any(lead in person.title for person in fixed)]
        while len(rows) < spec.roster:
            gender = "m" if rng.random() < profile.male_share else "f"
            name = _person_name(rng, gender, taken)
            if leads:
                title, status, joined = leads.pop(0), Status.FULL, _joined(rng, senior_years)
            else:
                title = rng.choice(profile.posts)
                status, joined = _status_and_joined(rng, profile.joined_years, today)
            rows.append(
                {
                    "name": name,
                    "gender": gender,
                    "title": title,
                    "status": status,
                    "joined_party_on": joined,
                    "phone": _mobile(rng, used_phones),
                    "username": None,
                }
            )
        plan[spec.key] = rows
    return plan


# --- writing it -----------------------------------------------------------------------------------------


def _ensure_users(ctx: DemoContext) -> dict:
    """Create the missing demo users; an existing account, its password included, is left as it is."""
    User = get_user_model()
    existing = {user.username: user for user in User.objects.filter(username__in=[u.username for u in USERS])}
    missing = [spec for spec in USERS if spec.username not in existing]
    # Hashing is the slow part of seeding: hash once, and only when someone needs it. Sharing one salt is
    # harmless for a password printed in the README.
    password = make_password(DEMO_PASSWORD) if missing and ctx.create_passwords else None
    users = dict(existing)
    for spec in missing:
        user = User(
            username=spec.username,
            last_name=spec.last_name,
            first_name=spec.first_name,
            email=spec.email,
            is_superuser=spec.superuser,
            is_staff=spec.superuser,
        )
        if password:
            user.password = password
        else:
            user.set_unusable_password()
        user.save()
        users[spec.username] = user
    if not users["admin"].is_superuser:
        raise CommandError("The user 'admin' exists but is not a superuser; the demo needs it to grant roles.")
    ctx.step(f"users: {len(missing)} created, {len(existing)} already there")
    return users


def _ensure_organizations(ctx: DemoContext, admin) -> dict[str, Organization]:
    """Create the missing organizations, parents first, and return every demo organization by key."""
    existing = {org.name: org for org in Organization.objects.filter(name__in=[s.name for s in ORGANIZATIONS])}
    orgs: dict[str, Organization] = {}
    created = 0
    for done, spec in enumerate(ORGANIZATIONS, start=1):
        org = existing.get(spec.name)
        if org is None:
            org = organization_create(
                actor=admin,
                parent=orgs[spec.parent] if spec.parent else None,
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                sector=spec.sector,
                unit_name=spec.unit_name,
                secretary_name=spec.secretary,
                contact_name=spec.contact,
                contact_phone=spec.phone,
                address=spec.address,
                description=spec.description,
            )
            created += 1
        orgs[spec.key] = org
        ctx.progress("organizations", done, len(ORGANIZATIONS))
    ctx.step(f"organizations: {created} created, {len(ORGANIZATIONS) - created} already there")
    return orgs


def _ensure_roster(ctx: DemoContext, admin, orgs: dict[str, Organization], users: dict) -> None:
    """Import the planned members that are missing, one organization at a time, through the roster service."""
    plan = roster_plan(ctx.clock.today)
    present = set(
        Member.objects.filter(organization__in=[orgs[key] for key in plan]).values_list("organization_id", "name")
    )
    linked = set(Member.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    created = 0
    for done, (key, rows) in enumerate(plan.items(), start=1):
        org = orgs[key]
        missing = [row for row in rows if (org.pk, row["name"]) not in present]
        if missing:
            member_import(
                actor=admin,
                organization=org,
                rows=[
                    {**row, "row": number, "user": _free_user(users, row["username"], linked)}
                    for number, row in enumerate(missing, start=1)
                ],
            )
            created += len(missing)
        ctx.progress("roster", done, len(plan))
    total = sum(len(rows) for rows in plan.values())
    ctx.step(f"members: {created} created, {total - created} already there")
    _relink_users(admin, orgs, users, linked)


def _free_user(users: dict, username: str | None, linked: set[int]):
    """The demo user for a roster row, marked as linked, unless already on a roster (the link is one-to-one)."""
    if username is None or users[username].pk in linked:
        return None
    linked.add(users[username].pk)
    return users[username]


def _relink_users(admin, orgs: dict[str, Organization], users: dict, linked: set[int]) -> None:
    """Link a demo user to their existing roster row when the link was lost (say the user was recreated)."""
    for person in FIXED_MEMBERS:
        if person.username is None or users[person.username].pk in linked:
            continue
        member = Member.objects.filter(organization=orgs[person.org], name=person.name, user=None).first()
        if member is not None:
            member_update(actor=admin, member=member, user=users[person.username])
            linked.add(users[person.username].pk)


def _ensure_roles(ctx: DemoContext, admin, orgs: dict[str, Organization], users: dict) -> None:
    """Grant every demo user's roles (``membership_grant`` does nothing when the role is already held)."""
    before = Membership.objects.count()
    for spec in USERS:
        for key, role in spec.roles:
            membership_grant(actor=admin, user=users[spec.username], organization=orgs[key], role=role)
    ctx.step(f"roles: {Membership.objects.count() - before} granted")


def seed(ctx: DemoContext) -> None:
    """Build or top up the partnerships demo world and publish it in ``ctx.data["partnerships"]``."""
    ctx.clock = demo_joint_work.resume_clock(ctx.clock)
    users = _ensure_users(ctx)
    admin = users["admin"]
    orgs = _ensure_organizations(ctx, admin)
    _ensure_roster(ctx, admin, orgs, users)
    _ensure_roles(ctx, admin, orgs, users)
    named = (
        "group_committee",
        "branch_a",
        "branch_b",
        "joint_branch",
        "street_committee",
        "contractor_branch",
        "private_branch",
        "dev_zone_committee",
        "local_committee",
    )
    ctx.data["partnerships"] = {
        "organizations": orgs,
        **{key: orgs[key] for key in named},
        "branch_a_partners": [orgs["contractor_branch"], orgs["street_committee"], orgs["dev_zone_committee"]],
        "key_project": dict(KEY_PROJECT),
        "users": users,
    }
    demo_joint_work.seed(ctx)
