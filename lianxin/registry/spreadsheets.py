"""Spreadsheet import and export of the registry (D2, issue 3 items 7 and 8).

Two import kinds:
  * ``households`` — one row per resident: 楼栋/单元/房号/姓名/身份证号/与户主关系/联系电话/困难类型/
    困难原因/困难起始日期 (and optionally 社区 to tell apart buildings of the same name). Rows at the
    same building/unit/room form one household; difficulty tags belong to the household.
  * ``members`` — one row per party member: 姓名/身份证号/所在党组织/党员类别/入党日期/转正日期/
    流动去向/外出联系方式/接收党组织. A member who is not yet a resident is registered as a resident
    at the organization's place.

``run_import(actor=, kind=, data=, fmt=, write=)`` validates EVERY row (with write=False, the dry run)
and returns a report: each problem with sheet, row number as Excel shows it, the column header as
written in the file, a code and a Chinese message; the rows that match an existing person by ID
number (through the keyed hash ``services.id_lookup_hash``) are updates and are listed with the
fields that change. With write=True the same pass also writes — the caller holds ONE transaction
(lianxin.imports.services.import_commit) and rolls it back when the report has any problem, so an
import is all-or-nothing. Re-importing a file finds every person, household and tag already there:
nothing new is created.

Writes use bulk_create/bulk_update for speed (170,000 rows), with exactly the validation and the
encryption of lianxin.registry.services: ``idcard.validate``, ``services.pinyin_keys``,
``services.id_lookup_hash``, ``crypto.encrypt``, ``idcard.mask/birth_date/sex``, the services' phone
and member rules. They write no per-row audit entries: the import service writes ONE audit entry per
import (counts, file hash, job id).

Scope: a household's building must lie where the actor may MANAGE_PEOPLE and IMPORT_PEOPLE; building
and organization names are resolved only among those in the actor's scope, so a name from another
community reads as unknown. A member's organization must lie where the actor may MANAGE_MEMBERS and
IMPORT_PEOPLE. An existing person outside the actor's scope is reported, never touched.

Exports (``residents_workbook``, ``members_workbook``) take a queryset the caller already scoped and
write masked ID numbers only, every cell as text.
"""

import datetime as dt
import hashlib
import marshal
import zlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, bulk, crypto, idcard
from lianxin.core import spreadsheets as sheets
from lianxin.core.access import Action
from lianxin.places.models import PartyOrganization, Place, PlaceKind

from . import services
from .models import Difficulty, DifficultyTag, Household, MemberKind, PartyMember, Relationship, Resident

CHUNK = 2000
DATE_CACHE = 50_000
_UNPARSED = object()
MAX_PROBLEMS = 10_000
MAX_CHANGES = 2_000

