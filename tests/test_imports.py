"""Spreadsheet import and export of the registry (issue 3, items 7–8): each mess case, exact reports."""

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from lianxin.core import crypto, idcard
from lianxin.core.models import AuditEntry
from lianxin.imports import services
from lianxin.imports.models import ImportStatus
from lianxin.registry import services as registry
from lianxin.registry.models import DifficultyTag, Household, PartyMember, Relationship, Resident
from tests.test_spreadsheets import xlsx

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

MEMBER_HEADER = ["姓名", "身份证号", "所在党组织", "党员类别", "入党日期", "转正日期", "流动去向"]
HOUSE_HEADER = ["楼栋", "单元", "房号", "姓名", "身份证号", "与户主关系", "联系电话", "困难类型", "困难原因"]
BRANCH = "幸福社区第一党支部"


def pid(birth="19800101", seq="001", region="430302") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + idcard.check_char(first17)


def upload(actor, kind, data, name="名单.xlsx"):
    return services.import_upload(actor=actor, kind=kind, file=SimpleUploadedFile(name, data))


def member_row(name, number, kind="离退休", joined="1980-07-01", **extra):
    return [name, number, extra.get("org", BRANCH), kind, joined, extra.get("probation"), extra.get("dest")]


def problems(job):
    return [(p["sheet"], p["row"], p["column"], p["code"]) for p in job.report["problems"]]


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


# ---------------------------------------------------------------- members: mess cases


def test_title_rows_and_merged_cells_above_the_header(secretary):
    data = xlsx(
        [MEMBER_HEADER, member_row("张三", pid()), member_row("李四", "123")],
        title=["幸福社区党员花名册", "（2024年）"],
    )
    job = upload(secretary, "members", data)
    assert job.report["header_row"] == 3
    assert problems(job) == [("名单", 5, "身份证号", "length")]
    assert job.status == ImportStatus.INVALID and not Resident.objects.exists()


def test_header_with_spaces_and_full_width_characters(secretary):
    header = [
        "姓　名",
        " 身份证 号码 ",
        "所在党组织：",
        "党员类别",
        "入党日期（年月日）",
        "转正日期",
        "流动去向",
    ]
    job = upload(secretary, "members", xlsx([header, member_row("张三", pid())]))
    assert job.status == ImportStatus.READY, job.report["problems"]
    services.import_commit(actor=secretary, job=job)
    assert PartyMember.objects.get().resident.name == "张三"


def test_full_width_digits_trailing_spaces_and_lowercase_x_are_normalised(secretary):
    number = pid("19491231", "002", "110105")
    assert number.endswith("X")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:17]) + "x"
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三  ", full_width + "  ")]))
    assert job.status == ImportStatus.READY, job.report["problems"]
    services.import_commit(actor=secretary, job=job)
    resident = Resident.objects.get()
    assert resident.name == "张三" and resident.id_number_masked == "110***********002X"
    assert crypto.decrypt(resident.id_number_enc) == number
    assert resident.id_number_hash == registry.id_lookup_hash(number)
    assert resident.birth_date == dt.date(1949, 12, 31) and resident.name_initials == "zs"


@pytest.mark.parametrize("value", ["4.30302E+17", 4.30302e17], ids=["scientific-text", "float"])
def test_id_number_excel_made_a_number_is_rejected_never_stored(secretary, value):
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三", value)]))
    assert problems(job) == [("名单", 2, "身份证号", "id_as_number")]
    assert any(w in job.report["problems"][0]["message"] for w in ("Text", "文本"))
    assert job.status == ImportStatus.INVALID and not Resident.objects.exists()


@pytest.mark.parametrize("joined", [29403, "1980.7.1", "1980年7月1日", "1980/7/1", dt.date(1980, 7, 1)])
def test_dates_as_serials_and_written_forms(secretary, joined):
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三", pid(), joined=joined)]))
    assert job.status == ImportStatus.READY, job.report["problems"]
    services.import_commit(actor=secretary, job=job)
    assert PartyMember.objects.get().joined_on == dt.date(1980, 7, 1)


