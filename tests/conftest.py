"""Shared fixtures: a small city and one persona per role (see docs/architecture.md).

The city: 连心市 → 和平区 → 东街街道 (communities 幸福社区, 和谐社区) and 西街街道 (团结社区).
Each community has one grid with one building, and a community party committee with one branch.
"""

from collections import defaultdict
from dataclasses import dataclass, fields

import pytest
from django.db import connection, transaction

from lianxin.accounts import services as accounts
from lianxin.core.access import Role
from lianxin.places import services as places
from lianxin.places.models import OrgKind, PlaceKind


@dataclass
class City:
    city: object
    district: object
    east: object
    west: object
    happy: object
    harmony: object
    unity: object
    happy_grid: object
    happy_building: object
    unity_grid: object
    happy_committee: object
    happy_branch: object
    unity_committee: object


@pytest.fixture(scope="session", autouse=True)
def _serialized_restore_into_an_empty_database():
    """A transactional test with ``serialized_rollback`` restores the database as migrations left it —
    by INSERTing rows with their original ids. Django assumes the previous transactional test left the
    tables empty; a flush that re-created content types (new ids) or a committed data-migration row
    breaks that ("UNIQUE constraint failed: django_content_type…", seen on both databases). Empty the
    tables first, without post-migrate handlers, so the restore is exact whatever ran before."""
    from django.core.management import call_command
    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.deserialize_db_from_string

    def deserialize(self, data):
        call_command(
            "flush", interactive=False, inhibit_post_migrate=True, database=self.connection.alias, verbosity=0
        )
        return original(self, data)

    BaseDatabaseCreation.deserialize_db_from_string = deserialize
    yield
    BaseDatabaseCreation.deserialize_db_from_string = original


@pytest.fixture
def city(db):
    return _build_city()


def _build_city() -> City:
    from lianxin.places.models import PartyOrganization, Place

    def place(kind, name, parent):
        return places.place_create(actor=_root(), kind=kind, name=name, parent=parent)

    city = place(PlaceKind.CITY, "连心市", None)
    district = place(PlaceKind.DISTRICT, "和平区", city)
    east = place(PlaceKind.SUBDISTRICT, "东街街道", district)
    west = place(PlaceKind.SUBDISTRICT, "西街街道", district)
    happy = place(PlaceKind.COMMUNITY, "幸福社区", east)
    harmony = place(PlaceKind.COMMUNITY, "和谐社区", east)
    unity = place(PlaceKind.COMMUNITY, "团结社区", west)
    happy_grid = place(PlaceKind.GRID, "第一网格", happy)
    happy_building = place(PlaceKind.BUILDING, "1号楼", happy_grid)
    unity_grid = place(PlaceKind.GRID, "第一网格", unity)

    def org(kind, name, where, parent=None):
        return places.org_create(actor=_root(), kind=kind, name=name, place=where, parent=parent)

    happy_committee = org(OrgKind.COMMITTEE, "幸福社区党委", happy)
    happy_branch = org(OrgKind.BRANCH, "幸福社区第一党支部", happy, happy_committee)
    unity_committee = org(OrgKind.COMMITTEE, "团结社区党委", unity)
    assert Place.objects.count() == 10 and PartyOrganization.objects.count() == 3
    return City(
        city,
        district,
        east,
        west,
        happy,
        harmony,
        unity,
        happy_grid,
        happy_building,
        unity_grid,
        happy_committee,
        happy_branch,
        unity_committee,
    )


def _root():
    """The system administrator who sets up the city in fixtures."""
    from lianxin.accounts.models import User

    user = User.objects.filter(username="root-admin").first()
    if user is None:
        user = accounts.user_create(
            actor=None, username="root-admin", display_name="系统管理员", password=None, is_system_admin=True
        )
    return user


@pytest.fixture
def sysadmin(db):
    return _root()


