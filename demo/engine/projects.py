"""Demo key project for ``manage.py seed_demo`` (called by ``activities.demo.seed``): the metro line's first phase under
the three-party 联建 agreement, four red responsibility zones claimed by members of the parties, a routine check of
every zone each month since it was divided and, over the last months, checks with findings (most fixed in time,
three open, one of them overdue), pioneer posts, a commando and a vanguard team.

Idempotent like the rest of the demo: the project is found by name, zones by (project, name) — a zone already there
is left with its members and checks —, posts by (organization, member, post, start), teams by name. Member picks are
computed in full before anything is written, so the same people are picked whatever already exists.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from activities.models import (
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
from activities.photos import store_photo
from demo.clock import as_of
from demo.engine.activities import SEED, World, at
from demo.engine.context import DemoContext
from partnerships.models import Member

Category = ZoneCheck.Category
Dim = ZoneDimension

PROJECT = {
    "code": "LJGD5-TJ01",
    "description": (
        "线路全长约21.6公里，设地下车站17座。望江路站至湖光路站区间下穿望江社区老旧居民区，是全线安全风险最高、"
        "群众工作量最大的一段。业主方项目部党支部、施工总承包方项目党支部和望江社区党委依托党建联建，"
        "将望江路站及相邻区间划分为四个红旗责任区，由三方党员认领、设牌公示。"
    ),
    "honours": "红色工地（临江市建设系统）、市级安全文明标准化工地",
    "supervision_phone": "0552-86627890",
}


DIVIDED = -335  # story day the zones were divided and claimed
ROUTINE_FROM, ROUTINE_EVERY = DIVIDED + 25, 30


@dataclass(frozen=True)
class Check:
    """A zone check ``day`` days from today; a finding is due ``due`` days after the check and fixed ``fixed``
    days after it (None: still open)."""

    day: int
    category: str = Category.NONE
    finding: str = ""
    fix: str = ""
    due: int = 0
    fixed: int | None = None


@dataclass(frozen=True)
class ZoneSpec:
    name: str
    area: str
    dimensions: tuple[str, ...]
    pledges: str
    lead: str  # organization key; its members are picked first and the first of them is 责任人
    phone: str
    claims: tuple[tuple[str, int, tuple[str, ...]], ...]  # (organization key, how many, title hints)
    posts: tuple[str, ...]
    inspectors: str
    checks: tuple[Check, ...]


ZONES = (
    ZoneSpec(
        name="望江路站安全文明施工责任区",
        area="望江路站主体基坑及A、B出入口，沿望江路施工围挡约420米",
        dimensions=(Dim.SAFETY, Dim.CIVILIZED),
        pledges=(
            "1. 坚持“党员身边无隐患”，班前讲安全、班中查隐患、班后做总结；\n"
            "2. 围挡、洒水、降噪措施落实到位，渣土车辆出场100%冲洗；\n"
            "3. 发现隐患立即报告、立即处置，不让隐患过夜。"
        ),
        lead="branch_a",
        phone="0552-86627891",
        claims=(
            ("branch_a", 4, ("安全", "车站", "施工员", "钢筋")),
            ("contractor_branch", 3, ("安全员", "施工员", "劳务")),
        ),
        posts=("安全监督岗", "基坑监测岗", "文明施工监督岗", "扬尘治理岗", "安全监督岗", "围挡巡查岗", "出入口管理岗"),
        inspectors="周振华、马志强、范立军",
        checks=(
            Check(-152),
            Check(
                -121,
                Category.SAFETY,
                "基坑东侧临边防护栏杆有两处松动，一处警示标识脱落。",
                "当天重新加固栏杆、补挂警示标识，并在班前会上通报。",
                due=2,
                fixed=1,
            ),
            Check(-90),
            Check(
                -62,
                Category.CIVILIZED,
                "望江路出口渣土车冲洗不彻底，出口路面有带泥现象。",
                "增设一道冲洗槽，安排专人值守，路面已清扫干净。",
                due=3,
                fixed=2,
            ),
            Check(-33),
            Check(-6, Category.SAFETY, "A出入口消防器材点一具灭火器压力不足，未及时更换。", due=9),
        ),
    ),
    ZoneSpec(
        name="望江路站—湖光路站区间质量管控责任区",
        area="盾构区间左右线约1.3公里，含1号联络通道",
        dimensions=(Dim.QUALITY, Dim.SAFETY),
        pledges=(
            "1. 严守“三检制”，管片拼装、同步注浆每环可追溯；\n"
            "2. 沉降监测数据超预警值立即停机报告；\n"
            "3. 党员带头攻关，打造放心工程。"
        ),
        lead="contractor_branch",
        phone="0552-86627892",
        claims=(
            ("contractor_branch", 4, ("质量员", "盾构", "测量", "技术员")),
            ("branch_a", 3, ("管片", "注浆", "盾构", "测量", "质量")),
        ),
        posts=(
            "质量管控岗",
            "管片拼装质量岗",
            "同步注浆监控岗",
            "测量复核岗",
            "质量监督岗",
            "盾构姿态监控岗",
            "沉降监测岗",
        ),
        inspectors="郑国平、邓海波、马志强",
        checks=(
            Check(-148),
            Check(
                -118,
                Category.QUALITY,
                "第312环管片局部错台超出内控标准。",
                "调整盾构姿态和拼装顺序，对错台处修补，后续10环加密测量。",
                due=7,
                fixed=5,
            ),
            Check(
                -95,
                Category.SAFETY,
                "联络通道冷冻施工区域夜间照明不足。",
                "增设防爆照明灯6盏，夜班增加一名安全员巡查。",
                due=7,
                fixed=11,
            ),
            Check(-58),
            Check(
                -27,
                Category.QUALITY,
                "同步注浆记录有两环漏填注浆压力。",
                "补齐记录并对注浆班组重新交底，记录改为平板电脑实时填报。",
                due=5,
                fixed=3,
            ),
        ),
    ),
    ZoneSpec(
        name="湖光路站进度攻坚责任区",
        area="湖光路站主体及附属结构、湖光路交通导改区域",
        dimensions=(Dim.PROGRESS, Dim.INVESTMENT, Dim.SAFETY),
        pledges=(
            "1. 对照节点计划倒排工期，党员带头攻坚，确保主体结构按期封顶；\n"
            "2. 精打细算，杜绝材料浪费和设备闲置；\n"
            "3. 抢工不抢险，进度服从安全。"
        ),
        lead="branch_a",
        phone="0552-86627893",
        claims=(
            ("branch_a", 4, ("生产经理", "车站", "钢筋", "模板", "施工员")),
            ("contractor_branch", 3, ("生产经理", "施工员", "材料员")),
        ),
        posts=("进度统筹岗", "工序衔接岗", "钢筋施工岗", "模板施工岗", "物资保障岗", "现场调度岗", "投资控制岗"),
        inspectors="周振华、郑国平",
        checks=(
            Check(
                -140,
                Category.PROGRESS,
                "湖光路站顶板施工较节点计划滞后5天。",
                "党员突击队两班倒作业，增加一个钢筋班组，已追回工期。",
                due=20,
                fixed=16,
            ),
            Check(-100),
            Check(
                -70,
                Category.OTHER,
                "两台临时发电机长期闲置，租赁费用偏高。",
                "退租闲置发电机两台，每月节约租赁费约1.6万元。",
                due=10,
                fixed=6,
            ),
            Check(-41),
            Check(-4, Category.PROGRESS, "第二批钢支撑进场较计划滞后3天，影响下层土方开挖。", due=9),
        ),
    ),
    ZoneSpec(
        name="望江社区沿线群众工作责任区",
        area="望江路站周边六栋居民楼及望江社区第三网格，含地铁施工意见收集点",
        dimensions=(Dim.STABILITY, Dim.CIVILIZED),
        pledges=(
            "1. 居民诉求当天登记、七日内答复；\n"
            "2. 夜间施工提前一天告知、事后收集反馈；\n"
            "3. 党员包楼栋，矛盾不上交、问题不过夜。"
        ),
        lead="street_committee",
        phone="0552-86627315",
        claims=(
            ("street_committee", 3, ("网格", "调解", "楼栋", "社区")),
            ("branch_a", 2, ("党务", "资料员")),
            ("contractor_branch", 2, ("劳务", "党务")),
        ),
        posts=(
            "群众诉求收集岗",
            "矛盾调解岗",
            "施工政策宣讲岗",
            "楼栋联络岗",
            "信息反馈岗",
            "施工协调岗",
            "农民工服务岗",
        ),
        inspectors="沈桂英、孔令华、周振华",
        checks=(
            Check(
                -135,
                Category.STABILITY,
                "3号楼居民反映夜间渣土运输车辆鸣笛扰民。",
                "约谈运输单位，夜间禁鸣并调整运输路线，已向居民逐户反馈。",
                due=7,
                fixed=4,
            ),
            Check(-104),
            Check(
                -75,
                Category.CIVILIZED,
                "施工围挡外侧人行通道被材料占用。",
                "清理材料，恢复1.5米人行通道并设置引导标识。",
                due=3,
                fixed=1,
            ),
            Check(-44),
            Check(
                -12,
                Category.STABILITY,
                "5号楼一楼住户反映外墙出现细微裂缝，担心与盾构施工有关。",
                "已委托第三方检测机构鉴定，加密该楼沉降监测，鉴定报告尚未出具。",
                due=10,
            ),
        ),
    ),
)

# (organization key, title hints, post, duties, on the project, from (days), until (days, None: open-ended))
POSTS = (
    (
        "branch_a",
        ("盾构机长", "盾构司机"),
        "盾构掘进安全生产先锋岗",
        "带头执行掘进参数“三检制”，每班复核盾构姿态和同步注浆量，发现异常立即停机报告。",
        True,
        -300,
        None,
    ),
    (
        "branch_a",
        ("测量员", "试验员", "技术员"),
        "沉降监测党员先锋岗",
        "每日两次复核沿线居民楼沉降数据，超预警值第一时间上报。",
        True,
        -300,
        None,
    ),
    (
        "branch_a",
        ("总工程师", "技术员"),
        "技术攻关党员先锋岗",
        "牵头联络通道冻结施工和下穿段沉降控制技术攻关。",
        True,
        -200,
        None,
    ),
    (
        "branch_a",
        ("安全总监", "安全员"),
        "安全文明施工党员先锋岗",
        "每日巡查基坑临边、用电和起重作业，隐患当班整改。",
        True,
        -400,
        -35,
    ),
    (
        "branch_a",
        ("资料员", "党务专员"),
        "廉洁履约党员先锋岗",
        "把好计量支付和签证资料关，做到资料真实、手续完备。",
        False,
        -250,
        None,
    ),
    (
        "contractor_branch",
        ("质量员",),
        "管片拼装质量先锋岗",
        "每环拼装前后检查错台和破损，质量问题不过夜。",
        True,
        -320,
        None,
    ),
    (
        "contractor_branch",
        ("安全员", "安全总监"),
        "基坑安全监护先锋岗",
        "基坑开挖和支撑架设全过程旁站监护。",
        True,
        -320,
        None,
    ),
    (
        "contractor_branch",
        ("盾构班长",),
        "盾构班组党员示范岗",
        "带领班组标准化作业，做到工完料净场地清。",
        True,
        -320,
        None,
    ),
    (
        "contractor_branch",
        ("劳务", "党务专员"),
        "农民工权益服务先锋岗",
        "核实考勤和工资发放，帮助工友解决急难愁盼问题。",
        True,
        -320,
        None,
    ),
    (
        "contractor_branch",
        ("电工", "技术员", "施工员"),
        "临时用电安全先锋岗",
        "负责临时用电巡检，执行“一机一闸一漏保”。",
        False,
        -120,
        45,
    ),
)

TEAMS = (
    {
        "name": "盾构穿越望江社区党员突击队",
        "kind": Team.Kind.COMMANDO,
        "purpose": (
            "盾构下穿望江社区老旧居民区期间，24小时驻守掘进和沉降监测一线，遇险情第一时间响应；"
            "协助社区做好居民解释和临时安置工作。"
        ),
        "organization": "branch_a",
        "from": -150,
        "until": 30,
        "members": (
            ("branch_a", 4, ("盾构", "测量", "注浆", "安全")),
            ("contractor_branch", 4, ("盾构班长", "安全员", "技术员", "电工")),
            ("street_committee", 2, ("网格", "楼栋", "调解")),
        ),
    },
    {
        "name": "湖光路站主体结构封顶党员先锋队",
        "kind": Team.Kind.VANGUARD,
        "purpose": "湖光路站主体结构施工攻坚：党员带班、两班倒作业，确保主体结构按期封顶。",
        "organization": "contractor_branch",
        "from": -240,
        "until": -60,
        "members": (
            ("contractor_branch", 4, ("生产经理", "施工员", "材料员", "技术员")),
            ("branch_a", 2, ("车站", "钢筋", "模板")),
        ),
    },
)

ZONE_PHOTO_COLOURS = {
    Category.NONE: "#7f8c8d",
    Category.SAFETY: "#e67e22",
    Category.QUALITY: "#1f5f8b",
    Category.CIVILIZED: "#2e8b57",
    Category.PROGRESS: "#8e44ad",
    Category.STABILITY: "#6a4c93",
    Category.OTHER: "#b5651d",
}


def _pick(rng: random.Random, roster: list[Member], count: int, hints: tuple[str, ...], used: set[int]):
    """``count`` full or probationary members not yet used, those whose post matches a hint first."""
    pool = [m for m in roster if m.pk not in used and m.status != Member.Status.ACTIVIST]
    rng.shuffle(pool)
    pool.sort(key=lambda m: 0 if any(hint in m.title for hint in hints) else 1)
    chosen = pool[:count]
    used.update(m.pk for m in chosen)
    return chosen


def seed_projects(ctx: DemoContext, world: World) -> dict:
    """The key project under the joint agreement, with zones, checks, posts and teams; returns them by name."""
    agreement = world.agreements.get("joint")
    branch_a = world.orgs.get("branch_a")
    if agreement is None or branch_a is None:
        ctx.step("key project: skipped (no joint agreement)")
        return {}
    spec = ctx.data["partnerships"].get("key_project") or {}
    name = spec.get("name", "临江市轨道交通5号线一期工程")
    project = KeyProject.objects.filter(name=name).first()
    created = project is None
    if created:
        project = KeyProject(
            agreement=agreement,
            owner=branch_a,
            name=name,
            location=spec.get("location", ""),
            starts_on=world.clock.story_day(-520),
            ends_on=world.clock.story_day(900),
            is_joint=True,
            **PROJECT,
        )
        project._history_user = world.secretaries.get(branch_a.pk)
        with as_of(at(agreement.term_start + dt.timedelta(days=20), 10)):
            project.full_clean()
            project.save()
    zones = _ensure_zones(ctx, world, project)
    posts = _ensure_posts(world, project)
    teams = _ensure_teams(world, project)
    ctx.step(
        f"key project: {'created' if created else 'already there'}; zones: {len(zones)}; "
        f"zone checks: {ZoneCheck.objects.filter(zone__project=project).count()}; "
        f"pioneer posts: {len(posts)}; teams: {len(teams)}"
    )
    return {"key_project": project, "zones": zones, "posts": posts, "teams": teams}


def _ensure_zones(ctx: DemoContext, world: World, project: KeyProject) -> list[ResponsibilityZone]:
    rng = random.Random(f"{SEED}|zones")
    used: set[int] = set()
    claims = [
        [
            (member, key)
            for key, count, hints in zone.claims
            for member in _pick(rng, world.rosters.get(world.orgs[key].pk, []), count, hints, used)
        ]
        for zone in ZONES
    ]
    existing = {zone.name: zone for zone in project.zones.all()}
    zones = []
    for order, (zone_spec, members) in enumerate(zip(ZONES, claims, strict=True), start=1):
        zone = existing.get(zone_spec.name)
        if zone is None:
            zone = _create_zone(world, project, zone_spec, members, order)
        zones.append(zone)
        ctx.progress("zones", order, len(ZONES))
    return zones


def _create_zone(world: World, project: KeyProject, spec: ZoneSpec, members, order: int) -> ResponsibilityZone:
    lead = world.orgs[spec.lead]
    keeper = world.keepers.get(lead.pk) or world.secretaries.get(project.owner_id)
    divided = world.clock.story_day(DIVIDED)
    zone = ResponsibilityZone(
        project=project,
        name=spec.name,
        area=spec.area,
        dimensions=list(spec.dimensions),
        pledges=spec.pledges,
        lead=lead,
        supervision_phone=spec.phone,
        order=order,
    )
    zone._history_user = keeper
    with as_of(at(divided, 10)):
        zone.full_clean()
        zone.save()
    with as_of(at(divided + dt.timedelta(days=5), 15)):
        for index, (member, _key) in enumerate(members):
            assignment = ZoneAssignment(
                zone=zone,
                member=member,
                role=ZoneAssignment.Role.LEADER if index == 0 else ZoneAssignment.Role.MEMBER,
                post=spec.posts[index % len(spec.posts)],
            )
            assignment._history_user = keeper
            assignment.save()
    for check_spec in (*_routine_checks(spec, order), *spec.checks):
        _create_check(world, zone, spec, check_spec, keeper)
    return zone


def _routine_checks(spec: ZoneSpec, order: int) -> tuple[Check, ...]:
    """A routine check (nothing found) about once a month, from soon after the zones were divided up to the months the
    zone's own checks tell: the zone is checked in every quarter the demo shows since it exists."""
    first_told = min(check.day for check in spec.checks)
    return tuple(Check(day) for day in range(ROUTINE_FROM + 3 * order, first_told - 20, ROUTINE_EVERY))


