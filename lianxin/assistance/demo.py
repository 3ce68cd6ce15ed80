"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city.

For each community (a few at the "demo" scale): 低保 cases at every step, driven through the real
services by the people who act at each step (so events, audit entries and notifications are real);
notices running on the portal with an objection; approved cases with a few months of payments; a
case flagged because the grid worker declared the household as a relative; 廉租房 and 再就业培训
applications; 一联一 pairings of party members with households in difficulty. Deterministic from the
seed. Cases past 公示 had their notice as if published earlier (dates moved back), since a notice
cannot pass before its period ends.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import DifficultyTag, Household, MemberStatus, PartyMember

from . import programmes, services
from .models import CaseEvent, Notice, PaymentPlan, Programme, StepKind

COMMUNITIES = {"demo": 3, "large": 30}
REASONS = {
    "low_income": "家庭人均收入低于本市低保标准",
    "illness": "家中有重病患者，医疗支出大",
    "disability": "户主肢体残疾，无劳动能力",
    "unemployment": "夫妻双方下岗，暂无收入来源",
    "old_age": "孤寡老人，无子女赡养",
}
FINDINGS = (
    "入户查看，家中陈设简陋，所述情况属实。",
    "核对银行流水和医疗票据，与申报一致。",
    "走访邻居三户，反映情况属实。",
)
OBJECTIONS = ("听说该户有亲属在外地经商，请核实收入。", "该户常年不在本小区居住。")
PANEL = ("王建国", "李秀英", "张志强", "刘桂兰", "陈国华", "杨淑珍", "赵德明")
# Where each demo case stops (the step code; "done" = approved and paying).
TARGETS = ("apply", "investigate", "deliberate", "notice", "notice", "first_review", "review", "done", "done")


def _users(community) -> dict[str, list]:
    rows = RoleAssignment.objects.filter(
        ended_at__isnull=True, place__path__startswith=community.path
    ).select_related("user")
    result: dict[str, list] = {}
    for row in rows.order_by("user__username"):
        result.setdefault(row.role, []).append(row.user)
    return result


def _actor(case, previous=None):
    """Someone who may act at the case's current step (a second person where the step says so)."""
    candidates = sorted(services._step_users(case, case.step), key=lambda u: u.username)
    candidates = [u for u in candidates if services.can_act(u, case)]
    if case.step.four_eyes and previous is not None:
        candidates = [u for u in candidates if u.pk != previous.pk]
    return candidates[0] if candidates else None


def _drive(case, target, rng, today):
    """Advance ``case`` with real services until it reaches ``target`` (or nobody can act)."""
    previous = None
    while case.status == "open" and case.step.code != target:
        actor = _actor(case, previous)
        if actor is None:
            return case
        step = case.step
        if step.kind == StepKind.INVESTIGATE:
            second = next(
                (
                    u
                    for u in services._step_users(case, step)
                    if u.pk != actor.pk and services.can_act(u, case)
                ),
                None,
            )
            if second is None:
                return case
            services.investigation_record(
                actor=actor,
                case=case,
                first_investigator=actor,
                second_investigator=second,
                visited_on=today,
                household_size=rng.randint(1, 4),
                composition="户主及家庭成员（见户籍）",
                income=f"家庭月收入约 {rng.randrange(300, 1200, 50)} 元",
                health=rng.choice(("", "慢性病，长期服药", "肢体残疾二级")),
                findings=rng.choice(FINDINGS),
            )
        elif step.kind == StepKind.DELIBERATE:
            living = set(case.household.members.values_list("name", flat=True))
            names = rng.sample([n for n in PANEL if n not in living], 4)
            for name in names:
                services.vote_record(
                    actor=actor,
                    case=case,
                    voter_name=name,
                    panel_role=rng.choice(("member", "representative")),
                    choice="abstain" if name == names[-1] and rng.random() < 0.3 else "for",
                )
        elif step.kind == StepKind.NOTICE:
            notice = services.current_notice(case) or services.notice_publish(actor=actor, case=case)
            if target == "notice":
                return case
            # As if published earlier: the period has run.
            days = (notice.ends_on - notice.starts_on).days + 1
            Notice.objects.filter(pk=notice.pk).update(
                starts_on=notice.starts_on - dt.timedelta(days=days), ends_on=today - dt.timedelta(days=1)
            )
        documents = step.required_documents
        case = services.case_advance(
            actor=actor,
            case=case,
            documents=documents,
            review_note="全面复核：材料齐全，情况属实" if step.sampled else "",
        )
        previous = actor
    if case.status == "open" and case.step.kind == StepKind.NOTICE and services.current_notice(case) is None:
        actor = _actor(case)
        if actor is not None:
            services.notice_publish(actor=actor, case=case)
    return case


