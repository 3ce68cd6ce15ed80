"""Registry pages (D2): access by role and place, masked ID numbers, the audited reveal, forms.

Given the city and personas of conftest.py and a household of 幸福社区 (``registry_sample``), when a
persona opens a page, then they see only their subtree, ID numbers only masked, and every clear
value they are shown is in the audit log with their reason.
"""

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.accounts.models import User
from lianxin.core import idcard
from lianxin.core.models import AuditEntry
from lianxin.places import services as place_services
from lianxin.places.models import PlaceKind
from lianxin.registry import services
from lianxin.registry.models import (
    Difficulty,
    DifficultyTag,
    Household,
    MemberKind,
    PartyMember,
    Relationship,
    Resident,
)

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def valid_id(first17: str) -> str:
    return first17 + idcard.check_char(first17)


ZHANG = "11010519491231002X"
LI = valid_id("11010519520315004")
WANG = valid_id("11010519800101001")
ZHAO = valid_id("43030219750606002")


def registry_sample(city):
    """A household of 幸福社区 (1号楼 1单元 101) with 张三 (head, party member) and 李四; made once
    per test and kept on the city object, so both permission matrices can point at its rows."""
    sample = getattr(city, "_registry_sample", None)
    if sample is not None:
        return sample
    secretary = User.objects.get(username="secretary")
    household = services.household_create(actor=secretary, place=city.happy_building, unit="1", room="101")
    head = services.resident_create(
        actor=secretary,
        name="张三",
        id_number=ZHANG,
        household=household,
        relationship=Relationship.HEAD,
        phone="13800138000",
        health="高血压",
    )
    spouse = services.resident_create(
        actor=secretary, name="李四", id_number=LI, household=household, relationship=Relationship.SPOUSE
    )
    tag = services.difficulty_add(
        actor=secretary,
        household=household,
        kind=Difficulty.ELDERLY,
        cause="老两口独居",
        since=dt.date(2020, 1, 1),
    )
    member = services.member_create(
        actor=secretary,
        resident=head,
        organization=city.happy_branch,
        kind=MemberKind.RETIRED,
        joined_on=dt.date(1975, 7, 1),
    )
    sample = {"household": household, "head": head, "spouse": spouse, "tag": tag, "member": member}
    city._registry_sample = sample
    return sample


@pytest.fixture
def sample(city, personas):
    return registry_sample(city)


@pytest.fixture
def unity(city, personas):
    """A household of 团结社区, registered by its own secretary (the outsider)."""
    building = place_services.place_create(
        actor=personas["sysadmin"], kind=PlaceKind.BUILDING, name="团结楼", parent=city.unity_grid
    )
    household = services.household_create(actor=personas["outsider"], place=building, room="202")
    resident = services.resident_create(
        actor=personas["outsider"],
        name="赵六",
        id_number=ZHAO,
        household=household,
        relationship=Relationship.HEAD,
        phone="13900139000",
    )
    return {"building": building, "household": household, "resident": resident}


def login(client, personas, name):
    client.force_login(personas[name])
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def table(response, name: str) -> str:
    """The rows of the list table ``name`` (not the search box, which echoes the query)."""
    body = text(response)
    return body[body.index(f'data-test="{name}"') :]


def assert_no_clear_id(body: str):
    for number in (ZHANG, LI, WANG, ZHAO):
        assert number not in body and number.lower() not in body


# --- access -------------------------------------------------------------------------------------


def test_grid_worker_cannot_list_search_or_read_another_community(client, sample, unity, personas):
    login(client, personas, "grid_worker")

    households = text(client.get(reverse("households")))
    by_name = table(client.get(reverse("residents"), {"q": "赵六"}), "residents")
    by_id = table(client.get(reverse("residents"), {"q": ZHAO}, follow=True), "residents")
    by_pinyin = table(client.get(reverse("households"), {"q": "zl"}), "households")
    household = client.get(reverse("household_detail", args=[unity["household"].pk]))
    resident = client.get(reverse("resident_detail", args=[unity["resident"].pk]))

    assert "1号楼1单元101室" in households and "团结楼" not in households
    assert "赵六" not in by_name and "赵六" not in by_id and "团结楼" not in by_pinyin
    assert household.status_code == resident.status_code == 404


def test_outsider_gets_404_on_a_happy_resident_exactly_like_a_missing_one(client, sample, personas):
    login(client, personas, "outsider")

    foreign = client.get(reverse("resident_detail", args=[sample["head"].pk]))
    missing = client.get(reverse("resident_detail", args=[999999]))
    reveal = client.post(
        reverse("resident_reveal", args=[sample["head"].pk]), {"field": "id_number", "reason": "查看"}
    )

    assert foreign.status_code == missing.status_code == reveal.status_code == 404
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_navigation_opens_only_the_sections_a_role_may_use(client, personas):
    grid = text(login(client, personas, "grid_worker").get(reverse("home")))
    secretary = text(login(client, personas, "community_secretary").get(reverse("home")))
    member = text(login(client, personas, "party_member").get(reverse("home")))

    assert reverse("households") in grid and reverse("residents") in grid and reverse("members") not in grid
    assert all(reverse(name) in secretary for name in ("households", "residents", "members"))
    assert reverse("households") not in member and reverse("members") not in member


