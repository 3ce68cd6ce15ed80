"""The demo city (D1) as `lianxin seed` builds it, with every module's demo: its structure, ratings,
logins, audit chain and registry. Built once for the module (tests/demo_helpers.module_city)."""

import pytest
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment, User
from lianxin.core import access, audit, demo, tree
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry
from lianxin.modules import MODULES
from lianxin.places.models import OrgKind, OrgRating, PartyOrganization, Place, PlaceKind

from .demo_helpers import module_city

built = module_city(*MODULES)


@pytest.mark.django_db
def test_structure(built):
    city = demo.demo_city()
    places = list(Place.objects.subtree(city).select_related("parent"))
    kinds = [p.kind for p in places]
    assert kinds.count(PlaceKind.CITY) == 1 and kinds.count(PlaceKind.DISTRICT) == 1
    assert kinds.count(PlaceKind.SUBDISTRICT) == 1 and kinds.count(PlaceKind.COMMUNITY) == 2
    assert kinds.count(PlaceKind.GRID) >= 4 and kinds.count(PlaceKind.BUILDING) >= 8
    for place in places:
        parent_path = place.parent.path if place.parent else ""
        assert place.path == tree.child_path(parent_path, place.pk)
        assert place.depth == tree.depth_of(place.path)
        if place.parent:
            assert place.parent.level == place.level - 1
        if place.kind == PlaceKind.BUILDING:
            assert place.name.endswith("号楼") and place.address
    orgs = list(PartyOrganization.objects.select_related("place", "parent"))
    assert len(orgs) == sum(built["organizations"].values())
    for org in orgs:
        assert org.place_path == org.place.path
        assert org.path == tree.child_path(org.parent.path if org.parent else "", org.pk)
        if org.parent:
            assert org.place.path.startswith(org.parent.place.path)
    names = {o.name for o in orgs}
    assert {"东风街道党工委", "幸福社区党委", "幸福社区离退休党支部", "幸福社区流动党员党支部"} <= names
    assert {o.field for o in orgs} >= {"retired", "mobile", "market", "firm", "building"}
    for committee in (o for o in orgs if o.kind == OrgKind.COMMITTEE and o.place.kind == PlaceKind.COMMUNITY):
        branches = committee.children.filter(kind=OrgKind.BRANCH)
        assert 3 <= branches.count() <= 5
    groups = [o for o in orgs if o.kind == OrgKind.GROUP]
    assert groups and all(
        g.place.kind == PlaceKind.BUILDING and g.name == f"{g.place.name}党小组" for g in groups
    )


@pytest.mark.django_db
def test_community_organizations_are_rated(built):
    today = timezone.localdate()
    community_orgs = PartyOrganization.objects.filter(place__kind=PlaceKind.COMMUNITY)
    assert community_orgs.count() >= 8
    for org in community_orgs:
        # The foundation's rating, then (governance) the one the reviewed standards self-check gave:
        # the latest is the organization's class.
        ratings = list(org.ratings.all())
        assert ratings and org.rating == ratings[0].rating
        for rating in ratings:
            assert rating.place_path == org.place_path
            assert rating.basis
            assert access.can(rating.rated_by, access.Action.RATE_ORG, org.place_path)
            if rating.rating in (2, 3):
                assert rating.upgrade_plan and rating.upgrade_due > rating.rated_on
            else:
                assert not rating.upgrade_plan and rating.upgrade_due is None
    assert OrgRating.objects.filter(upgrade_due__gt=today).exists()
    assert set(OrgRating.objects.values_list("rating", flat=True)) == {1, 2, 3}


