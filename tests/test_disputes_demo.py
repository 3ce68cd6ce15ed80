"""The demo city's disputes, incidents, patrols (issue 9)."""

import pytest

from lianxin.disputes import selectors, services
from lianxin.disputes.models import Dispute, Incident, Mediator, PatrolZone, ScreeningCheck

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch, "disputes")


def test_demo_disputes(built):
    assert built["disputes_disputes"] == Dispute.objects.count() > 0
    assert Mediator.objects.exists() and ScreeningCheck.objects.exists() and Incident.objects.exists()
    assert Dispute.objects.filter(max_level="district", level="subdistrict").exists()
    zone = PatrolZone.objects.first()
    days = sorted(set(zone.shifts.values_list("day", flat=True)))
    gaps = [services.rota_gaps(zone, day) for day in days]
    assert [{"start": 0, "end": 8, "reason": "nobody"}] in gaps and [] in gaps
    from lianxin.accounts.models import RoleAssignment
    from lianxin.core.access import Role

    officer = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER).first().user
    first = Dispute.objects.order_by("reported_on").first().reported_on
    m = selectors.dispute_metrics(
        actor=officer, start=first, end=Dispute.objects.latest("reported_on").reported_on
    )
    assert m.all.total == Dispute.objects.count() and m.all.closed > 0