# --- masking and the audited reveal -------------------------------------------------------------


def test_grid_worker_sees_only_masked_id_numbers_on_every_page(client, sample, personas):
    login(client, personas, "grid_worker")
    pages = [
        reverse("households"),
        reverse("households") + f"?q={ZHANG}",
        reverse("household_detail", args=[sample["household"].pk]),
        reverse("residents"),
        reverse("residents") + f"?q={ZHANG.lower()}",
        reverse("resident_detail", args=[sample["head"].pk]),
        reverse("resident_detail", args=[sample["spouse"].pk]),
    ]

    bodies = [text(client.get(url, follow=True)) for url in pages]

    for body in bodies:
        assert_no_clear_id(body)
    assert "110***********002X" in bodies[2] and "110***********002X" in bodies[4]
    assert 'data-test="reveal-form"' not in bodies[5]


def test_a_search_by_id_number_goes_straight_to_the_person(client, sample, unity, personas):
    login(client, personas, "grid_worker")

    own = client.get(reverse("residents"), {"q": ZHANG.lower()})
    household = client.get(reverse("households"), {"q": LI})
    foreign = client.get(reverse("residents"), {"q": ZHAO}, follow=True)

    assert own.status_code == 302 and own.url == reverse("resident_detail", args=[sample["head"].pk])
    assert household.url == reverse("household_detail", args=[sample["household"].pk])
    assert foreign.redirect_chain == [(reverse("residents"), 302)]
    assert "430***********" + ZHAO[-4:] in text(foreign) and "赵六" not in text(foreign)


def test_search_forms_post_so_an_id_number_never_travels_in_a_url(client, sample, unity, personas):
    login(client, personas, "community_secretary")

    forms = [text(client.get(reverse(name))) for name in ("households", "residents", "members")]
    own = client.post(reverse("residents"), {"q": f" {ZHANG.lower()} "})
    household = client.post(reverse("households"), {"q": LI, "difficulty": ""})
    foreign = client.post(reverse("residents"), {"q": ZHAO}, follow=True)
    by_name = client.post(reverse("households"), {"q": " 张三 ", "difficulty": "elderly"})

    for body in forms:
        assert '<form method="post" class="filters" role="search">' in body
    assert own.status_code == 302 and own.url == reverse("resident_detail", args=[sample["head"].pk])
    assert household.url == reverse("household_detail", args=[sample["household"].pk])
    assert foreign.redirect_chain == [(reverse("residents"), 302)]
    assert "430***********" + ZHAO[-4:] in text(foreign) and "赵六" not in text(foreign)
    assert by_name.url == reverse("households") + "?q=%E5%BC%A0%E4%B8%89&difficulty=elderly"
    for response in (own, household, by_name):
        assert ZHANG not in response.url and ZHANG.lower() not in response.url and LI not in response.url


def test_grid_worker_may_not_reveal(client, sample, personas):
    login(client, personas, "grid_worker")
    url = reverse("resident_reveal", args=[sample["head"].pk])

    shown = client.get(url)
    posted = client.post(url, {"field": "id_number", "reason": "办事"})

    assert shown.status_code == posted.status_code == 403
    assert ZHANG not in posted.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_reveal_shows_the_clear_value_once_and_audits_it(client, sample, personas):
    login(client, personas, "staff")
    detail_url = reverse("resident_detail", args=[sample["head"].pk])

    detail = text(client.get(detail_url))
    revealed = client.post(
        reverse("resident_reveal", args=[sample["head"].pk]), {"field": "id_number", "reason": "办理低保"}
    )
    again = text(client.get(detail_url))

    assert 'data-test="reveal-form"' in detail and ZHANG not in detail
    assert ZHANG in text(revealed)
    assert "no-store" in revealed["Cache-Control"]
    assert ZHANG not in again
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == personas["staff"] and entry.reason == "办理低保"
    assert entry.after == {"field": "id_number"} and entry.object_id == str(sample["head"].pk)


def test_reveal_without_a_reason_shows_nothing_and_names_the_field(client, sample, personas):
    login(client, personas, "community_secretary")

    response = client.post(
        reverse("resident_reveal", args=[sample["head"].pk]), {"field": "health", "reason": ""}
    )

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert "高血压" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


# --- forms --------------------------------------------------------------------------------------


