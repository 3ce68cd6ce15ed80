"""Demo households, residents, difficulties and party members for the demo city (D2).

Deterministic from the seed. Written with bulk inserts (3,000 households, ~7,500 residents) using the
same validation helpers as the services — the ID numbers are generated valid, encrypted, hashed and
masked exactly as ``services.resident_create`` does — and recorded as one audit entry.
"""

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction

from lianxin.core import audit, crypto, demo, idcard
from lianxin.places.models import OrgField, OrgKind, PartyOrganization, Place

from .models import (
    Difficulty,
    DifficultyTag,
    Household,
    MemberKind,
    PartyMember,
    Relationship,
    Resident,
)
from .services import id_lookup_hash, pinyin_keys

# Ages are computed against a fixed date so every run gives the same people.
REFERENCE_DAY = dt.date(2026, 1, 1)
MEMBERS_PER_COMMUNITY = {"demo": 100, "test": 8}
HOUSEHOLD_SIZES = ((1, 0.18), (2, 0.34), (3, 0.30), (4, 0.18))
MEMBER_KINDS = (
    (MemberKind.RETIRED, 0.35),
    (MemberKind.EMPLOYED, 0.20),
    (MemberKind.WITHOUT_POST, 0.12),
    (MemberKind.FROM_RESTRUCTURED_FIRM, 0.10),
    (MemberKind.MOBILE, 0.10),
    (MemberKind.UNEMPLOYED, 0.05),
    (MemberKind.PROBATIONARY, 0.08),
)
CAUSES = {
    Difficulty.ELDERLY: "年逾八旬，子女在外地工作",
    Difficulty.INFIRM: "长期体弱，生活需要照料",
    Difficulty.ILL: "患慢性病，长期服药",
    Difficulty.DISABLED: "肢体残疾，行动不便",
    Difficulty.DISASTER: "住房受暴雨损毁",
    Difficulty.ALONE: "独居，无子女照顾",
    Difficulty.WIDOWED: "配偶去世多年",
    Difficulty.LOW_INCOME: "家庭人均收入低于当地低保标准",
    Difficulty.UNEMPLOYED: "原企业关闭后失业",
}
DESTINATIONS = ("深圳市南山区", "上海市浦东新区", "北京市海淀区", "广州市天河区", "杭州市西湖区")


def _weighted(rng, pairs):
    return rng.choices([v for v, _w in pairs], [w for _v, w in pairs])[0]