def test_bad_date_kind_and_probation_are_reported_per_cell(secretary):
    rows = [
        MEMBER_HEADER,
        member_row("张三", pid(), joined="1980.13.1"),
        member_row("李四", pid(seq="003"), kind="神仙"),
        member_row("王五", pid(seq="005"), kind="预备党员"),
        member_row("赵六", pid(seq="007"), kind="流动"),
    ]
    job = upload(secretary, "members", xlsx(rows))
    assert problems(job) == [
        ("名单", 2, "入党日期", "date"),
        ("名单", 3, "党员类别", "unknown_kind"),
        ("名单", 4, "转正日期", "required"),
        ("名单", 5, "流动去向", "required"),
    ]


def test_duplicates_inside_the_file(secretary):
    rows = [
        MEMBER_HEADER,
        member_row("张三", pid()),
        member_row("李四", pid(seq="003")),
        member_row("张三", pid()),
    ]
    job = upload(secretary, "members", xlsx(rows))
    assert problems(job) == [("名单", 4, "身份证号", "duplicate")]
    assert "2" in job.report["problems"][0]["message"]


def test_blank_rows_are_skipped_and_row_numbers_stay_excel_s(secretary):
    rows = [MEMBER_HEADER, member_row("张三", pid()), [None] * 7, ["", " ", None], member_row("李四", "bad")]
    job = upload(secretary, "members", xlsx(rows))
    assert job.report["rows"] == 2
    assert problems(job) == [("名单", 5, "身份证号", "length")]


def test_existing_person_becomes_an_update_shown_in_the_dry_run(secretary, city, personas):
    resident = registry.resident_create(
        actor=personas["staff"], name="张三", id_number=pid(), place=city.happy
    )
    rows = [MEMBER_HEADER, member_row("张三", pid()), member_row("李四", pid(seq="003"))]
    job = upload(secretary, "members", xlsx(rows))
    assert job.report["counts"]["residents_created"] == 1 and job.report["counts"]["members_created"] == 2
    assert job.report["changes"] == [
        {
            "row": 2,
            "name": "张三",
            "id_number": "430***********0011"[:3] + "*" * 11 + pid()[-4:],
            "fields": ["membership"],
        }
    ]
    services.import_commit(actor=secretary, job=job)
    assert Resident.objects.count() == 2 and PartyMember.objects.get(resident=resident).kind == "retired"
    # A second file changes the kind: an update of the membership, nothing created.
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三", pid(), kind="无职")]))
    assert job.report["changes"][0]["fields"] == ["kind"] and job.report["counts"]["members_updated"] == 1
    services.import_commit(actor=secretary, job=job)
    assert (
        PartyMember.objects.get(resident=resident).kind == "without_post" and PartyMember.objects.count() == 2
    )


def test_same_file_twice_creates_nothing_new(secretary):
    data = xlsx([MEMBER_HEADER, member_row("张三", pid()), member_row("李四", pid(seq="003"))])
    first = services.import_commit(actor=secretary, job=upload(secretary, "members", data))
    assert first.status == ImportStatus.COMMITTED
    counts = (Resident.objects.count(), PartyMember.objects.count())
    second = upload(secretary, "members", data)
    assert second.report["already_imported_as"] == first.pk
    assert second.report["counts"] == {"unchanged": 2}
    services.import_commit(actor=secretary, job=second)
    assert (Resident.objects.count(), PartyMember.objects.count()) == counts == (2, 2)


def test_double_submit_commits_once_with_one_audit_entry(secretary):
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三", pid())]))
    services.import_commit(actor=secretary, job=job)
    again = services.import_commit(actor=secretary, job=job)
    assert again.status == ImportStatus.COMMITTED and PartyMember.objects.count() == 1
    entry = AuditEntry.objects.get(action="import.commit")
    assert entry.after["job"] == job.pk and entry.after["file_sha256"] == job.file_sha256
    assert entry.after["counts"] == {"residents_created": 1, "members_created": 1}
    assert not AuditEntry.objects.filter(action__in=["resident.create", "member.create"]).exists()


def test_commit_is_all_or_nothing(secretary, monkeypatch):
    rows = [MEMBER_HEADER, *[member_row(f"党员{i}", pid(seq=f"{2 * i + 1:03d}")) for i in range(30)]]
    job = upload(secretary, "members", xlsx(rows))
    calls = {"n": 0}
    real = crypto.encrypter()

    def failing(text):
        calls["n"] += 1
        if calls["n"] > 20:
            raise RuntimeError("disk full")
        return real(text)

    monkeypatch.setattr(crypto, "encrypter", lambda: failing)
    monkeypatch.setattr("lianxin.registry.spreadsheets.CHUNK", 10)
    with pytest.raises(RuntimeError):
        services.import_commit(actor=secretary, job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert not Resident.objects.exists() and not PartyMember.objects.exists()
    assert not AuditEntry.objects.filter(action="import.commit").exists()


# ---------------------------------------------------------------- guards through the service


def test_size_cap(secretary, settings):
    settings.LIANXIN_IMPORT_MAX_BYTES = 2000
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, *[member_row("张三", pid())] * 50]))
    assert job.status == ImportStatus.INVALID and problems(job) == [("", None, "", "too_large")]
    assert not job.content


