"""The demo seed's residents' requests (D4): realistic, deterministic, small, with their history."""

import datetime as dt

from lianxin.appeals import demo as appeals_demo
from lianxin.appeals import selectors
from lianxin.appeals.models import Request, RequestEvent, RequestStatus
from lianxin.places.models import Place, PlaceKind

from .demo_helpers import build_city


def test_demo_city_has_requests_in_several_states(db, monkeypatch):
    counts = build_city(monkeypatch)
    communities = Place.objects.filter(kind=PlaceKind.COMMUNITY).count()
    assert counts["requests"] == Request.objects.count() == 3 * communities
    assert RequestEvent.objects.filter(kind="intake").count() == Request.objects.count()
    assert len(set(Request.objects.values_list("status", flat=True))) >= 3
    # Every request was recorded by a staff member of its own community.
    for request in Request.objects.select_related("owner"):
        community_path = request.place_path[: 4 * 8]
        assert request.owner.role_assignments.filter(place__path__startswith=community_path).exists()


def test_demo_requests_are_deterministic(db, monkeypatch):
    build_city(monkeypatch)
    first = list(Request.objects.order_by("number").values_list("description", "status", "received_on"))
    Request.objects.update(merged_into=None)
    Request.objects.all().delete()
    from lianxin.appeals.models import CaseCounter

    CaseCounter.objects.all().delete()
    appeals_demo.populate(scale="test")
    again = list(Request.objects.order_by("number").values_list("description", "status", "received_on"))
    assert first == again


def test_the_demo_dashboard_has_figures(db, monkeypatch):
    build_city(monkeypatch)
    from lianxin.accounts.models import User

    officer = User.objects.filter(role_assignments__role="district_officer").first()
    stats = selectors.request_stats(actor=officer, group="place", today=dt.date.today())
    assert stats.total.received == Request.objects.exclude(status=RequestStatus.MERGED).count()
