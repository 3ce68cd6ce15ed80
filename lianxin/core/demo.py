"""The demo city 连心市 and deterministic generators of realistic demo data (D1, D2).

Everything is derived from ``random.Random(seed)``: the same seed gives the same names, phone
numbers, addresses, places, organizations, ratings and users. ``plan_demo_city`` is pure (no
database); ``build_demo_city`` writes the plan through the services only, so every row is
validated and audited exactly as if an administrator had typed it in.

Later modules reuse the generators (``person_name``, ``person``, ``phone_number``) and
``household_addresses``, which hands out the same ~500 dwellings per community on every run.
"""

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts import services as accounts
from lianxin.accounts.models import RoleAssignment, User
from lianxin.places import services as places
from lianxin.places.models import OrgRating, PartyOrganization, Place, PlaceKind

from . import idcard, tree
from .access import Role

DEFAULT_SEED = 20261129
DEMO_PASSWORD = "lianxin-demo-2026"
CITY_NAME = "连心市"
DISTRICT_NAME = "连心区"
# A fictitious region code for demo identity numbers (province 11, an unused county code).
DEMO_ID_REGION = "110199"

# --- names -------------------------------------------------------------------------------

# The most common surnames with their approximate share (per cent) of the population.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.1), ("陈", 4.6), ("杨", 3.2), ("黄", 2.4),
    ("赵", 2.2), ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.4), ("马", 1.3), ("胡", 1.3),
    ("朱", 1.3), ("郭", 1.2), ("何", 1.2), ("高", 1.0), ("林", 1.0), ("罗", 1.0), ("郑", 0.8),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.65), ("唐", 0.65), ("许", 0.63), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.6), ("曹", 0.55), ("彭", 0.55), ("曾", 0.55), ("肖", 0.5), ("田", 0.45), ("董", 0.45),
    ("袁", 0.45), ("潘", 0.45), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.45), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.38), ("苏", 0.38), ("魏", 0.38), ("吕", 0.37), ("丁", 0.36), ("任", 0.35),
    ("沈", 0.35), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.3), ("廖", 0.3), ("贾", 0.3),
    ("夏", 0.27), ("韦", 0.27), ("付", 0.27), ("方", 0.26), ("白", 0.26), ("邹", 0.26), ("孟", 0.26),
    ("熊", 0.25), ("秦", 0.25), ("邱", 0.25), ("江", 0.25), ("尹", 0.25), ("薛", 0.23), ("闫", 0.23),
    ("段", 0.23), ("雷", 0.22), ("侯", 0.22), ("龙", 0.22), ("史", 0.2), ("陶", 0.2), ("黎", 0.2),
    ("贺", 0.2), ("顾", 0.2), ("毛", 0.2), ("郝", 0.2), ("龚", 0.2), ("邵", 0.2), ("万", 0.2),
    ("钱", 0.2), ("严", 0.2), ("武", 0.2), ("戴", 0.2), ("孔", 0.2), ("汤", 0.2), ("欧阳", 0.03),
    ("司马", 0.01),
)  # fmt: skip
_SURNAME_LIST = [name for name, _share in SURNAMES]
_SURNAME_WEIGHTS = [share for _name, share in SURNAMES]

