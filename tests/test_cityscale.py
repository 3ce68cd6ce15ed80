"""The city-scale seed (issue #11): proportional counts, determinism, invariants, refusal."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F, Max
from django.test import override_settings

from lianxin.appeals.models import CaseCounter, Request, RequestEvent
from lianxin.branch.models import Attendance, Meeting
from lianxin.core import audit, cityscale, crypto, idcard, tree
from lianxin.core.calendar import add_working_days
from lianxin.core.models import AuditEntry
from lianxin.performance.models import Ballot, BallotCode, BallotMark, EvaluationCycle, GoalItem
from lianxin.places.models import PartyOrganization, Place
from lianxin.registry.models import Household, PartyMember, Resident
from lianxin.registry.selectors import search_q

FRACTION = 0.001
TODAY = dt.date(2026, 11, 29)

pytestmark = pytest.mark.django_db


def build(fraction=FRACTION, seed=7):
    return cityscale.build_city(seed=seed, fraction=fraction, today=TODAY)


def snapshot() -> dict:
    """The generated rows, without what legitimately differs between runs (user keys from sequences,
    load timestamps, AES-GCM nonces)."""
    return {
        "places": list(
            Place.objects.order_by("id").values_list("id", "parent_id", "path", "kind", "name", "address")
        ),
        "orgs": list(
            PartyOrganization.objects.order_by("id").values_list(
                "id", "parent_id", "path", "kind", "field", "name", "place_id", "secretary_name", "founded_on"
            )
        ),
        "households": list(
            Household.objects.order_by("id").values_list("id", "place_id", "unit", "room", "head_id")
        ),
        "residents": list(
            Resident.objects.order_by("id").values_list(
                "id",
                "household_id",
                "relationship",
                "name",
                "name_pinyin",
                "id_number_hash",
                "id_number_masked",
                "birth_date",
                "sex",
                "phone",
            )
        ),  # fmt: skip
        "members": list(
            PartyMember.objects.order_by("id").values_list(
                "id", "resident_id", "organization_id", "kind", "joined_on"
            )
        ),
        "meetings": list(
            Meeting.objects.order_by("id").values_list(
                "id", "organization_id", "meeting_type_id", "topic", "held_on"
            )
        ),
        "attendance": list(
            Attendance.objects.order_by("id").values_list("meeting_id", "member_id", "present")
        ),
        "goal_items": list(
            GoalItem.objects.order_by("id").values_list("id", "project", "due_on", "progress")
        ),
        "requests": list(
            Request.objects.order_by("id").values_list(
                "number",
                "place_id",
                "category_id",
                "status",
                "received_on",
                "due_on",
                "resident_id",
                "rating",
            )
        ),
        "codes": list(BallotCode.objects.order_by("id").values_list("code", "status")),
        "marks": list(BallotMark.objects.order_by("id").values_list("ballot_id", "evaluee_id", "rating")),
    }


def test_counts_are_proportional_to_the_fraction():
    result = build()
    counts = result["counts"]
    for key in ("organizations", "party_members", "households", "goal_items", "requests", "ballots"):
        assert counts[key] == cityscale.scaled(cityscale.FULL[key], FRACTION), key
    assert PartyOrganization.objects.count() == counts["organizations"] == 9
    assert PartyMember.objects.count() == 170
    assert Household.objects.count() == 1000
    assert GoalItem.objects.count() == 20
    assert Request.objects.count() == RequestEvent.objects.count() == 1000
    assert Ballot.objects.count() == 200
    assert BallotCode.objects.count() == 220  # 10 % of the slips are not used
    # About three residents a household.
    assert 2.7 < Resident.objects.count() / Household.objects.count() < 3.1
    assert Meeting.objects.filter(status="held").count() == counts["meetings"] > 0
    assert Attendance.objects.count() == counts["attendance"] > 0
    assert (
        BallotMark.objects.count()
        == counts["ballot_marks"]
        == 200 * EvaluationCycle.objects.get().evaluees.count()
    )
    # Twelve months of meetings, none in the future.
    assert Meeting.objects.aggregate(last=Max("held_on"))["last"] <= TODAY
    assert Meeting.objects.filter(held_on__lt=TODAY - dt.timedelta(days=370)).count() == 0


def test_a_larger_fraction_gives_proportionally_more():
    counts = build(fraction=0.003)["counts"]
    assert counts["households"] == 3000
    assert counts["party_members"] == 510
    assert counts["requests"] == 3000
    assert counts["ballots"] == 600
    assert counts["communities"] == 1


def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    with transaction.atomic():
        build(seed=11)
        first = snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        build(seed=11)
        second = snapshot()
        transaction.set_rollback(True)
    assert first == second
    assert first["residents"]
    build(seed=12)
    other = snapshot()
    assert other["residents"] != first["residents"]
    assert other["codes"] != first["codes"]


def test_paths_and_place_paths_follow_the_tree():
    build()
    for model in (Place, PartyOrganization):
        for row in model.objects.select_related("parent"):
            expected = tree.child_path(row.parent.path if row.parent else "", row.pk)
            assert row.path == expected
            assert row.depth == tree.depth_of(row.path)
    assert Place.objects.filter(parent__isnull=True).count() == 1
    assert {p.kind for p in Place.objects.filter(depth=6)} == {"building"}
    for model in (
        PartyOrganization,
        Household,
        Resident,
        PartyMember,
        Meeting,
        GoalItem,
        Request,
        EvaluationCycle,
    ):
        assert model.objects.count()
        assert not model.objects.exclude(place_path=F("place__path")).exists(), model
    # Households live in buildings, members in their organization's place.
    assert set(Household.objects.values_list("place__kind", flat=True)) == {"building"}
    assert not PartyMember.objects.exclude(place_id=F("organization__place_id")).exists()
    # Every household has exactly its head; the head's household is that household.
    assert not Household.objects.exclude(head__household_id=F("id")).exists()
    assert not Household.objects.exclude(head__relationship="head").exists()
    assert Resident.objects.filter(relationship="head").count() == Household.objects.count()
    # Scoping by a community's subtree finds its rows.
    community = Place.objects.get(kind="community")
    assert Resident.objects.under(community.path).count() == Resident.objects.count()


def test_id_numbers_are_valid_encrypted_unique_and_found_by_hash():
    build()
    residents = list(Resident.objects.all())
    numbers = set()
    for resident in residents:
        number = crypto.decrypt(resident.id_number_enc)
        assert idcard.validate(number, today=TODAY) == number
        assert idcard.facts(number) == (resident.id_number_masked, resident.birth_date, resident.sex)
        assert resident.id_number_hash == crypto.lookup_hash(number)
        numbers.add(number)
    assert len(numbers) == len(residents)
    someone = residents[len(residents) // 2]
    number = crypto.decrypt(someone.id_number_enc)
    assert list(Resident.objects.filter(search_q(number))) == [someone]


def test_pinyin_search_finds_a_name():
    build()
    someone = Resident.objects.order_by("id")[7]
    assert someone.name_pinyin and someone.name_initials
    assert Resident.objects.filter(search_q(someone.name_pinyin), pk=someone.pk).exists()
    assert Resident.objects.filter(search_q(someone.name_initials), pk=someone.pk).exists()
    assert Resident.objects.filter(search_q(someone.name), pk=someone.pk).exists()


def test_counters_codes_sequences_and_the_audit_entry():
    build()
    for counter in CaseCounter.objects.all():
        assert counter.last == Request.objects.filter(year=counter.year).aggregate(m=Max("serial"))["m"]
    for request in Request.objects.order_by("id")[::97]:
        deadline = add_working_days(request.received_on, request.due_days)
        assert (request.due_on, request.due_provisional) == (deadline.due, deadline.provisional)
    assert not Ballot.objects.exclude(code__status="used").exists()
    assert BallotCode.objects.filter(status="used").count() == Ballot.objects.count()
    # Keys were assigned by the loader: the next ordinary insert must not collide.
    city = Place.objects.get(parent__isnull=True)
    from lianxin.accounts.models import User
    from lianxin.places import services as places

    admin = User.objects.get(username=cityscale.ADMIN_LOGIN)
    district = Place.objects.get(kind="district")
    new = places.place_create(actor=admin, kind="subdistrict", name="新建街道", parent=district)
    assert new.pk > max(Place.objects.exclude(pk=new.pk).values_list("pk", flat=True))
    assert new.path == tree.child_path(district.path, new.pk)
    entries = AuditEntry.objects.filter(action="cityscale.seed")
    entry = entries.get(after__households=1000)
    assert entry.place_path == city.path
    assert entry.after["households"] == 1000 and entry.after["requests"] == 1000
    assert audit.verify().ok


def test_a_second_run_is_refused_and_nothing_changes():
    build()
    households = Household.objects.count()
    with pytest.raises(ValidationError, match="数据库中已有城市"):
        build(seed=99)
    with pytest.raises(CommandError, match="数据库中已有城市"):
        call_command("seed", "--scale", "city", "--fraction", "0.001", verbosity=0)
    assert Household.objects.count() == households
    assert AuditEntry.objects.filter(action="cityscale.seed").count() == 1


def test_the_command_loads_a_city_and_refuses_outside_demo_mode(capsys):
    with override_settings(DEMO_MODE=False), pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("seed", "--scale", "city", "--fraction", "0.001")
    assert not Place.objects.exists()
    with pytest.raises(CommandError):
        call_command("seed", "--scale", "city", "--fraction", "0")
    call_command("seed", "--scale", "city", "--fraction", "0.001")
    out = capsys.readouterr().out
    assert "registry.resident" in out
    assert Household.objects.count() == 1000