def _create_check(world: World, zone: ResponsibilityZone, spec: ZoneSpec, check: Check, keeper) -> None:
    checked_on = world.clock.story_day(check.day)
    colour = ZONE_PHOTO_COLOURS[check.category]
    variant = abs(check.day) % 3
    row = ZoneCheck(
        zone=zone,
        checked_on=checked_on,
        inspectors=spec.inspectors,
        category=check.category,
        finding=check.finding,
        fix_due_on=checked_on + dt.timedelta(days=check.due) if check.category != Category.NONE else None,
        fix=check.fix if check.fixed is None else "",
        checked_by=keeper,
    )
    row._history_user = keeper
    with as_of(at(checked_on, 16, 30)):
        row.full_clean()
        row.save()
        if check.category != Category.NONE or variant != 0:
            name = "隐患照片.jpg" if check.category != Category.NONE else "巡查照片.jpg"
            store_photo(
                ZoneCheckPhoto,
                upload=world.pictures.upload(colour, variant, name),
                uploaded_by=keeper,
                caption="检查发现的问题" if check.category != Category.NONE else "日常巡查",
                zone_check=row,
            )
    if check.fixed is None:
        return
    fixed_on = checked_on + dt.timedelta(days=check.fixed)
    with as_of(at(fixed_on, 17, 0)):
        row.fix = check.fix
        row.fixed_on = fixed_on
        row.fixed_by = keeper
        row._history_user = keeper
        row.full_clean()
        row.save()
        store_photo(
            ZoneCheckPhoto,
            upload=world.pictures.upload("#2e8b57", variant, "整改后照片.jpg"),
            uploaded_by=keeper,
            caption="整改后现场",
            zone_check=row,
        )