# Given names by generation (people born before 1965, 1965–1989, from 1990) and sex:
# (one-character names, two-character names).
# fmt: off
GIVEN_NAMES: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("old", "M"): (
        ("军", "强", "刚", "明", "华", "平", "林", "忠", "福", "山", "文", "成"),
        ("建国", "建华", "国庆", "卫东", "志强", "德明", "振华", "保国", "永生", "福生", "长林", "树林", "占山", "国栋", "文华",
         "建设", "援朝", "继光", "学军", "红旗"),
    ),
    ("old", "F"): (
        ("英", "兰", "芳", "珍", "华", "琴", "梅", "红", "霞", "凤"),
        ("秀英", "桂英", "秀兰", "桂兰", "玉兰", "凤英", "玉珍", "淑珍", "秀珍", "桂芳", "淑华", "秀云", "玉梅", "桂珍", "凤兰",
         "素芬"),
    ),
    ("mid", "M"): (
        ("伟", "勇", "军", "磊", "涛", "斌", "杰", "强", "鹏", "辉", "超", "波", "刚", "峰"),
        ("海波", "志伟", "建军", "晓东", "红军", "海涛", "立新", "春雷", "永刚", "国强", "志刚", "文斌", "晓明", "建平", "卫国",
         "振宇"),
    ),
    ("mid", "F"): (
        ("丽", "敏", "静", "燕", "艳", "娟", "霞", "红", "萍", "莉", "洁", "颖"),
        ("丽娟", "晓燕", "海燕", "秀云", "春梅", "丽萍", "亚楠", "晓红", "雪梅", "丽华", "红霞", "晓丽", "美玲", "春燕", "慧敏",
         "月娥"),
    ),
    ("young", "M"): (
        ("浩", "宇", "轩", "博", "昊", "晨", "睿", "凯", "航", "帆", "阳", "哲"),
        ("浩然", "子轩", "宇航", "俊杰", "梓豪", "一鸣", "明轩", "天佑", "思远", "嘉豪", "雨泽", "博文", "皓轩", "铭泽", "子墨",
         "宇轩"),
    ),
    ("young", "F"): (
        ("婷", "欣", "琳", "悦", "萱", "瑶", "琪", "雪", "蕾", "璐", "彤", "妍"),
        ("欣怡", "梓涵", "子涵", "雨桐", "诗涵", "可馨", "思琪", "梦瑶", "佳怡", "语嫣", "若曦", "雨萱", "一诺", "紫涵", "嘉欣",
         "梓萱"),
    ),
}
# fmt: on


def _generation(birth_year: int | None) -> str:
    if birth_year is None:
        return "mid"
    if birth_year < 1965:
        return "old"
    return "mid" if birth_year < 1990 else "young"


def person_name(rng: random.Random, *, sex: str | None = None, birth_year: int | None = None) -> str:
    """A realistic name: a common surname (weighted by frequency) and a one- or two-character
    given name typical of the person's generation and sex."""
    surname = rng.choices(_SURNAME_LIST, weights=_SURNAME_WEIGHTS)[0]
    sex = sex or rng.choice("MF")
    single, double = GIVEN_NAMES[(_generation(birth_year), sex)]
    given = rng.choice(single) if rng.random() < 0.35 else rng.choice(double)
    return surname + given


# Demo numbers use the 144 prefix: the 14x range carries data-only and 13-digit IoT numbers, so
# an 11-digit 144 number reaches no one's handset. Demo sites must still never send real SMS.
DEMO_PHONE_PREFIX = "144"


def phone_number(rng: random.Random) -> str:
    """A fictitious 11-digit mobile number."""
    return f"{DEMO_PHONE_PREFIX}{rng.randrange(10**8):08d}"


ROADS = (
    "人民路", "解放路", "建设路", "中山路", "胜利路", "新华路", "文化路", "工农路", "跃进路",
    "育才路", "劳动路", "红旗路", "青年路", "北京路", "长江路", "黄河路", "滨河路", "东风路",
    "朝阳路", "光明路", "和平路", "幸福路", "团结路", "友谊路", "向阳路",
)  # fmt: skip


def street_address(rng: random.Random, *, road: str | None = None) -> str:
    """A street address such as 建设路128号."""
    return f"{road or rng.choice(ROADS)}{rng.randint(1, 299)}号"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    sex: str
    birth: dt.date
    id_number: str
    phone: str


def person(
    rng: random.Random, *, min_age: int = 18, max_age: int = 90, today: dt.date | None = None
) -> DemoPerson:
    """A fictitious adult with a name, sex, birth date, checksum-valid ID number and phone."""
    today = today or timezone.localdate()
    sex = rng.choice("MF")
    oldest = dt.date(today.year - max_age, 1, 1)
    youngest = dt.date(today.year - min_age, 1, 1)
    birth = oldest + dt.timedelta(days=rng.randrange((youngest - oldest).days))
    return DemoPerson(
        name=person_name(rng, sex=sex, birth_year=birth.year),
        sex=sex,
        birth=birth,
        id_number=idcard.generate(rng, region=DEMO_ID_REGION, birth=birth, sex=sex),
        phone=phone_number(rng),
    )


# --- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    subdistricts: tuple[tuple[str, tuple[str, ...]], ...]
    grids: tuple[int, int]  # fewest and most grids per community
    min_buildings_per_grid: int
    households_per_community: int
    groups: tuple[int, int]  # fewest and most building party groups per community


