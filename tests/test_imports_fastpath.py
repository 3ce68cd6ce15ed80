"""The import's in-line ID number check gives exactly what cell_id_number + idcard.validate +
crypto.lookup_hash give, and the same problem otherwise (issue 3: import speed)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from lianxin.core import crypto, idcard
from lianxin.core import spreadsheets as sheets
from lianxin.registry import spreadsheets as registry_sheets


def _pid(birth="19800101", seq="001", region="430302") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + idcard.check_char(first17)


def _reference(raw, today):
    """(number, hash) or the problem code the full path words."""
    try:
        number = idcard.validate(sheets.cell_id_number(raw), today=today)
    except sheets.CellError as exc:
        return exc.code
    except ValidationError as exc:
        return exc.error_list[0].code
    return number, crypto.lookup_hash(number)


def _checked(raw, today):
    report = registry_sheets.Report(kind="members", today=today)
    row = registry_sheets._Row(report, {"id_number": 0}, 2, [raw])
    result = row.id_number()
    if result is None:
        assert len(report.problems) == 1
        return report.problems[0]["code"]
    assert not report.problems
    return result


x_number = next(_pid(seq=f"{n:03d}") for n in range(1, 999) if _pid(seq=f"{n:03d}").endswith("X"))
CASES = [
    _pid(),
    _pid("19000101"),
    _pid("20260101"),
    _pid("20270101"),  # after "today"
    _pid("18991231"),  # before 1900
    _pid("19800230"),  # no such day
    _pid(region="990302"),  # no such province
    x_number,
    x_number.lower(),
    x_number[:-1] + ("0" if x_number[-1] != "0" else "1"),  # checksum
    _pid()[:-1] + "Y",
    "12345678901234e567",
    "1234567890123456e7",
    " " + _pid()[1:],
    _pid()[:10] + " " + _pid()[11:],
    "43030219800101001",
    "４３０３０２１９８００１０１００１" + _pid()[-1],
    "abcdefghijklmnopqr",
    "",
    None,
    430302198001010011,
]


@pytest.mark.parametrize("raw", CASES)
def test_inline_check_matches_the_full_path(raw):
    today = dt.date(2026, 6, 1)
    expected = _reference(raw, today) if raw not in ("", None) else "required"
    assert _checked(raw, today) == expected


def test_the_birth_date_cache_is_per_import_and_respects_today():
    number = _pid("20260101")
    assert _checked(number, dt.date(2026, 6, 1))[0] == number
    assert _checked(number, dt.date(2025, 6, 1)) == "birth_date"


def test_prepared_rows_come_back_exactly_frame_by_frame(monkeypatch):
    from types import SimpleNamespace

    from lianxin.core import crypto

    monkeypatch.setattr(registry_sheets, "CHUNK", 2)  # three rows: two frames
    keep = registry_sheets.PreparedRows("context")
    rows = [
        SimpleNamespace(
            number=n + 2,
            name=name,
            id_number=_pid(),
            hash="h",
            organization=SimpleNamespace(pk=1),
            kind=registry_sheets.MemberKind.RETIRED,
            joined_on=dt.date(1980, 7, 1),
            probation_ends_on=dt.date(1981, 7, 1) if n else None,
            mobile_destination="深圳\n南山",
            mobile_contact="",
            receiving_organization_name="",
        )
        for n, name in enumerate(["张\t三\n", "李四", "王五"])
    ]
    assert list(keep.tee(rows)) == rows
    data = crypto.unseal(keep.sealed(), "context")
    frames = list(registry_sheets.PreparedRows.frames(data))
    assert [len(f) for f in frames] == [2, 1] and keep.count == 3
    assert frames[0][0] == (2, "张\t三\n", _pid(), "h", 1, "retired", "1980-07-01", "", "深圳\n南山", "", "")
    assert frames[1][0][1] == "王五" and frames[0][1][7] == "1981-07-01"
