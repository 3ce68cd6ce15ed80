"""Demo data of this module for the demo city, added by lianxin.core.demo.build_demo_city.

In every community with a secretary: two party congress delegates of its party committee, the three
levels of the contact chain (a few contacts overdue: last logged long ago, or never), a contact whose
problem became a residents' request, a committee meeting open to members with applications from the
linked member logins (one approved), and standards self-checks of the committee and its branches —
reviewed by the subdistrict officer into a mix of class 1/2/3 with upgrade plans, one submitted and
waiting for review. Every write goes through the services (validated, audited). Deterministic.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.branch import services as branch
from lianxin.branch.models import MeetingType, MemberAccount
from lianxin.core import demo, tree
from lianxin.core.access import Role
from lianxin.places.models import OrgKind, PartyOrganization, PlaceKind
from lianxin.registry.models import Household, MemberStatus, PartyMember

from . import services
from .models import ChainLevel, ContactKind, ItemReview

PROBLEMS = ["楼道灯坏了，晚上老人上下楼不方便", "小区门口积水，下雨天出行难", "希望社区组织防诈骗讲座", ""]
NOTES = ["身体状况良好", "家中老人独居，需多关注", "对社区工作满意", "提出了停车管理建议"]
# Reviewed share of points per self-check, in turn: class 1, 2, 3 (thresholds 90 / 70).
SHARES = [(95, 1), (80, 2), (60, 3)]


def _holder(role, place_path):
    return (
        RoleAssignment.objects.filter(ended_at__isnull=True, role=role, place__path=place_path)
        .select_related("user")
        .order_by("user__username")
        .first()
    )


def _reviewer(community):
    for path in reversed(tree.ancestors_of(community.path)):
        assignment = _holder(Role.SUBDISTRICT_OFFICER, path)
        if assignment is not None:
            return assignment.user
    return None


def _scores(items, share):
    """Per-item review scores adding up to ``share`` % of the points: shortfalls on the last items."""
    total = sum(row.item.points for row in items)
    missing = total - total * share // 100
    scores = {}
    for row in reversed(items):
        cut = min(missing, row.item.points)
        scores[row.pk] = row.item.points - cut
        missing -= cut
    return scores


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    """Add this module's demo data; return counts of what was made."""
    rng = random.Random(seed + 14)
    city = demo.demo_city()
    if city is None:
        return {}
    today = timezone.localdate()
    counts = {
        "delegates": 0,
        "links": 0,
        "entries": 0,
        "requests": 0,
        "applications": 0,
        "checks": 0,
        "plans": 0,
    }
    turn = 0
    communities = [
        a.place
        for a in RoleAssignment.objects.filter(
            ended_at__isnull=True, role=Role.COMMUNITY_SECRETARY, place__kind=PlaceKind.COMMUNITY
        )
        .filter(place__path__startswith=city.path)
        .select_related("place")
        .order_by("place__path")
    ]
    for community in dict.fromkeys(communities):
        secretary = _holder(Role.COMMUNITY_SECRETARY, community.path).user
        committee = PartyOrganization.objects.filter(kind=OrgKind.COMMITTEE, place=community).first()
        if committee is None:
            continue
        members = list(
            PartyMember.objects.filter(status=MemberStatus.ACTIVE)
            .filter(tree.under_q("organization__path", [committee.path]))
            .select_related("resident")
            .order_by("resident__name_pinyin", "pk")[:24]
        )
        if len(members) < 4:
            continue
        _chains(rng, secretary, committee, community, members, today, counts)
        _sitting_in(secretary, committee, community, today, counts)
        reviewer = _reviewer(community)
        if reviewer is not None:
            turn = _standards(secretary, reviewer, committee, today, turn, counts)
    return counts


