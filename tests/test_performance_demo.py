"""The demo city's five systems (issue 8): goals near the 95% benchmark, commitments by kind (one
returned), an evaluation with anonymous ballots, commendations and the honour roll, suggested cases,
the year's milestones and compiled reports."""

import pytest

from lianxin.accounts.models import RoleAssignment
from lianxin.core.access import Role
from lianxin.performance import selectors
from lianxin.performance.models import (
    Ballot,
    CodeStatus,
    CommitmentStatus,
    EvaluationCycle,
    GoalItem,
    SecretaryReport,
    YearMilestone,
)

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch, "performance")


def test_demo_five_systems(built):
    assert built["performance_goals"] > 0
    assert built["performance_goal_items"] == GoalItem.objects.count()
    assert built["performance_ballots"] == Ballot.objects.count() > 0
    assert built["performance_reports"] == SecretaryReport.objects.count()
    from lianxin.performance.models import Commitment

    assert (
        Commitment.objects.filter(status=CommitmentStatus.RETURNED).count() == built["performance_returned"]
    )
    assert Commitment.objects.filter(status__in=["published", "fulfilled"], member__isnull=False).exists()
    cycle = EvaluationCycle.objects.first()
    assert selectors.code_counts(cycle)[CodeStatus.VOID] == 1
    (result, *_rest) = selectors.cycle_results(cycle)
    assert result.total is not None and result.complete and result.satisfaction_rate is not None
    assert selectors.honour_roll().exists() and selectors.red_banner_holders().exists()
    assert YearMilestone.objects.count() == 3 * built["performance_goals"]
    officer = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER).select_related("user").first().user
    rows = selectors.completion_rates(actor=officer, year=cycle.created_at.year, level="district")
    assert rows and rows[0].items == GoalItem.objects.count()
