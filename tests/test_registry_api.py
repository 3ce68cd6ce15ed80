"""The registry API (D2): scoping, masked ID numbers, the audited reveal, errors naming fields.

Given the city, the personas and a household of 幸福社区 (``registry_sample``), when a persona calls
/api/v1/households/, residents/ or members/, then rows outside their subtree answer 404 like missing
ones, ID numbers are only ever masked, and a reveal is refused without the right and a reason.
"""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.registry.models import Household, PartyMember, Resident

from .conftest import city_per_module
from .test_registry_pages import LI, WANG, ZHANG, ZHAO, registry_sample, unity  # noqa: F401

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ALL_IDS = (ZHANG, LI, WANG, ZHAO)


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


@pytest.fixture
def sample(city, personas):
    return registry_sample(city)


def api(personas, name):
    client = APIClient()
    client.force_login(personas[name])
    return client


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def assert_no_clear_id(response):
    body = response.content.decode()
    for number in ALL_IDS:
        assert number not in body and number.lower() not in body


def names(response):
    return {row["name"] for row in ok(response)["results"]}


# --- access -------------------------------------------------------------------------------------


def test_grid_worker_cannot_list_search_or_read_another_community(sample, unity, personas):  # noqa: F811
    client = api(personas, "grid_worker")

    residents = names(client.get(v1("resident-list")))
    by_name = names(client.get(v1("resident-list"), {"q": "赵六"}))
    by_id = names(client.get(v1("resident-list"), {"q": ZHAO}))
    by_pinyin = ok(client.get(v1("household-list"), {"q": "zl"}))["results"]
    households = ok(client.get(v1("household-list")))["results"]
    foreign = [
        client.get(v1("household-detail", unity["household"].pk)),
        client.get(v1("resident-detail", unity["resident"].pk)),
        client.patch(v1("resident-detail", unity["resident"].pk), {"phone": "123456789"}, format="json"),
    ]
    filtered = client.get(v1("resident-list"), {"household": unity["household"].pk})

    assert residents == {"张三", "李四"}
    assert by_name == by_id == set() and by_pinyin == []
    assert [row["address"] for row in households] == ["1号楼1单元101室"]
    assert [r.status_code for r in foreign] == [404, 404, 404]
    assert filtered.status_code == 400 and set(filtered.json()["errors"]) == {"household"}
    assert Resident.objects.get(pk=unity["resident"].pk).phone == "13900139000"


def test_outsider_gets_404_on_a_happy_resident_exactly_like_a_missing_one(sample, personas):
    client = api(personas, "outsider")

    foreign = client.get(v1("resident-detail", sample["head"].pk))
    missing = client.get(v1("resident-detail", 999999))
    reveal = client.post(
        v1("resident-reveal", sample["head"].pk), {"field": "id_number", "reason": "查看"}, format="json"
    )

    assert foreign.status_code == missing.status_code == reveal.status_code == 404
    assert foreign.json() == missing.json()
    assert not AuditEntry.objects.filter(action="reveal").exists()


# --- masking and reveal -------------------------------------------------------------------------


def test_grid_worker_reads_only_masked_id_numbers(sample, personas):
    client = api(personas, "grid_worker")
    responses = [
        client.get(v1("resident-list")),
        client.get(v1("resident-list"), {"q": ZHANG.lower()}),
        client.get(v1("resident-detail", sample["head"].pk)),
        client.get(v1("household-list"), {"q": LI}),
        client.get(v1("household-detail", sample["household"].pk)),
    ]

    for response in responses:
        assert response.status_code == 200
        assert_no_clear_id(response)
    assert responses[2].json()["id_number"] == "110***********002X"
    assert "health" not in responses[2].json()
    detail = responses[4].json()
    assert {m["name"]: m["id_number"] for m in detail["members"]} == {
        "张三": "110***********002X",
        "李四": "110***********" + LI[-4:],
    }
    assert [(d["kind"], d["cause"]) for d in detail["difficulties"]] == [("elderly", "老两口独居")]