@pytest.mark.django_db
def test_users_and_roles(built, client):
    logins = built["logins"]
    assert logins == demo.demo_logins()
    # admin, the district officer, the district's civil-affairs approver (assistance: 审批 needs a
    # second person after 审核), one subdistrict officer, then 8 logins in each of 2 communities.
    assert User.objects.count() == len(logins) == 4 + 2 * 8
    admin = User.objects.get(username="admin")
    assert access.is_system_admin(admin) and not admin.role_assignments.exists()
    expected = {
        "qu": (Role.DISTRICT_OFFICER, PlaceKind.DISTRICT),
        "qu2": (Role.DISTRICT_OFFICER, PlaceKind.DISTRICT),
        "jiedao1": (Role.SUBDISTRICT_OFFICER, PlaceKind.SUBDISTRICT),
        "shuji1": (Role.COMMUNITY_SECRETARY, PlaceKind.COMMUNITY),
        "weiyuan1": (Role.COMMITTEE_MEMBER, PlaceKind.COMMUNITY),
        "gongzuo2": (Role.STAFF, PlaceKind.COMMUNITY),
        "wangge1": (Role.GRID_WORKER, PlaceKind.GRID),
        "xieli1": (Role.ASSISTANT, PlaceKind.COMMUNITY),
        "jiandu2": (Role.SUPERVISOR, PlaceKind.COMMUNITY),
        "dangyuan1": (Role.PARTY_MEMBER, PlaceKind.COMMUNITY),
        "jumin2": (Role.RESIDENT, PlaceKind.BUILDING),
    }
    for login, (role, kind) in expected.items():
        assignment = RoleAssignment.objects.get(user__username=login)
        assert (assignment.role, assignment.place.kind) == (role, kind)
    # The secretary's account is the community party committee's secretary.
    shuji = User.objects.get(username="shuji1")
    assert PartyOrganization.objects.get(name="幸福社区党委").secretary_name == shuji.display_name
    for login, _role, _place in logins:
        assert client.login(username=login, password=demo.DEMO_PASSWORD), login
        client.logout()


@pytest.mark.django_db
def test_the_demo_password_passes_the_password_rules(built):
    """The demo must not teach a password our own rules refuse (place names, 连心 in pinyin …)."""
    from django.contrib.auth.password_validation import validate_password

    for login, _role, _place in demo.demo_logins():
        validate_password(demo.DEMO_PASSWORD, User.objects.get(username=login))


@pytest.mark.django_db
def test_every_write_is_audited_and_the_chain_holds(built):
    assert audit.verify().ok
    assert AuditEntry.objects.filter(action="place.create").count() == Place.objects.count()
    assert AuditEntry.objects.filter(action="org.create").count() == PartyOrganization.objects.count()
    assert AuditEntry.objects.filter(action="org.rate").count() == OrgRating.objects.count()
    assert AuditEntry.objects.filter(action="user.create").count() == User.objects.count()
    assert AuditEntry.objects.filter(action="role.grant").count() == RoleAssignment.objects.count()


@pytest.mark.django_db
def test_household_addresses_resolve_to_buildings(built):
    addresses = list(demo.household_addresses(scale="test"))
    assert len(addresses) == 2 * 24
    assert len({(b.pk, unit, room) for b, unit, room in addresses}) == len(addresses)
    assert all(b.kind == PlaceKind.BUILDING for b, _unit, _room in addresses)
    assert addresses == list(demo.household_addresses(scale="test"))


@pytest.mark.django_db
def test_building_twice_is_refused(built):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        demo.build_demo_city(scale="test")


@pytest.mark.django_db
def test_demo_registry_is_populated_consistently(built):
    from lianxin.core import crypto, idcard
    from lianxin.registry.models import Household, PartyMember, Resident

    households = Household.objects.count()
    assert households == Household.objects.filter(head__isnull=False).count() > 0
    assert Resident.objects.count() >= households
    for resident in Resident.objects.all()[:50]:
        number = crypto.decrypt(resident.id_number_enc)
        assert idcard.is_valid(number) and idcard.birth_date(number) == resident.birth_date
        assert resident.place_path == resident.household.place_path
    for member in PartyMember.objects.select_related("organization"):
        assert member.place_path == member.organization.place_path
        assert member.resident.place_path.startswith(member.organization.place_path)
    assert PartyMember.objects.exists()
