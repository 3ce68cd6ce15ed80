"""Demo residents' requests for the demo city (D4), called by lianxin.core.demo.build_demo_city.

Deterministic from the seed, dated relative to the day the seed runs (so the dashboard and the
overdue list always show something): per community a dozen requests (three at test scale) over the
last 100 days, from every channel, recorded by the community's own staff, some anonymous, some linked
to a registry resident, in every state of the workflow — open, handed off, overdue, answered,
followed up, closed 满意/基本满意, reopened after 不满意, one merged duplicate. Each has its history;
the whole seed is one audit entry.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import audit, demo
from lianxin.core.access import ROLE_ACTIONS, Action
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Resident

from .models import (
    Channel,
    EventKind,
    HandlerKind,
    Rating,
    Request,
    RequestCategory,
    RequestEvent,
    RequestStatus,
)
from .services import _allocate_number, next_follow_up_day

PER_COMMUNITY = {"demo": 12, "test": 3}

MATTERS = {
    "environment": ["楼道堆放杂物，影响通行", "小区垃圾桶满溢，无人清运", "绿化带有人种菜，希望整治"],
    "property": ["电梯经常停运，老人上下楼困难", "地下室渗水，请物业维修", "物业费公示不清楚"],
    "facilities": ["楼门口路灯坏了一周", "健身器材损坏，存在安全隐患", "单元门禁失灵"],
    "safety": ["夜间有陌生人在楼道逗留", "电动车在楼道充电，担心起火"],
    "neighbours": ["楼上装修噪音太大，影响休息", "邻居占用公共车位"],
    "welfare": ["咨询低保申请需要哪些材料", "咨询临时救助政策"],
    "employment": ["失业后想参加再就业培训", "咨询公益性岗位"],
    "elderly": ["希望社区开办老年食堂", "独居老人需要定期上门探望"],
    "housing": ["咨询廉租房申请条件"],
    "other": ["建议社区增设便民服务点"],
}
ANSWERS = [
    "已联系物业处理，明日完成",
    "已转街道城管科，本周内清理",
    "已上门说明政策并协助准备材料",
    "已协调双方达成一致",
]
STATES = (
    ("open", 0.14),
    ("handed_off", 0.10),
    ("overdue", 0.08),
    ("answered", 0.14),
    ("followed_up", 0.08),
    ("satisfied", 0.26),
    ("basically", 0.10),
    ("reopened", 0.06),
    ("anonymous_box", 0.04),
)


def _weighted(rng, pairs):
    return rng.choices([v for v, _w in pairs], [w for _v, w in pairs])[0]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def _handlers(community: Place) -> list:
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.HANDLE_REQUESTS in actions]
    assignments = (
        RoleAssignment.objects.filter(
            ended_at__isnull=True, role__in=roles, place__path__startswith=community.path
        )
        .select_related("user")
        .order_by("user__username")
    )
    return list({a.user.pk: a.user for a in assignments}.values())


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None, today=None) -> dict:
    rng = random.Random(seed + 4)
    today = today or timezone.localdate()
    categories = {c.code: c for c in RequestCategory.objects.filter(active=True)}
    made = 0
    for community in Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("path"):
        staff = _handlers(community)
        if not staff:
            continue
        places = list(Place.objects.subtree(community).exclude(kind=PlaceKind.COMMUNITY).order_by("path"))
        residents = list(
            Resident.objects.under(community.path)
            .filter(moved_out_on__isnull=True)
            .select_related("household__place")
            .order_by("pk")[:300]
        )
        previous = None
        for index in range(PER_COMMUNITY.get(scale, 3)):
            state = _weighted(rng, STATES)
            if state == "overdue":
                received = today - dt.timedelta(days=rng.randrange(12, 30))
            elif state in ("open", "handed_off"):
                received = today - dt.timedelta(days=rng.randrange(0, 4))
            else:
                received = today - dt.timedelta(days=rng.randrange(8, 100))
            code = rng.choice(list(MATTERS))
            owner = rng.choice(staff)
            resident = rng.choice(residents) if residents and rng.random() < 0.6 else None
            anonymous = state == "anonymous_box"
            place = (
                resident.household.place
                if resident and resident.household_id
                else rng.choice(places or [community])
            )
            channel = (
                Channel.BOX if anonymous else rng.choice([c for c in Channel.values if c != Channel.BOX])
            )
            # Placeholders: the case numbers are given at the end, in the order the requests came in.
            serial, number = 900_000 + made, f"T{made}"
            request = Request(
                year=received.year,
                serial=serial,
                number=number,
                channel=channel,
                category=categories[code],
                description=rng.choice(MATTERS[code]),
                anonymous=anonymous,
                resident=None if anonymous else resident,
                household=None if anonymous or resident is None else resident.household,
                requester_name="" if anonymous else (resident.name if resident else demo.person_name(rng)),
                requester_phone=""
                if anonymous
                else (resident.phone if resident and resident.phone else demo.phone_number(rng)),
                owner=owner,
                handler=owner,
                place=place,
                received_on=received,
                created_at=_at(received, 9),
            )
            request.phone_digits = request.requester_phone
            request.set_deadline(received, categories[code].due_days)
            events = [(EventKind.INTAKE, owner, "", RequestStatus.OPEN, "", _at(received, 9))]
            if state == "handed_off" and len(staff) > 1:
                other = next(u for u in staff if u.pk != owner.pk)
                request.status, request.handler = RequestStatus.IN_PROGRESS, other
                events.append(
                    (EventKind.HANDOFF, owner, "open", "in_progress", "属其网格，转交办理", _at(received, 11))
                )
            if state == "handed_off" and len(staff) == 1:
                request.status, request.handler_kind, request.handler, request.handler_label = (
                    RequestStatus.IN_PROGRESS,
                    HandlerKind.DEPARTMENT,
                    None,
                    "街道城管科",
                )
                events.append(
                    (EventKind.HANDOFF, owner, "open", "in_progress", "需城管执法", _at(received, 11))
                )
            if state in ("answered", "followed_up", "satisfied", "basically", "reopened", "anonymous_box"):
                answered_on = received + dt.timedelta(days=rng.randrange(1, 9))
                request.status = RequestStatus.ANSWERED
                request.first_answered_at = request.answered_at = _at(answered_on, 15)
                request.first_answer_on_time = answered_on <= request.due_on
                request.answer_summary = rng.choice(ANSWERS)
                request.follow_up_on = next_follow_up_day(answered_on)
                events.append(
                    (EventKind.REPLY, owner, "open", "answered", request.answer_summary, _at(answered_on, 15))
                )
                if (
                    state in ("followed_up", "satisfied", "basically", "reopened")
                    and request.follow_up_on <= today
                ):
                    request.status = RequestStatus.FOLLOWED_UP
                    events.append(
                        (
                            EventKind.FOLLOW_UP,
                            owner,
                            "answered",
                            "followed_up",
                            "电话回访",
                            _at(request.follow_up_on, 10),
                        )
                    )
                    if state in ("satisfied", "basically"):
                        request.status, request.rating = RequestStatus.CLOSED, state
                        request.rated_at = request.closed_at = _at(request.follow_up_on, 10)
                        events.append(
                            (EventKind.RATING, owner, "followed_up", "closed", "", request.rated_at)
                        )
                    elif state == "reopened":
                        request.status, request.rating = RequestStatus.OPEN, Rating.DISSATISFIED
                        request.rated_at = _at(request.follow_up_on, 10)
                        request.reopen_count = 1
                        request.set_deadline(request.follow_up_on, categories[code].due_days)
                        events.append(
                            (EventKind.RATING, owner, "followed_up", "open", "问题未解决", request.rated_at)
                        )
            request.save()
            RequestEvent.objects.bulk_create(
                RequestEvent(request=request, kind=k, actor=a, from_status=f, to_status=t, text=x, at=when)
                for k, a, f, t, x, when in events
            )
            if index == 1 and previous is not None and previous.status in (RequestStatus.OPEN,):
                # A duplicate of the previous one, merged into it.
                Request.objects.filter(pk=previous.pk).update(
                    status=RequestStatus.MERGED, merged_into=request, closed_at=request.created_at
                )
                RequestEvent.objects.create(
                    request=previous,
                    kind=EventKind.MERGE,
                    actor=owner,
                    from_status=RequestStatus.OPEN,
                    to_status=RequestStatus.MERGED,
                    text="",
                    at=request.created_at,
                )
            previous = request
            made += 1
    for pk, received in (
        Request.objects.filter(number__startswith="T")
        .order_by("received_on", "pk")
        .values_list("pk", "received_on")
    ):
        serial, number = _allocate_number(received.year)
        Request.objects.filter(pk=pk).update(serial=serial, number=number)
    counts = {"requests": made}
    audit.record(actor=actor, action="appeals.seed", after=counts, reason="demo data")
    return counts
