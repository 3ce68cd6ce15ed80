import pytest
from django.core.exceptions import ValidationError

from lianxin.core import audit
from lianxin.places import services
from lianxin.places.models import PartyOrganization, Place


def test_subtree_is_one_range_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(Place.objects.subtree(city.east).values_list("name", flat=True))
    assert names == {"东街街道", "幸福社区", "和谐社区", "第一网格", "1号楼"}


def test_move_community_rewrites_every_path(city, sysadmin):
    services.place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason="区划调整")
    for place in Place.objects.all():
        expected = (place.parent.path if place.parent else "") + f"{place.pk:08d}"
        assert place.path == expected
        assert place.depth == len(place.path) // 8
    west = set(Place.objects.subtree(city.west).values_list("name", flat=True))
    assert {"幸福社区", "1号楼", "团结社区"} <= west
    assert "幸福社区" not in set(Place.objects.subtree(city.east).values_list("name", flat=True))
    for org in PartyOrganization.objects.select_related("place"):
        assert org.place_path == org.place.path
    assert audit.verify().ok


def test_cannot_move_under_own_subtree(city, sysadmin):
    with pytest.raises(ValidationError) as exc:
        services.place_move(actor=sysadmin, place=city.east, new_parent=city.happy, reason="x")
    assert "parent" in exc.value.message_dict
