"""Demo visits for the demo city (D5): visit pairs, three months of visits and follow-up visits on the
communities' visit and follow-up days, and the assistants' calls, meetings and summaries.

Deterministic: the same seed and the same ``today`` give the same rows (the idempotency keys too).
Written with bulk inserts and recorded as one audit entry, like the registry's demo step.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import audit, demo
from lianxin.core.access import Role
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import DifficultyTag, Household

from . import cadence
from .models import AssistantDuty, Contact, DutyKind, Visit, VisitAssignment, VisitKind

MONTHS_BACK = 3
# Share of a grid's households visited in a month, by how the grid is covered.
VISIT_SHARE = {"pair": 0.55, "second_pair": 0.4, "uncovered": 0.08}
DIFFICULT_SHARE = 0.9
FOLLOWUP_SHARE = 0.18
KEY_NAMESPACE = uuid.UUID("6f1c3a52-2b4e-4c1e-9a57-5d2f0c7e8b11")

FINDINGS_OK = (
    "家中一切正常，老人身体尚好。",
    "住户外出务工，与邻居核实情况正常。",
    "了解家庭近况，无特别困难。",
    "宣传社区养老服务和防诈骗知识，住户表示了解。",
    "孩子在读小学，家长希望社区多组织暑期活动。",
    "核对家庭成员信息，无变化。",
)
FINDINGS_NEED = (
    "楼道灯损坏，老人夜间上下楼不便，希望尽快维修。",
    "独居老人腿脚不便，希望加装卫生间扶手。",
    "家中有人长期患病，询问大病救助政策。",
    "反映楼上漏水，已影响厨房顶棚。",
    "下岗在家，希望社区推荐就业岗位或培训。",
    "低保年审材料不齐，需要帮助准备。",
    "反映小区车辆乱停，消防通道被占。",
)
FOLLOWUP_FINDINGS = (
    "回访：问题已解决，住户表示满意。",
    "回访：已联系物业处理，正在维修中。",
    "回访：政策已解释清楚，材料已提交。",
)


@dataclass(frozen=True)
class PlannedVisit:
    household_id: int
    day: dt.date
    kind: str
    visitor: int
    companion: int | None
    contact: str
    findings: str
    needs_followup: bool


def _months(today: dt.date) -> list[tuple[int, int]]:
    months = [(today.year, today.month)]
    for _ in range(MONTHS_BACK):
        months.append(cadence.previous_month(*months[-1]))
    return list(reversed(months))


def plan_visits(
    rng: random.Random,
    *,
    households: list[tuple[int, bool]],
    pair: tuple[int, int] | None,
    share: float,
    visit_days: list[int],
    followup_days: list[int],
    today: dt.date,
) -> list[PlannedVisit]:
    """The visits to one grid's ``households`` ((id, has a difficulty)) over the last months, made by
    ``pair`` on visit days, with follow-up visits on follow-up days. Pure: no database."""
    if pair is None:
        return []
    planned = []
    for year, month in _months(today):
        visit_dates = [d for d in cadence.days_in_month(year, month, visit_days) if d <= today]
        followup_dates = [d for d in cadence.days_in_month(year, month, followup_days) if d <= today]
        if not visit_dates:
            continue
        for household_id, difficult in households:
            if rng.random() >= (DIFFICULT_SHARE if difficult else share):
                continue
            day = rng.choice(visit_dates)
            visitor, companion = pair if rng.random() < 0.5 else (pair[1], pair[0])
            contact = rng.choices([Contact.MET, Contact.NOT_HOME, Contact.PHONE], [0.82, 0.1, 0.08])[0]
            needs = contact != Contact.NOT_HOME and rng.random() < (FOLLOWUP_SHARE * (2 if difficult else 1))
            if contact == Contact.NOT_HOME:
                findings, needs = "", True
            else:
                findings = rng.choice(FINDINGS_NEED if needs else FINDINGS_OK)
            planned.append(
                PlannedVisit(household_id, day, VisitKind.VISIT, visitor, companion, contact, findings, needs)
            )
            if needs and followup_dates and rng.random() < 0.6:
                planned.append(
                    PlannedVisit(
                        household_id,
                        rng.choice(followup_dates),
                        VisitKind.FOLLOW_UP,
                        visitor,
                        companion,
                        Contact.MET,
                        rng.choice(FOLLOWUP_FINDINGS),
                        False,
                    )
                )
    return planned


def _users_by_role(community: Place) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for role, user_id in (
        RoleAssignment.objects.filter(ended_at__isnull=True, place__path__startswith=community.path)
        .order_by("place__path", "user__username")
        .values_list("role", "user_id")
    ):
        result.setdefault(role, []).append(user_id)
    return result


@transaction.atomic
def populate(
    *, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None, today: dt.date | None = None
) -> dict:
    """Visit pairs, visits and assistant duties for every community of the demo city."""
    today = today or timezone.localdate()
    rng = random.Random(seed + 5)
    city = demo.demo_city()
    if city is None:
        raise ValueError("the demo city has not been built")
    difficult = set(
        DifficultyTag.objects.filter(ended_on__isnull=True).values_list("household_id", flat=True)
    )
    pairs, visits, duties = [], [], []
    for community in Place.objects.subtree(city).filter(kind=PlaceKind.COMMUNITY).order_by("path"):
        users = _users_by_role(community)
        staff = (users.get(Role.STAFF) or [None])[0]
        grid_worker = (users.get(Role.GRID_WORKER) or [None])[0]
        committee = (users.get(Role.COMMITTEE_MEMBER) or [None])[0]
        secretary = (users.get(Role.COMMUNITY_SECRETARY) or [None])[0]
        grids = list(Place.objects.filter(parent=community, kind=PlaceKind.GRID).order_by("path"))
        # 两人一组包百户: the grid worker and a staff member take the first grid; a committee member and
        # the secretary the second; the other grids wait for more staff (they show in coverage).
        by_grid = {}
        if grids and staff and grid_worker:
            by_grid[grids[0].pk] = ((grid_worker, staff), VISIT_SHARE["pair"])
        if len(grids) > 1 and committee and secretary:
            by_grid[grids[1].pk] = ((committee, secretary), VISIT_SHARE["second_pair"])
        for grid in grids:
            pair, share = by_grid.get(
                grid.pk, ((staff, secretary) if staff and secretary else None, VISIT_SHARE["uncovered"])
            )
            if grid.pk in by_grid:
                pairs.append(
                    VisitAssignment(
                        place=grid,
                        place_path=grid.path,
                        first_id=pair[0],
                        second_id=pair[1],
                        started_on=today - dt.timedelta(days=120),
                        created_by=actor,
                    )
                )
            households = list(
                Household.objects.under(grid.path)
                .order_by("place_path", "unit", "room")
                .values_list("pk", "place_id", "place_path")
            )
            where = {pk: (place_id, path) for pk, place_id, path in households}
            for planned in plan_visits(
                rng,
                households=[(pk, pk in difficult) for pk, _p, _path in households],
                pair=pair,
                share=share,
                visit_days=cadence.parse_days("5,6"),
                followup_days=cadence.parse_days("29,30"),
                today=today,
            ):
                place_id, path = where[planned.household_id]
                visits.append(
                    Visit(
                        household_id=planned.household_id,
                        place_id=place_id,
                        place_path=path,
                        kind=planned.kind,
                        visited_on=planned.day,
                        visitor_id=planned.visitor,
                        companion_id=planned.companion,
                        contact=planned.contact,
                        findings=planned.findings,
                        needs_followup=planned.needs_followup,
                        recorded_by_id=planned.visitor,
                        idempotency_key=uuid.uuid5(
                            KEY_NAMESPACE, f"{seed}:{planned.household_id}:{planned.day}:{planned.kind}"
                        ),
                        created_at=timezone.make_aware(dt.datetime.combine(planned.day, dt.time(17, 0))),
                    )
                )
        for assignment in RoleAssignment.objects.filter(
            ended_at__isnull=True, role=Role.ASSISTANT, place__path__startswith=community.path
        ).select_related("place"):
            duties.extend(_duties(rng, assignment, today))
    VisitAssignment.objects.bulk_create(pairs)
    Visit.objects.bulk_create(visits, batch_size=1000)
    AssistantDuty.objects.bulk_create(duties, batch_size=1000)
    counts = {"visit_pairs": len(pairs), "visits": len(visits), "assistant_duties": len(duties)}
    audit.record(actor=actor, action="visits.seed", after=counts, reason="demo data")
    return counts


def _duties(rng: random.Random, assignment: RoleAssignment, today: dt.date) -> list[AssistantDuty]:
    """About ten weeks of calls and meetings and the last quarter's summary, with a few missed."""
    rows = []
    since = today - dt.timedelta(days=70)
    for kind, miss in (
        (DutyKind.WEEKLY_CALL, 0.15),
        (DutyKind.FORTNIGHTLY_MEETING, 0.1),
        (DutyKind.QUARTERLY_SUMMARY, 0.0),
    ):
        for item in cadence.duty_items(kind, since=since, today=today, done=set()):
            if item.status != "overdue" or rng.random() < miss:
                continue  # only past periods are done; the current one is left for the demo
            done_on = min(item.due_on, today)
            rows.append(
                AssistantDuty(
                    place=assignment.place,
                    place_path=assignment.place.path,
                    assistant_id=assignment.user_id,
                    kind=kind,
                    period_start=item.period_start,
                    done_on=done_on,
                    note={
                        DutyKind.WEEKLY_CALL: "电话联系社区，汇报本周走访情况",
                        DutyKind.FORTNIGHTLY_MEETING: "参加社区两周例会",
                        DutyKind.QUARTERLY_SUMMARY: "提交季度工作小结",
                    }[kind],
                    recorded_by_id=assignment.user_id,
                    created_at=timezone.make_aware(dt.datetime.combine(done_on, dt.time(16, 0))),
                )
            )
    return rows