def test_reveal_is_refused_without_the_right(sample, personas):
    client = api(personas, "grid_worker")

    response = client.post(
        v1("resident-reveal", sample["head"].pk), {"field": "id_number", "reason": "办事"}, format="json"
    )

    assert response.status_code == 403
    assert_no_clear_id(response)
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_reveal_needs_a_known_field_and_a_reason_and_is_audited(sample, personas):
    client = api(personas, "staff")
    url = v1("resident-reveal", sample["head"].pk)

    no_reason = client.post(url, {"field": "id_number", "reason": " "}, format="json")
    bad_field = client.post(url, {"field": "salary", "reason": "好奇"}, format="json")
    revealed = client.post(url, {"field": "id_number", "reason": "办理低保"}, format="json")
    health = client.post(url, {"field": "health", "reason": "医疗救助"}, format="json")

    assert no_reason.status_code == bad_field.status_code == 400
    assert set(no_reason.json()["errors"]) == {"reason"} and set(bad_field.json()["errors"]) == {"field"}
    assert ok(revealed) == {"field": "id_number", "value": ZHANG}
    assert revealed["Cache-Control"] == "no-store"
    assert ok(health)["value"] == "高血压"
    entries = list(AuditEntry.objects.filter(action="reveal").order_by("seq"))
    assert [(e.actor, e.after, e.reason) for e in entries] == [
        (personas["staff"], {"field": "id_number"}, "办理低保"),
        (personas["staff"], {"field": "health"}, "医疗救助"),
    ]


# --- residents ----------------------------------------------------------------------------------


def test_resident_create_round_trip_masks_and_derives(sample, personas):
    client = api(personas, "grid_worker")

    created = client.post(
        v1("resident-list"),
        {
            "name": " 王五 ",
            "id_number": WANG.lower(),
            "household": sample["household"].pk,
            "relationship": "child",
            "phone": "１３７００１３７０００",
            "health": "糖尿病",
        },
        format="json",
    )
    body = ok(created, 201)
    fetched = ok(client.get(v1("resident-detail", body["id"])))
    found = names(client.get(v1("resident-list"), {"q": "ww"}))

    assert_no_clear_id(created)
    assert fetched == body
    assert body["name"] == "王五" and body["id_number"] == "110***********" + WANG[-4:]
    assert body["birth_date"] == "1980-01-01" and body["sex"] == "M" and body["phone"] == "13700137000"
    assert body["household"] == sample["household"].pk and body["relationship"] == "child"
    assert "health" not in body and "disability" not in body
    assert found == {"王五"}
    assert WANG not in json.dumps(AuditEntry.objects.filter(action="resident.create").last().after)


@pytest.mark.parametrize(
    ("payload", "field", "chinese"),
    [
        ({"name": "王五", "id_number": "110105194912310021"}, "id_number", "身份证"),
        ({"name": "王五", "id_number": "4.30302E+17"}, "id_number", "身份证"),
        ({"name": "王五", "id_number": ZHANG}, "id_number", None),
        ({"id_number": WANG}, "name", "必填"),
        ({"name": "王五", "id_number": WANG, "phone": "12ab"}, "phone", None),
        ({"name": "王五", "id_number": WANG, "relationship": "cousin"}, "relationship", None),
    ],
)
def test_resident_create_errors_name_the_field(sample, personas, payload, field, chinese):
    client = api(personas, "staff")
    before = Resident.objects.count()

    response = client.post(
        v1("resident-list"), {"household": sample["household"].pk, **payload}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {field}
    if chinese:
        assert chinese in errors[field][0]
    assert Resident.objects.count() == before


def test_resident_update_keeps_the_id_number_and_place_fixed(sample, personas):
    client = api(personas, "staff")
    url = v1("resident-detail", sample["spouse"].pk)

    refused = client.patch(url, {"id_number": WANG, "name": "李四四"}, format="json")
    changed = client.patch(url, {"phone": "13911112222", "disability": "听力二级"}, format="json")

    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"id_number"}
    assert Resident.objects.get(pk=sample["spouse"].pk).name == "李四"
    assert ok(changed)["phone"] == "13911112222" and "disability" not in changed.json()
    entry = AuditEntry.objects.filter(action="resident.update").last()
    assert entry.after["sensitive_fields_changed"] == ["disability"] and "听力" not in json.dumps(entry.after)


# --- households ---------------------------------------------------------------------------------


