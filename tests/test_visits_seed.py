"""The demo seed's visits step (D5): pairs, visits on the visit and follow-up days, assistant duties;
deterministic, scoped like hand-recorded visits, and audited once."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lianxin.accounts.models import User
from lianxin.core.models import AuditEntry
from lianxin.registry.models import Household
from lianxin.visits import cadence, selectors
from lianxin.visits import demo as visits_demo
from lianxin.visits.models import AssistantDuty, Visit, VisitAssignment, VisitKind

from .demo_helpers import build_city

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def built(db, monkeypatch):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield build_city(monkeypatch)


def test_seed_adds_pairs_visits_and_duties(built):
    communities = built["places"]["community"]
    assert built["visit_pairs"] == VisitAssignment.objects.count() == 2 * communities
    assert built["visits"] == Visit.objects.count() > 0
    assert built["assistant_duties"] == AssistantDuty.objects.count() > 0
    assert AuditEntry.objects.filter(action="visits.seed").count() == 1

    allowed = set()
    for year, month in [(2026, 8), (2026, 9), (2026, 10), (2026, 11)]:
        allowed |= set(cadence.days_in_month(year, month, [5, 6]))
        allowed |= set(cadence.days_in_month(year, month, [29, 30]))
    days = set(Visit.objects.values_list("visited_on", flat=True))
    assert days <= {d for d in allowed if d <= TODAY}
    assert set(Visit.objects.filter(kind=VisitKind.FOLLOW_UP).values_list("visited_on__day", flat=True)) <= {
        29,
        30,
    }
    # Every visit sits where its household does, so scoping treats it like the household.
    paths = dict(Household.objects.values_list("pk", "place_path"))
    assert all(paths[h] == p for h, p in Visit.objects.values_list("household_id", "place_path"))
    # The first community's grid worker has a pair and her grid has been visited this month.
    worker = User.objects.get(username="wangge1")
    assert selectors.has_assignment(worker)
    [row] = selectors.coverage(actor=worker, year=2026, month=11)
    assert 0 < row.visited <= row.households


def test_visit_plan_is_deterministic():
    households = [(n, n % 7 == 0) for n in range(1, 60)]

    def draw(seed):
        return visits_demo.plan_visits(
            random.Random(seed),
            households=households,
            pair=(1, 2),
            share=0.5,
            visit_days=[5, 6],
            followup_days=[29, 30],
            today=TODAY,
        )

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)
    # Households with a difficulty are visited far more often.
    visited = [v.household_id for v in draw(3) if v.kind == VisitKind.VISIT]
    difficult = sum(1 for h in visited if h % 7 == 0) / sum(1 for h, d in households if d)
    plain = sum(1 for h in visited if h % 7) / sum(1 for h, d in households if not d)
    assert difficult > plain
