"""The demo city and `lianxin seed` (D1): built through the services, deterministic, idempotent."""

import datetime as dt
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lianxin.accounts.models import User
from lianxin.core import audit, demo, idcard
from lianxin.core.models import AuditEntry
from lianxin.places.models import OrgRating, PartyOrganization, Place, PlaceKind

# --- generators and plan (no database) ---------------------------------------------------


def test_generators_repeat_with_the_same_seed():
    def draw(seed):
        rng = random.Random(seed)
        return (
            [demo.person_name(rng) for _ in range(50)],
            [demo.phone_number(rng) for _ in range(20)],
            [demo.street_address(rng) for _ in range(20)],
            [demo.person(rng, today=dt.date(2026, 11, 29)) for _ in range(10)],
        )

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_generated_people_look_real():
    rng = random.Random(3)
    names = [demo.person_name(rng) for _ in range(2000)]
    assert all(2 <= len(name) <= 4 for name in names)
    surnames = {name[0] for name in names}
    assert {"王", "李", "张", "刘", "陈"} <= surnames
    # Weighted: 王 is far more common than a rare surname.
    assert sum(name[0] == "王" for name in names) > 5 * sum(name[0] == "汤" for name in names)
    for _ in range(50):
        someone = demo.person(rng, today=dt.date(2026, 11, 29))
        assert idcard.validate(someone.id_number, today=dt.date(2026, 11, 29)) == someone.id_number
        assert idcard.birth_date(someone.id_number) == someone.birth
        assert idcard.sex(someone.id_number) == someone.sex
        assert len(someone.phone) == 11 and someone.phone.startswith("1") and someone.phone.isdigit()


def test_plan_is_deterministic():
    assert demo.plan_demo_city("demo", 5) == demo.plan_demo_city("demo", 5)
    assert demo.plan_demo_city("demo", 5) != demo.plan_demo_city("demo", 6)
    assert demo.plan_demo_city("test") == demo.plan_demo_city("test")


def test_demo_plan_shape():
    plan = demo.plan_demo_city("demo")
    assert [s.name for s in plan.subdistricts] == ["东风街道", "朝阳街道"]
    assert len(plan.communities) == 6
    fields = {org.field for org in plan.organizations()}
    assert {"retired", "mobile", "market", "firm", "building"} <= fields
    for community in plan.communities:
        assert 4 <= len(community.grids) <= 6
        branches = [o for o in community.committee.children if o.kind == "branch"]
        assert 3 <= len(branches) <= 5
        capacity = sum(b.capacity for b in community.buildings)
        assert capacity * demo.OCCUPANCY >= plan.households_per_community
    assert {org.rating for org in plan.organizations() if org.rating} == {1, 2, 3}
    logins = [u.login for u in plan.users]
    assert len(logins) == len(set(logins))
    assert len({u.display_name for u in plan.users}) == len(plan.users)


def test_household_addresses_plan_is_deterministic_and_unique():
    plan = demo.plan_demo_city("demo")
    first = list(demo.plan_household_addresses(plan))
    assert first == list(demo.plan_household_addresses(demo.plan_demo_city("demo")))
    assert len(first) == 3000
    assert len(set(first)) == 3000
    assert all(room[-2:] in ("01", "02") and unit >= 1 for _key, unit, room in first)


# --- the city in the database ------------------------------------------------------------


# --- the command -------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_command_builds_the_demo_scale_city_once():
    """What `make demo` runs: the demo scale with every module's demo; a second run adds nothing.
    (One build for both checks: the demo city takes the better part of a minute.)"""
    out = StringIO()
    call_command("seed", "--scale", "demo", stdout=out)
    counts = (
        Place.objects.count(),
        PartyOrganization.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    first = out.getvalue()
    assert "shuji1" in first and demo.DEMO_PASSWORD in first and "幸福社区" in first

    city = demo.demo_city()
    kinds = Counter(Place.objects.subtree(city).values_list("kind", flat=True))
    assert kinds[PlaceKind.SUBDISTRICT] == 2 and kinds[PlaceKind.COMMUNITY] == 6
    for community in Place.objects.filter(kind=PlaceKind.COMMUNITY):
        assert 4 <= community.children.count() <= 6
        assert Place.objects.subtree(community).filter(kind=PlaceKind.BUILDING).count() >= 12
    assert set(OrgRating.objects.under(city.path).values_list("rating", flat=True)) == {1, 2, 3}
    assert User.objects.count() == 4 + 1 + 6 * 8
    addresses = list(demo.household_addresses(scale="demo"))
    assert len(addresses) == len(set((b.pk, unit, room) for b, unit, room in addresses)) == 3000

    again = StringIO()
    call_command("seed", "--scale", "demo", stdout=again)
    assert counts == (
        Place.objects.count(),
        PartyOrganization.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    for login, _role, _place in demo.demo_logins():
        assert login in again.getvalue()
    assert audit.verify().ok


@pytest.mark.django_db
def test_seed_command_refuses_without_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("seed", "--scale", "test", stdout=StringIO())
    assert not Place.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_seed_command_reports_a_taken_login_and_leaves_nothing_behind():
    User.objects.create_user(username="qu", password="someone-else-2026")
    with pytest.raises(CommandError):
        call_command("seed", "--scale", "test", stdout=StringIO())
    assert not Place.objects.exists()
    assert User.objects.count() == 1
