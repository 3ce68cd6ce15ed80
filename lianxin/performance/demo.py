"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city (D10).

For each community (at most MAX_COMMUNITIES): the committee's goals with items (实事 among them),
progress with most past-due items done; commitments of the committee and of members by kind (one
returned for rewriting by the quality check); the half-year evaluation with scores, ballot codes,
online ballots and a voided code; commendations decided by the subdistrict officer (the red banner
rotates between the subdistrict's communities); suggested accountability cases; the year's
milestones; the secretary's report compiled from the data. Everything goes through the services, so
the audit log and the rules are the real ones. Deterministic from the seed.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import OrgKind, PartyOrganization, Place, PlaceKind
from lianxin.registry.models import MemberStatus, PartyMember

from . import services
from .models import Criterion, MemberGroup, Satisfaction, ScoreKind

MAX_COMMUNITIES = 12
PROJECTS = (
    ("老旧小区楼道改造", "完成3栋楼楼道粉刷和照明更换"),
    ("为老服务助餐点", "开设1个老年助餐点，每日供餐50份"),
    ("背街小巷环境整治", "整治2条背街小巷，清理堆放杂物"),
    ("困难家庭走访全覆盖", "走访全部低保和困难家庭，每户每季度1次"),
    ("党员志愿服务", "组织党员志愿服务每月1次，参与党员不少于30人"),
    ("停车难治理", "新增停车位40个"),
    ("平安小区建设", "安装监控探头12个，实现出入口全覆盖"),
)
LEADS = ("王建国", "李秀英", "张志强", "刘芳", "陈明", "赵丽华")


def _user(place, role):
    row = (
        RoleAssignment.objects.filter(place=place, role=role, ended_at__isnull=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return row.user if row else None


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    rng = random.Random(seed + 10)
    today = timezone.localdate()
    year = today.year
    city = demo.demo_city()
    counts = dict.fromkeys(
        (
            "goals",
            "goal_items",
            "commitments",
            "returned",
            "cycles",
            "codes",
            "ballots",
            "commendations",
            "cases",
            "reports",
        ),
        0,
    )
    if city is None:
        return counts
    communities = list(
        Place.objects.subtree(city).filter(kind=PlaceKind.COMMUNITY).order_by("path")[:MAX_COMMUNITIES]
    )
    banner_given: set[int] = set()
    for community in communities:
        secretary = _user(community, Role.COMMUNITY_SECRETARY)
        committee = (
            PartyOrganization.objects.filter(
                place=community, kind=OrgKind.COMMITTEE, dissolved_on__isnull=True
            )
            .order_by("path")
            .first()
        )
        officer = _user(community.parent, Role.SUBDISTRICT_OFFICER)
        if secretary is None or committee is None:
            continue
        branches = list(
            PartyOrganization.objects.filter(parent=committee, dissolved_on__isnull=True).order_by("path")[:3]
        )
        members = list(
            PartyMember.objects.filter(
                organization__path__startswith=committee.path, status=MemberStatus.ACTIVE
            )
            .select_related("resident", "organization")
            .order_by("id")[:40]
        )

        # Goals (目标责任制).
        goal = services.goal_create(
            actor=secretary,
            organization=committee,
            year=year,
            title=f"{year}年度{committee.name}目标责任",
            letter_issued_by=f"{community.parent.name}党工委",
        )
        for project, target in rng.sample(PROJECTS, 5):
            due = dt.date(year, rng.randint(2, 12), rng.randint(1, 28))
            item = services.goal_item_add(
                actor=secretary,
                goal=goal,
                project=project,
                target=target,
                lead=rng.choice(LEADS),
                due_on=due,
                practical=rng.random() < 0.5,
                milestones=[("制定方案", dt.date(year, 1, 31))] if due.month > 2 else [],
            )
            counts["goal_items"] += 1
            if due <= today and rng.random() < 0.93:
                services.goal_progress(actor=secretary, item=item, progress=100, note="已按期完成，群众认可")
            elif rng.random() < 0.6:
                services.goal_progress(
                    actor=secretary, item=item, progress=rng.choice([30, 50, 70]), note="正在推进"
                )
        services.goal_letter_sign(
            actor=secretary,
            goal=goal,
            signed_by=committee.secretary_name or "书记",
            signed_on=min(today, dt.date(year, 1, 15)),
        )
        counts["goals"] += 1

        # Commitments (公开承诺制).
        deadline = dt.date(year, 12, 15)
        drafts = [
            services.commitment_create(
                actor=secretary,
                organization=committee,
                year=year,
                deadline=deadline,
                **services.TEMPLATES[MemberGroup.ORGANIZATION],
            )
        ]
        for member, group in zip(members[:3], (MemberGroup.CADRE, None, None), strict=False):
            group = group or services.group_for_member(member)
            drafts.append(
                services.commitment_create(
                    actor=secretary,
                    organization=member.organization,
                    member=member,
                    group=group,
                    year=year,
                    deadline=deadline,
                    **services.TEMPLATES[group],
                )
            )
        vague = services.commitment_create(
            actor=secretary, organization=committee, year=year, target="努力做好服务", items="", measures=""
        )
        for commitment in drafts:
            published, _problems = services.commitment_publish(actor=secretary, commitment=commitment)
            if rng.random() < 0.5:
                services.commitment_fulfil(actor=secretary, commitment=published, note="上半年已完成过半")
        services.commitment_publish(actor=secretary, commitment=vague)
        counts["commitments"] += len(drafts) + 1
        counts["returned"] += 1

        # The half-year evaluation (一会四评) with ballots.
        half = 1 if today.month > 6 else 2
        cycle_year = year if half == 1 else year - 1
        cycle = services.cycle_create(
            actor=secretary,
            place=community,
            year=cycle_year,
            half=half,
            title=f"{cycle_year}年{'上' if half == 1 else '下'}半年一会四评",
            meeting_on=dt.date(cycle_year, 6 if half == 1 else 12, 25),
        )
        evaluees = [
            services.evaluee_add(
                actor=secretary, cycle=cycle, name=committee.secretary_name or "书记", role="书记"
            )
        ]
        evaluees += [services.evaluee_add(actor=secretary, cycle=cycle, organization=b) for b in branches]
        for evaluee in evaluees:
            services.score_record(
                actor=secretary, evaluee=evaluee, kind=ScoreKind.SELF, score=rng.randint(85, 95)
            )
            services.score_record(
                actor=secretary, evaluee=evaluee, kind=ScoreKind.PEER, score=rng.randint(80, 95)
            )
            if officer is not None:
                services.score_record(
                    actor=officer,
                    evaluee=evaluee,
                    kind=ScoreKind.LEADER,
                    score=rng.randint(80, 95),
                    comment=rng.choice(
                        ["联系群众紧密，办实事有成效", "工作扎实，需加强党员教育管理", "服务意识强"]
                    ),
                )
        services.codes_issue(actor=secretary, cycle=cycle, count=60)
        codes = list(cycle.codes.order_by("id").values_list("code", flat=True))
        services.code_void(actor=secretary, cycle=cycle, code=codes[-1], reason="选票污损")
        weights = [Satisfaction.SATISFIED] * 8 + [Satisfaction.BASICALLY] * 2 + [Satisfaction.DISSATISFIED]
        for code in codes[:45]:
            services.ballot_cast(code=code, ratings={e.pk: rng.choice(weights) for e in evaluees})
        counts["cycles"] += 1
        counts["codes"] += len(codes)
        counts["ballots"] += 45

        # Commendations (表彰激励制), decided by the subdistrict officer (not the nominator).
        nominations = []
        if members:
            nominations.append(
                services.commendation_nominate(
                    actor=secretary,
                    place=community,
                    year=year,
                    criterion=Criterion.FIVE_LEADS,
                    member=members[-1],
                    deeds="带头调解邻里纠纷，带头参加志愿服务",
                )
            )
            nominations.append(
                services.commendation_nominate(
                    actor=secretary,
                    place=community,
                    year=year,
                    criterion=Criterion.MODEL_POST,
                    member=members[0],
                    post_name="党员先锋岗·便民服务窗口",
                    deeds="窗口服务零投诉",
                )
            )
        if branches:
            nominations.append(
                services.commendation_nominate(
                    actor=secretary,
                    place=community,
                    year=year,
                    criterion=Criterion.FIVE_GOODS,
                    organization=branches[0],
                    deeds="领导班子好、党员队伍好、工作机制好、工作业绩好、群众反映好",
                )
            )
        if officer is not None:
            for nomination in nominations:
                services.commendation_decide(
                    actor=officer, commendation=nomination, award=True, note="经研究同意"
                )
            if community.parent_id not in banner_given:
                banner = services.commendation_nominate(
                    actor=officer,
                    place=community.parent,
                    year=year,
                    criterion=Criterion.RED_BANNER,
                    organization=committee,
                    deeds="上半年综合考评第一",
                )
                district_officer = _user(community.parent.parent, Role.DISTRICT_OFFICER)
                if district_officer is not None:
                    services.commendation_decide(actor=district_officer, commendation=banner, award=True)
                banner_given.add(community.parent_id)
        counts["commendations"] += len(nominations)

        counts["cases"] += services.cases_suggest(actor=secretary, place=community, today=today)
        services.rhythm_plan(actor=secretary, place=community, year=year, assignee=secretary)
        services.report_compile(actor=secretary, organization=committee, year=year)
        counts["reports"] += 1
    return counts
