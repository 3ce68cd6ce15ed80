"""Demo branch life for the demo city (D3): a year of meetings with attendance, recruits at every
stage, the demo party-member logins linked to their registry records, and the must-visit tasks that
the registry's difficulties call for.

Deterministic from the seed. Meetings are written in bulk as if each had been recorded on the day it
was held (none is a late entry), with one audit entry for the lot; the visit tasks are opened by the
same sweep ``lianxin tick`` runs.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import audit, demo
from lianxin.core.access import Role
from lianxin.places.models import PartyOrganization
from lianxin.registry.models import MemberStatus, PartyMember, Resident

from . import services
from .compliance import periods
from .models import (
    Attendance,
    Meeting,
    MeetingStatus,
    MeetingType,
    MemberAccount,
    Recruit,
    RecruitEvent,
    RecruitStage,
)

TOPICS = (
    "学习党章党规",
    "传达上级会议精神",
    "研究冬季走访慰问安排",
    "讨论社区停车难问题",
    "评议党员先锋岗",
    "部署创先争优活动",
    "研究困难党员帮扶名单",
    "学习习近平新时代中国特色社会主义思想",
)
ABSENCE_REASONS = ("外出务工", "住院", "照顾老人", "出差", "")


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    rng = random.Random(seed + 5)
    today = timezone.localdate()
    city = demo.demo_city()
    orgs = list(PartyOrganization.objects.filter(place_path__startswith=city.path, dissolved_on__isnull=True))
    types = list(MeetingType.objects.filter(active=True))
    members_by_org: dict[int, list[int]] = {}
    for pk, org_id in PartyMember.objects.filter(status=MemberStatus.ACTIVE).values_list(
        "pk", "organization_id"
    ):
        members_by_org.setdefault(org_id, []).append(pk)
    start = today.replace(day=1) - dt.timedelta(days=365)
    meetings, attendance_plan = [], []
    for org in sorted(orgs, key=lambda o: o.path):
        diligent = rng.random() < 0.7  # some organizations keep up, some leave gaps
        for meeting_type in types:
            if org.kind not in meeting_type.org_kinds:
                continue
            for year in (start.year, today.year):
                for period in periods(year, meeting_type.period_months):
                    if period.end < start or period.start > today:
                        continue
                    if rng.random() > (0.95 if diligent else 0.6):
                        continue
                    first, last = max(period.start, start), min(period.end, today)
                    day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
                    recorded = timezone.make_aware(dt.datetime.combine(day, dt.time(17)))
                    meetings.append(
                        Meeting(
                            organization=org,
                            place_id=org.place_id,
                            place_path=org.place_path,
                            meeting_type=meeting_type,
                            status=MeetingStatus.HELD,
                            topic=rng.choice(TOPICS),
                            held_on=day,
                            location="社区党员活动室",
                            chair=org.secretary_name,
                            minutes="会议按议程进行，与会党员充分讨论。",
                            created_by=actor,
                            created_at=recorded,
                            recorded_by=actor,
                            recorded_at=recorded,
                        )
                    )
                    attendance_plan.append(members_by_org.get(org.pk, []))
    Meeting.objects.bulk_create(meetings, batch_size=1000)
    rows = []
    for meeting, member_ids in zip(meetings, attendance_plan, strict=True):
        for member_id in member_ids:
            present = rng.random() < 0.85
            reason = "" if present else rng.choice(ABSENCE_REASONS)
            rows.append(
                Attendance(meeting=meeting, member_id=member_id, present=present, absence_reason=reason)
            )
    Attendance.objects.bulk_create(rows, batch_size=2000)

    linked = _link_member_logins(rng, actor)
    recruits = _recruits(rng, actor, today)
    counts = {
        "meetings": len(meetings),
        "attendance": len(rows),
        "member_logins": linked,
        "recruits": recruits,
    }
    audit.record(actor=actor, action="branch.seed", after=counts, reason="demo data")
    counts["visit_tasks"] = services.visit_tasks_sweep(today=today)
    return counts


def _link_member_logins(rng, actor) -> int:
    """Each demo party-member login becomes a member of its community (the first ones by name)."""
    linked = 0
    for assignment in RoleAssignment.objects.filter(
        role=Role.PARTY_MEMBER, ended_at__isnull=True
    ).select_related("user", "place"):
        if MemberAccount.objects.filter(user=assignment.user).exists():
            continue
        resident_id = (
            PartyMember.objects.filter(
                status=MemberStatus.ACTIVE, place_path__startswith=assignment.place.path
            )
            .exclude(resident__account_link__isnull=False)
            .order_by("resident__name_pinyin", "pk")
            .values_list("resident_id", flat=True)
            .first()
        )
        if resident_id is None:
            continue
        MemberAccount.objects.create(user=assignment.user, resident_id=resident_id, linked_by=actor)
        linked += 1
    return linked


def _recruits(rng, actor, today) -> int:
    """Two people per community on the way to membership, at different stages."""
    from .conf import documents

    made = 0
    branches = PartyOrganization.objects.filter(kind="branch", dissolved_on__isnull=True).order_by("path")
    seen_places = set()
    for branch in branches:
        community = branch.place_path[:32]
        if community in seen_places:
            continue
        seen_places.add(community)
        candidates = list(
            Resident.objects.filter(
                place_path__startswith=community,
                membership__isnull=True,
                birth_date__lte=today.replace(year=today.year - 20),
                birth_date__gte=today.replace(year=today.year - 45),
            ).order_by("pk")[:40]
        )
        for resident, stage in zip(
            rng.sample(candidates, min(2, len(candidates))),
            rng.sample([RecruitStage.APPLICANT, RecruitStage.ACTIVIST, RecruitStage.TARGET], 2),
            strict=False,
        ):
            applied = today - dt.timedelta(days=rng.randrange(200, 900))
            recruit = Recruit(
                resident=resident,
                organization=branch,
                place_id=branch.place_id,
                place_path=branch.place_path,
                applied_on=applied,
                stage=RecruitStage.APPLICANT,
                created_by=actor,
            )
            steps = [(RecruitStage.APPLICANT, applied)]
            if stage in (RecruitStage.ACTIVIST, RecruitStage.TARGET):
                recruit.activist_on = applied + dt.timedelta(days=60)
                steps.append((RecruitStage.ACTIVIST, recruit.activist_on))
            if stage == RecruitStage.TARGET and recruit.activist_on + dt.timedelta(days=370) <= today:
                recruit.target_on = recruit.activist_on + dt.timedelta(days=370)
                steps.append((RecruitStage.TARGET, recruit.target_on))
            recruit.stage = steps[-1][0]
            recruit.documents = {
                previous: {name: on.isoformat() for name in documents(previous)}
                for (previous, on) in steps[:-1]
            }
            recruit.save()
            before = ""
            for to_stage, on in steps:
                RecruitEvent.objects.create(
                    recruit=recruit, from_stage=before, to_stage=to_stage, on=on, actor=actor
                )
                before = to_stage
            made += 1
    return made
