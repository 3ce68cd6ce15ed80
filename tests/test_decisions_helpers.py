"""Sample data of the decisions module, shared by its tests and its permission-matrix entries."""

import datetime as dt

from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.decisions import services
from lianxin.decisions.models import MatterCategory, Stage
from lianxin.registry import services as registry

PASSING = {
    Stage.PROPOSAL: (7, 6, 6),
    Stage.DELIBERATION: (11, 10, 10),
    Stage.REVIEW: (30, 25, 24),
    Stage.DECISION: (35, 35, 35),
}


def category(code):
    return MatterCategory.objects.get(code=code)


def record(matter, actor, stage=None, tally=None, **extra):
    stage = stage or matter.status
    entitled, present, votes_for = tally or PASSING[Stage(stage)]
    return services.stage_record(
        actor=actor,
        matter=matter,
        stage=stage,
        held_on=timezone.localdate() - dt.timedelta(days=1),
        location="社区议事厅",
        entitled=entitled,
        present=present,
        votes_for=votes_for,
        votes_against=0,
        abstain=present - votes_for,
        **extra,
    )


def walk(matter, actor, until):
    """Record passing votes stage by stage until the matter waits for ``until``."""
    while matter.status != until:
        record(matter, actor)
        matter.refresh_from_db()
    return matter


def households(city, count, start=101):
    secretary = User.objects.get(username="secretary")
    return [
        registry.household_create(actor=secretary, place=city.happy_building, unit="2", room=str(start + n))
        for n in range(count)
    ]


def decisions_sample(city):
    """A construction matter of 幸福社区 waiting for the residents (double ballot, codes issued), a
    representative with two households, a deliberation day with an agenda item, a departure audit and
    a charter; made once per test and kept on the city object for the permission matrix."""
    sample = getattr(city, "_decisions_sample", None)
    if sample is not None:
        return sample
    secretary = User.objects.get(username="secretary")
    matter = services.matter_create(
        actor=secretary, place=city.happy, title="社区办公用房改造", category=category("construction")
    )
    services.matter_send_draft(
        actor=secretary,
        matter=matter,
        draft="改造方案草案",
        until=timezone.localdate() + dt.timedelta(days=7),
    )
    walk(matter, secretary, Stage.DECISION)
    homes = households(city, 2)
    rep = services.representative_create(actor=secretary, place=city.happy, name="王代表")
    services.representative_link(actor=secretary, representative=rep, households=homes)
    services.ballot_codes_issue(actor=secretary, matter=matter)
    day = services.deliberation_day_plan(actor=secretary, place=city.happy, held_on=timezone.localdate())
    item = services.agenda_item_submit(
        place=city.happy, title="楼道灯坏了", name="赵大爷", phone="13900000000"
    )
    services.agenda_item_schedule(actor=secretary, item=item, day=day)
    audit_row = services.departure_audit_create(
        actor=secretary,
        place=city.happy,
        cadre_name="钱主任",
        post="居委会主任",
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2025, 12, 31),
        auditor="街道审计组",
        findings="账目清楚",
        result="clean",
        summary="未发现问题",
    )
    charter = services.charter_adopt(
        actor=secretary,
        place=city.happy,
        title="幸福社区居民自治章程",
        text="第一条 为了……",
        adopted_by="居民会议",
        adopted_on=dt.date(2024, 3, 1),
    )
    sample = {
        "matter": matter,
        "representative": rep,
        "households": homes,
        "day": day,
        "item": item,
        "audit": audit_row,
        "charter": charter,
    }
    city._decisions_sample = sample
    return sample