SCALES = {
    "demo": Scale(
        subdistricts=(
            ("东风街道", ("幸福社区", "和平社区", "光明社区")),
            ("朝阳街道", ("团结社区", "友谊社区", "向阳社区")),
        ),
        grids=(4, 6),
        min_buildings_per_grid=3,
        households_per_community=500,
        groups=(2, 4),
    ),
    "test": Scale(
        subdistricts=(("东风街道", ("幸福社区", "和平社区")),),
        grids=(2, 2),
        min_buildings_per_grid=2,
        households_per_community=24,
        groups=(1, 2),
    ),
}

# Share of the dwellings that households occupy: the rest are empty, sold or rented out.
OCCUPANCY = 0.85
GRID_NAMES = ("第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格")
COMPOUND_SUFFIXES = ("家园", "小区", "花园", "新村", "苑", "里")
ORDINALS = "一二三四五六七八九"

Key = tuple[str, ...]  # a place named by the chain of names from the city down


@dataclass
class BuildingPlan:
    number: int
    address: str
    units: int
    floors: int
    rooms_per_floor: int

    @property
    def name(self) -> str:
        return f"{self.number}号楼"

    @property
    def capacity(self) -> int:
        return self.units * self.floors * self.rooms_per_floor

    def dwellings(self) -> Iterator[tuple[int, str]]:
        """(unit, room) of every dwelling, e.g. (2, "301") for unit 2, floor 3, door 1."""
        for unit in range(1, self.units + 1):
            for floor in range(1, self.floors + 1):
                for door in range(1, self.rooms_per_floor + 1):
                    yield unit, f"{floor}{door:02d}"


@dataclass
class GridPlan:
    name: str
    buildings: list[BuildingPlan]