def _ensure_posts(world: World, project: KeyProject) -> list[PioneerPost]:
    rng = random.Random(f"{SEED}|posts")
    used: set[int] = set()
    wanted = []
    for key, hints, post, duties, on_project, starts, ends in POSTS:
        org = world.orgs[key]
        [member] = _pick(rng, world.rosters.get(org.pk, []), 1, hints, used) or [None]
        if member is None:
            continue
        starts_on = world.clock.story_day(starts)
        ends_on = world.clock.story_day(ends) if ends is not None else None
        wanted.append((org, member, post, duties, project if on_project else None, starts_on, ends_on))
    existing = {
        (p.organization_id, p.member_id, p.post, p.starts_on): p
        for p in PioneerPost.objects.filter(organization__in=[w[0] for w in wanted])
    }
    posts = []
    for org, member, post, duties, on_project, starts_on, ends_on in wanted:
        found = existing.get((org.pk, member.pk, post, starts_on))
        if found is None:
            found = PioneerPost(
                organization=org,
                member=member,
                post=post,
                duties=duties,
                project=on_project,
                starts_on=starts_on,
                ends_on=ends_on,
            )
            found._history_user = world.secretaries.get(org.pk) or world.keepers.get(org.pk)
            with as_of(at(min(starts_on, world.clock.story_day(-1)), 10)):
                found.full_clean()
                found.save()
        posts.append(found)
    return posts


def _ensure_teams(world: World, project: KeyProject) -> list[Team]:
    rng = random.Random(f"{SEED}|teams")
    teams = []
    for spec in TEAMS:
        used: set[int] = set()
        members = [
            member
            for key, count, hints in spec["members"]
            for member in _pick(rng, world.rosters.get(world.orgs[key].pk, []), count, hints, used)
        ]
        team = Team.objects.filter(name=spec["name"]).first()
        if team is None:
            org = world.orgs[spec["organization"]]
            starts_on = world.clock.story_day(spec["from"])
            team = Team(
                name=spec["name"],
                kind=spec["kind"],
                purpose=spec["purpose"],
                organization=org,
                project=project,
                starts_on=starts_on,
                ends_on=world.clock.story_day(spec["until"]),
            )
            team._history_user = world.secretaries.get(org.pk) or world.keepers.get(org.pk)
            with as_of(at(starts_on, 9)):
                team.full_clean()
                team.save()
            TeamMember.objects.bulk_create(
                [
                    TeamMember(
                        team=team,
                        member=member,
                        role=TeamMember.Role.LEADER if index == 0 else TeamMember.Role.MEMBER,
                    )
                    for index, member in enumerate(members)
                ]
            )
        teams.append(team)
    return teams
