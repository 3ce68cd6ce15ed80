"""Demo co-building data for the demo city (D11): resident units with agreements under the six joint
activities and their fulfilment, joint meetings, the 24 city leaders and 28 departments paired with
communities and their visits, service-centre rooms with a season of bookings, the three funds with
ledgers (spending recorded by staff, approved by the secretary, one reversal each) and their
published summaries, and party-member volunteers against a target.

Deterministic from the seed. Each community's work is done by its own staff member, committee
member and secretary (the demo logins), through the services where a person would act; bookings
and ledger lines of the past year are written in bulk as if recorded on their day, then each
community's funds summary is published once.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import audit, crypto, demo
from lianxin.core.access import Role
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import MemberStatus, PartyMember

from . import services
from .models import (
    BookerKind,
    Booking,
    BookingStatus,
    Category,
    Commitment,
    CommitmentStatus,
    Direction,
    EntryStatus,
    FundKind,
    LedgerEntry,
    Volunteer,
)

UNITS = [
    ("市第一人民医院", "hospital", "每季度开展一次义诊", Category.WELFARE),
    ("市供电公司", "enterprise", "每月检查老旧小区线路", Category.SECURITY),
    ("市第三中学", "school", "假期开放操场供居民健身", Category.CULTURE),
    ("区税务局", "government", "联合开展主题党日活动", Category.PARTY),
    ("市自来水公司", "enterprise", "协助整治楼道卫生", Category.SANITATION),
    ("市图书馆", "government", "每月送书进社区、开设道德讲堂", Category.IDEOLOGY),
    ("工商银行支行", "enterprise", "开展防诈骗宣传进楼栋", Category.SECURITY),
    ("市妇幼保健院", "hospital", "为社区老人提供健康讲座", Category.WELFARE),
]
COMMUNITY_SIDE = [
    (Category.PARTY, "吸纳单位在职党员到社区报到服务"),
    (Category.CULTURE, "邀请单位职工参加社区文艺汇演"),
    (Category.SANITATION, "组织居民志愿者清理单位周边环境"),
]
LEADER_POSTS = ["市委副书记", "副市长", "市人大常委会副主任", "市政协副主席", "市委常委"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢"
DEPARTMENTS = [
    "市民政局",
    "市财政局",
    "市住建局",
    "市公安局",
    "市卫健委",
    "市教育局",
    "市人社局",
    "市城管局",
    "市交通运输局",
    "市文旅广体局",
    "市自然资源局",
    "市生态环境局",
    "市水利局",
    "市农业农村局",
    "市商务局",
    "市审计局",
    "市司法局",
    "市统计局",
    "市医保局",
    "市应急管理局",
    "市市场监管局",
    "市退役军人事务局",
    "市总工会",
    "团市委",
    "市妇联",
    "市残联",
    "市科协",
    "市工商联",
]
PROBLEMS = [
    "社区活动用房面积不足",
    "老旧小区路灯损坏较多",
    "雨季下水道易堵塞",
    "小区停车位紧张",
    "缺少适合老年人的健身器材",
    "流动人口登记底数不清",
]
ROOMS = [
    ("党员活动室", "party", 40, 60),
    ("图书室", "library", 20, 45),
    ("健身房", "gym", 15, 50),
    ("市民学校教室", "school", 50, 80),
    ("文体活动室", "culture", 30, 70),
]
PURPOSES = [
    "老年合唱团排练",
    "太极拳练习",
    "主题党日",
    "道德讲堂",
    "书法兴趣班",
    "青少年作业辅导",
    "居民议事会",
    "健康讲座",
]
SPENDING = {
    FundKind.OPERATING: [
        ("办公用品", 800_00),
        ("宣传栏更新", 2_400_00),
        ("水电费", 3_600_00),
        ("慰问困难群众", 5_000_00),
    ],
    FundKind.PARTY: [("党员学习资料", 900_00), ("主题党日活动", 1_200_00), ("党员教育培训", 1_500_00)],
    FundKind.HARDSHIP: [("困难党员慰问金", 2_000_00), ("重病党员帮扶", 3_000_00)],
}
VOLUNTEER_ACTIVITIES = [
    ("清理楼道杂物", Category.SANITATION),
    ("夜间治安巡逻", Category.SECURITY),
    ("为老人义务理发", Category.WELFARE),
]


def _desk(community: Place) -> dict:
    people = {}
    for role, user in (
        RoleAssignment.objects.filter(
            place=community,
            ended_at__isnull=True,
            role__in=[Role.COMMUNITY_SECRETARY, Role.COMMITTEE_MEMBER, Role.STAFF],
        )
        .select_related("user")
        .values_list("role", "user")
        .order_by("pk")
    ):
        people.setdefault(role, user)
    from lianxin.accounts.models import User

    return {role: User.objects.get(pk=pk) for role, pk in people.items()}


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(services.CODE_ALPHABET) for _i in range(8))


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    rng = random.Random(seed + 11)
    today = timezone.localdate()
    city = demo.demo_city()
    if city is None:
        return {}
    communities = list(Place.objects.subtree(city).filter(kind=PlaceKind.COMMUNITY).order_by("path"))
    counts = dict.fromkeys(
        ("units", "agreements", "meetings", "pairings", "rooms", "bookings", "ledger_lines", "volunteers"), 0
    )
    leaders = [f"{SURNAMES[i % len(SURNAMES)]}{'建国志华明德'[i % 6]}" for i in range(24)]
    pair_plan = [("leader", name, LEADER_POSTS[i % len(LEADER_POSTS)]) for i, name in enumerate(leaders)]
    pair_plan += [("department", name, "") for name in DEPARTMENTS]
    bookings, lines = [], []
    for index, community in enumerate(communities):
        desk = _desk(community)
        staff, secretary = desk.get(Role.STAFF), desk.get(Role.COMMUNITY_SECRETARY)
        committee = desk.get(Role.COMMITTEE_MEMBER) or secretary
        if staff is None or secretary is None:
            continue
        # Resident units, agreements and their fulfilment.
        units = []
        for name, kind, promise, category in rng.sample(UNITS, 3):
            unit = services.unit_create(
                actor=staff,
                place=community,
                name=name,
                kind=kind,
                address=demo.street_address(rng),
                contact_name=demo.person_name(rng),
                contact_title="办公室主任",
                contact_phone=demo.phone_number(rng),
                party_members=rng.randint(8, 120),
            )
            units.append(unit)
            side = rng.choice(COMMUNITY_SIDE)
            agreement = services.agreement_create(
                actor=staff,
                unit=unit,
                title=f"{community.name}与{name}共驻共建协议",
                signed_on=today.replace(month=1, day=1) + dt.timedelta(days=rng.randrange(40)),
                ends_on=today.replace(month=12, day=31),
                commitments=[("unit", category, promise, None), ("community", side[0], side[1], None)],
            )
            for commitment in Commitment.objects.filter(agreement=agreement):
                if rng.random() < 0.6:
                    services.commitment_check(
                        actor=staff,
                        commitment=commitment,
                        status=CommitmentStatus.DONE if rng.random() < 0.85 else CommitmentStatus.MISSED,
                        fulfilment="已按协议开展" if rng.random() < 0.85 else "单位人员调整，尚未落实",
                    )
            counts["agreements"] += 1
        counts["units"] += len(units)
        for quarter in (1, 2):
            held = today - dt.timedelta(days=30 * quarter + rng.randrange(20))
            services.meeting_record(
                actor=committee,
                place=community,
                title=f"{held.year}年第{(held.month - 1) // 3 + 1}季度共驻共建联席会议",
                held_on=held,
                minutes="通报上季度共建项目落实情况；驻区单位交流共建需求；研究下季度活动安排。",
                decisions="确定下季度联合开展文明创建和治安联防活动。",
                units=units,
            )
            counts["meetings"] += 1
        # 联点: leaders and departments spread over the communities.
        for kind, name, post in pair_plan[index :: max(len(communities), 1)]:
            pairing = services.pairing_create(
                actor=staff,
                place=community,
                kind=kind,
                name=name,
                post=post,
                started_on=today.replace(month=1, day=1),
            )
            visit = services.pairing_visit_record(
                actor=staff,
                pairing=pairing,
                visited_on=today - dt.timedelta(days=rng.randrange(5, 120)),
                summary="深入社区走访，与社区党组织书记座谈，了解基层工作情况。",
                problems=rng.sample(PROBLEMS, rng.randint(1, 2)),
            )
            for problem in visit.problems.all():
                if rng.random() < 0.5:
                    services.problem_follow(
                        actor=staff,
                        problem=problem,
                        status="solved" if rng.random() < 0.6 else "following",
                        follow_up="已协调相关部门落实。",
                    )
            counts["pairings"] += 1
        # Rooms of the service centre; a past season of approved bookings and some pending ones ahead.
        rooms = [
            services.room_create(
                actor=staff,
                place=community,
                name=name,
                kind=kind,
                capacity=capacity,
                area=area,
                opens_at=dt.time(8, 30),
                closes_at=dt.time(21, 0),
                public=kind != "party" or rng.random() < 0.5,
            )
            for name, kind, capacity, area in ROOMS
        ]
        counts["rooms"] += len(rooms)
        for room in rooms:
            taken = set()
            for _n in range(12):
                day = today + dt.timedelta(days=rng.randrange(-90, 14))
                hour = rng.choice([9, 14, 19])
                if (day, hour) in taken or day == today:
                    continue
                taken.add((day, hour))
                starts = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
                future = day > today
                kind = rng.choice(
                    [BookerKind.RESIDENT, BookerKind.RESIDENT, BookerKind.UNIT, BookerKind.STAFF]
                )
                phone = demo.phone_number(rng) if kind != BookerKind.STAFF else ""
                status = BookingStatus.APPROVED
                if future and kind != BookerKind.STAFF:
                    status = BookingStatus.PENDING if rng.random() < 0.6 else BookingStatus.APPROVED
                bookings.append(
                    Booking(
                        room=room,
                        place_id=community.pk,
                        place_path=community.path,
                        code=_code(rng),
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=rng.choice([1, 2, 2, 3])),
                        purpose=rng.choice(PURPOSES),
                        people=rng.randint(3, room.capacity),
                        booker_kind=kind,
                        booker_name=staff.display_name if kind == BookerKind.STAFF else demo.person_name(rng),
                        unit=rng.choice(units) if kind == BookerKind.UNIT else None,
                        phone_encrypted=crypto.encrypt(phone),
                        phone_masked=services.mask_phone(phone),
                        status=status,
                        created_by=staff if kind == BookerKind.STAFF else None,
                        created_at=starts - dt.timedelta(days=3),
                        decided_by=None if status == BookingStatus.PENDING else staff,
                        decided_at=None if status == BookingStatus.PENDING else starts - dt.timedelta(days=2),
                    )
                )
        # Funds: budgets by the rules, the appropriation received, spending recorded and approved.
        for kind in (FundKind.OPERATING, FundKind.PARTY, FundKind.HARDSHIP):
            budget = None if kind != FundKind.HARDSHIP else 20_000_00
            fund = services.fund_open(
                actor=staff, place=community, kind=kind, year=today.year, budget_fen=budget
            )
            first = today.replace(month=1, day=1)
            span = max((today - first).days, 1)
            common = dict(fund=fund, place_id=community.pk, place_path=community.path)
            lines.append(
                LedgerEntry(
                    **common,
                    direction=Direction.INCOME,
                    amount_fen=fund.budget_fen or 1_000_00,
                    occurred_on=first + dt.timedelta(days=min(20, span - 1)),
                    purpose="上级拨付",
                    payee="区财政局",
                    status=EntryStatus.APPROVED,
                    recorded_by=staff,
                )
            )
            for purpose, amount in SPENDING[kind]:
                day = first + dt.timedelta(days=rng.randrange(span))
                approved = rng.random() < 0.8
                lines.append(
                    LedgerEntry(
                        **common,
                        direction=Direction.EXPENSE,
                        amount_fen=amount + rng.randrange(0, 500_00, 50),
                        occurred_on=day,
                        purpose=purpose,
                        status=EntryStatus.APPROVED if approved else EntryStatus.PENDING,
                        recorded_by=staff,
                        approved_by=secretary if approved else None,
                        approved_at=timezone.make_aware(dt.datetime.combine(day, dt.time(16)))
                        if approved
                        else None,
                    )
                )
        # Volunteers: party members of the community first (linked, not retyped), and neighbours.
        members = list(
            PartyMember.objects.under(community.path)
            .filter(status=MemberStatus.ACTIVE)
            .select_related("resident")
            .order_by("pk")[: rng.randint(8, 20)]
        )
        volunteers = [
            Volunteer(
                place_id=community.pk,
                place_path=community.path,
                name=m.resident.name,
                resident=m.resident,
                member=m,
                skills=rng.choice(["理发", "维修家电", "法律咨询", "书法", "医疗护理", ""]),
            )
            for m in members
        ]
        volunteers += [
            Volunteer(place_id=community.pk, place_path=community.path, name=demo.person_name(rng), skills="")
            for _i in range(rng.randint(3, 8))
        ]
        Volunteer.objects.bulk_create(volunteers)
        counts["volunteers"] += len(volunteers)
        services.target_set(
            actor=secretary, place=community, year=today.year, party_members=max(len(members) + 5, 10)
        )
        for title, category in VOLUNTEER_ACTIVITIES:
            services.activity_record(
                actor=committee,
                place=community,
                title=title,
                held_on=today - dt.timedelta(days=rng.randrange(1, 60)),
                category=category,
                hours={
                    v: rng.choice([1, 1.5, 2, 3]) for v in rng.sample(volunteers, min(5, len(volunteers)))
                },
            )
    Booking.objects.bulk_create(bookings)
    LedgerEntry.objects.bulk_create(lines)
    counts["bookings"], counts["ledger_lines"] = len(bookings), len(lines)
    # One reversal per community (a duplicated line undone), then each summary published once.
    for community in communities:
        desk = _desk(community)
        wrong = (
            LedgerEntry.objects.filter(
                place=community, direction=Direction.EXPENSE, status=EntryStatus.APPROVED
            )
            .order_by("pk")
            .first()
        )
        approver = desk.get(Role.COMMITTEE_MEMBER) or desk.get(Role.COMMUNITY_SECRETARY)
        if wrong is not None and approver is not None:
            services.entry_reverse(actor=approver, entry=wrong, reason="重复录入")
            counts["ledger_lines"] += 1
        elif approver is not None:
            services._publication_lock(community.pk, today.year)
            services.funds_publish(actor=approver, place=community, year=today.year)
    if bookings or lines:
        audit.record(
            actor=actor,
            action="cobuilding.demo",
            after={"bookings": len(bookings), "ledger_lines": len(lines)},
        )
    return counts