def test_zip_bomb_and_xlsm_refused(secretary):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (30 * 1024 * 1024))
    assert problems(upload(secretary, "members", buffer.getvalue())) == [("", None, "", "zip_bomb")]
    data = xlsx([MEMBER_HEADER, member_row("张三", pid())])
    assert problems(upload(secretary, "members", data, name="名单.xlsm")) == [("", None, "", "macro")]


def test_csv_in_gb18030(secretary):
    text = ",".join(MEMBER_HEADER) + "\n" + f"张三,{pid()},{BRANCH},离退休,1980.7.1,,\n"
    job = upload(secretary, "members", text.encode("gb18030"), name="党员.csv")
    assert job.status == ImportStatus.READY, job.report["problems"]
    services.import_commit(actor=secretary, job=job)
    assert PartyMember.objects.get().resident.name == "张三"


def test_missing_column_and_no_header(secretary):
    job = upload(secretary, "members", xlsx([["姓名", "身份证号", "所在党组织", "党员类别"], ["张三"]]))
    assert problems(job) == [("名单", 1, "入党日期", "missing_column")]
    assert problems(upload(secretary, "members", xlsx([["a", "b"]]))) == [("", None, "", "no_header")]


# ---------------------------------------------------------------- households


def test_households_with_heads_and_difficulties(city, personas):
    staff = personas["staff"]
    rows = [
        HOUSE_HEADER,
        [
            "1号楼",
            "2",
            "301",
            "张三",
            pid("19400101", "001"),
            "户主",
            "１３８００１３８０００",
            "老、病",
            "独居高龄",
        ],
        ["1号楼", "2", "301", "李梅", pid("19420101", "002"), "配偶", "", "", ""],
        ["1号楼", 2, 302, "王五", pid("19700101", "003"), "户主", "", "", ""],
    ]
    job = upload(staff, "households", xlsx(rows))
    assert job.status == ImportStatus.READY, job.report["problems"]
    assert job.report["counts"] == {
        "households_created": 2,
        "residents_created": 3,
        "difficulties_created": 2,
    }
    services.import_commit(actor=staff, job=job)
    household = Household.objects.get(room="301")
    assert household.head.name == "张三" and household.head.phone == "13800138000"
    assert Resident.objects.get(name="李梅").relationship == Relationship.SPOUSE
    assert Household.objects.get(room="302").unit == "2"
    assert sorted(DifficultyTag.objects.values_list("kind", flat=True)) == ["elderly", "ill"]
    # Same file again: nothing new.
    again = upload(staff, "households", xlsx(rows))
    assert again.report["counts"] == {"residents_unchanged": 3}
    services.import_commit(actor=staff, job=again)
    assert (Household.objects.count(), Resident.objects.count(), DifficultyTag.objects.count()) == (2, 3, 2)


def test_households_two_heads_and_unknown_values(personas):
    rows = [
        HOUSE_HEADER,
        ["1号楼", "2", "301", "张三", pid("19400101", "001"), "户主", "", "老", ""],
        ["1号楼", "2", "301", "李四", pid("19400101", "003"), "户主", "12", "穷", "x"],
        ["9号楼", "", "1", "王五", pid("19400101", "005"), "堂兄", "", "", ""],
    ]
    job = upload(personas["staff"], "households", xlsx(rows))
    assert problems(job) == [
        ("名单", 2, "困难原因", "required"),
        ("名单", 3, "联系电话", "phone"),
        ("名单", 3, "困难类型", "unknown_difficulty"),
        ("名单", 4, "楼栋", "unknown_building"),
        ("名单", 4, "与户主关系", "unknown_relationship"),
    ]


# ---------------------------------------------------------------- access


def test_grid_worker_cannot_import(personas):
    with pytest.raises(PermissionDenied):
        upload(personas["grid_worker"], "households", xlsx([HOUSE_HEADER]))


