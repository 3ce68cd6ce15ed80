"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city.

Per community: a mediation panel elected by the residents' representatives, this quarter's
screening campaign (grid workers screen their grids; findings go into the register), a register of
disputes at every stage (some escalated, one handed back, agreements with follow-up visits), a few
incidents with response logs, the district's prepared plans, and the three safety teams with a
zone per grid and a week's 24-hour rota (one night left open, so the gap shows). Deterministic
from the seed; everything goes through the services, so it is audited like real work.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household, Resident

from . import services
from .models import (
    CheckResult,
    DisputeStatus,
    DisputeType,
    IncidentType,
    MediationType,
    Mode,
    Risk,
    Severity,
    Source,
    TeamKind,
)

CASES = [
    (
        DisputeType.NEIGHBOUR,
        "楼上漏水致楼下天花板受损",
        "楼上住户卫生间防水层老化，楼下天花板发霉，双方就维修和赔偿争执。",
    ),
    (DisputeType.NEIGHBOUR, "楼道堆放杂物引发争吵", "住户在楼道长期堆放纸箱，邻居认为有消防隐患，多次争吵。"),
    (
        DisputeType.PROPERTY,
        "物业费上调引发业主不满",
        "物业公司拟上调物业费，部分业主认为服务不到位，拒绝缴费。",
    ),
    (DisputeType.PROPERTY, "小区停车位分配纠纷", "地面停车位不足，业主对分配办法有意见。"),
    (DisputeType.WAGES, "装修工人讨要工钱", "装修队负责人拖欠三名工人工资共一万二千元。"),
    (DisputeType.FAMILY, "赡养老人问题家庭矛盾", "兄妹三人对母亲赡养费分担意见不一。"),
    (DisputeType.FAMILY, "夫妻感情纠纷", "夫妻因家务和子女教育问题经常争吵，女方向社区求助。"),
    (DisputeType.CONTRACT, "房屋租赁押金纠纷", "租客退租，房东以墙面损坏为由扣留押金。"),
    (DisputeType.DEMOLITION, "旧房改造补偿争议", "临街平房改造，住户对补偿标准有异议。"),
    (DisputeType.POLLUTION, "餐馆油烟扰民", "底商餐馆油烟直排，楼上住户反映强烈。"),
    (DisputeType.TRAFFIC, "小区内剐蹭事故赔偿", "两车在小区内剐蹭，双方对责任认定有分歧。"),
    (DisputeType.OTHER, "宠物狗伤人纠纷", "住户饲养的宠物狗咬伤邻居小孩，就医疗费协商未果。"),
]
PLANS = {
    IncidentType.MASS: (
        "群体性事件应急预案",
        "一、立即报告街道和派出所；二、社区书记到场劝导；三、了解诉求，登记代表；四、防止事态扩大。",
    ),
    IncidentType.FIRE: (
        "火灾事故应急预案",
        "一、拨打119；二、楼栋安全员组织疏散；三、消防安全小组使用灭火器初期处置；四、报告街道。",
    ),
    IncidentType.PROPERTY: (
        "物业纠纷突发事件预案",
        "一、约见物业负责人；二、组织业主代表协商；三、必要时请住建部门介入。",
    ),
    IncidentType.WAGES: (
        "讨薪事件应急预案",
        "一、联系劳动监察；二、核实欠薪金额；三、组织双方协商，防止过激行为。",
    ),
    IncidentType.TRAFFIC: ("交通事故处置预案", "一、拨打122和120；二、维持现场秩序；三、协助交警处理。"),
}
INCIDENTS = [
    (IncidentType.PROPERTY, Severity.GENERAL, "业主与物业保安发生口角，围观二十余人。", 20),
    (IncidentType.FIRE, Severity.GENERAL, "楼道电动车充电起火，已扑灭，无人员伤亡。", 0),
    (IncidentType.WAGES, Severity.LARGE, "十余名农民工在工地门口聚集讨薪。", 15),
]


def _by_role(community: Place) -> dict[str, list]:
    result: dict[str, list] = {}
    for ra in (
        RoleAssignment.objects.filter(ended_at__isnull=True, place__path__startswith=community.path)
        .select_related("user", "place")
        .order_by("place__path", "user__username")
    ):
        result.setdefault(ra.role, []).append(ra)
    return result