def _resident(
    rng, used: set[str], household: Household, relationship: str, *, min_age: int, max_age: int
) -> Resident:
    while True:
        p = demo.person(rng, min_age=min_age, max_age=max_age, today=REFERENCE_DAY)
        if p.id_number not in used:
            used.add(p.id_number)
            break
    pinyin, initials = pinyin_keys(p.name)
    return Resident(
        household=household,
        place_id=household.place_id,
        place_path=household.place_path,
        relationship=relationship,
        name=p.name,
        name_pinyin=pinyin,
        name_initials=initials,
        id_number_enc=crypto.encrypt(p.id_number),
        id_number_hash=id_lookup_hash(p.id_number),
        id_number_masked=idcard.mask(p.id_number),
        birth_date=p.birth,
        sex=p.sex,
        phone=p.phone if relationship == Relationship.HEAD or rng.random() < 0.5 else "",
    )


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    """Fill the demo city's buildings with households, residents and party members."""
    rng = random.Random(seed + 2)
    households = [
        Household(place=building, place_path=building.path, unit=str(unit), room=room)
        for building, unit, room in demo.household_addresses(scale=scale, seed=seed)
    ]
    Household.objects.bulk_create(households, batch_size=1000)
    households = list(Household.objects.select_related("place").order_by("place_path", "unit", "room"))

    used: set[str] = set()
    residents: list[Resident] = []
    heads: dict[int, Resident] = {}
    for household in households:
        size = _weighted(rng, HOUSEHOLD_SIZES)
        head = _resident(rng, used, household, Relationship.HEAD, min_age=28, max_age=88)
        heads[household.pk] = head
        residents.append(head)
        if size >= 2:
            residents.append(_resident(rng, used, household, Relationship.SPOUSE, min_age=28, max_age=88))
        for _ in range(size - 2):
            relationship = rng.choice(
                [Relationship.CHILD, Relationship.CHILD, Relationship.PARENT, Relationship.GRANDCHILD]
            )
            ages = {Relationship.PARENT: (70, 95), Relationship.GRANDCHILD: (1, 16)}.get(
                relationship, (3, 30)
            )
            residents.append(_resident(rng, used, household, relationship, min_age=ages[0], max_age=ages[1]))
    Resident.objects.bulk_create(residents, batch_size=1000)
    by_hash = dict(Resident.objects.values_list("id_number_hash", "pk"))
    for household in households:
        household.head_id = by_hash[heads[household.pk].id_number_hash]
    Household.objects.bulk_update(households, ["head"], batch_size=1000)

    tags = []
    for household in households:
        if rng.random() < 0.12:
            for kind in rng.sample(list(Difficulty.values), rng.choice((1, 1, 2))):
                since = REFERENCE_DAY - dt.timedelta(days=rng.randrange(60, 3650))
                tags.append(
                    DifficultyTag(
                        household=household,
                        place_id=household.place_id,
                        place_path=household.place_path,
                        kind=kind,
                        cause=CAUSES[kind],
                        since=since,
                    )
                )
    DifficultyTag.objects.bulk_create(tags, batch_size=1000)

    members = _members(rng, scale)
    PartyMember.objects.bulk_create(members, batch_size=1000)
    counts = {
        "households": len(households),
        "residents": len(residents),
        "difficulties": len(tags),
        "party_members": len(members),
    }
    audit.record(actor=actor, action="registry.seed", after=counts, reason="demo data")
    return counts


def _members(rng, scale: str) -> list[PartyMember]:
    branches_by_community: dict[int, dict[str, PartyOrganization]] = defaultdict(dict)
    for org in PartyOrganization.objects.filter(kind=OrgKind.BRANCH).select_related("place"):
        branches_by_community[org.place_id].setdefault(org.field, org)
    adults_by_community: dict[int, list[Resident]] = defaultdict(list)
    communities = {p.path: p.pk for p in Place.objects.filter(kind="community")}
    cutoff = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - 20)
    for resident in Resident.objects.filter(birth_date__lte=cutoff).order_by("pk"):
        community_path = next(path for path in communities if resident.place_path.startswith(path))
        adults_by_community[communities[community_path]].append(resident)
    members = []
    for community_id, adults in sorted(adults_by_community.items()):
        branches = branches_by_community[community_id]
        general = branches.get(OrgField.COMMUNITY) or next(iter(branches.values()))
        for resident in rng.sample(adults, min(MEMBERS_PER_COMMUNITY.get(scale, 8), len(adults))):
            kind = _weighted(rng, MEMBER_KINDS)
            org = {
                MemberKind.RETIRED: branches.get(OrgField.RETIRED),
                MemberKind.MOBILE: branches.get(OrgField.MOBILE),
            }.get(kind) or general
            joined = max(resident.birth_date + dt.timedelta(days=22 * 365), dt.date(1960, 7, 1))
            joined = min(joined + dt.timedelta(days=rng.randrange(0, 3650)), REFERENCE_DAY)
            if kind == MemberKind.PROBATIONARY:
                joined = REFERENCE_DAY - dt.timedelta(days=rng.randrange(30, 300))
            members.append(
                PartyMember(
                    resident=resident,
                    organization=org,
                    place_id=org.place_id,
                    place_path=org.place_path,
                    kind=kind,
                    joined_on=joined,
                    probation_ends_on=joined.replace(year=joined.year + 1)
                    if kind == MemberKind.PROBATIONARY
                    else None,
                    mobile_destination=rng.choice(DESTINATIONS) if kind == MemberKind.MOBILE else "",
                    mobile_contact=resident.phone if kind == MemberKind.MOBILE else "",
                )
            )
    return members
