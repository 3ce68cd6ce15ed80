"""lianxin.core.spreadsheets: guards, header detection, cell normalisation, safe writing (no database)."""

import datetime as dt
import io
import zipfile

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from lianxin.core import spreadsheets as sheets

ALIASES = {"name": ["姓名"], "id_number": ["身份证号", "身份证号码"], "joined_on": ["入党日期"]}


def xlsx(rows, *, title=None, sheet="名单") -> bytes:
    """An .xlsx with optional merged title rows above ``rows``; values keep their Python types."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    start = 0
    for line in title or []:
        ws.merge_range(start, 0, start, 3, line)
        start += 1
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- guards


def test_size_cap_refuses_before_parsing(settings):
    settings.LIANXIN_IMPORT_MAX_BYTES = 1000
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("a.xlsx", b"PK" + b"\0" * 2000)
    assert exc.value.code == "too_large"


def test_zip_bomb_by_ratio_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("bomb.xlsx", buffer.getvalue())
    assert exc.value.code == "zip_bomb"


def test_zip_bomb_by_uncompressed_size_is_refused(settings):
    settings.LIANXIN_IMPORT_MAX_UNCOMPRESSED = 10_000
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("big.xlsx", xlsx([["姓名"], *[[f"人{i}"] for i in range(3000)]]))
    assert exc.value.code == "zip_bomb"


def test_zip_with_too_many_entries_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(1001):
            archive.writestr(f"x/{i}.xml", b"<a/>")
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("many.xlsx", buffer.getvalue())
    assert exc.value.code == "zip_bomb"


def test_macro_formats_are_refused():
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("名单.xlsm", xlsx([["姓名"]]))
    assert exc.value.code == "macro"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/vbaProject.bin", b"macro")
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("renamed.xlsx", buffer.getvalue())
    assert exc.value.code == "macro"


def test_non_zip_xlsx_and_old_xls_are_refused():
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("a.xlsx", b"name,id\n")
    assert exc.value.code == "not_xlsx"
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert exc.value.code == "old_format"
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("a.txt", b"x")
    assert exc.value.code == "extension"


@pytest.mark.parametrize(
    "data",
    ["姓名,身份证号\n张三,1\n".encode("gb18030"), "姓名,身份证号\n张三,1\n".encode("utf-8-sig")],
    ids=["gb18030", "utf8-bom"],
)
def test_csv_decoding(data):
    assert sheets.file_format("a.csv", data) == "csv"
    table = sheets.find_table(data, "csv", ALIASES)
    assert table.header.row == 1 and list(table.rows) == [(2, ["张三", "1"])]


# ---------------------------------------------------------------- reading


def test_header_found_below_merged_title_rows_and_blank_rows_skipped():
    data = xlsx(
        [
            ["姓名", "身份证号", "入党日期"],
            ["张三", "x", None],
            [None, None, None],
            ["  ", "", None],
            ["李四", "y", None],
        ],
        title=["幸福社区党员花名册", "填报日期：2024年1月"],
    )
    table = sheets.find_table(data, "xlsx", ALIASES)
    assert (table.header.sheet, table.header.row) == ("名单", 3)
    assert table.header.columns == {"name": 0, "id_number": 1, "joined_on": 2}
    assert [(n, r[0]) for n, r in table.rows] == [(4, "张三"), (7, "李四")]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (" 身份证 号 ", "身份证号"),
        ("身份证号：", "身份证号"),
        ("身份证号码(18位)", "身份证号码"),
        ("姓　名*", "姓名"),
    ],
)
def test_header_normalisation(written, expected):
    assert sheets.normalize_header(written) == expected


def test_full_width_header_matches():
    table = sheets.find_table(xlsx([["姓　名", "身份证号：", "入党日期（年月日）"]]), "xlsx", ALIASES)
    assert table.header.labels == {
        "name": "姓　名",
        "id_number": "身份证号：",
        "joined_on": "入党日期（年月日）",
    }


# ---------------------------------------------------------------- cells


def test_cell_text_full_width_and_trailing_spaces():
    assert sheets.cell_text("１３８００１３８０００  ") == "13800138000"
    assert sheets.cell_text("张  三 ") == "张 三"
    assert sheets.cell_text(301.0) == "301"


@pytest.mark.parametrize(
    "value",
    [
        29221,
        29221.0,
        "29221",
        "1980.1.1",
        "1980/1/1",
        "1980-01-01",
        "1980年1月1日",
        "19800101",
        dt.date(1980, 1, 1),
    ],
)
def test_cell_date_forms(value):
    assert sheets.cell_date(value) == dt.date(1980, 1, 1)


@pytest.mark.parametrize("value", ["1980.13.1", "昨天", 0, -3, 1.5])
def test_cell_date_rejects(value):
    with pytest.raises(sheets.CellError) as exc:
        sheets.cell_date(value)
    assert exc.value.code == "date"


@pytest.mark.parametrize("value", [4.30302e17, 430302198001010000, "4.30302E+17", "4.30302e17"])
def test_id_number_turned_into_a_number_is_rejected(value):
    with pytest.raises(sheets.CellError) as exc:
        sheets.cell_id_number(value)
    assert exc.value.code == "id_as_number"
    assert "Text" in exc.value.message or "文本" in exc.value.message


def test_id_number_text_is_normalised():
    assert sheets.cell_id_number(" １１０１０５１９４９１２３１００２x ") == "11010519491231002X"


# ---------------------------------------------------------------- writing


def test_written_cells_are_always_text():
    dangerous = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x")']
    data = sheets.write_workbook(
        [
            sheets.SheetSpec(
                name="s", headers=["a", "b"], rows=[[v, "0012"] for v in dangerous], text_columns={1}
            )
        ]
    )
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    values = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [row[0] for row in values[1:]] == dangerous
    assert all(row[1] == "0012" for row in values[1:])


def test_blank_rows_are_empty_or_blank_cells_only():
    from lianxin.core.spreadsheets import is_blank

    assert is_blank([]) and is_blank([None, "", "  ", "\u3000\t"])
    for row in (["张三"], [None, " x "], ["", 0], [None, 0.0], ["", dt.date(2020, 1, 1)], [False]):
        assert not is_blank(row), row
