"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city.

In the first community (by path) that has a secretary: the worked example of D8 (社区办公用房改造, a
construction contract through every stage: the draft sent for comments, 35 representatives voting
unanimously, the resolution posted for 7 days, the result published), a fundraising matter in the
double ballot (representatives linked to the households, codes issued, some households counted), a
低保 matter waiting for the party member meeting, a held deliberation day with follow-ups and the
next one with residents' topics, a charter in two versions and a published departure audit. Every
write goes through the services (validated, audited, published on the board). Deterministic.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import PlaceKind
from lianxin.registry.models import Household

from . import services
from .models import MatterCategory, Stage

# (stage, entitled, present, for, against, abstain, place, notes)
OFFICE_REBUILD = [
    (
        Stage.PROPOSAL,
        7,
        7,
        7,
        0,
        0,
        "社区党委会议室",
        "社区党委提议：对年久失修的社区办公用房进行改造，改善群众办事环境。",
    ),
    (
        Stage.DELIBERATION,
        12,
        11,
        11,
        0,
        0,
        "社区党群服务中心",
        "两委联席会议商议改造方案与预算，决定将方案草案交居民征求意见。",
    ),
    (Stage.REVIEW, 46, 38, 36, 0, 2, "社区党群服务中心", "党员大会审议改造方案，同意提交居民代表会议表决。"),
    (Stage.DECISION, 35, 35, 35, 0, 0, "社区议事厅", "居民代表会议表决，35名代表全票通过。"),
]
TOPICS = [
    ("小区停车难，晚上车位不够", "建议在空地施划临时停车位"),
    ("3号楼楼道灯经常不亮", ""),
    ("希望增设老年人助餐点", "独居老人吃饭不方便"),
    ("垃圾分类投放点异味大", "夏天尤其明显"),
]
CHARTER_V1 = (
    "第一章 总则\n第一条 为保障居民依法自治，根据《中华人民共和国城市居民委员会组织法》，制定本章程。\n"
    "第二章 居民会议\n第五条 居民会议由十八周岁以上居民、每户派代表或者居民小组选举代表组成。\n"
    "第三章 民主决策\n第九条 涉及居民切身利益的重大事项，实行“4+2”工作法。"
)
CHARTER_V2 = CHARTER_V1 + (
    "\n第十条 每月10日为社区民主议事日，居民可提前提交议题。"
    "\n第十一条 重大事项或居民代表意见分歧较大时，实行双票表决制，以户为单位计票。"
)


def _secretary_community():
    city = demo.demo_city()
    if city is None:
        return None, None
    for assignment in (
        RoleAssignment.objects.filter(
            ended_at__isnull=True, role=Role.COMMUNITY_SECRETARY, place__path__startswith=city.path
        )
        .select_related("user", "place")
        .order_by("place__path", "user__username")
    ):
        if assignment.place.kind == PlaceKind.COMMUNITY:
            return assignment.user, assignment.place
    return None, None