def _chains(rng, secretary, committee, community, members, today, counts):
    assigned = today - dt.timedelta(days=120)
    delegates = members[:2]
    for member in delegates:
        services.delegate_add(
            actor=secretary, organization=committee, member=member, term_start=dt.date(today.year - 2, 1, 1)
        )
        counts["delegates"] += 1
    links = []

    def assign(level, contact, **target):
        links.append(
            services.link_assign(
                actor=secretary,
                organization=committee,
                level=level,
                contact=contact,
                assigned_on=assigned,
                **target,
            )
        )

    assign(ChainLevel.DELEGATE, members[2], target_member=delegates[0])
    assign(ChainLevel.DELEGATE, members[3], target_member=delegates[1])
    for n, member in enumerate(members[2:]):
        assign(ChainLevel.MEMBER, delegates[n % 2], target_member=member)
    households = list(
        Household.objects.under(community.path)
        .exclude(head__isnull=True)
        .order_by("place_path", "unit", "room")[:18]
    )
    contacts = members[2:8]
    for n, household in enumerate(households):
        assign(ChainLevel.HOUSEHOLD, contacts[n % len(contacts)], target_household=household)
    counts["links"] += len(links)
    first_problem = None
    for n, link in enumerate(links):
        # one in five never contacted, one in five last contacted three months ago: overdue
        if n % 5 == 4:
            continue
        ago = 85 if n % 5 == 3 else rng.randint(1, 20)
        problems = rng.choice(PROBLEMS) if link.level == ChainLevel.HOUSEHOLD else ""
        entry = services.entry_record(
            actor=secretary,
            link=link,
            kind=rng.choice([ContactKind.VISIT, ContactKind.CALL, ContactKind.TALK]),
            contacted_on=today - dt.timedelta(days=ago),
            problems=problems,
            notes=rng.choice(NOTES),
        )
        counts["entries"] += 1
        if problems and first_problem is None:
            first_problem = entry
    if first_problem is not None:
        services.entry_to_request(actor=secretary, entry=first_problem, category="facilities")
        counts["requests"] += 1


def _sitting_in(secretary, committee, community, today, counts):
    meeting = branch.meeting_plan(
        actor=secretary,
        organization=committee,
        meeting_type=MeetingType.objects.get(code="committee_meeting"),
        topic="研究老旧小区改造和停车管理",
        planned_on=today + dt.timedelta(days=12),
        location="社区党群服务中心",
    )
    open_meeting = services.meeting_open(
        actor=secretary, meeting=meeting, seats=2, note="欢迎党员报名旁听，会上可提意见建议。"
    )
    accounts = MemberAccount.objects.filter(
        resident__membership__status=MemberStatus.ACTIVE, resident__place_path__startswith=community.path
    ).select_related("user")
    applications = []
    for account in accounts.order_by("user__username"):
        applications.append(
            services.sitting_apply(
                user=account.user, open_meeting=open_meeting, motivation="想了解社区重大事项的决策过程"
            )
        )
    counts["applications"] += len(applications)
    if applications:
        services.sitting_decide(actor=secretary, application=applications[0], approve=True)


def _standards(secretary, reviewer, committee, today, turn, counts) -> int:
    orgs = [
        committee,
        *PartyOrganization.objects.filter(parent=committee, kind=OrgKind.BRANCH).order_by("path")[:2],
    ]
    for n, org in enumerate(orgs):
        check = services.check_start(actor=secretary, organization=org, year=today.year)
        items = list(check.items.select_related("item"))
        for row in items:
            services.check_item_record(
                actor=secretary,
                check_item=row,
                evidence=f"{row.item.get_area_display()}：台账、照片齐全",
                self_score=row.item.points,
            )
        services.check_submit(actor=secretary, check=check)
        counts["checks"] += 1
        if n == len(orgs) - 1 and n > 0:
            continue  # the last branch waits for the subdistrict's review
        share, _rating = SHARES[turn % len(SHARES)]
        turn += 1
        scores = _scores(items, share)
        for row in items:
            score = scores[row.pk]
            services.item_review(
                actor=reviewer,
                check_item=row,
                decision=ItemReview.ACCEPTED,
                score=score,
                note="" if score == row.item.points else "材料不够完整，需补充",
            )
        check = services.review_conclude(actor=reviewer, check=check)
        if hasattr(check, "plan"):
            counts["plans"] += 1
            first = check.plan.items.first()
            if first is not None:
                services.upgrade_item_progress(
                    actor=secretary, item=first, progress="已制定整改措施，正在落实"
                )
    return turn
