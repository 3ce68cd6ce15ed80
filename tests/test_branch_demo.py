"""The demo city's branch life (issue 5): meetings with attendance, linked member logins, recruits and
the visits the registry's difficulties call for."""

import pytest

from lianxin.accounts.models import RoleAssignment
from lianxin.branch import compliance, selectors
from lianxin.branch.models import Attendance, Meeting, MemberAccount, Recruit, VisitTask
from lianxin.core.access import Role

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch)


def test_demo_branch_life(built):
    assert built["branch_meetings"] == Meeting.objects.count() > 0
    assert built["branch_attendance"] == Attendance.objects.count() > 0
    assert not Meeting.objects.filter(late_entry=True).exists()
    assert built["branch_recruits"] == Recruit.objects.count() > 0
    assert built["branch_visit_tasks"] == VisitTask.objects.count()
    link = MemberAccount.objects.select_related("user").first()
    assert link is not None and link.user.role_assignments.filter(role=Role.PARTY_MEMBER).exists()
    mine = selectors.my_branch_life(user=link.user)
    assert mine["member"].resident_id == link.resident_id
    officer = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER).select_related("user").first().user
    rows = compliance.compliance_grid(actor=officer, year=Meeting.objects.latest("held_on").held_on.year)
    assert rows and sum(row.met for row in rows) > 0
