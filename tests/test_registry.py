"""Registry services and selectors (D2): validation, encryption, search, reveal, scoping."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianxin.core import crypto
from lianxin.core.models import AuditEntry
from lianxin.registry import selectors, services
from lianxin.registry.models import MemberKind, PartyMember, Relationship, Resident

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ZHANG = "11010519491231002X"


@pytest.fixture
def household(city, personas):
    return services.household_create(actor=personas["staff"], place=city.happy_building, unit="2", room="301")


def test_resident_id_is_encrypted_masked_and_derived(household, personas):
    resident = services.resident_create(
        actor=personas["staff"],
        name=" 张三 ",
        id_number="11010519491231002x",
        household=household,
        relationship=Relationship.HEAD,
        phone="１３８００１３８０００",
    )
    resident.refresh_from_db()
    assert resident.name == "张三" and resident.phone == "13800138000"
    assert resident.birth_date == dt.date(1949, 12, 31) and resident.sex == "F"
    assert resident.id_number_masked == "110***********002X"
    assert ZHANG not in resident.id_number_enc and crypto.decrypt(resident.id_number_enc) == ZHANG
    assert crypto.key_id(resident.id_number_enc) == "t2"
    household.refresh_from_db()
    assert household.head == resident
    entry = AuditEntry.objects.get(action="resident.create")
    assert ZHANG not in str(entry.after)


def test_bad_id_number_names_the_field_and_writes_nothing(household, personas):
    with pytest.raises(ValidationError) as exc:
        services.resident_create(
            actor=personas["staff"], name="李四", id_number="110105194912310021", household=household
        )
    assert "id_number" in exc.value.message_dict
    assert not Resident.objects.exists()


def test_same_person_twice_is_refused(household, personas):
    services.resident_create(actor=personas["staff"], name="张三", id_number=ZHANG, household=household)
    with pytest.raises(ValidationError) as exc:
        services.resident_create(
            actor=personas["staff"], name="张三", id_number=ZHANG.lower(), household=household
        )
    assert "id_number" in exc.value.message_dict
    assert Resident.objects.count() == 1


@pytest.mark.parametrize(
    "query", ["张三", "zs", "zhangsan", "ZhangSan", "13800138000", "0013800", ZHANG, ZHANG.lower()]
)
def test_search_finds_by_name_pinyin_phone_and_id(household, personas, query):
    services.resident_create(
        actor=personas["staff"], name="张三", id_number=ZHANG, household=household, phone="13800138000"
    )
    names = [r.name for r in selectors.resident_list(actor=personas["staff"], q=query)]
    assert names == ["张三"]


def test_other_community_cannot_see_or_find(household, personas):
    services.resident_create(actor=personas["staff"], name="张三", id_number=ZHANG, household=household)
    assert not selectors.resident_list(actor=personas["outsider"], q="张三").exists()
    assert not selectors.resident_list(actor=personas["outsider"], q=ZHANG).exists()
    assert not selectors.household_list(actor=personas["outsider"]).exists()


def test_reveal_needs_permission_and_reason_and_is_audited(household, personas):
    resident = services.resident_create(
        actor=personas["staff"], name="张三", id_number=ZHANG, household=household, health="高血压"
    )
    with pytest.raises(PermissionDenied):
        services.resident_reveal(
            actor=personas["grid_worker"], resident=resident, field="id_number", reason="办事"
        )
    with pytest.raises(ValidationError):
        services.resident_reveal(actor=personas["staff"], resident=resident, field="id_number", reason=" ")
    assert (
        services.resident_reveal(
            actor=personas["staff"], resident=resident, field="health", reason="办理救助"
        )
        == "高血压"
    )
    entry = AuditEntry.objects.get(action="reveal")
    assert (
        entry.actor == personas["staff"] and entry.after == {"field": "health"} and entry.reason == "办理救助"
    )


def test_household_address_is_unique_and_must_be_a_building(city, personas, household):
    with pytest.raises(ValidationError) as exc:
        services.household_create(actor=personas["staff"], place=city.happy_building, unit="2", room="301")
    assert "room" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.household_create(actor=personas["staff"], place=city.happy_grid, room="1")
    assert "place" in exc.value.message_dict


def test_three_lists_count_per_organization(city, personas, household, sysadmin):
    people = [("11010519491231002X", MemberKind.WITHOUT_POST), ("110105195001010010", MemberKind.MOBILE)]
    from lianxin.core import idcard

    for i, (number, kind) in enumerate(people):
        if not idcard.is_valid(number):
            number = number[:17] + idcard.check_char(number[:17])
        resident = services.resident_create(
            actor=personas["staff"], name=f"党员{i}", id_number=number, household=household
        )
        services.member_create(
            actor=personas["community_secretary"],
            resident=resident,
            organization=city.happy_branch,
            kind=kind,
            joined_on=dt.date(1990, 7, 1),
            mobile_destination="深圳" if kind == MemberKind.MOBILE else "",
        )
    rows = selectors.three_lists_counts(actor=personas["community_secretary"])
    assert [
        (org.name, row["total"], row["without_post"], row["mobile"], row["restructured"]) for org, row in rows
    ] == [("幸福社区第一党支部", 2, 1, 1, 0)]
    assert selectors.three_lists_counts(actor=personas["outsider"]) == []
    assert PartyMember.objects.count() == 2


def test_mobile_member_needs_destination(city, personas, household):
    resident = services.resident_create(
        actor=personas["staff"], name="王五", id_number=ZHANG, household=household
    )
    with pytest.raises(ValidationError) as exc:
        services.member_create(
            actor=personas["community_secretary"],
            resident=resident,
            organization=city.happy_branch,
            kind=MemberKind.MOBILE,
            joined_on=dt.date(2000, 1, 1),
        )
    assert "mobile_destination" in exc.value.message_dict


def test_place_move_carries_residents(city, personas, household, sysadmin):
    resident = services.resident_create(
        actor=personas["staff"], name="张三", id_number=ZHANG, household=household
    )
    from lianxin.places.services import place_move

    place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason="区划调整")
    resident.refresh_from_db()
    household.refresh_from_db()
    assert resident.place_path.startswith(city.west.path) and household.place_path == resident.place_path
