"""The shared fixtures themselves: ``city_per_module`` (tests/conftest.py) hands each test the module's
city and personas as new objects, and what one test changes does not reach the next."""

import pytest

from lianxin.places.models import Place

from .conftest import city_per_module

city_once, city, personas = city_per_module()


@pytest.mark.parametrize("turn", [1, 2, 3])
def test_each_test_reads_the_module_city_again(turn, city, personas, city_once):
    built, people = city_once
    assert city.happy is not built.happy and city.happy.pk == built.happy.pk
    assert personas["staff"] is not people["staff"] and personas["staff"].pk == people["staff"].pk
    assert set(personas) == set(people)
    # Whatever an earlier test of the module did below is gone: in the database, in memory, on the City.
    assert city.happy.name == built.happy.name == "幸福社区"
    assert Place.objects.get(pk=city.happy.pk).name == "幸福社区"
    assert not hasattr(city, "_sample")

    Place.objects.filter(pk=city.happy.pk).update(name="改名社区")
    city.happy.name = "改名社区"
    city._sample = {"made by": turn}
    personas["staff"].display_name = "改名"
    assert built.happy.name == "幸福社区" and people["staff"].display_name == "社区工作者"