def make_user(username, role=None, place=None, display_name=None):
    user = accounts.user_create(
        actor=None, username=username, display_name=display_name or username, password=PASSWORD
    )
    if role:
        accounts.role_grant(actor=None, user=user, role=role, place=place)
    return user


@pytest.fixture
def personas(city):
    """One user per role; 'outsider' is a secretary of another community (团结社区)."""
    return _personas(city)


def _personas(city) -> dict:
    return {
        "district_officer": make_user("district", Role.DISTRICT_OFFICER, city.district, "区干部"),
        "subdistrict_officer": make_user("east", Role.SUBDISTRICT_OFFICER, city.east, "东街干部"),
        "community_secretary": make_user("secretary", Role.COMMUNITY_SECRETARY, city.happy, "幸福书记"),
        "committee_member": make_user("committee", Role.COMMITTEE_MEMBER, city.happy, "两委委员"),
        "staff": make_user("staff", Role.STAFF, city.happy, "社区工作者"),
        "grid_worker": make_user("grid", Role.GRID_WORKER, city.happy_grid, "网格员"),
        "assistant": make_user("assistant", Role.ASSISTANT, city.happy, "协理员"),
        "supervisor": make_user("supervisor", Role.SUPERVISOR, city.happy, "监督委员"),
        "party_member": make_user("member", Role.PARTY_MEMBER, city.happy, "党员"),
        "resident": make_user("resident", Role.RESIDENT, city.happy, "居民"),
        "outsider": make_user("outsider", Role.COMMUNITY_SECRETARY, city.unity, "团结书记"),
        "sysadmin": _root(),
    }


def city_per_module():
    """``city`` and ``personas`` built once for a test module instead of once per test, for modules of
    many tests (the permission matrices): ``city_once, city, personas = city_per_module()``.

    The rows are made in a transaction rolled back after the module's last test; each test runs in
    its own savepoint inside it (mark it django_db) and gets the rows read again, in new objects, so
    neither what a test writes nor what it changes in memory (or caches on the City, like the
    matrices' samples) reaches the next. Only for modules without transactional tests: those would
    find the city, or commit inside its transaction."""

    @pytest.fixture(scope="module", name="city_once")
    def once(django_db_setup, django_db_blocker):
        def build():
            city = _build_city()
            return city, _personas(city)

        yield from built_for_module(django_db_blocker, build)

    @pytest.fixture(name="city")
    def each_city(city_once, db):
        return City(*_read_again([getattr(city_once[0], f.name) for f in fields(City)]))

    @pytest.fixture(name="personas")
    def each_personas(city_once, city):
        names, users = zip(*city_once[1].items(), strict=True)
        return dict(zip(names, _read_again(users), strict=True))

    return once, each_city, each_personas


def built_for_module(django_db_blocker, build):
    """For a module-scoped fixture: yields what ``build()`` made, in a transaction rolled back after
    the module's last test.

    Each test's teardown checks the transaction's deferred foreign keys (Django's TestCase); on
    PostgreSQL that checks every row still pending, so the module's rows are checked once here,
    not again after each test (77 ms a test over the demo city)."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build()
        connection.check_constraints()
        yield built
        transaction.set_rollback(True)


def _read_again(objects) -> list:
    """The same rows as new objects, one query per model."""
    pks = defaultdict(list)
    for obj in objects:
        pks[type(obj)].append(obj.pk)
    fresh = {model: model.objects.in_bulk(keys) for model, keys in pks.items()}
    return [fresh[type(obj)][obj.pk] for obj in objects]


# Not built from place names or pinyin: lianxin.accounts.validators refuses such passwords (连心市 → lianxin).
PASSWORD = "Morning-tea-plum-2026"

# The keys of the personas fixture, in a stable order for parametrized permission matrices.
PERSONA_NAMES = [
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "assistant",
    "supervisor",
    "party_member",
    "resident",
    "outsider",
    "sysadmin",
]
