"""A whole city for load tests: ``lianxin seed --scale city [--fraction F]`` (issue #11).

At fraction 1.0: 8,500 party organizations, 170,000 party members, 1,000,000 households (about
2.9 million residents), 20,000 goal items, twelve months of meetings with attendance, 1,000,000
requests and 200,000 public-evaluation ballots. ``fraction`` scales every count down in proportion.

Everything comes from ``random.Random`` streams derived from the seed (one per table and community),
so the same seed on the same day gives the same rows, in every database. What differs from run to run:
the AES-GCM nonces of the encrypted ID numbers (a fixed nonce would break the cipher; the plaintexts,
hashes and masked forms are identical), the load's timestamps and the keys of the users, which come
from the ordinary services.

The rows are not written through the services: that would take days. They are computed in Python
(primary keys assigned here, so materialized paths and ``place_path`` are known before a row is
written) and loaded with ``COPY … FROM STDIN`` on PostgreSQL and ``executemany`` in one transaction
on SQLite. The invariants the services keep are kept by construction: paths follow the tree,
``place_path`` is the place's path, ID numbers are valid GB 11643 numbers, unique, stored encrypted
with their keyed lookup hash and masked form, names carry their pinyin keys, case numbers follow the
year's counter, and one audit entry records the load with its counts. On PostgreSQL, when the
database role is a superuser, foreign-key triggers are skipped for the load's transaction (as
``pg_restore --disable-triggers`` does): the keys are computed here and checked by the test suite.
"""

import datetime as dt
import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterable

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, crypto, demo, idcard, pinyin, tree
from .access import Role
from .calendar import WorkingCalendar

# Counts at fraction 1.0 (issue #11).
FULL = {
    "organizations": 8_500,
    "party_members": 170_000,
    "households": 1_000_000,
    "goal_items": 20_000,
    "requests": 1_000_000,
    "ballots": 200_000,
}
DISTRICTS = 5
SUBDISTRICTS_PER_DISTRICT = 10
COMMUNITIES_PER_SUBDISTRICT = 5
COMMUNITIES = (
    DISTRICTS * SUBDISTRICTS_PER_DISTRICT * COMMUNITIES_PER_SUBDISTRICT
)  # 250, ~4,000 households each
GRIDS_PER_COMMUNITY = 8
MONTHS_OF_MEETINGS = 12
# Household sizes 1–6 and their weights: 2.91 people a household on average.
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (15, 25, 30, 18, 8, 4)
# Fictitious county codes of province 11 (Beijing has no counties 110191–110199).
ID_REGIONS = tuple(f"1101{n}" for n in range(91, 100))
SEQUENCES_PER_REGION = 499  # 3-digit sequence codes 001–998 of one sex
# Meetings every member of the organization attends (the committee meeting is for the committee).
ATTENDED_MEETINGS = ("general_meeting", "party_lecture", "organizational_life")
EVALUEES_PER_CYCLE = 4
UNUSED_CODE_SHARE = 0.1
ADMIN_LOGIN = "cityadmin"

DISTRICT_NAMES = (
    "连心区",
    "同心区",
    "齐心区",
    "安心区",
    "暖心区",
    "开心区",
    "顺心区",
    "放心区",
    "民心区",
    "初心区",
)
SUBDISTRICT_STEMS = (
    "东风", "朝阳", "和平", "光明", "团结", "友谊", "向阳", "红旗", "建设", "胜利",
    "新华", "人民", "解放", "幸福", "长江", "黄河", "滨河", "文化", "育才", "青年",
)  # fmt: skip
COMMUNITY_STEMS = (
    "春晖", "夏荷", "秋实", "冬青", "松柏", "翠竹", "梅园", "兰亭", "菊香", "桃源",
    "杏林", "梨花", "枫林", "柳岸", "桂苑", "槐荫", "榆树", "白杨", "紫藤", "丁香",
)  # fmt: skip
GOAL_PROJECTS = (
    ("老旧小区加装电梯", "完成加装电梯意见征集和方案公示"),
    ("楼道堆物清理", "辖区楼道堆物清零，建立长效巡查"),
    ("党员联系户全覆盖", "每名在职党员联系10户居民"),
    ("停车难治理", "新增临时停车位并规范收费"),
    ("困难群众帮扶", "低保、独居老人每月走访一次"),
    ("垃圾分类", "分类准确率达到90%"),
    ("社区食堂", "开办老年助餐点，覆盖80岁以上老人"),
    ("矛盾纠纷化解", "邻里纠纷调解成功率95%以上"),
)
REQUEST_TEXTS = (
    "楼道灯坏了，晚上上下楼看不清。",
    "小区门口垃圾堆放多日无人清运。",
    "楼上漏水，渗到我家卫生间顶棚。",
    "想咨询低保申请需要什么材料。",
    "电动车在楼道充电，存在安全隐患。",
    "小区路面坑洼，老人走路容易摔倒。",
    "邻居装修噪音太大，午休时间也在施工。",
    "希望社区增设老年助餐点。",
    "健身器材损坏，孩子玩耍有危险。",
    "物业费收支不公开，请社区督促。",
)
ANSWERS = ("已联系物业当日处理完毕。", "已协调相关部门并电话回复居民。", "已上门了解情况并解释相关政策。")


