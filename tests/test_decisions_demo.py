"""The demo city's decisions (issue 7): the office-rebuild example through every stage and both
publications, matters in progress, deliberation days, the charter and a departure audit."""

import pytest

from lianxin.decisions import services
from lianxin.decisions.models import (
    Charter,
    DeliberationDay,
    DepartureAudit,
    HouseholdVote,
    Matter,
    MatterStatus,
    Stage,
)

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch, "decisions")


def test_demo_decisions(built):
    office = Matter.objects.get(title="社区办公用房改造")
    assert office.status == MatterStatus.IMPLEMENTED and office.category.mandatory
    assert services.missing_stages(office) == []
    decision = office.records.get(stage=Stage.DECISION)
    assert (decision.entitled, decision.present, decision.votes_for) == (35, 35, 35) and decision.passed
    resolution = office.records.get(stage=Stage.RESOLUTION)
    assert resolution.posted_days == 7
    assert office.comments.count() == 2
    assert built["decisions_matters"] == Matter.objects.count() == 3
    assert Matter.objects.filter(status=MatterStatus.DECISION, double_ballot=True).exists()
    assert built["decisions_household_votes"] == HouseholdVote.objects.count() > 0
    assert DeliberationDay.objects.filter(status="held").exists()
    assert DeliberationDay.objects.filter(status="planned", items__isnull=False).exists()
    assert Charter.objects.count() == 2
    assert DepartureAudit.objects.filter(published_at__isnull=False).count() == 1
    try:
        from lianxin.disclosure.models import BoardItem
    except ImportError:  # pragma: no cover - the board is another module
        return
    keys = set(
        BoardItem.objects.filter(source_key__startswith="decisions:").values_list("source_key", flat=True)
    )
    assert {f"decisions:matter:{office.pk}:resolution", f"decisions:matter:{office.pk}:result"} <= keys
