"""The demo city's disclosure board and comment box (issue 7): every community has a board across the
sections, one correction, one late item and one overdue draft; comments, most of them answered."""

import pytest

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.disclosure import selectors
from lianxin.disclosure.models import BoardItem, Comment, ItemStatus
from lianxin.places.models import Place, PlaceKind


@pytest.fixture
def built(city, personas):
    """This module's demo data on the fixture city (also named 连心市, so ``demo.demo_city()`` finds it):
    the whole demo city takes long to build, and its other modules are tested elsewhere."""
    assert demo.demo_city() == city.city
    return demo_populate()


def demo_populate():
    from lianxin.disclosure.demo import populate

    return populate(scale="test", seed=demo.DEFAULT_SEED, actor=None)


def test_demo_board_and_comments(built):
    communities = Place.objects.filter(kind=PlaceKind.COMMUNITY).count()
    assert communities > 0
    assert (
        built["board_items"]
        == BoardItem.objects.filter(previous__isnull=True).exclude(status="draft").count()
    )
    assert (
        built["board_corrections"]
        == communities
        == BoardItem.objects.filter(status=ItemStatus.CORRECTED).count()
    )
    for place in Place.objects.filter(kind=PlaceKind.COMMUNITY):
        board = selectors.portal_board(place=place)
        assert {item.section for item in board} == {"party", "government", "affairs", "finance", "service"}
        assert {item.topic for item in board} >= {"policy", "guide", "news"}
    officer = RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICER).select_related("user").first().user
    report = selectors.late_report(actor=officer)
    assert len(report.late) == communities and len(report.overdue) == communities
    assert built["comments"] == Comment.objects.count() > 0
    assert built["comment_answers"] == Comment.objects.exclude(answer="").count() > 0
    assert Comment.objects.published().exists()
    assert all(item.fingerprint == item.compute_fingerprint() for item in BoardItem.objects.public())