def scaled(count: int, fraction: float) -> int:
    """``count × fraction``, rounded half up, at least 1."""
    return max(1, int(count * fraction + 0.5))


def _split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` nearly equal shares (the first ones one larger)."""
    share, extra = divmod(total, parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


def existing_city():
    from lianxin.places.models import Place, PlaceKind

    return Place.objects.filter(parent__isnull=True, kind=PlaceKind.CITY).first()


# --- writing rows ------------------------------------------------------------------------------


class Loader:
    """Writes plain tuples with explicit primary keys: COPY on PostgreSQL, executemany on SQLite.

    Every concrete column not named gets its default (or ``constants``), prepared once."""

    def __init__(self, log: Callable[[str], None] | None = None):
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}
        self.log = log or (lambda text: None)
        self.models: list[type[models.Model]] = []

    def next_id(self, model) -> int:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.postgres:
                # Nobody else may take keys from this table until the load commits.
                cursor.execute(f"LOCK TABLE {quote(model._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                f"SELECT COALESCE(MAX({quote(model._meta.pk.column)}), 0) FROM {quote(model._meta.db_table)}"
            )
            return cursor.fetchone()[0] + 1

    def _constant(self, field, value):
        if self.postgres:
            if isinstance(field, models.JSONField):
                return json.dumps(value)
            return value
        return self._adapt(field, value)

    @staticmethod
    def _adapt(field, value):
        if value is None:
            return None
        ops = connection.ops
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value(value)
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value(value)
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        return value

    def load(self, model, columns: list[str], rows: Iterable[tuple], constants: dict | None = None) -> int:
        started = time.perf_counter()
        constants = constants or {}
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = (set(columns) | set(constants)) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        rest = [f for name, f in fields.items() if name not in columns and not f.primary_key]
        tail = tuple(
            self._constant(f, constants[f.attname] if f.attname in constants else f.get_default())
            for f in rest
        )
        names = [*(fields[c].column for c in columns), *(f.column for f in rest)]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row + tail)
                        count += 1
            else:
                adapters = [
                    (i, fields[c])
                    for i, c in enumerate(columns)
                    if isinstance(fields[c], models.DateField | models.JSONField)
                ]
                sql = (
                    f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) "
                    f"VALUES ({', '.join(['%s'] * len(names))})"
                )
                batch = []
                for row in rows:
                    if adapters:
                        row = list(row)
                        for i, field in adapters:
                            row[i] = self._adapt(field, row[i])
                        row = tuple(row)
                    batch.append(row + tail)
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.models.append(model)
        label = model._meta.label_lower
        self.counts[label] = self.counts.get(label, 0) + count
        elapsed = time.perf_counter() - started
        self.timings[label] = self.timings.get(label, 0.0) + elapsed
        self.log(f"{label}: {count:,} rows in {elapsed:.1f} s")
        return count

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(dict.fromkeys(self.models)))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


# --- the plan of places and organizations ------------------------------------------------------


class City:
    """Places and organizations with their keys and paths, computed before anything is written."""

    def __init__(self, seed: int, fraction: float, place_base: int, org_base: int):
        self.rng = random.Random(f"{seed}:places")
        self.places: list[tuple] = []  # (id, parent_id, path, kind, name, address)
        self.orgs: list[
            tuple
        ] = []  # (id, parent_id, path, kind, field, name, place_id, place_path, secretary, founded)
        self.communities: list[dict] = []
        self._place_id, self._org_id = place_base, org_base
        self.fraction = fraction
        households = scaled(FULL["households"], fraction)
        community_count = min(scaled(COMMUNITIES, fraction), households)
        sub_count = math.ceil(community_count / COMMUNITIES_PER_SUBDISTRICT)
        district_count = math.ceil(sub_count / SUBDISTRICTS_PER_DISTRICT)
        org_total = scaled(FULL["organizations"], fraction)
        self.city = self._place(None, "city", demo.CITY_NAME)
        per_community = _split(households, community_count)
        names = set()
        index = 0
        for d in range(district_count):
            district = self._place(
                self.city,
                "district",
                DISTRICT_NAMES[d % len(DISTRICT_NAMES)] + ("" if d < len(DISTRICT_NAMES) else str(d)),
            )
            d_org = self._org(None, "committee", "community", f"{district[4]}委", district, names)
            for s in range(min(SUBDISTRICTS_PER_DISTRICT, sub_count - d * SUBDISTRICTS_PER_DISTRICT)):
                stem = SUBDISTRICT_STEMS[s % len(SUBDISTRICT_STEMS)]
                sub = self._place(district, "subdistrict", f"{stem}街道", demo.street_address(self.rng))
                s_org = self._org(d_org, "committee", "community", f"{stem}街道党工委", sub, names)
                for c in range(min(COMMUNITIES_PER_SUBDISTRICT, community_count - index)):
                    cstem = COMMUNITY_STEMS[(s * COMMUNITIES_PER_SUBDISTRICT + c) % len(COMMUNITY_STEMS)]
                    community = self._place(
                        sub, "community", f"{cstem}社区", f"{district[4]}{cstem}路{c + 1}号"
                    )
                    c_org = self._org(s_org, "committee", "community", f"{cstem}社区党委", community, names)
                    self.communities.append(
                        {
                            "index": index,
                            "place": community,
                            "org": c_org,
                            "stem": cstem,
                            "households": per_community[index],
                            "grids": [],
                            "buildings": [],
                            "branches": [],
                            "groups": [],
                        }
                    )
                    index += 1
        fixed = len(self.orgs)
        shares = _split(max(0, org_total - fixed), community_count)
        for community, share in zip(self.communities, shares, strict=True):
            self._plan_community(community, share, names)

    def _place(self, parent, kind, name, address=""):
        pk = self._place_id
        self._place_id += 1
        path = tree.child_path(parent[2] if parent else "", pk)
        row = (pk, parent[0] if parent else None, path, kind, name, address)
        self.places.append(row)
        return row

    def _org(self, parent, kind, field, name, place, names):
        pk = self._org_id
        self._org_id += 1
        path = tree.child_path(parent[2] if parent else "", pk)
        while True:
            secretary = demo.person_name(self.rng, birth_year=self.rng.randint(1960, 1990))
            if secretary not in names:
                names.add(secretary)
                break
        founded = dt.date(self.rng.randint(1985, 2020), self.rng.randint(1, 12), self.rng.randint(1, 28))
        row = (
            pk,
            parent[0] if parent else None,
            path,
            kind,
            field,
            name,
            place[0],
            place[2],
            secretary,
            founded,
        )
        self.orgs.append(row)
        return row

    def _plan_community(self, community, org_share: int, names) -> None:
        rng = self.rng
        stem, place = community["stem"], community["place"]
        grid_households = _split(community["households"], GRIDS_PER_COMMUNITY)
        number = 0
        for g, households in enumerate(grid_households):
            grid = self._place(
                place, "grid", demo.GRID_NAMES[g] if g < len(demo.GRID_NAMES) else f"第{g + 1}网格"
            )
            buildings, capacity = [], 0
            compound = stem + demo.COMPOUND_SUFFIXES[g % len(demo.COMPOUND_SUFFIXES)]
            while capacity < households / demo.OCCUPANCY or not buildings:
                number += 1
                # Walk-ups (6 floors, 2 doors) and high-rises (18 floors, 4 doors) in a 2:1 mix.
                units, floors, doors = (
                    (rng.choice((1, 2, 3)), 6, 2) if rng.random() < 0.67 else (rng.choice((1, 2)), 18, 4)
                )
                row = self._place(grid, "building", f"{number}号楼", f"{place[5]}{compound}{number}号楼")
                buildings.append((row, units, floors, doors))
                capacity += units * floors * doors
            community["grids"].append((grid, buildings, households))
            community["buildings"] += [b[0] for b in buildings]
        branches = max(1, round(org_share * 0.25)) if org_share else 0
        fields = ("community", "retired", "mobile", "firm", "market")
        for b in range(branches):
            field = fields[b] if b < len(fields) else "community"
            name = {
                "community": f"{stem}社区第{b + 1}党支部",
                "retired": f"{stem}社区离退休党支部",
                "mobile": f"{stem}社区流动党员党支部",
                "firm": f"连心{stem}物业服务有限公司党支部",
                "market": f"{stem}农贸市场党支部",
            }[field]
            community["branches"].append(self._org(community["org"], "branch", field, name, place, names))
        groups = org_share - branches
        buildings = community["buildings"]
        for i in range(groups):
            building = buildings[i % len(buildings)]
            parent = community["branches"][i % branches]
            suffix = "" if i < len(buildings) else f"第{i // len(buildings) + 1}"
            community["groups"].append(
                self._org(parent, "group", "building", f"{building[4]}{suffix}党小组", building, names)
            )


# --- generating people -------------------------------------------------------------------------


class IdNumbers:
    """Unique, checksum-valid ID numbers: per birth date and sex the sequence codes are handed out in
    order, first in one fictitious county code, then the next."""

    def __init__(self):
        self.used: dict[int, int] = {}

    def issue(self, birth: dt.date, sex: str) -> str:
        key = birth.toordinal() * 2 + (sex == "M")
        n = self.used.get(key, 0)
        self.used[key] = n + 1
        region, seq = divmod(n, SEQUENCES_PER_REGION)
        if region >= len(ID_REGIONS):
            raise ValueError(f"more than {SEQUENCES_PER_REGION * len(ID_REGIONS)} people born on {birth}")
        code = 2 * seq + (1 if sex == "M" else 2)
        first17 = f"{ID_REGIONS[region]}{birth:%Y%m%d}{code:03d}"
        return first17 + idcard.check_char(first17)


def _birth(rng: random.Random, today_ordinal: int, min_age: float, max_age: float) -> dt.date:
    return dt.date.fromordinal(today_ordinal - int(rng.uniform(min_age, max_age) * 365.25))


def build_city(
    *,
    seed: int = demo.DEFAULT_SEED,
    fraction: float = 1.0,
    today: dt.date | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Write the city at ``fraction`` of full scale. Refuses when a city exists. Returns the counts."""
    if not 0 < fraction <= 1:
        raise ValidationError(_("The fraction must be greater than 0 and at most 1."))
    started = time.perf_counter()
    with transaction.atomic():
        city = existing_city()
        if city is not None:
            raise ValidationError(
                _(
                    "The database already holds a city (%(name)s); the city-scale data needs an empty database."
                )
                % {"name": city.name}
            )
        result = _build(seed=seed, fraction=fraction, today=today or timezone.localdate(), log=log)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _build(*, seed: int, fraction: float, today: dt.date, log) -> dict:
    from lianxin.accounts import services as accounts
    from lianxin.accounts.models import User
    from lianxin.appeals.models import CaseCounter, EventKind, Request, RequestCategory, RequestEvent
    from lianxin.branch.compliance import periods
    from lianxin.branch.models import Attendance, Meeting, MeetingType
    from lianxin.performance.models import (
        Ballot,
        BallotCode,
        BallotMark,
        EvaluationCycle,
        Evaluee,
        Goal,
        GoalItem,
    )
    from lianxin.places.models import PartyOrganization, Place
    from lianxin.registry.models import Household, PartyMember, Resident

    loader = Loader(log)
    if loader.postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
    now = timezone.now()
    today_ordinal = today.toordinal()

    # Places and organizations.
    city = City(seed, fraction, loader.next_id(Place), loader.next_id(PartyOrganization))
    loader.load(
        Place,
        ["id", "parent_id", "path", "depth", "kind", "name", "address", "created_at"],
        (
            (pk, parent, path, tree.depth_of(path), kind, name, address, now)
            for pk, parent, path, kind, name, address in city.places
        ),
    )
    loader.load(
        PartyOrganization,
        ["id", "parent_id", "path", "depth", "kind", "field", "name", "place_id", "place_path", "secretary_name", "founded_on"],
        ((pk, parent, path, tree.depth_of(path), kind, field, name, place, place_path, secretary, founded)
         for pk, parent, path, kind, field, name, place, place_path, secretary, founded in city.orgs),
    )  # fmt: skip

    # Users: an administrator, an officer per district, a secretary and a staff member per community.
    admin = accounts.user_create(
        actor=None,
        username=ADMIN_LOGIN,
        display_name="系统管理员",
        password=demo.DEMO_PASSWORD,
        is_system_admin=True,
    )
    password = make_password(demo.DEMO_PASSWORD)
    user_rng = random.Random(f"{seed}:users")
    places_by_id = {row[0]: row for row in city.places}
    staff_of: dict[int, int] = {}

    def person_user(login, role, place_id):
        user = accounts.user_create(
            actor=None,
            username=login,
            display_name=demo.person_name(user_rng),
            password=None,
            phone=demo.phone_number(user_rng),
        )
        User.objects.filter(pk=user.pk).update(password=password)
        accounts.role_grant(actor=None, user=user, role=role, place=Place.objects.get(pk=place_id))
        return user

    for n, row in enumerate((r for r in city.places if r[3] == "district"), start=1):
        person_user(f"cityqu{n}", Role.DISTRICT_OFFICER, row[0])
    for community in city.communities:
        n = community["index"] + 1
        person_user(f"cityshuji{n}", Role.COMMUNITY_SECRETARY, community["place"][0])
        staff_of[community["index"]] = person_user(f"citygongzuo{n}", Role.STAFF, community["place"][0]).pk

    # Households (pass 1): addresses and sizes; the head is the household's first resident.
    household_base, resident_base = loader.next_id(Household), loader.next_id(Resident)
    total_households = sum(c["households"] for c in city.communities)
    sizes = bytearray(total_households)
    household_building = array("l", bytes(8 * total_households))
    first_household = []

    def households():
        index, resident_id = 0, resident_base
        for community in city.communities:
            rng = random.Random(f"{seed}:households:{community['index']}")
            first_household.append(index)
            for _grid, buildings, count in community["grids"]:
                dwellings = [
                    (building, unit, f"{floor}{door:02d}")
                    for building, units, floors, doors in buildings
                    for unit in range(1, units + 1)
                    for floor in range(1, floors + 1)
                    for door in range(1, doors + 1)
                ]
                for position in sorted(rng.sample(range(len(dwellings)), count)):
                    building, unit, room = dwellings[position]
                    size = rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_WEIGHTS)[0]
                    sizes[index] = size
                    household_building[index] = building[0]
                    yield (
                        household_base + index,
                        building[0],
                        building[2],
                        str(unit),
                        room,
                        resident_id,
                        now,
                        now,
                    )
                    index += 1
                    resident_id += size
        first_household.append(index)

    loader.load(
        Household,
        ["id", "place_id", "place_path", "unit", "room", "head_id", "created_at", "updated_at"],
        households(),
    )

    # Residents (pass 2), and who among them is a party member.
    numbers = IdNumbers()
    pinyin_of: dict[str, tuple[str, str]] = {}
    members: list[tuple] = []  # (resident id, organization row, birth date)
    head_of = array("l", bytes(8 * total_households))
    resident_count = 0

    def residents():
        nonlocal resident_count
        resident_id = resident_base
        for community in city.communities:
            rng = random.Random(f"{seed}:residents:{community['index']}")
            first, last = first_household[community["index"]], first_household[community["index"] + 1]
            member_households = []
            branches = community["branches"] or [community["org"]]
            for index in range(first, last):
                building = places_by_id[household_building[index]]
                head_age = rng.uniform(24, 88)
                head_sex = rng.choice("MF")
                people = [("head", head_sex, head_age)]
                size = sizes[index]
                if size >= 2:
                    people.append(
                        ("spouse", "F" if head_sex == "M" else "M", max(20.0, head_age + rng.uniform(-5, 5)))
                    )
                for _i in range(min(size - 2, 3)):
                    people.append(("child", rng.choice("MF"), max(0.1, head_age - rng.uniform(22, 36))))
                for _i in range(size - 2 - min(size - 2, 3)):
                    people.append(("parent", rng.choice("MF"), min(99.0, head_age + rng.uniform(22, 30))))
                head_of[index] = resident_id
                for relationship, sex, age in people:
                    birth = _birth(rng, today_ordinal, age, age + 0.99)
                    name = demo.person_name(rng, sex=sex, birth_year=birth.year)
                    keys = pinyin_of.get(name)
                    if keys is None:
                        keys = pinyin_of[name] = pinyin.keys(name)
                    number = numbers.issue(birth, sex)
                    masked, _birth_date, _sex = idcard.facts(number)
                    adult = age >= 18
                    phone = (
                        demo.phone_number(rng)
                        if adult and (relationship == "head" or rng.random() < 0.5)
                        else ""
                    )
                    yield (
                        resident_id, building[0], building[2], household_base + index, relationship, name,
                        keys[0], keys[1], crypto.encrypt(number), crypto.lookup_hash(number), masked,
                        birth, sex, phone, now, now,
                    )  # fmt: skip
                    if adult and relationship in ("head", "spouse"):
                        member_households.append(resident_id)
                    resident_id += 1
                    resident_count += 1
            target = min(community["member_count"], len(member_households))
            chosen = sorted(rng.sample(member_households, target))
            for pk in chosen:
                members.append((pk, rng.choice(branches)))

    member_shares = _split(scaled(FULL["party_members"], fraction), len(city.communities))
    for community, share in zip(city.communities, member_shares, strict=True):
        community["member_count"] = share
    loader.load(
        Resident,
        ["id", "place_id", "place_path", "household_id", "relationship", "name", "name_pinyin", "name_initials",
         "id_number_enc", "id_number_hash", "id_number_masked", "birth_date", "sex", "phone", "created_at",
         "updated_at"],
        residents(),
    )  # fmt: skip

    # Party members: the chosen heads and spouses, in their community's branches.
    member_base = loader.next_id(PartyMember)
    member_rng = random.Random(f"{seed}:members")
    members_by_org: dict[int, list[int]] = {}
    kinds = ("employed", "without_post", "retired", "unemployed", "restructured", "mobile", "probationary")
    kind_weights = (40, 15, 30, 3, 2, 6, 4)

    def party_members():
        for offset, (resident_id, org) in enumerate(members):
            pk = member_base + offset
            kind = member_rng.choices(kinds, weights=kind_weights)[0]
            if kind == "probationary":
                joined = today - dt.timedelta(days=member_rng.randrange(30, 360))
                probation = joined + dt.timedelta(days=365)
            else:
                joined = today - dt.timedelta(days=member_rng.randrange(400, 365 * 40))
                probation = None
            destination = member_rng.choice(("深圳", "上海", "杭州", "广州")) if kind == "mobile" else ""
            members_by_org.setdefault(org[0], []).append(pk)
            yield (pk, resident_id, org[0], org[6], org[7], kind, joined, probation, destination, now, now)

    loader.load(
        PartyMember,
        ["id", "resident_id", "organization_id", "place_id", "place_path", "kind", "joined_on",
         "probation_ends_on", "mobile_destination", "created_at", "updated_at"],
        party_members(),
    )  # fmt: skip
    members.clear()

    # Twelve months of meetings, with attendance at the meetings every member attends.
    types = list(MeetingType.objects.filter(active=True).order_by("position", "id"))
    meeting_rng = random.Random(f"{seed}:meetings")
    start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for _month in range(MONTHS_OF_MEETINGS - 2):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    meeting_base = loader.next_id(Meeting)
    attended: list[tuple[int, int]] = []
    from lianxin.branch.demo import ABSENCE_REASONS as reasons
    from lianxin.branch.demo import TOPICS as topics

    def meetings():
        pk = meeting_base
        for org in city.orgs:
            diligent = meeting_rng.random() < 0.7
            for meeting_type in types:
                if org[3] not in meeting_type.org_kinds:
                    continue
                for year in range(start.year, today.year + 1):
                    for period in periods(year, meeting_type.period_months):
                        if period.end < start or period.start > today:
                            continue
                        if meeting_rng.random() > (0.95 if diligent else 0.6):
                            continue
                        first, last = max(period.start, start), min(period.end, today)
                        day = first + dt.timedelta(days=meeting_rng.randrange((last - first).days + 1))
                        at = timezone.make_aware(dt.datetime.combine(day, dt.time(17)))
                        if meeting_type.code in ATTENDED_MEETINGS and org[0] in members_by_org:
                            attended.append((pk, org[0]))
                        yield (
                            pk, org[0], org[6], org[7], meeting_type.pk, "held", meeting_rng.choice(topics), day,
                            "社区党员活动室", org[8], "会议按议程进行，与会党员充分讨论。", admin.pk, at, admin.pk, at,
                        )  # fmt: skip
                        pk += 1

    loader.load(
        Meeting,
        ["id", "organization_id", "place_id", "place_path", "meeting_type_id", "status", "topic", "held_on",
         "location", "chair", "minutes", "created_by_id", "created_at", "recorded_by_id", "recorded_at"],
        meetings(),
    )  # fmt: skip
    attendance_base = loader.next_id(Attendance)

    def attendance():
        pk = attendance_base
        for meeting_id, org_id in attended:
            for member_id in members_by_org[org_id]:
                present = meeting_rng.random() < 0.85
                yield (pk, meeting_id, member_id, present, "" if present else meeting_rng.choice(reasons))
                pk += 1

    loader.load(Attendance, ["id", "meeting_id", "member_id", "present", "absence_reason"], attendance())
    attended.clear()

    # Goals of the year for committees and branches, with the goal items.
    goal_rng = random.Random(f"{seed}:goals")
    leading = [org for org in city.orgs if org[3] in ("committee", "branch")]
    goal_base, item_base = loader.next_id(Goal), loader.next_id(GoalItem)
    item_count = scaled(FULL["goal_items"], fraction)
    goal_orgs = leading[: min(len(leading), item_count)]
    loader.load(
        Goal,
        ["id", "organization_id", "place_id", "place_path", "year", "title", "letter_signed_on",
         "letter_signed_by", "letter_issued_by", "created_by_id", "created_at"],
        ((goal_base + i, org[0], org[6], org[7], today.year, f"{org[5]}{today.year}年度目标",
          dt.date(today.year, 1, 15), org[8], "上级党组织", admin.pk, now) for i, org in enumerate(goal_orgs)),
    )  # fmt: skip

    def goal_items():
        pk = item_base
        for i, share in enumerate(_split(item_count, len(goal_orgs))):
            org = goal_orgs[i]
            for _n in range(share):
                project, target = goal_rng.choice(GOAL_PROJECTS)
                due = dt.date(today.year, goal_rng.randint(3, 12), 28)
                progress = goal_rng.choice((0, 20, 50, 80, 100))
                done = due - dt.timedelta(days=goal_rng.randrange(30)) if progress == 100 else None
                yield (
                    pk, goal_base + i, org[6], org[7], project, target, org[8], due, goal_rng.random() < 0.4,
                    progress, done,
                )  # fmt: skip
                pk += 1

    loader.load(
        GoalItem,
        ["id", "goal_id", "place_id", "place_path", "project", "target", "lead", "due_on", "practical",
         "progress", "completed_on"],
        goal_items(),
    )  # fmt: skip

    # Requests received over the last twelve months, with their intake event.
    categories = list(
        RequestCategory.objects.filter(active=True).order_by("sort", "code").values_list("pk", "due_days")
    )
    request_rng = random.Random(f"{seed}:requests")
    request_count = scaled(FULL["requests"], fraction)
    days = (today - start).days + 1
    received = sorted(start + dt.timedelta(days=request_rng.randrange(days)) for _i in range(request_count))
    serials = {}
    for year in sorted({day.year for day in received}):
        counter, _created = CaseCounter.objects.get_or_create(year=year)
        serials[year] = counter.last
    deadlines: dict[tuple[dt.date, int], object] = {}
    # Read the official calendar before the COPY starts: no other query may run on the connection
    # while it streams (lianxin.core.calendar.add_working_days reads it on every call).
    working = WorkingCalendar(range(start.year, today.year + 2))
    request_base, event_base = loader.next_id(Request), loader.next_id(RequestEvent)
    channels = ("desk", "phone", "box", "portal", "visit", "group_chat")
    communities = city.communities

    def requests():
        for offset, day in enumerate(received):
            pk = request_base + offset
            community = communities[request_rng.randrange(len(communities))]
            first, last = first_household[community["index"]], first_household[community["index"] + 1]
            index = request_rng.randrange(first, last)
            building = places_by_id[household_building[index]]
            category, due_days = categories[request_rng.randrange(len(categories))]
            deadline = deadlines.get((day, due_days))
            if deadline is None:
                deadline = deadlines[(day, due_days)] = working.add(day, due_days)
            serials[day.year] += 1
            serial = serials[day.year]
            created = timezone.make_aware(
                dt.datetime.combine(day, dt.time(8 + request_rng.randrange(10), request_rng.randrange(60)))
            )
            age = (today - day).days
            anonymous = request_rng.random() < 0.05
            staff = staff_of[community["index"]]
            if age > 20 or request_rng.random() < 0.5:
                answered = created + dt.timedelta(days=request_rng.randint(0, 6), hours=2)
                on_time = answered.date() <= deadline.due
                rating = request_rng.choices(("satisfied", "basically", "dissatisfied"), weights=(80, 15, 5))[
                    0
                ]
                closed = age > 20
                status = "closed" if closed else "answered"
                follow = answered.date() + dt.timedelta(days=3)
                tail = (answered, on_time, answered, request_rng.choice(ANSWERS), follow,
                        rating if closed else "", answered + dt.timedelta(days=3) if closed else None,
                        answered + dt.timedelta(days=3) if closed else None)  # fmt: skip
            else:
                status = request_rng.choice(("open", "in_progress"))
                tail = (None, None, None, "", None, "", None, None)
            # A request concerns the household's building, or the community as a whole.
            place = community["place"] if request_rng.random() < 0.3 else building
            yield (
                pk, place[0], place[2], day.year, serial, f"{day.year}-{serial:06d}", request_rng.choice(channels), category,
                REQUEST_TEXTS[request_rng.randrange(len(REQUEST_TEXTS))], anonymous,
                None if anonymous else head_of[index], None if anonymous else household_base + index,
                staff, staff, status, day, created, day, due_days, deadline.due, deadline.provisional, *tail,
            )  # fmt: skip

    loader.load(
        Request,
        ["id", "place_id", "place_path", "year", "serial", "number", "channel", "category_id", "description",
         "anonymous", "resident_id", "household_id", "owner_id", "handler_id", "status", "received_on",
         "created_at", "due_from", "due_days", "due_on", "due_provisional", "first_answered_at",
         "first_answer_on_time", "answered_at", "answer_summary", "follow_up_on", "rating", "rated_at",
         "closed_at"],
        requests(),
    )  # fmt: skip
    for year, last in serials.items():
        CaseCounter.objects.filter(year=year).update(last=last)
    loader.load(
        RequestEvent,
        ["id", "request_id", "kind", "actor_id", "at", "to_status", "channel"],
        (
            (event_base + i, request_base + i, EventKind.INTAKE, None, timezone.make_aware(dt.datetime.combine(day, dt.time(8))), "open", "")
            for i, day in enumerate(received)
        ),
    )  # fmt: skip
    received.clear()

    # Half-year evaluations: one cycle per community, its committee and first branches evaluated.
    ballot_rng = random.Random(f"{seed}:ballots")
    ballot_count = scaled(FULL["ballots"], fraction)
    half_year = today.year if today.month > 6 else today.year - 1
    half = 1 if today.month > 6 else 2
    cycle_base, evaluee_base = loader.next_id(EvaluationCycle), loader.next_id(Evaluee)
    code_base, ballot_base, mark_base = (
        loader.next_id(BallotCode),
        loader.next_id(Ballot),
        loader.next_id(BallotMark),
    )
    meeting_on = dt.date(half_year, 6 if half == 1 else 12, 20)
    evaluees = []
    for i, community in enumerate(communities):
        for position, org in enumerate([community["org"], *community["branches"]][:EVALUEES_PER_CYCLE]):
            evaluees.append((evaluee_base + len(evaluees), cycle_base + i, org[5], "", org[0], position))
    loader.load(
        EvaluationCycle,
        ["id", "place_id", "place_path", "year", "half", "title", "meeting_on", "status", "created_by_id", "created_at"],
        ((cycle_base + i, c["place"][0], c["place"][2], half_year, half,
          f"{c['place'][4]}{half_year}年{'上' if half == 1 else '下'}半年一会四评", meeting_on, "closed", admin.pk, now)
         for i, c in enumerate(communities)),
    )  # fmt: skip
    loader.load(Evaluee, ["id", "cycle_id", "name", "role", "organization_id", "position"], evaluees)
    evaluees_of: dict[int, list[int]] = {}
    for row in evaluees:
        evaluees_of.setdefault(row[1], []).append(row[0])
    ballot_shares = _split(ballot_count, len(communities))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes_seen: set[str] = set()
    code_plan = []  # (code id, cycle id, used)
    for i, share in enumerate(ballot_shares):
        issued = share + int(share * UNUSED_CODE_SHARE + 0.5)
        for n in range(issued):
            code_plan.append((cycle_base + i, n < share))

    def codes():
        for offset, (cycle_id, used) in enumerate(code_plan):
            while True:
                code = "".join(ballot_rng.choices(alphabet, k=20))
                if code not in codes_seen:
                    codes_seen.add(code)
                    break
            yield (code_base + offset, cycle_id, code, 1, "used" if used else "issued")

    loader.load(BallotCode, ["id", "cycle_id", "code", "batch", "status"], codes())
    codes_seen.clear()
    ballot_rows = [
        (code_base + offset, cycle_id) for offset, (cycle_id, used) in enumerate(code_plan) if used
    ]
    loader.load(
        Ballot,
        ["id", "cycle_id", "code_id", "channel", "cast_on"],
        (
            (
                ballot_base + i,
                cycle_id,
                code_id,
                "online" if ballot_rng.random() < 0.7 else "paper",
                meeting_on,
            )
            for i, (code_id, cycle_id) in enumerate(ballot_rows)
        ),
    )
    satisfaction = ("satisfied", "basically", "dissatisfied")

    def marks():
        pk = mark_base
        for i, (_code_id, cycle_id) in enumerate(ballot_rows):
            for evaluee_id in evaluees_of[cycle_id]:
                yield (
                    pk,
                    ballot_base + i,
                    evaluee_id,
                    ballot_rng.choices(satisfaction, weights=(75, 20, 5))[0],
                )
                pk += 1

    loader.load(BallotMark, ["id", "ballot_id", "evaluee_id", "rating"], marks())
    loader.reset_sequences()

    counts = {
        "fraction": fraction,
        "seed": seed,
        "places": len(city.places),
        "communities": len(communities),
        "buildings": sum(1 for row in city.places if row[3] == "building"),
        "organizations": len(city.orgs),
        "households": total_households,
        "residents": resident_count,
        "party_members": loader.counts["registry.partymember"],
        "meetings": loader.counts["branch.meeting"],
        "attendance": loader.counts["branch.attendance"],
        "goal_items": loader.counts["performance.goalitem"],
        "requests": request_count,
        "ballots": len(ballot_rows),
        "ballot_marks": loader.counts["performance.ballotmark"],
    }
    city_place = Place.objects.get(pk=city.city[0])
    audit.record(
        actor=admin, action="cityscale.seed", obj=city_place, after=counts, reason="city-scale demo data"
    )
    return {
        "counts": counts,
        "rows": loader.counts,
        "timings": {k: round(v, 1) for k, v in loader.timings.items()},
    }