HOUSEHOLD_COLUMNS = {
    "community": ["社区", "所属社区"],
    "building": ["楼栋", "楼号", "楼栋号", "楼宇", "楼"],
    "unit": ["单元", "单元号"],
    "room": ["房号", "房间号", "门牌号", "室号", "户号"],
    "name": ["姓名"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "身份证"],
    "relationship": ["与户主关系", "关系"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码"],
    "difficulty": ["困难类型", "困难"],
    "cause": ["困难原因", "原因"],
    "since": ["困难起始日期", "困难开始日期"],
}
HOUSEHOLD_REQUIRED = ["building", "room", "name", "id_number"]
HOUSEHOLD_TEMPLATE = [
    "楼栋",
    "单元",
    "房号",
    "姓名",
    "身份证号",
    "与户主关系",
    "联系电话",
    "困难类型",
    "困难原因",
]

MEMBER_COLUMNS = {
    "name": ["姓名"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "身份证"],
    "organization": ["所在党组织", "党组织", "所在支部", "支部"],
    "kind": ["党员类别", "类别", "党员类型"],
    "joined_on": ["入党日期", "入党时间"],
    "probation_ends_on": ["转正日期", "转正时间"],
    "mobile_destination": ["流动去向", "去向"],
    "mobile_contact": ["外出联系方式", "流动联系方式", "联系方式"],
    "receiving_organization_name": ["接收党组织", "接收组织"],
}
MEMBER_REQUIRED = ["name", "id_number", "organization", "kind", "joined_on"]
MEMBER_TEMPLATE = [
    "姓名",
    "身份证号",
    "所在党组织",
    "党员类别",
    "入党日期",
    "转正日期",
    "流动去向",
    "外出联系方式",
    "接收党组织",
]

RELATIONSHIPS = {
    "户主": Relationship.HEAD,
    "本人": Relationship.HEAD,
    "配偶": Relationship.SPOUSE,
    "妻": Relationship.SPOUSE,
    "妻子": Relationship.SPOUSE,
    "夫": Relationship.SPOUSE,
    "丈夫": Relationship.SPOUSE,
    "子女": Relationship.CHILD,
    "子": Relationship.CHILD,
    "女": Relationship.CHILD,
    "儿子": Relationship.CHILD,
    "女儿": Relationship.CHILD,
    "长子": Relationship.CHILD,
    "长女": Relationship.CHILD,
    "次子": Relationship.CHILD,
    "次女": Relationship.CHILD,
    "父母": Relationship.PARENT,
    "父亲": Relationship.PARENT,
    "母亲": Relationship.PARENT,
    "孙子女": Relationship.GRANDCHILD,
    "孙子": Relationship.GRANDCHILD,
    "孙女": Relationship.GRANDCHILD,
    "外孙子女": Relationship.GRANDCHILD,
    "兄弟姐妹": Relationship.SIBLING,
    "兄弟": Relationship.SIBLING,
    "姐妹": Relationship.SIBLING,
    "其他": Relationship.OTHER,
}
DIFFICULTIES = {
    "老": Difficulty.ELDERLY,
    "弱": Difficulty.INFIRM,
    "病": Difficulty.ILL,
    "残": Difficulty.DISABLED,
    "灾": Difficulty.DISASTER,
    "孤": Difficulty.ALONE,
    "寡": Difficulty.WIDOWED,
    "低保": Difficulty.LOW_INCOME,
    "下岗失业": Difficulty.UNEMPLOYED,
    "下岗": Difficulty.UNEMPLOYED,
    "失业": Difficulty.UNEMPLOYED,
}
MEMBER_KINDS = {
    "在职": MemberKind.EMPLOYED,
    "无职": MemberKind.WITHOUT_POST,
    "离退休": MemberKind.RETIRED,
    "退休": MemberKind.RETIRED,
    "离休": MemberKind.RETIRED,
    "下岗失业": MemberKind.UNEMPLOYED,
    "改制企业转入": MemberKind.FROM_RESTRUCTURED_FIRM,
    "流动": MemberKind.MOBILE,
    "预备": MemberKind.PROBATIONARY,
}
KIND_LABELS = {v: k for k, v in reversed(MEMBER_KINDS.items())}
RELATIONSHIP_LABELS = {v: k for k, v in reversed(RELATIONSHIPS.items())}


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    kind: str
    sheet: str = ""
    header_row: int | None = None
    rows: int = 0
    problems: list[dict] = field(default_factory=list)
    problem_count: int = 0
    changes: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    # "Today" once per import: asking the clock for every date cell is measurable at 170,000 rows.
    today: dt.date = field(default_factory=timezone.localdate)
    dates: dict = field(default_factory=dict)  # written date → date or CellError (_Row.date)
    births: dict = field(default_factory=dict)  # YYYYMMDD of an ID number → plausible birth date?
    lookup: object = None  # crypto.lookup_hasher(), made once per import

    def problem(self, row: int | None, key: str | None, code: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            column = self.labels.get(key, "") if key else ""
            self.problems.append(
                {"sheet": self.sheet, "row": row, "column": column, "code": code, "message": str(message)}
            )

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def change(self, row: int, name: str, masked: str, fields: list[str]) -> None:
        self.count("changes")
        if len(self.changes) < MAX_CHANGES:
            self.changes.append({"row": row, "name": name, "id_number": masked, "fields": fields})

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "rows": self.rows,
            "counts": self.counts,
            "problem_count": self.problem_count,
            "problems": self.problems,
            "problems_truncated": self.problem_count > len(self.problems),
            "changes": self.changes,
            "changes_truncated": self.counts.get("changes", 0) > len(self.changes),
        }


class RowErrors(Exception):
    pass


_CHECK_CHARS = frozenset("0123456789X")


def _plausible_birth(number: str, today: dt.date) -> bool:
    """The birth date digits of a number are a real date between idcard.EARLIEST_BIRTH and today."""
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return idcard.EARLIEST_BIRTH <= birth <= today


def _lookup_hash(report: Report, number: str) -> str:
    """crypto.lookup_hash(number), the key read once per import."""
    if report.lookup is None:
        report.lookup = crypto.lookup_hasher()
    return report.lookup(number)


def _digest(number_hash: str) -> bytes:
    # 128 bits of the keyed hash are plenty to spot duplicates in one file, at half the memory.
    return bytes.fromhex(number_hash[:32])


def _open(report: Report, data: bytes, fmt: str, columns: dict, required: list[str]):
    """(row iterator, field key → position), or (None, {}) after reporting why the file is unusable."""
    table = sheets.find_table(data, fmt, columns)
    if table.header is None:
        report.problem(
            None,
            None,
            "no_header",
            _(
                "No header row was found. The first rows must include the column names, for example: %(names)s."
            )
            % {"names": "、".join(columns[k][0] for k in required)},
        )
        return None, {}
    header = table.header
    report.sheet, report.header_row = header.sheet, header.row
    report.labels = {key: columns[key][0] for key in columns} | header.labels
    missing = [key for key in required if key not in header.columns]
    for key in missing:
        report.problem(
            header.row,
            key,
            "missing_column",
            _("The column %(name)s is missing.") % {"name": columns[key][0]},
        )
    if missing:
        return None, {}
    return table.rows, header.columns


class _Row:
    """Cell access for one data row that collects problems instead of stopping at the first."""

    __slots__ = ("cells", "columns", "errors", "number", "report")

    def __init__(self, report: Report, columns: dict[str, int], number: int, cells: list):
        self.report, self.columns, self.number, self.cells = report, columns, number, cells
        self.errors = 0

    def raw(self, key):
        position = self.columns.get(key)
        if position is None or position >= len(self.cells):
            return None
        return self.cells[position]

    def error(self, key, code, message) -> None:
        self.errors += 1
        self.report.problem(self.number, key, code, message)

    def text(self, key, *, required=False) -> str:
        value = sheets.cell_text(self.raw(key))
        if required and not value:
            self.error(key, "required", _("This cell must not be empty."))
        return value

    def date(self, key, *, required=False) -> dt.date | None:
        raw = self.raw(key)
        # The same few thousand dates come back row after row: parse each written form once.
        cache = self.report.dates
        value = cache.get(raw, _UNPARSED) if type(raw) is str else _UNPARSED
        if value is _UNPARSED:
            try:
                value = sheets.cell_date(raw)
            except sheets.CellError as exc:
                value = exc
            if type(raw) is str and len(cache) < DATE_CACHE:
                cache[raw] = value
        if isinstance(value, sheets.CellError):
            self.error(key, value.code, value.message)
            return None
        if value is None and required:
            self.error(key, "required", _("This cell must not be empty."))
        elif value is not None and value > self.report.today:
            self.error(key, "future_date", _("The date cannot be in the future."))
        return value

    def id_number(self, key="id_number") -> tuple[str, str] | None:
        """(number, lookup hash) or None after recording the problem."""
        raw = self.raw(key)
        if type(raw) is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
            # The common cell, checked in line: exactly what cell_id_number + idcard.validate accept
            # for 18 ASCII letters and digits (no blanks, no full-width forms, no 'e' mantissa),
            # hashed like crypto.lookup_hash. Anything they would refuse goes the full way below,
            # which words the problem.
            number = raw.upper()
            if number[:17].isdigit() and number[17] in _CHECK_CHARS and number[:2] in idcard.PROVINCE_CODES:
                report = self.report
                plausible = report.births.get(number[6:14])
                if plausible is None:
                    plausible = report.births[number[6:14]] = _plausible_birth(number, report.today)
                if plausible and idcard.check_char(number[:17]) == number[17]:
                    return number, _lookup_hash(report, number)
        if raw is None or raw == "" or (type(raw) is str and not raw.strip()):
            self.error(key, "required", _("This cell must not be empty."))
            return None
        try:
            number = idcard.validate(sheets.cell_id_number(raw), today=self.report.today)
        except sheets.CellError as exc:
            self.error(key, exc.code, exc.message)
            return None
        except ValidationError as exc:
            self.error(key, exc.error_list[0].code or "id_number", exc.messages[0])
            return None
        return number, crypto.lookup_hash(number)  # validate() normalised it: services.id_lookup_hash

    def phone(self, key="phone") -> str:
        try:
            return services._check_phone(self.text(key))
        except ValidationError as exc:
            self.error(key, "phone", exc.messages[0])
            return ""


def _choice(row: _Row, key: str, table: dict, suffixes=()) -> str | None:
    text = row.text(key).replace(" ", "")
    for suffix in suffixes:
        if text.endswith(suffix) and text != suffix:
            text = text[: -len(suffix)]
    return table.get(text)


def _duplicate(report: Report, seen: dict, digest: bytes, number: int, row: _Row) -> bool:
    first = seen.setdefault(digest, number)
    if first != number:
        row.error(
            "id_number",
            "duplicate",
            _("The same ID number is already on row %(row)d of this file.") % {"row": first},
        )
        return True
    return False


def _by_name(objects) -> dict[str, list]:
    result: dict[str, list] = {}
    for obj in objects:
        result.setdefault(sheets.normalize_header(obj.name), []).append(obj)
    return result


class _Pinyin(dict):
    """services.pinyin_keys memoised for one import: names repeat, and pinyin is the costly step."""

    def __missing__(self, name: str) -> tuple[str, str]:
        self[name] = keys = services.pinyin_keys(name)
        return keys


def _may(actor, actions, path: str) -> bool:
    return all(access.can(actor, action, path) for action in actions)


# ---------------------------------------------------------------- party members


@dataclass(slots=True)
class _MemberRow:
    number: int
    name: str
    id_number: str
    hash: str
    organization: PartyOrganization
    kind: str
    joined_on: dt.date
    probation_ends_on: dt.date | None
    mobile_destination: str
    mobile_contact: str
    receiving_organization_name: str


MEMBER_UPDATE_FIELDS = [
    "kind",
    "joined_on",
    "probation_ends_on",
    "mobile_destination",
    "mobile_contact",
    "receiving_organization_name",
]


def _member_organizations(actor) -> list[PartyOrganization]:
    """Organizations the actor may import members into."""
    return [
        org
        for org in access.restrict(
            PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, Action.MANAGE_MEMBERS
        )
        if access.can(actor, Action.IMPORT_PEOPLE, org.place_path)
    ]


def import_members(
    *, actor, data: bytes, fmt: str, write: bool, keep: "PreparedRows | None" = None
) -> Report:
    """Validate (and with ``write``, write) a members file. The caller owns the transaction.

    With ``keep`` (a dry run), every valid row is also handed to it, so that the commit can use
    ``commit_prepared_members`` instead of reading and validating the file a second time.
    """
    report = Report(kind="members")
    rows, table_columns = _open(report, data, fmt, MEMBER_COLUMNS, MEMBER_REQUIRED)
    if rows is None:
        return report
    valid = _valid_member_rows(actor, report, rows, table_columns)
    if keep is not None:
        valid = keep.tee(valid)
    _apply_members(actor, report, valid, write=write)
    return report


def _apply_members(actor, report: Report, rows, *, write: bool) -> None:
    pinyin_of = _Pinyin()
    batch: list[_MemberRow] = []
    for member_row in rows:
        batch.append(member_row)
        if len(batch) >= CHUNK:
            _member_chunk(actor, report, batch, write=write, pinyin_of=pinyin_of)
            batch = []
    if batch:
        _member_chunk(actor, report, batch, write=write, pinyin_of=pinyin_of)


_MEMBER_TEXT_KEYS = (
    "name",
    "organization",
    "kind",
    "mobile_destination",
    "mobile_contact",
    "receiving_organization_name",
)


def _valid_member_rows(actor, report: Report, rows, table_columns):
    """Every data row checked cell by cell (problems go to the report); yields the valid ones."""
    orgs = _by_name(_member_organizations(actor))
    # A file names a handful of organizations thousands of times: look each spelling up once.
    org_lookup: dict[str, list] = {}
    kinds: dict[str, str | None] = {}
    seen: dict[bytes, int] = {}
    # The text cells of a row in one pass over known positions (-1: the column is not in the file);
    # at 170,000 rows the per-cell method calls of _Row.text were a tenth of the import.
    positions = [table_columns.get(key, -1) for key in _MEMBER_TEXT_KEYS]
    cell_text = sheets.cell_text
    for number, cells in rows:
        report.rows += 1
        row = _Row(report, table_columns, number, cells)
        width = len(cells)
        name, org_name, kind_text, mobile_destination, mobile_contact, receiving = [
            cell_text(cells[p]) if 0 <= p < width else "" for p in positions
        ]
        if not name:
            row.error("name", "required", _("This cell must not be empty."))
        identity = row.id_number()
        if not org_name:
            row.error("organization", "required", _("This cell must not be empty."))
        organization = None
        if org_name:
            found = org_lookup.get(org_name)
            if found is None:
                found = org_lookup[org_name] = orgs.get(sheets.normalize_header(org_name), [])
            if len(found) == 1:
                organization = found[0]
            elif not found:
                row.error(
                    "organization",
                    "unknown_organization",
                    _("No party organization named %(name)s in your area.") % {"name": org_name},
                )
            else:
                row.error(
                    "organization",
                    "ambiguous_organization",
                    _("Several organizations in your area are named %(name)s; please use the full name.")
                    % {"name": org_name},
                )
        kind = None
        if kind_text:
            kind = kinds.get(kind_text, _UNPARSED)
            if kind is _UNPARSED:
                kind = kinds[kind_text] = _choice(row, "kind", MEMBER_KINDS, suffixes=("党员",))
            if kind is None:
                row.error(
                    "kind",
                    "unknown_kind",
                    _("Unknown member kind; use one of: %(names)s.")
                    % {"names": "、".join(KIND_LABELS.values())},
                )
        else:
            row.error("kind", "required", _("This cell must not be empty."))
        joined_on = row.date("joined_on", required=True)
        probation_ends_on = row.date("probation_ends_on")
        if kind == MemberKind.PROBATIONARY and probation_ends_on is None:
            row.error(
                "probation_ends_on",
                "required",
                _("A probationary member needs the date the probation ends."),
            )
        if probation_ends_on and joined_on and probation_ends_on < joined_on:
            row.error("probation_ends_on", "order", _("Probation cannot end before the member joined."))
        if kind == MemberKind.MOBILE and not mobile_destination:
            row.error("mobile_destination", "required", _("For a mobile member, please say where they went."))
        if identity is not None and _duplicate(report, seen, _digest(identity[1]), number, row):
            identity = None
        if row.errors or identity is None:
            continue
        yield _MemberRow(
            number,
            name,
            identity[0],
            identity[1],
            organization,
            kind,
            joined_on,
            probation_ends_on,
            mobile_destination,
            mobile_contact,
            receiving,
        )


class PreparedRows:
    """The dry run's valid member rows, kept for the commit.

    Frames of up to CHUNK rows, each a 4-byte length and the zlib-compressed ``marshal`` of a list
    of tuples of str and int (C-speed both ways: text lines joined and split again were a tenth of
    the import), the whole sealed with the current field key (``crypto.seal``: the ID numbers are in
    it, and a changed byte fails the commit instead of writing something the dry run never checked;
    ``marshal`` only ever reads bytes that passed the seal, which only this class writes).
    ``context`` binds it to its file.
    """

    def __init__(self, context: str):
        self.context = context
        self._frames: list[bytes] = []
        self._rows: list[tuple] = []
        self.count = 0

    def tee(self, rows):
        for m in rows:
            self._rows.append(
                (
                    m.number,
                    m.name,
                    m.id_number,
                    m.hash,
                    m.organization.pk,
                    str(m.kind),  # a MemberKind: marshal takes plain str only
                    m.joined_on.isoformat(),
                    m.probation_ends_on.isoformat() if m.probation_ends_on else "",
                    m.mobile_destination,
                    m.mobile_contact,
                    m.receiving_organization_name,
                )
            )
            if len(self._rows) >= CHUNK:
                self._flush()
            yield m

    def _flush(self) -> None:
        if self._rows:
            frame = zlib.compress(marshal.dumps(self._rows), 1)  # level 1: half level 6's time
            self._frames += [len(frame).to_bytes(4, "big"), frame]
            self.count += len(self._rows)
            self._rows = []

    def sealed(self) -> bytes:
        self._flush()
        return crypto.seal(b"".join(self._frames), self.context)

    @staticmethod
    def frames(data: bytes):
        """The row tuples of an unsealed payload, a frame at a time."""
        position = 0
        while position < len(data):
            size = int.from_bytes(data[position : position + 4], "big")
            yield marshal.loads(zlib.decompress(data[position + 4 : position + 4 + size]))
            position += 4 + size


def _prepared_member_rows(actor, report: Report, data: bytes):
    """The rows of an unsealed PreparedRows payload, their organizations looked up again in scope."""
    orgs = {org.pk: org for org in _member_organizations(actor)}
    day = dt.date.fromisoformat
    for rows in PreparedRows.frames(data):
        for number, name, id_number, number_hash, org, kind, joined, probation, *mobile in rows:
            report.rows += 1
            organization = orgs.get(org)
            if organization is None:
                report.problem(
                    number,
                    "organization",
                    "unknown_organization",
                    _("This party organization is no longer in your area or has been dissolved."),
                )
                continue
            yield _MemberRow(
                number,
                name,
                id_number,
                number_hash,
                organization,
                kind,
                day(joined),
                day(probation) if probation else None,
                *mobile,
            )


def commit_prepared_members(*, actor, sealed: bytes, context: str, dry_run: dict) -> Report | None:
    """Write the rows a clean dry run kept (``PreparedRows``), re-checking everything that depends on
    the database and the actor's current scope. The caller owns the transaction.

    None, before anything is written, when the payload fails its seal (altered, or its key is gone):
    the caller then reads and validates the file again, so nothing unchecked is ever written.
    """
    try:
        data = crypto.unseal(sealed, context)
    except (InvalidTag, ImproperlyConfigured):
        return None
    report = Report(kind="members", sheet=dry_run.get("sheet", ""), header_row=dry_run.get("header_row"))
    report.labels = {key: labels[0] for key, labels in MEMBER_COLUMNS.items()}
    _apply_members(actor, report, _prepared_member_rows(actor, report, data), write=True)
    return report


def _member_chunk(actor, report: Report, batch: list[_MemberRow], *, write: bool, pinyin_of: _Pinyin) -> None:
    # Most rows of a large import are new people: one plain query tells which are not.
    found = [
        h for (h,) in bulk.values_in(Resident, "id_number_hash", [m.hash for m in batch], ["id_number_hash"])
    ]
    existing = {}
    if found:
        existing = {
            r.id_number_hash: r
            for r in Resident.objects.filter(id_number_hash__in=found).only(
                "id", "name", "id_number_hash", "id_number_masked", "place_path", "place_id"
            )
        }
    memberships = {}
    if existing:
        memberships = {
            m.resident_id: m
            for m in PartyMember.objects.filter(resident_id__in=[r.pk for r in existing.values()])
        }
    new_residents, new_members, changed_residents, changed_members = [], [], [], []
    now = timezone.now()
    counts, created = report.counts, 0
    encrypt, facts = crypto.encrypter(), idcard.facts  # looked up once a chunk, not once a row
    day = bulk.date_adapter()  # rows go to insert_values already adapted
    # Keys for the new residents taken up front (a row that turns out to be a problem leaves an unused
    # one: harmless), so each new member is built with its resident's key.
    keys = iter(bulk.reserve_ids(Resident, len(batch) - len(existing)) if write else ())
    for m in batch:
        resident = existing.get(m.hash)
        member = memberships.get(resident.pk) if resident else None
        if resident is not None and not access.can(actor, Action.VIEW_PEOPLE, resident.place_path):
            report.problem(
                m.number,
                "id_number",
                "outside_scope",
                _("This person is registered outside your area and cannot be imported here."),
            )
            continue
        if member is not None:
            if not access.can(actor, Action.MANAGE_MEMBERS, member.place_path):
                report.problem(
                    m.number,
                    "organization",
                    "outside_scope",
                    _("This member belongs to an organization outside your area."),
                )
                continue
            if member.organization_id != m.organization.pk:
                report.problem(
                    m.number,
                    "organization",
                    "organization_change",
                    _(
                        "This member belongs to another organization; moving a member is a membership transfer."
                    ),
                )
                continue
        if report.problem_count:
            write = False  # keep validating for the report; nothing more will be written
        fields = []
        if resident is None:
            if not created:  # the counts keep the order in which they first occur
                counts.setdefault("residents_created", 0)
                counts.setdefault("members_created", 0)
            created += 1
            if write:
                pinyin, initials = pinyin_of[m.name]
                org = m.organization
                masked, birth, sex = facts(m.id_number)
                pk = next(keys)
                new_residents.append(
                    (
                        pk,
                        org.place_id,
                        org.place_path,
                        m.name,
                        pinyin,
                        initials,
                        encrypt(m.id_number),
                        m.hash,
                        masked,
                        day(birth),
                        sex,
                    )
                )
                new_members.append(_member_values(m, pk, day))
            continue
        if resident.name != m.name:
            fields.append("name")
            if write:
                resident.name = m.name
                resident.name_pinyin, resident.name_initials = pinyin_of[m.name]
                resident.updated_at = now
                changed_residents.append(resident)
        if member is None:
            fields.append("membership")
            report.count("members_created")
            if write:
                new_members.append(_member_values(m, resident.pk, day))
        else:
            member_fields = [f for f in MEMBER_UPDATE_FIELDS if getattr(member, f) != getattr(m, f)]
            if member_fields:
                fields += member_fields
                report.count("members_updated")
                if write:
                    for f in member_fields:
                        setattr(member, f, getattr(m, f))
                    member.updated_at = now
                    changed_members.append(member)
        if fields:
            report.change(m.number, m.name, resident.id_number_masked, fields)
            report.count("residents_updated" if "name" in fields else "residents_unchanged")
        else:
            report.count("unchanged")
    if created:
        counts["residents_created"] += created
        counts["members_created"] += created
    if not write or report.problem_count:
        return
    stamps = {"created_at": now, "updated_at": now}
    if new_residents:
        bulk.insert_values(
            Resident,
            new_residents,
            columns=NEW_RESIDENT_COLUMNS,
            constants=stamps | {"relationship": Relationship.OTHER},
            adapted=True,
        )
    if new_members:
        bulk.insert_values(
            PartyMember, new_members, columns=NEW_MEMBER_COLUMNS, constants=stamps, adapted=True
        )
    if changed_residents:
        Resident.objects.bulk_update(
            changed_residents, ["name", "name_pinyin", "name_initials", "updated_at"]
        )
    if changed_members:
        PartyMember.objects.bulk_update(changed_members, [*MEMBER_UPDATE_FIELDS, "updated_at"])


NEW_RESIDENT_COLUMNS = [
    "id",
    "place_id",
    "place_path",
    "name",
    "name_pinyin",
    "name_initials",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "birth_date",
    "sex",
]
NEW_MEMBER_COLUMNS = [
    "resident_id",
    "organization_id",
    "place_id",
    "place_path",
    "kind",
    "joined_on",
    "probation_ends_on",
    "mobile_destination",
    "mobile_contact",
    "receiving_organization_name",
]


def _member_values(m: _MemberRow, resident_id: int, day) -> tuple:
    """A new membership's NEW_MEMBER_COLUMNS, its dates adapted by ``day`` (``bulk.date_adapter()``)."""
    org = m.organization
    return (
        resident_id,
        org.pk,
        org.place_id,
        org.place_path,
        m.kind,
        day(m.joined_on),
        day(m.probation_ends_on),
        m.mobile_destination,
        m.mobile_contact,
        m.receiving_organization_name,
    )


# ---------------------------------------------------------------- households and residents


@dataclass(slots=True)
class _PersonRow:
    number: int
    building: Place
    unit: str
    room: str
    name: str
    id_number: str
    hash: str
    relationship: str
    phone: str
    difficulties: list[str]
    cause: str
    since: dt.date | None


def import_households(*, actor, data: bytes, fmt: str, write: bool) -> Report:
    """Validate (and with ``write``, write) a households file. The caller owns the transaction."""
    report = Report(kind="households")
    rows, table_columns = _open(report, data, fmt, HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED)
    if rows is None:
        return report
    wanted = (Action.MANAGE_PEOPLE, Action.IMPORT_PEOPLE)
    buildings = _by_name(
        b
        for b in access.restrict(Place.objects.filter(kind=PlaceKind.BUILDING), actor, Action.MANAGE_PEOPLE)
        if _may(actor, wanted, b.path)
    )
    communities = _by_name(
        access.restrict(Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, Action.VIEW_PEOPLE)
    )
    seen: dict[bytes, int] = {}
    people: list[_PersonRow] = []
    for number, cells in rows:
        report.rows += 1
        row = _Row(report, table_columns, number, cells)
        building_name = row.text("building", required=True)
        building = None
        if building_name:
            found = buildings.get(sheets.normalize_header(building_name), [])
            community_name = row.text("community")
            if community_name and found:
                roots = [c.path for c in communities.get(sheets.normalize_header(community_name), [])]
                found = [b for b in found if any(b.path.startswith(r) for r in roots)]
            if len(found) == 1:
                building = found[0]
            elif not found:
                row.error(
                    "building",
                    "unknown_building",
                    _("No building named %(name)s in your area.") % {"name": building_name},
                )
            else:
                row.error(
                    "building",
                    "ambiguous_building",
                    _(
                        "Several buildings in your area are named %(name)s; add a 社区 column to tell them apart."
                    )
                    % {"name": building_name},
                )
        unit = row.text("unit").replace(" ", "")
        room = row.text("room", required=True).replace(" ", "")
        name = " ".join(row.text("name", required=True).split())
        identity = row.id_number()
        relationship = Relationship.OTHER
        if row.text("relationship"):
            relationship = _choice(row, "relationship", RELATIONSHIPS)
            if relationship is None:
                row.error(
                    "relationship",
                    "unknown_relationship",
                    _("Unknown relationship; use one of: %(names)s.")
                    % {"names": "、".join(RELATIONSHIP_LABELS.values())},
                )
        phone = row.phone()
        kinds = []
        for word in row.text("difficulty").replace("，", ",").replace("、", ",").replace(" ", ",").split(","):
            if not word:
                continue
            kind = DIFFICULTIES.get(word)
            if kind is None:
                row.error(
                    "difficulty",
                    "unknown_difficulty",
                    _("Unknown difficulty %(name)s; use: 老 弱 病 残 灾 孤 寡 低保 下岗失业.")
                    % {"name": word},
                )
            elif kind not in kinds:
                kinds.append(kind)
        cause = row.text("cause")
        if kinds and not cause:
            row.error("cause", "required", _("Please state the cause of the difficulty."))
        since = row.date("since")
        if identity is not None and _duplicate(report, seen, _digest(identity[1]), number, row):
            identity = None
        if row.errors or identity is None:
            continue
        people.append(
            _PersonRow(
                number,
                building,
                unit,
                room,
                name,
                identity[0],
                identity[1],
                relationship,
                phone,
                kinds,
                cause,
                since,
            )
        )
    _households_apply(actor, report, people, write=write)
    return report


def _households_apply(actor, report: Report, people: list[_PersonRow], *, write: bool) -> None:
    now = timezone.now()
    addresses = {(p.building.pk, p.unit, p.room) for p in people}
    existing_households = {
        (h.place_id, h.unit, h.room): h
        for h in Household.objects.filter(place_id__in={a[0] for a in addresses})
        if (h.place_id, h.unit, h.room) in addresses
    }
    existing_people: dict[str, Resident] = {}
    hashes = [p.hash for p in people]
    for start in range(0, len(hashes), CHUNK):
        for r in Resident.objects.filter(id_number_hash__in=hashes[start : start + CHUNK]):
            existing_people[r.id_number_hash] = r
    heads_in_file: dict[tuple, _PersonRow] = {}
    for p in people:
        if p.relationship != Relationship.HEAD:
            continue
        key = (p.building.pk, p.unit, p.room)
        if key in heads_in_file:
            report.problem(
                p.number,
                "relationship",
                "two_heads",
                _("This household already has a head on row %(row)d.") % {"row": heads_in_file[key].number},
            )
        else:
            heads_in_file[key] = p
    for p in people:
        r = existing_people.get(p.hash)
        if r is not None and not access.can(actor, Action.MANAGE_PEOPLE, r.place_path):
            report.problem(
                p.number,
                "id_number",
                "outside_scope",
                _("This person is registered outside your area and cannot be imported here."),
            )
    current_heads = {
        r.household_id: r
        for r in Resident.objects.filter(
            household__in=list(existing_households.values()),
            relationship=Relationship.HEAD,
            moved_out_on__isnull=True,
        )
    }
    file_hashes = {p.hash: p for p in people}
    for key, p in heads_in_file.items():
        household = existing_households.get(key)
        head = current_heads.get(household.pk) if household else None
        if head is None or head.id_number_hash == p.hash:
            continue
        stays_head = file_hashes.get(head.id_number_hash)
        if stays_head is None or stays_head.relationship == Relationship.HEAD:
            report.problem(
                p.number,
                "relationship",
                "has_head",
                _("This household already has a head (%(name)s); change that person's relationship first.")
                % {"name": head.name},
            )
    if report.problem_count:
        return
    # Households.
    new_households = {}
    for key in sorted(addresses - set(existing_households)):
        building = next(p.building for p in people if (p.building.pk, p.unit, p.room) == key)
        new_households[key] = Household(
            place_id=building.pk,
            place_path=building.path,
            unit=key[1],
            room=key[2],
            created_at=now,
            updated_at=now,
        )
    if new_households:
        report.count("households_created", len(new_households))
    if write and new_households:
        Household.objects.bulk_create(list(new_households.values()), batch_size=CHUNK)
    households = existing_households | new_households
    # Residents.
    creates, updates = [], []
    for p in people:
        household = households[(p.building.pk, p.unit, p.room)]
        r = existing_people.get(p.hash)
        if r is None:
            report.count("residents_created")
            if write:
                pinyin, initials = services.pinyin_keys(p.name)
                creates.append(
                    Resident(
                        household=household,
                        place_id=p.building.pk,
                        place_path=p.building.path,
                        relationship=p.relationship,
                        name=p.name,
                        name_pinyin=pinyin,
                        name_initials=initials,
                        id_number_enc=crypto.encrypt(p.id_number),
                        id_number_hash=p.hash,
                        id_number_masked=idcard.mask(p.id_number),
                        birth_date=idcard.birth_date(p.id_number),
                        sex=idcard.sex(p.id_number),
                        phone=p.phone,
                        created_at=now,
                        updated_at=now,
                    )
                )
            continue
        wanted = {
            "name": p.name,
            "household_id": household.pk,
            "relationship": p.relationship,
            "phone": p.phone or r.phone,
        }
        fields = [f for f, v in wanted.items() if getattr(r, f) != v or (f == "household_id" and v is None)]
        if not fields:
            report.count("residents_unchanged")
            continue
        report.count("residents_updated")
        report.change(p.number, p.name, r.id_number_masked, [f.removesuffix("_id") for f in fields])
        if write:
            previous_relationship = r.relationship
            for f, v in wanted.items():
                setattr(r, f, v)
            r.household = household
            r.place_id, r.place_path = p.building.pk, p.building.path
            r.name_pinyin, r.name_initials = services.pinyin_keys(p.name)
            r.updated_at = now
            updates.append((previous_relationship, r))
    if write:
        fields = [
            "name",
            "name_pinyin",
            "name_initials",
            "household",
            "relationship",
            "phone",
            "place",
            "place_path",
            "updated_at",
        ]
        # Demotions first, so a household never has two heads between statements.
        demoted = [
            r for before, r in updates if before == Relationship.HEAD and r.relationship != Relationship.HEAD
        ]
        others = [
            r
            for before, r in updates
            if not (before == Relationship.HEAD and r.relationship != Relationship.HEAD)
        ]
        if demoted:
            Resident.objects.bulk_update(demoted, fields)
            Household.objects.filter(head__in=demoted).update(head=None)
        if creates:
            Resident.objects.bulk_create(creates, batch_size=CHUNK)
        if others:
            Resident.objects.bulk_update(others, fields, batch_size=CHUNK)
        head_rows = []
        for key, p in heads_in_file.items():
            household = households[key]
            resident_id = existing_people[p.hash].pk if p.hash in existing_people else None
            if resident_id is None:
                resident_id = next(r.pk for r in creates if r.id_number_hash == p.hash)
            if household.head_id != resident_id:
                household.head_id, household.updated_at = resident_id, now
                head_rows.append(household)
        if head_rows:
            Household.objects.bulk_update(head_rows, ["head", "updated_at"])
    # Difficulty tags, one per household and kind.
    wanted_tags: dict[tuple, tuple[_PersonRow, str]] = {}
    for p in people:
        for kind in p.difficulties:
            wanted_tags.setdefault((p.building.pk, p.unit, p.room, kind), (p, kind))
    active = {}
    existing_ids = [h.pk for h in existing_households.values()]
    for tag in DifficultyTag.objects.filter(household_id__in=existing_ids, ended_on__isnull=True):
        active[(tag.household_id, tag.kind)] = tag
    new_tags, changed_tags = [], []
    for key, (p, kind) in wanted_tags.items():
        household = households[key[:3]]
        tag = active.get((household.pk, kind)) if household.pk else None
        if tag is None:
            report.count("difficulties_created")
            new_tags.append(
                DifficultyTag(
                    household=household,
                    place_id=p.building.pk,
                    place_path=p.building.path,
                    kind=kind,
                    cause=p.cause,
                    since=p.since,
                )
            )
        elif tag.cause != p.cause or (p.since and tag.since != p.since):
            report.count("difficulties_updated")
            tag.cause, tag.since = p.cause, p.since or tag.since
            changed_tags.append(tag)
    if write:
        if new_tags:
            DifficultyTag.objects.bulk_create(new_tags, batch_size=CHUNK)
        if changed_tags:
            DifficultyTag.objects.bulk_update(changed_tags, ["cause", "since"])


IMPORTERS = {"households": import_households, "members": import_members}


def run_import(*, actor, kind: str, data: bytes, fmt: str, write: bool) -> Report:
    return IMPORTERS[kind](actor=actor, data=data, fmt=fmt, write=write)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- templates and exports


def template_workbook(kind: str) -> bytes:
    """An empty import template; the ID column (and every other) is formatted as Text."""
    if kind == "households":
        headers, example, id_col = (
            HOUSEHOLD_TEMPLATE,
            [
                "1号楼",
                "2",
                "301",
                "张三",
                "11010519491231002X",
                "户主",
                "13800138000",
                "老、病",
                "独居老人，患慢性病",
            ],
            4,
        )
    elif kind == "members":
        headers, example, id_col = (
            MEMBER_TEMPLATE,
            [
                "李四",
                "110105195001010018",
                "幸福社区第一党支部",
                "离退休",
                "1980-07-01",
                "1981-07-01",
                "",
                "",
                "",
            ],
            1,
        )
    else:
        raise ValueError(kind)
    notes = [
        _("Keep the header row. Rows above it (titles) are ignored; blank rows are skipped."),
        _("The ID number column is formatted as text: type the 18 characters; a final x is accepted."),
        _("Dates may be written as 1980-01-01, 1980.1.1, 1980/1/1 or 1980年1月1日."),
        _("The example row is for illustration: delete it before uploading."),
    ]
    spec = sheets.SheetSpec(
        name=_("Import"),
        headers=headers,
        rows=[example],
        text_columns=set(range(len(headers))),
        widths={id_col: 22},
        notes=notes,
    )
    return sheets.write_workbook([spec])


RESIDENT_EXPORT_HEADERS = [
    "楼栋",
    "单元",
    "房号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "与户主关系",
    "联系电话",
]
MEMBER_EXPORT_HEADERS = [*MEMBER_TEMPLATE, "状态"]


def residents_workbook(queryset, *, watermark: str = "", author: str = "") -> bytes:
    """Residents of an already scoped queryset; ID numbers masked; every cell text."""
    headers = RESIDENT_EXPORT_HEADERS
    sex = {"M": "男", "F": "女"}

    def rows():
        for r in queryset.select_related("household", "place").iterator(chunk_size=2000):
            h = r.household
            yield [
                r.place.name,
                h.unit if h else "",
                h.room if h else "",
                r.name,
                r.id_number_masked,
                sex.get(r.sex, ""),
                r.birth_date.isoformat(),
                RELATIONSHIP_LABELS.get(r.relationship, "") if h else "",
                r.phone,
            ]

    return sheets.write_workbook(
        [
            sheets.SheetSpec(
                name=_("Residents"), headers=headers, rows=rows(), text_columns={4}, widths={4: 22}
            )
        ],
        watermark=watermark,
        author=author,
    )


def members_workbook(queryset, *, watermark: str = "", author: str = "") -> bytes:
    """Party members of an already scoped queryset; ID numbers masked; every cell text."""
    headers = MEMBER_EXPORT_HEADERS

    def rows():
        for m in queryset.select_related("resident", "organization").iterator(chunk_size=2000):
            yield [
                m.resident.name,
                m.resident.id_number_masked,
                m.organization.name,
                KIND_LABELS.get(m.kind, m.kind),
                m.joined_on.isoformat(),
                m.probation_ends_on.isoformat() if m.probation_ends_on else "",
                m.mobile_destination,
                m.mobile_contact,
                m.receiving_organization_name,
                m.get_status_display(),
            ]

    return sheets.write_workbook(
        [
            sheets.SheetSpec(
                name=_("Party members"), headers=headers, rows=rows(), text_columns={1}, widths={1: 22}
            )
        ],
        watermark=watermark,
        author=author,
    )