def test_importer_of_community_a_cannot_import_into_b(city, personas, sysadmin):
    from lianxin.places import services as places
    from lianxin.places.models import PlaceKind

    places.place_create(actor=sysadmin, kind=PlaceKind.BUILDING, name="8号楼", parent=city.unity_grid)
    rows = [HOUSE_HEADER, ["8号楼", "1", "101", "张三", pid(), "户主", "", "", ""]]
    job = upload(personas["staff"], "households", xlsx(rows))  # staff of 幸福社区; 8号楼 is in 团结社区
    assert problems(job) == [("名单", 2, "楼栋", "unknown_building")]
    job = upload(personas["outsider"], "members", xlsx([MEMBER_HEADER, member_row("张三", pid())]))
    assert problems(job) == [("名单", 2, "所在党组织", "unknown_organization")]
    assert not Resident.objects.exists()


def test_existing_person_outside_scope_is_not_touched(city, personas):
    registry.resident_create(actor=personas["staff"], name="张三", id_number=pid(), place=city.happy)
    rows = [MEMBER_HEADER, member_row("张三", pid(), org="团结社区党委")]
    job = upload(personas["outsider"], "members", xlsx(rows))
    assert problems(job) == [("名单", 2, "身份证号", "outside_scope")]


def test_only_the_uploader_commits(secretary, personas):
    job = upload(secretary, "members", xlsx([MEMBER_HEADER, member_row("张三", pid())]))
    with pytest.raises(PermissionDenied):
        services.import_commit(actor=personas["committee_member"], job=job)


# ---------------------------------------------------------------- templates and exports


def read(data: bytes):
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_template_id_column_is_text():
    import zipfile

    data = services.template_workbook("members")
    styles = zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml").decode()
    assert 'numFmtId="49"' in styles  # the built-in Text format "@"
    assert read(data)[0][:2] == ["姓名", "身份证号"]


def test_export_writes_formula_like_cells_as_text_and_masks_ids(city, personas):
    from lianxin.registry import selectors

    staff = personas["staff"]
    household = registry.household_create(actor=staff, place=city.happy_building, unit="1", room="101")
    registry.resident_create(
        actor=staff, name='=HYPERLINK("HTTP://X")', id_number=pid(), household=household, phone="13800138000"
    )
    data = services.export_residents(actor=staff, queryset=selectors.resident_list(actor=staff))
    rows = read(data)
    assert rows[1][3] == '=HYPERLINK("HTTP://X")' and rows[1][4] == "430***********" + pid()[-4:]
    import zipfile

    assert "<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert pid() not in data.decode("latin-1")
    assert AuditEntry.objects.filter(action="export.residents").exists()


def test_export_respects_scope(city, personas):
    staff = personas["staff"]
    household = registry.household_create(actor=staff, place=city.happy_building, unit="1", room="101")
    registry.resident_create(actor=staff, name="张三", id_number=pid(), household=household)
    from lianxin.accounts import services as accounts
    from lianxin.core.access import Role
    from lianxin.places import services as places
    from lianxin.places.models import PlaceKind

    other = places.place_create(
        actor=personas["sysadmin"], kind=PlaceKind.GRID, name="第一网格", parent=city.harmony
    )
    worker_b = accounts.user_create(actor=None, username="grid-b", display_name="b", password=None)
    accounts.role_grant(actor=None, user=worker_b, role=Role.GRID_WORKER, place=other)
    # Even handed an unscoped queryset, the export narrows it to the actor's subtree.
    assert read(services.export_residents(actor=worker_b, queryset=Resident.objects.all())) == [
        read(services.export_residents(actor=worker_b, queryset=Resident.objects.none()))[0]
    ]
    assert (
        len(read(services.export_residents(actor=personas["grid_worker"], queryset=Resident.objects.all())))
        == 2
    )
    with pytest.raises(PermissionDenied):
        services.export_members(actor=personas["resident"], queryset=PartyMember.objects.all())


# ---------------------------------------------------------------- the kill -9 drill stays runnable


def test_import_drill_small_run(tmp_path):
    script = Path(__file__).resolve().parent.parent / "scripts" / "import_drill.py"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--database",
            "sqlite",
            "--trials",
            "3",
            "--latest",
            "0.5",
            "--rows",
            "3000",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERDICT: PASS" in result.stdout
