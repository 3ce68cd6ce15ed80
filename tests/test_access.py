"""The access chokepoint (D1): who sees which subtree, who may grant what, and denials change nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from lianxin.accounts import services as accounts
from lianxin.accounts.models import RoleAssignment, User
from lianxin.core import access
from lianxin.core.access import SYSTEM_ADMIN_ACTIONS, Action, AdminAction, Role
from lianxin.core.models import AuditEntry, Todo
from lianxin.core.services import todo_create
from lianxin.places import selectors
from lianxin.places import services as places
from lianxin.places.models import OrgKind, PartyOrganization, Place, PlaceKind

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ALL_PLACES = {
    "连心市",
    "和平区",
    "东街街道",
    "西街街道",
    "幸福社区",
    "和谐社区",
    "团结社区",
    "第一网格",
    "1号楼",
}
HAPPY_PLACES = {"幸福社区", "第一网格", "1号楼"}
HAPPY_ORGS = {"幸福社区党委", "幸福社区第一党支部"}
ALL_ORGS = HAPPY_ORGS | {"团结社区党委"}


def fresh(user):
    """The user as the next request would load it (no cached assignments)."""
    return User.objects.get(pk=user.pk)


def place_ids(user, action=Action.VIEW_PLACE):
    return set(access.restrict(Place.objects.all(), fresh(user), action).values_list("pk", flat=True))


def org_names(user):
    return set(
        access.restrict(PartyOrganization.objects.all(), fresh(user), Action.VIEW_ORG).values_list(
            "name", flat=True
        )
    )


@pytest.fixture
def harmony_org(city, sysadmin):
    return places.org_create(actor=sysadmin, kind=OrgKind.COMMITTEE, name="和谐社区党委", place=city.harmony)


SCOPES = [
    ("district_officer", "district", ALL_ORGS | {"和谐社区党委"}),
    ("subdistrict_officer", "east", HAPPY_ORGS | {"和谐社区党委"}),
    ("community_secretary", "happy", HAPPY_ORGS),
    ("committee_member", "happy", HAPPY_ORGS),
    ("staff", "happy", HAPPY_ORGS),
    ("supervisor", "happy", HAPPY_ORGS),
    ("grid_worker", "grid", set()),
    ("outsider", "unity", {"团结社区党委"}),
    ("party_member", "none", set()),
    ("resident", "none", set()),
    ("sysadmin", "all", ALL_ORGS | {"和谐社区党委"}),
]


@pytest.mark.django_db
def test_scope_per_persona(personas, city, harmony_org):
    expected_places = {
        "all": Place.objects.all(),
        "district": Place.objects.subtree(city.district),
        "east": Place.objects.subtree(city.east),
        "happy": Place.objects.subtree(city.happy),
        "grid": Place.objects.subtree(city.happy_grid),
        "unity": Place.objects.subtree(city.unity),
        "none": Place.objects.none(),
    }
    for persona, places_seen, orgs_seen in SCOPES:
        user = personas[persona]
        assert place_ids(user) == set(expected_places[places_seen].values_list("pk", flat=True)), persona
        assert org_names(user) == orgs_seen, persona
        # The selectors the pages use agree with the chokepoint.
        assert set(selectors.place_list(actor=fresh(user)).values_list("pk", flat=True)) == place_ids(user), (
            persona
        )


@pytest.mark.django_db
def test_named_scopes(personas, city, harmony_org):
    """The brief in words: a secretary sees 幸福 only; the subdistrict sees 幸福 and 和谐, not 团结."""
    names = lambda user: set(  # noqa: E731
        access.restrict(Place.objects.all(), fresh(user), Action.VIEW_PLACE).values_list("name", flat=True)
    )
    assert names(personas["community_secretary"]) == HAPPY_PLACES
    east = names(personas["subdistrict_officer"])
    assert {"幸福社区", "和谐社区"} <= east and "团结社区" not in east and "西街街道" not in east
    assert names(personas["district_officer"]) == ALL_PLACES - {"连心市"}
    assert names(personas["sysadmin"]) == ALL_PLACES


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["resident", "party_member"])
def test_residents_and_party_members_see_no_staff_data(personas, city, persona):
    user = fresh(personas[persona])
    for action in Action.values:
        assert access.scope_paths(user, action) == []
        assert not access.can(user, action)
    assert not access.restrict(Todo.objects.all(), user, Action.MANAGE_TODO).exists()
    with pytest.raises(Http404):
        selectors.place_get(actor=user, pk=city.happy.pk)


@pytest.mark.django_db
def test_system_admin_gets_structure_but_no_business_actions(personas, city):
    admin = fresh(personas["sysadmin"])
    for action in Action.values:
        assert access.can(admin, action) == (action in SYSTEM_ADMIN_ACTIONS), action
    assert access.can(admin, AdminAction.MANAGE_USERS) and access.can(admin, AdminAction.MANAGE_CALENDAR)
    todo_create(
        actor=personas["community_secretary"],
        assignee=personas["staff"],
        place=city.happy,
        title="入户",
        days=3,
    )
    assert not access.restrict(Todo.objects.all(), admin, Action.MANAGE_TODO).exists()
    assert (
        access.restrict(
            Todo.objects.all(), fresh(personas["community_secretary"]), Action.MANAGE_TODO
        ).count()
        == 1
    )
    with pytest.raises(PermissionDenied):
        todo_create(actor=admin, assignee=personas["staff"], place=city.happy, title="x", days=1)


@pytest.mark.django_db
def test_admin_actions_are_for_the_system_admin_only(personas):
    for name, user in personas.items():
        assert access.can(fresh(user), AdminAction.MANAGE_USERS) == (name == "sysadmin")


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["unity", "harmony", "missing"])
def test_get_for_user_404s_out_of_scope_and_missing_alike(personas, city, target):
    secretary = fresh(personas["community_secretary"])
    pk = {"unity": city.unity.pk, "harmony": city.harmony.pk, "missing": 10**7}[target]
    with pytest.raises(Http404):
        selectors.place_get(actor=secretary, pk=pk)
    with pytest.raises(Http404):
        access.get_for_user(Place.objects.all(), secretary, Action.VIEW_PLACE, pk="not-a-number")
    with pytest.raises(Http404):
        access.get_for_user(Place.objects.all(), secretary, Action.VIEW_PLACE, pk=10**20)
    assert selectors.place_get(actor=secretary, pk=city.happy_building.pk) == city.happy_building


@pytest.mark.django_db
def test_org_get_is_scoped(personas, city):
    secretary = fresh(personas["community_secretary"])
    assert selectors.org_get(actor=secretary, pk=city.happy_branch.pk) == city.happy_branch
    with pytest.raises(Http404):
        selectors.org_get(actor=secretary, pk=city.unity_committee.pk)


@pytest.mark.django_db
def test_ended_assignments_grant_nothing(personas, city):
    secretary = personas["community_secretary"]
    assignment = RoleAssignment.objects.get(user=secretary, role=Role.COMMUNITY_SECRETARY)
    accounts.role_revoke(actor=personas["subdistrict_officer"], assignment=assignment, reason="换届")
    user = fresh(secretary)
    assert access.roles_of(user) == set()
    assert place_ids(user) == set()
    assert not access.can(user, Action.MANAGE_PLACE, city.happy)
    with pytest.raises(PermissionDenied):
        places.place_create(actor=user, kind=PlaceKind.GRID, name="第九网格", parent=city.happy)
    # An assignment ended directly in the database (e.g. by an import) counts as well.
    RoleAssignment.objects.filter(user=personas["outsider"]).update(ended_at=timezone.now())
    assert place_ids(personas["outsider"]) == set()


@pytest.mark.django_db
def test_inactive_users_have_no_scope(personas):
    officer = personas["district_officer"]
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert place_ids(officer) == set()


@pytest.mark.django_db
def test_roles_are_held_at_their_level(personas, city):
    officer = personas["district_officer"]
    newcomer = accounts.user_create(actor=None, username="newcomer", display_name="新人", password=None)
    for role, place in [
        (Role.COMMUNITY_SECRETARY, city.happy_grid),
        (Role.COMMUNITY_SECRETARY, city.east),
        (Role.SUBDISTRICT_OFFICER, city.happy),
        (Role.STAFF, city.happy_building),
    ]:
        with pytest.raises(ValidationError) as exc:
            accounts.role_grant(actor=officer, user=newcomer, role=role, place=place)
        assert "place" in exc.value.message_dict
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    accounts.role_grant(actor=officer, user=newcomer, role=Role.COMMUNITY_SECRETARY, place=city.harmony)
    assert place_ids(newcomer) == set(Place.objects.subtree(city.harmony).values_list("pk", flat=True))


GRANTS = [
    ("community_secretary", Role.SUBDISTRICT_OFFICER, "east", False),
    ("community_secretary", Role.COMMUNITY_SECRETARY, "happy", False),
    ("community_secretary", Role.GRID_WORKER, "happy_grid", True),
    ("community_secretary", Role.GRID_WORKER, "unity_grid", False),
    ("subdistrict_officer", Role.SUBDISTRICT_OFFICER, "east", False),
    ("subdistrict_officer", Role.COMMUNITY_SECRETARY, "harmony", True),
    ("subdistrict_officer", Role.COMMUNITY_SECRETARY, "unity", False),
    ("district_officer", Role.SUBDISTRICT_OFFICER, "west", True),
    ("district_officer", Role.DISTRICT_OFFICER, "district", False),
    ("staff", Role.RESIDENT, "happy", False),
    ("sysadmin", Role.DISTRICT_OFFICER, "district", True),
]


@pytest.mark.django_db
def test_who_may_grant_what(personas, city):
    for n, (granter, role, where, allowed) in enumerate(GRANTS):
        case = (granter, role, where)
        newcomer = accounts.user_create(
            actor=None, username=f"newcomer{n}", display_name="新人", password=None
        )
        place = getattr(city, where)
        rows, entries = RoleAssignment.objects.count(), AuditEntry.objects.count()
        actor = fresh(personas[granter])
        if allowed:
            accounts.role_grant(actor=actor, user=newcomer, role=role, place=place)
            assert RoleAssignment.objects.filter(user=newcomer, role=role, place=place).exists(), case
            assert AuditEntry.objects.count() == entries + 1, case
        else:
            with pytest.raises(ValidationError) as exc:
                accounts.role_grant(actor=actor, user=newcomer, role=role, place=place)
            assert "role" in exc.value.message_dict, case
            assert (RoleAssignment.objects.count(), AuditEntry.objects.count()) == (rows, entries), case


def _counts():
    return (
        Place.objects.count(),
        PartyOrganization.objects.count(),
        Todo.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
        list(Place.objects.order_by("pk").values_list("pk", "name", "path", "parent_id")),
        list(PartyOrganization.objects.order_by("pk").values_list("pk", "name", "path", "rating")),
    )


DENIED_WRITES = {
    "create a place in another community": lambda p, c: places.place_create(
        actor=p["community_secretary"], kind=PlaceKind.GRID, name="越界网格", parent=c.unity
    ),
    "rename the subdistrict": lambda p, c: places.place_update(
        actor=p["community_secretary"], place=c.east, name="改名"
    ),
    "move own community": lambda p, c: places.place_move(
        actor=p["community_secretary"], place=c.happy, new_parent=c.west, reason="x"
    ),
    "move a community into another subdistrict": lambda p, c: places.place_move(
        actor=p["subdistrict_officer"], place=c.happy, new_parent=c.west, reason="x"
    ),
    "rate an organization (secretary)": lambda p, c: places.org_rate(
        actor=p["community_secretary"], org=c.happy_branch, rating=1, basis="x"
    ),
    "rate an organization (system admin)": lambda p, c: places.org_rate(
        actor=p["sysadmin"], org=c.happy_branch, rating=1, basis="x"
    ),
    "create an org elsewhere": lambda p, c: places.org_create(
        actor=p["outsider"], kind=OrgKind.BRANCH, name="越界支部", place=c.happy, parent=c.happy_committee
    ),
    "rename another community's org": lambda p, c: places.org_update(
        actor=p["community_secretary"], org=c.unity_committee, name="改名"
    ),
    "move an org under another community": lambda p, c: places.org_move(
        actor=p["outsider"], org=c.unity_committee, new_parent=c.happy_committee, reason="x"
    ),
    "grid worker assigns a to-do": lambda p, c: todo_create(
        actor=p["grid_worker"], assignee=p["staff"], place=c.happy, title="x", days=1
    ),
    "resident creates a place": lambda p, c: places.place_create(
        actor=p["resident"], kind=PlaceKind.BUILDING, name="2号楼", parent=c.happy_grid
    ),
    "secretary grants a subdistrict officer": lambda p, c: accounts.role_grant(
        actor=p["community_secretary"], user=p["resident"], role=Role.SUBDISTRICT_OFFICER, place=c.east
    ),
    "officer creates a user": lambda p, c: accounts.user_create(
        actor=p["district_officer"], username="someone", display_name="x", password=None
    ),
}


@pytest.mark.django_db
def test_nothing_changes_on_a_denied_write(personas, city):
    users = {name: fresh(user) for name, user in personas.items()}
    before = _counts()
    for name, write in DENIED_WRITES.items():
        with pytest.raises((PermissionDenied, ValidationError)):
            write(users, city)
        assert _counts() == before, name