def test_household_create_list_filters_and_address_uniqueness(sample, city, personas):
    client = api(personas, "committee_member")

    created = ok(
        client.post(v1("household-list"), {"place": city.happy_building.pk, "room": "502"}, format="json"),
        201,
    )
    taken = client.post(
        v1("household-list"), {"place": city.happy_building.pk, "unit": "1", "room": "101"}, format="json"
    )
    grid = client.post(v1("household-list"), {"place": city.happy_grid.pk, "room": "1"}, format="json")
    elderly = ok(client.get(v1("household-list"), {"difficulty": "elderly"}))["results"]
    by_pinyin = ok(client.get(v1("household-list"), {"q": "zhangsan"}))["results"]
    bad_filter = client.get(v1("household-list"), {"difficulty": "rich"})

    assert created["address"] == "1号楼502室" and created["member_count"] is None
    assert taken.status_code == 400 and set(taken.json()["errors"]) == {"room"}
    assert grid.status_code == 400 and set(grid.json()["errors"]) == {"place"}
    assert [(h["address"], h["head_name"], h["member_count"]) for h in elderly] == [
        ("1号楼1单元101室", "张三", 2)
    ]
    assert [h["id"] for h in by_pinyin] == [sample["household"].pk]
    assert bad_filter.status_code == 400 and set(bad_filter.json()["errors"]) == {"difficulty"}
    assert Household.objects.count() == 2


# --- party members ------------------------------------------------------------------------------


def test_members_create_filter_update_and_three_lists(sample, city, personas):
    client = api(personas, "community_secretary")

    mobile_without_destination = client.post(
        v1("member-list"),
        {
            "resident": sample["spouse"].pk,
            "organization": city.happy_branch.pk,
            "kind": "mobile",
            "joined_on": "2001-07-01",
        },
        format="json",
    )
    created = ok(
        client.post(
            v1("member-list"),
            {
                "resident": sample["spouse"].pk,
                "organization": city.happy_branch.pk,
                "kind": "mobile",
                "joined_on": "2001-07-01",
                "mobile_destination": "深圳",
            },
            format="json",
        ),
        201,
    )
    mobile = ok(client.get(v1("member-list"), {"kind": "mobile"}))["results"]
    in_committee = ok(client.get(v1("member-list"), {"organization": city.happy_committee.pk}))["results"]
    moved = client.patch(
        v1("member-detail", created["id"]), {"organization": city.happy_committee.pk}, format="json"
    )
    updated = ok(
        client.patch(v1("member-detail", created["id"]), {"mobile_contact": "微信 lisi"}, format="json")
    )
    three = ok(client.get(v1("member-three-lists")))

    assert mobile_without_destination.status_code == 400
    assert set(mobile_without_destination.json()["errors"]) == {"mobile_destination"}
    assert created["resident_name"] == "李四" and created["status"] == "active"
    assert [m["resident_name"] for m in mobile] == ["李四"]
    assert {m["resident_name"] for m in in_committee} == {"张三", "李四"}  # the branch is below the committee
    assert moved.status_code == 400 and set(moved.json()["errors"]) == {"organization"}
    assert updated["mobile_contact"] == "微信 lisi"
    assert three == [
        {
            "organization": city.happy_branch.pk,
            "organization_name": "幸福社区第一党支部",
            "total": 2,
            "without_post": 0,
            "restructured": 0,
            "mobile": 1,
        }
    ]


def test_outsider_cannot_enrol_or_count_happy_people(sample, city, personas):
    client = api(personas, "outsider")

    enrol = client.post(
        v1("member-list"),
        {
            "resident": sample["spouse"].pk,
            "organization": city.unity_committee.pk,
            "kind": "retired",
            "joined_on": "1990-01-01",
        },
        format="json",
    )
    by_org = client.get(v1("member-list"), {"organization": city.happy_branch.pk})

    assert enrol.status_code == 400 and set(enrol.json()["errors"]) == {"resident"}
    assert by_org.status_code == 400 and set(by_org.json()["errors"]) == {"organization"}
    assert ok(client.get(v1("member-three-lists"))) == []
    assert ok(client.get(v1("member-list")))["results"] == []
    assert PartyMember.objects.count() == 1