def _days_ago(today, n):
    return today - dt.timedelta(days=n)


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    """Add this module's demo data; return counts of what was made."""
    rng = random.Random(seed + 8)
    secretary, community = _secretary_community()
    if secretary is None:
        return {}
    today = timezone.localdate()
    category = {c.code: c for c in MatterCategory.objects.all()}
    counts = {"matters": 0, "stage_records": 0, "household_votes": 0, "deliberation_days": 0}

    # The worked example: 社区办公用房改造, every stage, both publications.
    office = services.matter_create(
        actor=secretary,
        place=community,
        title="社区办公用房改造",
        category=category["construction"],
        description="社区办公用房建于上世纪九十年代，屋面漏水、线路老化，拟进行改造，预算约30万元。",
        double_ballot=False,
    )
    start = _days_ago(today, 75)
    for n, (stage, entitled, present, votes_for, against, abstain, where, notes) in enumerate(OFFICE_REBUILD):
        if stage == Stage.DELIBERATION:
            services.matter_send_draft(
                actor=secretary,
                matter=office,
                draft="改造内容：屋面防水、线路更换、增设无障碍通道和便民服务窗口；预算约30万元，由街道专项资金列支。",
                until=today + dt.timedelta(days=1),
            )
            services.comment_add(
                matter=office, text="建议增设无障碍坡道，方便老人和轮椅出入。", name="3号楼居民"
            )
            services.comment_add(matter=office, text="施工期间请公布临时办公地点。")
        services.stage_record(
            actor=secretary,
            matter=office,
            stage=stage,
            held_on=start + dt.timedelta(days=10 * n),
            location=where,
            entitled=entitled,
            present=present,
            votes_for=votes_for,
            votes_against=against,
            abstain=abstain,
            notes=notes,
        )
    services.resolution_publish(
        actor=secretary,
        matter=office,
        text="经居民代表会议表决通过，对社区办公用房进行改造，预算约30万元，公开招标确定施工单位。公示期7天，公示期内无异议。",
        published_on=start + dt.timedelta(days=32),
        posted_days=7,
    )
    services.result_publish(
        actor=secretary,
        matter=office,
        text="改造工程已于近日完工并通过验收，决算28.6万元，增设无障碍通道和便民服务窗口。",
        published_on=_days_ago(today, 3),
    )
    counts["matters"] += 1

    # A fundraising matter in the double ballot.
    lift = services.matter_create(
        actor=secretary,
        place=community,
        title="老旧小区加装电梯筹资方案",
        category=category["fundraising"],
        description="按楼层分摊加装电梯费用，政府补贴部分费用。",
    )
    for stage, entitled, present, votes_for, where in [
        (Stage.PROPOSAL, 7, 6, 6, "社区党委会议室"),
        (Stage.DELIBERATION, 12, 12, 10, "社区党群服务中心"),
        (Stage.REVIEW, 46, 30, 28, "社区党群服务中心"),
    ]:
        services.stage_record(
            actor=secretary,
            matter=lift,
            stage=stage,
            held_on=_days_ago(today, 20 - stage_index(stage) * 5),
            location=where,
            entitled=entitled,
            present=present,
            votes_for=votes_for,
            votes_against=present - votes_for,
        )
    services.matter_send_draft(
        actor=secretary,
        matter=lift,
        draft="一楼不出资，二楼及以上按楼层递增分摊，补贴后每户约0.8万至2.4万元。",
        until=today + dt.timedelta(days=10),
    )
    households = list(Household.objects.under(community.path).order_by("place_path", "unit", "room")[:40])
    reps = []
    for i, chunk_start in enumerate(range(0, len(households), 10)):
        rep = services.representative_create(
            actor=secretary,
            place=community,
            name=f"居民代表{i + 1}",
            started_on=dt.date(today.year - 2, 1, 1),
        )
        services.representative_link(
            actor=secretary, representative=rep, households=households[chunk_start : chunk_start + 10]
        )
        reps.append(rep)
    if households:
        services.ballot_codes_issue(actor=secretary, matter=lift)
        from .models import BallotCode

        for ballot in BallotCode.objects.filter(matter=lift).order_by("household__room")[:5]:
            services.household_vote_direct(code=ballot.code, choice=rng.choice(["for", "for", "against"]))
        if reps:
            services.representative_cast(actor=secretary, matter=lift, representative=reps[0], choice="for")
    counts["household_votes"] = lift.household_votes.count()
    counts["matters"] += 1

    # A 低保 matter waiting for the party member meeting.
    dibao = services.matter_create(
        actor=secretary, place=community, title="本季度低保金发放名单审议", category=category["subsistence"]
    )
    services.stage_record(
        actor=secretary,
        matter=dibao,
        stage=Stage.PROPOSAL,
        held_on=_days_ago(today, 4),
        location="社区党委会议室",
        entitled=7,
        present=7,
        votes_for=7,
    )
    counts["matters"] += 1

    # Deliberation days: last month's, held, and the next one with residents' topics.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    held = services.deliberation_day_plan(
        actor=secretary, place=community, held_on=last_month, location="社区议事厅"
    )
    services.deliberation_day_record(
        actor=secretary,
        day=held,
        attendees=28,
        minutes="居民代表、网格员和物业代表参加，讨论小区停车和楼道照明问题。",
    )
    services.follow_up_create(
        actor=secretary, day=held, title="协调物业施划临时停车位", owner=secretary, days=10
    )
    for title, detail in TOPICS:
        services.agenda_item_submit(
            place=community, title=title, detail=detail, name=rng.choice(["王阿姨", "李大爷", ""])
        )
    next_day = services.deliberation_next_date(community, today + dt.timedelta(days=1))
    services.deliberation_day_plan(actor=secretary, place=community, held_on=next_day, location="社区议事厅")
    counts["deliberation_days"] = 2

    # The residents' charter in two versions, and a published departure audit.
    services.charter_adopt(
        actor=secretary,
        place=community,
        title=f"{community.name}居民自治章程",
        text=CHARTER_V1,
        adopted_by="居民会议",
        adopted_on=dt.date(today.year - 3, 3, 15),
    )
    services.charter_adopt(
        actor=secretary,
        place=community,
        title=f"{community.name}居民自治章程",
        text=CHARTER_V2,
        adopted_by="居民代表会议",
        adopted_on=_days_ago(today, 100),
        effective_from=_days_ago(today, 90),
        change_note="增加民主议事日和双票表决制条款",
    )
    row = services.departure_audit_create(
        actor=secretary,
        place=community,
        cadre_name="钱国华",
        post="居委会主任",
        period_start=dt.date(today.year - 5, 1, 1),
        period_end=dt.date(today.year - 1, 12, 31),
        auditor="街道经济责任审计组",
        findings="集体资金收支手续齐全；一笔备用金报销凭证不全，已补齐。",
        result="minor",
        summary="任期内集体资金收支规范，发现一项凭证不全问题，已整改到位。",
    )
    services.departure_audit_publish(actor=secretary, departure_audit=row)
    counts["stage_records"] = sum(m.records.count() for m in (office, lift, dibao))
    counts["charters"] = 2
    counts["departure_audits"] = 1
    counts["representatives"] = len(reps)
    return counts


def stage_index(stage) -> int:
    return list(Stage).index(stage)