@dataclass
class OrgPlan:
    kind: str
    field: str
    name: str
    place: Key
    secretary_name: str
    founded_on: dt.date
    rating: int | None = None
    basis: str = ""
    upgrade_plan: str = ""
    children: list["OrgPlan"] = field(default_factory=list)

    def walk(self) -> Iterator["OrgPlan"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class UserPlan:
    login: str
    display_name: str
    phone: str
    role: str  # "" for the system administrator, who holds no place role
    place: Key


@dataclass
class CommunityPlan:
    name: str
    address: str
    grids: list[GridPlan]
    committee: OrgPlan

    @property
    def buildings(self) -> list[BuildingPlan]:
        return [b for grid in self.grids for b in grid.buildings]


@dataclass
class SubdistrictPlan:
    name: str
    address: str
    communities: list[CommunityPlan]
    committee: OrgPlan


@dataclass
class CityPlan:
    scale: str
    seed: int
    subdistricts: list[SubdistrictPlan]
    users: list[UserPlan]
    households_per_community: int

    @property
    def communities(self) -> list[CommunityPlan]:
        return [c for s in self.subdistricts for c in s.communities]

    def organizations(self) -> Iterator[OrgPlan]:
        for sub in self.subdistricts:
            yield from sub.committee.walk()
            for community in sub.communities:
                yield from community.committee.walk()


RATING_BASIS = {
    1: "对照支部标准化清单：班子健全，三会一课按时开展、记录规范，活动阵地达标，制度上墙，经费保障到位。",
    2: "班子基本健全；三会一课记录不够规范，党员参加活动比例偏低，为民服务项目不够具体。",
    3: "支委会配备不全，组织生活不经常，活动阵地和经费保障不足，群众评议满意度偏低。",
}
UPGRADE_PLANS = (
    "一、三个月内补齐支部委员；二、每月固定主题党日，规范三会一课记录；三、书记每季度向上级党组织报告整改进展。",
    "一、落实无职党员设岗定责，人人有岗位；二、开展一联一结对帮扶；三、半年内完成阵地标准化改造。",
    "一、建立党员联系户制度，每名党员联系10户居民；二、每季度公开承诺践诺情况；三、年底接受群众评议。",
    "一、调整充实支部班子，选好配强书记；二、落实活动经费和场所；三、上级党组织派员蹲点指导，限期达到二类以上。",
)
# Weights of class 1, 2 and 3: most organizations are sound, a few lag behind.
RATING_WEIGHTS = (0.55, 0.35, 0.10)


def _founded(rng: random.Random, first_year: int, last_year: int) -> dt.date:
    return dt.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def _plan_buildings(
    rng: random.Random, scale: Scale, grid_count: int, road: str, stem: str
) -> list[GridPlan]:
    """Old walk-up buildings (5–7 floors, two dwellings a floor) until the community can house
    its households at the usual occupancy."""
    needed = scale.households_per_community / OCCUPANCY
    layouts: list[tuple[int, int]] = []
    while (
        sum(u * f * 2 for u, f in layouts) < needed
        or len(layouts) < grid_count * scale.min_buildings_per_grid
    ):
        layouts.append((rng.choice((1, 2, 2, 3)), rng.choice((5, 6, 6, 7))))
    per_grid, extra = divmod(len(layouts), grid_count)
    grids, number = [], 0
    for index in range(grid_count):
        compound = stem + COMPOUND_SUFFIXES[index % len(COMPOUND_SUFFIXES)]
        door = rng.randint(1, 40) * 2 + index * 100
        buildings = []
        for _i in range(per_grid + (1 if index < extra else 0)):
            units, floors = layouts[number]
            number += 1
            buildings.append(
                BuildingPlan(
                    number=number,
                    address=f"{DISTRICT_NAME}{road}{door}号{compound}{number}号楼",
                    units=units,
                    floors=floors,
                    rooms_per_floor=2,
                )
            )
        grids.append(GridPlan(name=GRID_NAMES[index], buildings=buildings))
    return grids


def _plan_community(
    rng: random.Random, scale: Scale, key: Key, index: int, names: set[str]
) -> tuple[CommunityPlan, list[UserPlan]]:
    name = key[-1]
    stem = name.removesuffix("社区")
    road = f"{stem}路"
    grids = _plan_buildings(rng, scale, rng.randint(*scale.grids), road, stem)

    def someone(birth_year: int | None = None) -> str:
        while True:
            candidate = person_name(rng, birth_year=birth_year or rng.randint(1955, 1995))
            if candidate not in names:
                names.add(candidate)
                return candidate

    committee = OrgPlan("committee", "community", f"{name}党委", key, someone(), _founded(rng, 1985, 2005))
    branches = [
        OrgPlan("branch", "community", f"{name}第一党支部", key, someone(), _founded(rng, 1985, 2010)),
        OrgPlan("branch", "retired", f"{name}离退休党支部", key, someone(1950), _founded(rng, 1990, 2010)),
        OrgPlan("branch", "mobile", f"{name}流动党员党支部", key, someone(1985), _founded(rng, 2008, 2018)),
    ]
    if index % 3 == 0:
        branches.append(
            OrgPlan("branch", "market", f"{stem}农贸市场党支部", key, someone(), _founded(rng, 2005, 2015))
        )
    elif index % 3 == 1:
        # 两新组织: a private firm with its own branch, attached to the community it stands in.
        firm = f"连心{stem}物业服务有限公司党支部"
        branches.append(OrgPlan("branch", "firm", firm, key, someone(), _founded(rng, 2010, 2020)))
    for number in range(2, 2 + max(0, rng.randint(3, 5) - len(branches))):
        branches.append(
            OrgPlan(
                "branch",
                "community",
                f"{name}第{ORDINALS[number - 1]}党支部",
                key,
                someone(),
                _founded(rng, 1995, 2015),
            )
        )
    first_branch = branches[0]
    buildings = [(grid.name, b) for grid in grids for b in grid.buildings]
    chosen = sorted(rng.sample(buildings, rng.randint(*scale.groups)), key=lambda item: item[1].number)
    for grid_name, building in chosen:
        first_branch.children.append(
            OrgPlan(
                "group",
                "building",
                f"{building.name}党小组",
                (*key, grid_name, building.name),
                someone(),
                _founded(rng, 2005, 2020),
            )
        )
    committee.children = branches
    community = CommunityPlan(
        name=name, address=f"{DISTRICT_NAME}{road}{rng.randint(1, 99)}号", grids=grids, committee=committee
    )

    n = index + 1
    first_grid = (*key, grids[0].name)
    first_building = (*first_grid, grids[0].buildings[0].name)
    users = [
        UserPlan(f"shuji{n}", committee.secretary_name, phone_number(rng), Role.COMMUNITY_SECRETARY, key),
        UserPlan(f"weiyuan{n}", someone(), phone_number(rng), Role.COMMITTEE_MEMBER, key),
        UserPlan(f"gongzuo{n}", someone(rng.randint(1985, 1998)), phone_number(rng), Role.STAFF, key),
        UserPlan(
            f"wangge{n}", someone(rng.randint(1980, 1998)), phone_number(rng), Role.GRID_WORKER, first_grid
        ),
        UserPlan(f"xieli{n}", someone(rng.randint(1950, 1965)), phone_number(rng), Role.ASSISTANT, key),
        UserPlan(f"jiandu{n}", someone(rng.randint(1955, 1975)), phone_number(rng), Role.SUPERVISOR, key),
        UserPlan(f"dangyuan{n}", someone(), phone_number(rng), Role.PARTY_MEMBER, key),
        UserPlan(f"jumin{n}", someone(), phone_number(rng), Role.RESIDENT, first_building),
    ]
    return community, users


def _assign_ratings(rng: random.Random, orgs: list[OrgPlan]) -> None:
    """Class 1/2/3, mixed by weight, with every class present when there are three or more."""
    ratings = rng.choices((1, 2, 3), weights=RATING_WEIGHTS, k=len(orgs))
    if len(orgs) >= 3:
        for rating in (1, 2, 3):
            if rating not in ratings:
                # Overwrite a slot of the most frequent class so no other class disappears.
                common = Counter(ratings).most_common(1)[0][0]
                ratings[ratings.index(common)] = rating
    for org, rating in zip(orgs, ratings, strict=True):
        org.rating = rating
        org.basis = RATING_BASIS[rating]
        org.upgrade_plan = rng.choice(UPGRADE_PLANS) if rating != 1 else ""


def plan_demo_city(scale: str = "demo", seed: int = DEFAULT_SEED) -> CityPlan:
    """What the demo city consists of. Pure: the same arguments always give an equal plan."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    config = SCALES[scale]
    rng = random.Random(seed)
    names: set[str] = set()

    def officer(birth_from: int, birth_to: int) -> str:
        while True:
            candidate = person_name(rng, birth_year=rng.randint(birth_from, birth_to))
            if candidate not in names:
                names.add(candidate)
                return candidate

    district = (CITY_NAME, DISTRICT_NAME)
    users = [
        UserPlan("admin", "系统管理员", "", "", (CITY_NAME,)),
        UserPlan("qu", officer(1970, 1985), phone_number(rng), Role.DISTRICT_OFFICER, district),
    ]
    subdistricts, index = [], 0
    for sub_number, (sub_name, community_names) in enumerate(config.subdistricts, start=1):
        sub_key = (*district, sub_name)
        committee = OrgPlan(
            "committee",
            "community",
            f"{sub_name}党工委",
            sub_key,
            officer(1965, 1980),
            _founded(rng, 1980, 2000),
        )
        users.append(
            UserPlan(
                f"jiedao{sub_number}",
                officer(1970, 1990),
                phone_number(rng),
                Role.SUBDISTRICT_OFFICER,
                sub_key,
            )
        )
        communities = []
        for community_name in community_names:
            community, community_users = _plan_community(
                rng, config, (*sub_key, community_name), index, names
            )
            communities.append(community)
            users.extend(community_users)
            index += 1
        address = f"{DISTRICT_NAME}{street_address(rng)}"
        subdistricts.append(SubdistrictPlan(sub_name, address, communities, committee))
    plan = CityPlan(scale, seed, subdistricts, users, config.households_per_community)
    _assign_ratings(rng, [org for c in plan.communities for org in c.committee.walk() if org.kind != "group"])
    return plan


def plan_household_addresses(
    plan: CityPlan, per_community: int | None = None
) -> Iterator[tuple[Key, int, str]]:
    """(building key, unit, room) for ``per_community`` households in every community.

    The dwellings are drawn without replacement from each community's buildings with a
    generator seeded by the plan's seed and the community's name, so every call, in every
    database, hands out the same addresses in the same order.
    """
    count = plan.households_per_community if per_community is None else per_community
    for sub in plan.subdistricts:
        for community in sub.communities:
            dwellings = [
                (
                    (CITY_NAME, DISTRICT_NAME, sub.name, community.name, grid.name, b.name),
                    b.number,
                    unit,
                    room,
                )
                for grid in community.grids
                for b in grid.buildings
                for unit, room in b.dwellings()
            ]
            if count > len(dwellings):
                raise ValueError(f"{community.name} has room for {len(dwellings)} households, not {count}")
            rng = random.Random(f"{plan.seed}:{community.name}")
            chosen = sorted(rng.sample(range(len(dwellings)), count))
            for position in chosen:
                key, _number, unit, room = dwellings[position]
                yield key, unit, room


# --- writing the plan --------------------------------------------------------------------


def demo_city():
    """The demo city's place, or None when it has not been built."""
    return Place.objects.filter(parent__isnull=True, kind=PlaceKind.CITY, name=CITY_NAME).first()


def _upgrade_due(rating: int, today: dt.date) -> dt.date:
    # Lagging organizations get half a year to catch up, average ones a year.
    return today + dt.timedelta(days=183 if rating == 3 else 365)


@transaction.atomic
def build_demo_city(scale: str = "demo", seed: int = DEFAULT_SEED) -> dict:
    """Create the demo city through the services (every write validated and audited).

    Refuses when the demo city already exists. Returns counts and the demo logins.
    """
    if demo_city() is not None:
        raise ValidationError(_("The demo city already exists."))
    plan = plan_demo_city(scale, seed)
    today = timezone.localdate()

    admin_plan = plan.users[0]
    admin = accounts.user_create(
        actor=None,
        username=admin_plan.login,
        display_name=admin_plan.display_name,
        password=DEMO_PASSWORD,
        is_system_admin=True,
    )

    placed: dict[Key, Place] = {}

    def add(kind: str, key: Key, address: str = ""):
        placed[key] = places.place_create(
            actor=admin, kind=kind, name=key[-1], parent=placed.get(key[:-1]), address=address
        )

    add("city", (CITY_NAME,))
    add("district", (CITY_NAME, DISTRICT_NAME))
    for sub in plan.subdistricts:
        sub_key = (CITY_NAME, DISTRICT_NAME, sub.name)
        add("subdistrict", sub_key, sub.address)
        for community in sub.communities:
            community_key = (*sub_key, community.name)
            add("community", community_key, community.address)
            for grid in community.grids:
                add("grid", (*community_key, grid.name))
                for building in grid.buildings:
                    add("building", (*community_key, grid.name, building.name), building.address)

    # Hashing is deliberately slow: hash the shared demo password once, not once per account.
    demo_hash = make_password(DEMO_PASSWORD)
    users = {admin_plan.login: admin}
    for user_plan in plan.users[1:]:
        user = accounts.user_create(
            actor=admin,
            username=user_plan.login,
            display_name=user_plan.display_name,
            password=None,
            phone=user_plan.phone,
        )
        User.objects.filter(pk=user.pk).update(password=demo_hash)
        accounts.role_grant(actor=admin, user=user, role=user_plan.role, place=placed[user_plan.place])
        users[user_plan.login] = user

    def create_org(org_plan: OrgPlan, parent=None):
        org = places.org_create(
            actor=admin,
            kind=org_plan.kind,
            name=org_plan.name,
            place=placed[org_plan.place],
            parent=parent,
            field=org_plan.field,
            secretary_name=org_plan.secretary_name,
            founded_on=org_plan.founded_on,
        )
        for child in org_plan.children:
            create_org(child, org)
        return org

    created = {}
    for sub in plan.subdistricts:
        working_committee = create_org(sub.committee)
        for community in sub.communities:
            # A community party committee is led by its subdistrict's working committee (党工委).
            created[community.name] = create_org(community.committee, working_committee)

    # The rating of a community's organizations is the district's call (org_rate checks it).
    rater = users["qu"]
    for community in plan.communities:
        by_name = {org.name: org for org in PartyOrganization.objects.subtree(created[community.name])}
        for org_plan in community.committee.walk():
            if org_plan.rating is None:
                continue
            places.org_rate(
                actor=rater,
                org=by_name[org_plan.name],
                rating=org_plan.rating,
                basis=org_plan.basis,
                upgrade_plan=org_plan.upgrade_plan,
                upgrade_due=_upgrade_due(org_plan.rating, today) if org_plan.rating != 1 else None,
            )
    from lianxin.registry.demo import populate
    from lianxin.visits.demo import populate as populate_visits

    counts = populate(scale=scale, seed=seed, actor=admin)
    counts.update(populate_visits(scale=scale, seed=seed, actor=admin))
    from lianxin.appeals.demo import populate as populate_requests

    counts.update(populate_requests(scale=scale, seed=seed, actor=admin))
    from lianxin.branch.demo import populate as populate_branch

    counts.update({f"branch_{k}": v for k, v in populate_branch(scale=scale, seed=seed, actor=admin).items()})
    from importlib import import_module

    from lianxin.modules import MODULES

    for module in MODULES:
        made = import_module(f"lianxin.{module}.demo").populate(scale=scale, seed=seed, actor=admin)
        counts.update({f"{module}_{k}": v for k, v in made.items()})
    return {**summary(plan), **counts}


def summary(plan: CityPlan | None = None) -> dict:
    """Counts of what the demo city holds, and its logins (read from the database)."""
    city = demo_city()
    if city is None:
        return {}
    place_counts = Counter(Place.objects.subtree(city).values_list("kind", flat=True))
    orgs = PartyOrganization.objects.filter(tree.under_q("place_path", [city.path]))
    logins = demo_logins()
    result = {
        "city": city.name,
        "places": dict(place_counts),
        "organizations": dict(Counter(orgs.values_list("kind", flat=True))),
        "ratings": dict(Counter(OrgRating.objects.under(city.path).values_list("rating", flat=True))),
        "users": len(logins),
        "logins": logins,
        "password": DEMO_PASSWORD,
    }
    if plan is not None:
        result.update(
            scale=plan.scale, seed=plan.seed, households_per_community=plan.households_per_community
        )
    return result


_LOGIN = re.compile(r"^(admin|qu\d*|(jiedao|shuji|weiyuan|gongzuo|wangge|xieli|jiandu|dangyuan|jumin)\d+)$")


def demo_logins() -> list[tuple[str, str, str]]:
    """(login, role, place) of the demo users, officers first and then community by community."""
    city = demo_city()
    if city is None:
        return []
    rows = []
    admin = User.objects.filter(username="admin", is_superuser=True).first()
    if admin is not None:
        rows.append(((0, "", -1, ""), (admin.username, _("System administrator"), city.name)))
    assignments = (
        RoleAssignment.objects.filter(ended_at__isnull=True, place__path__startswith=city.path)
        .select_related("user", "place")
        .order_by("place__path", "user__username")
    )
    officers = {Role.DISTRICT_OFFICER, Role.SUBDISTRICT_OFFICER}
    names = dict(Place.objects.subtree(city).values_list("pk", "name"))
    community_depth = 4
    for assignment in assignments:
        if not _LOGIN.match(assignment.user.username):
            continue
        # Community-level roles sort by their community (the first four path segments).
        path = (
            assignment.place.path
            if assignment.role in officers
            else assignment.place.path[: community_depth * tree.SEGMENT]
        )
        key = (
            1 if assignment.role in officers else 2,
            path,
            Role.values.index(assignment.role),
            assignment.user.username,
        )
        # A grid or building is named with its community: every community has a 第一网格.
        pks = tree.pks_of(assignment.place.path)[community_depth - 1 :] or [assignment.place.pk]
        place_name = " ".join(names[pk] for pk in pks)
        rows.append((key, (assignment.user.username, str(Role(assignment.role).label), place_name)))
    return [row for _key, row in sorted(rows)]


def household_addresses(
    *, scale: str = "demo", seed: int = DEFAULT_SEED, per_community: int | None = None
) -> Iterator[tuple[Place, int, str]]:
    """(building, unit, room) for the demo households: ~500 per community at scale "demo"
    (about 3,000 in all), the same on every run. The demo city must have been built with the
    same scale and seed."""
    city = demo_city()
    if city is None:
        raise ValueError("the demo city has not been built")
    buildings = {}
    for building in (
        Place.objects.subtree(city)
        .filter(kind=PlaceKind.BUILDING)
        .select_related("parent__parent__parent__parent__parent")
    ):
        key, node = [], building
        while node is not None:
            key.append(node.name)
            node = node.parent
        buildings[tuple(reversed(key))] = building
    for key, unit, room in plan_household_addresses(plan_demo_city(scale, seed), per_community):
        if key not in buildings:
            raise ValueError(
                f"building {'/'.join(key)} is missing: was the demo city built at scale {scale!r}?"
            )
        yield buildings[key], unit, room