def test_member_form_reports_chinese_errors_on_the_fields_they_concern(client, sample, personas):
    login(client, personas, "staff")
    before = Resident.objects.count()

    response = client.post(
        reverse("household_member_add", args=[sample["household"].pk]),
        {"name": "", "id_number": "110105194912310021", "relationship": "child"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name"}  # the form stops at the missing name; the service is not called
    assert "必填" in errors["name"][0]

    response = client.post(
        reverse("household_member_add", args=[sample["household"].pk]),
        {"name": "王五", "id_number": "110105194912310021", "relationship": "child"},
    )

    errors = response.context["form"].errors
    assert set(errors) == {"id_number"}
    assert "校验码" in errors["id_number"][0] or "身份证" in errors["id_number"][0]
    assert "身份证" in response.content.decode()
    assert Resident.objects.count() == before


def test_household_at_a_taken_address_names_the_room(client, sample, city, personas):
    login(client, personas, "grid_worker")
    before = Household.objects.count()

    response = client.post(
        reverse("household_create"), {"place": city.happy_building.pk, "unit": "1", "room": "101"}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"room"}
    assert Household.objects.count() == before


# --- round trips --------------------------------------------------------------------------------


def test_household_round_trip_through_the_pages(client, city, personas):
    login(client, personas, "grid_worker")

    created = client.post(
        reverse("household_create"),
        {"place": city.happy_building.pk, "unit": "2", "room": "302", "notes": ""},
    )
    household = Household.objects.get(room="302")
    assert created.status_code == 302 and created.url == reverse("household_detail", args=[household.pk])
    added = client.post(
        reverse("household_member_add", args=[household.pk]),
        {"name": "王五", "id_number": WANG.lower(), "relationship": "head", "phone": "13700137000"},
    )
    difficulty = client.post(
        reverse("difficulty_add", args=[household.pk]),
        {"kind": "low_income", "cause": "失业", "since": "2024-03-01"},
    )
    notes = client.post(reverse("household_notes", args=[household.pk]), {"notes": "每周回访"})
    page = text(client.get(reverse("household_detail", args=[household.pk])))

    assert added.status_code == difficulty.status_code == notes.status_code == 302
    assert "王五" in page and "110***********" + WANG[-4:] in page and "失业" in page and "每周回访" in page
    assert WANG not in page
    household.refresh_from_db()
    assert household.head.name == "王五" and household.notes == "每周回访"
    listed = text(client.get(reverse("households"), {"difficulty": "low_income"}))
    assert "1号楼2单元302室" in listed and "101室" not in listed

    tag = DifficultyTag.objects.get(household=household)
    ended = client.post(
        reverse("difficulty_end", args=[household.pk, tag.pk]), {"ended_on": "2026-01-05", "reason": "已就业"}
    )
    assert ended.status_code == 302
    tag.refresh_from_db()
    assert tag.ended_on == dt.date(2026, 1, 5)
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "household.create",
        "resident.create",
        "difficulty.add",
        "household.update",
        "difficulty.end",
    }


def test_resident_without_a_household_is_registered_at_a_building(client, city, personas):
    login(client, personas, "staff")

    response = client.post(
        reverse("resident_create"), {"place": city.happy_building.pk, "name": "王五", "id_number": WANG}
    )

    resident = Resident.objects.get(name="王五")
    assert response.status_code == 302 and response.url == reverse("resident_detail", args=[resident.pk])
    assert resident.place == city.happy_building and resident.household is None
    assert resident.birth_date == dt.date(1980, 1, 1)
    found = text(client.get(reverse("residents"), {"q": "ww"}))
    assert "王五" in found and WANG not in found


def test_members_create_filter_edit_and_three_lists(client, sample, city, personas):
    login(client, personas, "community_secretary")

    unknown = client.post(
        reverse("member_create"),
        {
            "id_number": WANG,
            "organization": city.happy_branch.pk,
            "kind": "mobile",
            "joined_on": "2001-07-01",
        },
    )
    created = client.post(
        reverse("member_create"),
        {
            "id_number": LI,
            "organization": city.happy_branch.pk,
            "kind": "mobile",
            "joined_on": "2001-07-01",
            "mobile_destination": "深圳",
        },
    )
    member = PartyMember.objects.get(resident=sample["spouse"])
    mobile = text(client.get(reverse("members"), {"kind": "mobile"}))
    three = text(client.get(reverse("three_lists")))
    drill = f"{reverse('members')}?organization={city.happy_branch.pk}&amp;kind=mobile"
    edited = client.post(
        reverse("member_edit", args=[member.pk]),
        {"kind": "retired", "status": "active", "joined_on": "2001-07-01"},
    )

    assert unknown.status_code == 200 and set(unknown.context["form"].errors) == {"id_number"}
    assert created.status_code == 302 and created.url == reverse("member_detail", args=[member.pk])
    assert "李四" in mobile and "张三" not in mobile
    assert drill in three and "幸福社区第一党支部" in three
    assert edited.status_code == 302
    member.refresh_from_db()
    assert member.kind == MemberKind.RETIRED


def test_the_member_page_links_to_the_must_visit_report_for_branch_managers(client, sample, personas):
    url = reverse("member_detail", args=[sample["member"].pk])
    report = reverse("branch_condition_report", args=[sample["member"].pk])
    login(client, personas, "community_secretary")
    assert report in client.get(url).content.decode()
    login(client, personas, "staff")  # reads members, does not run branch work
    page = client.get(url)
    assert page.status_code == 200 and report not in page.content.decode()