def _second_approver(city, actor) -> None:
    """审批 needs a second person after 审核: the demo district gets a civil-affairs approver (qu2)."""
    from django.contrib.auth.hashers import make_password

    from lianxin.accounts import services as accounts
    from lianxin.accounts.models import User

    district = Place.objects.subtree(city).filter(kind=PlaceKind.DISTRICT).order_by("path").first()
    if district is None or User.objects.filter(username="qu2").exists():
        return
    user = accounts.user_create(actor=actor, username="qu2", display_name="民政科审批员", password=None)
    User.objects.filter(pk=user.pk).update(password=make_password(demo.DEMO_PASSWORD))
    accounts.role_grant(actor=actor, user=user, role=Role.DISTRICT_OFFICER, place=district)


@transaction.atomic
def populate(*, scale: str, seed: int, actor) -> dict:
    """Add this module's demo data; return counts of what was made."""
    programmes.ensure_defaults()
    city = demo.demo_city()
    if city is None:
        return {}
    rng = random.Random(seed + 6)
    today = timezone.localdate()
    _second_approver(city, actor)
    dibao = Programme.objects.get(code="dibao")
    others = list(Programme.objects.exclude(code="dibao").order_by("id"))
    communities = list(Place.objects.subtree(city).filter(kind=PlaceKind.COMMUNITY).order_by("path"))
    communities = communities[: COMMUNITIES.get(scale, 3)]
    counts = {"cases": 0, "notices": 0, "objections": 0, "payments": 0, "pairings": 0, "relatives": 0}
    for community in communities:
        users = _users(community)
        intake = (users.get(Role.STAFF) or users.get(Role.COMMUNITY_SECRETARY) or [None])[0]
        if intake is None:
            continue
        difficult = list(
            Household.objects.under(community.path)
            .filter(difficulties__ended_on__isnull=True, members__isnull=False)
            .distinct()
            .order_by("pk")[:14]
        )
        grid_worker = (users.get(Role.GRID_WORKER) or [None])[0]
        for index, household in enumerate(difficult[: len(TARGETS) + 2]):
            applicant = household.head or household.members.filter(moved_out_on__isnull=True).first()
            if applicant is None:
                continue
            if index == 2 and grid_worker is not None:
                # 优亲厚友 check: the grid worker's cousin applies; she is recused, the case flagged.
                services.relative_declare(
                    actor=grid_worker, household=household, relation="other", note="表亲"
                )
                counts["relatives"] += 1
            programme = dibao if index < len(TARGETS) else others[index % len(others)]
            category = rng.choice(sorted(REASONS))
            case = services.case_open(
                actor=intake,
                programme=programme,
                household=household,
                applicant=applicant,
                reason_category=category,
                reason=REASONS[category],
                amount=str(rng.randrange(450, 900, 10)) if programme.pays_monthly else None,
            )
            counts["cases"] += 1
            target = TARGETS[index] if programme == dibao else "notice"
            case = _drive(case, "__end__" if target == "done" else target, rng, today)
            if case.status == "open" and case.step.kind == StepKind.NOTICE:
                notice = services.current_notice(case)
                if notice and rng.random() < 0.5:
                    services.objection_file(notice=notice, text=rng.choice(OBJECTIONS), anonymous=True)
                    counts["objections"] += 1
        counts["notices"] += Notice.objects.filter(place=community).count()
        payer = (users.get(Role.COMMUNITY_SECRETARY) or [None])[0]
        if payer is not None:
            first = today.replace(day=1)
            # As if approved a few months ago: the ledger then shows some history.
            PaymentPlan.objects.filter(case__community=community).update(
                starts_on=services._add_months(first, -2)
            )
            for back in (2, 1, 0):
                month = services._add_months(first, -back)
                counts["payments"] += len(services.payments_run(actor=payer, month=month))
            # 一联一: active members paired with the households in difficulty, in order.
            members = list(
                PartyMember.objects.under(community.path)
                .filter(status=MemberStatus.ACTIVE)
                .select_related("resident")
                .order_by("pk")
            )
            tagged = list(
                Household.objects.filter(
                    pk__in=DifficultyTag.objects.under(community.path)
                    .filter(ended_on__isnull=True)
                    .values("household_id")
                ).order_by("pk")
            )
            share = 0.8 if rng.random() < 0.5 else 0.55
            for member, household in zip(members, tagged[: int(len(tagged) * share)], strict=False):
                if member.resident.household_id == household.pk:
                    continue
                services.pairing_create(
                    actor=payer,
                    member=member,
                    household=household,
                    plan="每月至少上门一次，了解困难，协助办理救助，节日走访慰问。",
                    started_on=today - dt.timedelta(days=rng.randrange(30, 300)),
                    actions=[
                        ("上门了解家庭情况，建立联系卡", today - dt.timedelta(days=20)),
                        ("协助申请临时救助或医疗救助", today + dt.timedelta(days=rng.randrange(10, 60))),
                    ],
                )
                counts["pairings"] += 1
    counts["events"] = CaseEvent.objects.count()
    return counts