def _officer(community: Place, role: str):
    ra = (
        RoleAssignment.objects.filter(
            ended_at__isnull=True, role=role, place__path__in=[community.path[:24], community.path[:16]]
        )
        .select_related("user")
        .first()
    )
    return ra.user if ra else None


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    rng = random.Random(seed + 9)
    today = timezone.localdate()
    city = demo.demo_city()
    counts = dict.fromkeys(
        ("mediators", "screenings", "disputes", "incidents", "plans", "teams", "shifts"), 0
    )
    district_officer = (
        RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    communities = list(
        Place.objects.filter(kind=PlaceKind.COMMUNITY, path__startswith=city.path).order_by("path")
    )
    for index, community in enumerate(communities):
        roles = _by_role(community)
        secretary = roles.get(Role.COMMUNITY_SECRETARY, [None])[0]
        if secretary is None:
            continue
        secretary = secretary.user
        for kind, (title, body) in PLANS.items():
            services.plan_create(actor=secretary, place=community, incident_type=kind, title=title, body=body)
            counts["plans"] += 1
        grid_workers = [ra for ra in roles.get(Role.GRID_WORKER, []) if ra.place.kind == PlaceKind.GRID]
        handlers = [ra.user for ra in roles.get(Role.STAFF, []) + roles.get(Role.COMMITTEE_MEMBER, [])] or [
            secretary
        ]
        east = _officer(community, Role.SUBDISTRICT_OFFICER)

        # The mediation panel, elected at the residents' representatives' meeting.
        elected = dt.date(today.year - 1, 3, rng.randint(5, 25))
        mediators = []
        for n in range(rng.randint(3, 5)):
            mediators.append(
                services.mediator_create(
                    actor=secretary,
                    place=community,
                    name=demo.person_name(rng),
                    phone=demo.phone_number(rng),
                    speciality=rng.choice(["婚姻家庭", "物业纠纷", "邻里关系", "劳动争议", ""]),
                    elected_on=elected,
                    election_reference=f"{community.name}居民代表会议决议〔{elected.year}〕{n + 2}号",
                    term_start=elected,
                    term_end=elected.replace(year=elected.year + 3) - dt.timedelta(days=1),
                )
            )
        counts["mediators"] += len(mediators)

        # This quarter's screening: grid workers screen their grids.
        quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        campaign = services.screening_create(
            actor=secretary,
            place=community,
            title=f"{today.year}年第{(today.month - 1) // 3 + 1}季度矛盾纠纷排查",
            starts_on=quarter_start,
            ends_on=quarter_start + dt.timedelta(days=89),
            screeners=[(ra.user, ra.place) for ra in grid_workers] or [(secretary, community)],
            units="社区卫生服务站\n农贸市场\n幼儿园",
        )
        counts["screenings"] += 1
        for ra in grid_workers:
            households = list(
                Household.objects.filter(place_path__startswith=ra.place.path, head__isnull=False).order_by(
                    "pk"
                )[:40]
            )
            for household in rng.sample(households, k=min(len(households), 12)):
                found = rng.random() < 0.12
                kind, title, text = rng.choice(CASES)
                services.screening_record(
                    actor=ra.user,
                    campaign=campaign,
                    household=household,
                    result=CheckResult.FOUND if found else CheckResult.CLEAR,
                    finding=f"{title}\n{text}" if found else "",
                    dispute_type=kind,
                    risk=Risk.MEDIUM if found else Risk.LOW,
                    checked_on=max(quarter_start, today - dt.timedelta(days=rng.randint(0, 20))),
                )
                counts["disputes"] += int(found)

        # The register: disputes at every stage.
        residents = list(Resident.objects.filter(place_path__startswith=community.path).order_by("pk")[:400])
        places = [ra.place for ra in grid_workers] or [community]
        for n in range(8):
            kind, title, text = CASES[(index + n * 5) % len(CASES)]
            reported = today - dt.timedelta(days=rng.randint(10, 150))
            place = rng.choice(places)
            recorder = next((ra.user for ra in grid_workers if ra.place == place), secretary)
            local = [r for r in residents if r.place_path.startswith(place.path)]
            parties = [{"resident": rng.choice(local)}] if local else [{"name": demo.person_name(rng)}]
            parties.append(
                {"name": demo.person_name(rng), "phone": demo.phone_number(rng), "side": "respondent"}
            )
            dispute = services.dispute_create(
                actor=recorder,
                place=place,
                dispute_type=kind,
                title=title,
                description=text,
                source=rng.choice([Source.DIRECT, Source.DIRECT, Source.POLICE]),
                police_reference="派出所转办" + str(rng.randint(100, 999)),
                parties=parties,
                risk=rng.choice([Risk.LOW, Risk.LOW, Risk.MEDIUM, Risk.HIGH]),
                reported_on=reported,
            )
            counts["disputes"] += 1
            services.dispute_arrange(
                actor=recorder,
                dispute=dispute,
                mode=rng.choice(Mode.values),
                mediation_type=rng.choice(
                    [MediationType.PEOPLE, MediationType.PEOPLE, MediationType.JUDICIAL]
                ),
                leader=rng.choice(handlers),
                team=[recorder],
                mediators=rng.sample(mediators, k=2),
                plan="一、分别听取双方意见；二、实地查看；三、组织调解；四、达成协议后回访。",
                due_days=15,
            )
            stage = n % 4
            if stage in (0, 1):
                closed_on = min(today, reported + dt.timedelta(days=rng.randint(2, 20)))
                outcome = DisputeStatus.AGREEMENT if stage == 0 else DisputeStatus.WITHDRAWN
                dispute = services.dispute_close(
                    actor=recorder,
                    dispute=dispute,
                    outcome=outcome,
                    note="经调解，双方自愿达成协议。" if stage == 0 else "当事人自行和解，申请撤回。",
                    document=("调解协议书.pdf", b"%PDF-1.4\n% demo agreement\n") if stage == 0 else None,
                    closed_on=closed_on,
                )
                if stage == 0:
                    services.dispute_follow_up(
                        actor=recorder,
                        dispute=dispute,
                        visited_on=min(today, closed_on + dt.timedelta(days=7)),
                        kept=True,
                        note="协议履行情况良好。",
                    )
            elif stage == 2 and east is not None:
                services.dispute_escalate(
                    actor=recorder, dispute=dispute, reason="涉及多方利益，社区调解未果，提请街道会诊。"
                )
                if n % 8 == 2 and district_officer is not None:
                    services.dispute_escalate(
                        actor=east, dispute=dispute, reason="涉及区级部门职责，需区里协调。"
                    )
                    services.dispute_hand_back(
                        actor=district_officer.user,
                        dispute=dispute,
                        reason="已明确政策口径，请街道牵头落实。",
                    )
                    dispute = services.dispute_close(
                        actor=east,
                        dispute=dispute,
                        outcome=DisputeStatus.AGREEMENT,
                        note="街道组织会诊，双方达成协议。",
                        document=("调解协议书.pdf", b"%PDF-1.4\n% demo agreement\n"),
                        closed_on=min(today, reported + dt.timedelta(days=25)),
                    )

        # Incidents with their response logs.
        for kind, severity, text, people in rng.sample(INCIDENTS, k=2):
            reporter = grid_workers[0].user if grid_workers else secretary
            incident = services.incident_report(
                actor=reporter,
                place=grid_workers[0].place if grid_workers else community,
                incident_type=kind,
                severity=severity,
                description=text,
                people_affected=people,
                occurred_at=timezone.now() - dt.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 12)),
                idempotency_key=f"demo-{community.pk}-{kind}",
            )
            services.incident_log_add(actor=secretary, incident=incident, text="社区书记已到场，按预案处置。")
            if rng.random() < 0.7:
                services.incident_log_add(
                    actor=secretary, incident=incident, text="事态平息，已恢复正常。", close=True
                )
            counts["incidents"] += 1

        # 群防群治: the patrol team, building safety officers and the fire-safety group.
        buildings = list(Place.objects.filter(kind=PlaceKind.BUILDING, path__startswith=community.path)[:18])
        patrol = services.team_create(
            actor=secretary,
            place=community,
            name=f"{community.name}义务巡逻队",
            kind=TeamKind.PATROL,
            members=[{"name": demo.person_name(rng), "phone": demo.phone_number(rng)} for _ in range(20)],
        )
        services.team_create(
            actor=secretary,
            place=community,
            name=f"{community.name}楼栋安全员",
            kind=TeamKind.BUILDING,
            members=[{"name": demo.person_name(rng), "building": b} for b in buildings],
        )
        services.team_create(
            actor=secretary,
            place=community,
            name=f"{community.name}消防安全小组",
            kind=TeamKind.FIRE,
            members=[{"name": demo.person_name(rng)} for _ in range(9)],
        )
        counts["teams"] += 3
        members = list(patrol.members.all())
        for ra in grid_workers:
            zone = services.zone_create(
                actor=secretary,
                team=patrol,
                place=ra.place,
                name=f"{ra.place.name}责任区",
                description="沿小区主干道巡查",
            )
            for offset in range(7):
                day = today + dt.timedelta(days=offset)
                for start, end in ((0, 8), (8, 16), (16, 24)):
                    on_duty = [] if (offset == 2 and start == 0) else rng.sample(members, k=2)
                    services.shift_set(
                        actor=ra.user, zone=zone, day=day, start_hour=start, end_hour=end, members=on_duty
                    )
                    counts["shifts"] += 1
            services.patrol_log_record(
                actor=ra.user,
                zone=zone,
                patrolled_on=today - dt.timedelta(days=1),
                start_hour=19,
                end_hour=21,
                patrollers="、".join(m.name for m in members[:3]),
                findings="3号楼单元门禁损坏，已报物业。",
            )
    return counts
