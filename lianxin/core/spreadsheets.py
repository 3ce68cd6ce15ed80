"""Spreadsheets in and out, with no knowledge of the domain (used by lianxin.registry.spreadsheets).

Reading (``open_rows``): guards run on the raw bytes BEFORE any parser sees them —
  * size cap ``LIANXIN_IMPORT_MAX_BYTES`` (default 20 MB);
  * .xlsx must be a zip; its entries are counted and really decompressed (streamed, never held)
    against a cap on the total uncompressed size, the entry count and the compression ratio, so a
    zip bomb with lying headers is caught too;
  * macro formats (.xlsm, .xlsb, .xls, a vbaProject part, a macro-enabled content type) are refused;
  * an XML part that declares a DTD or entities (XXE, billion laughs) is refused before any parser
    sees it (python-calamine's XML reader does not expand entities either);
  * a .csv must be text: a renamed binary (zip, OLE, PDF, program, image; a NUL byte) is refused;
  * .csv is decoded as UTF-8 (with or without BOM), falling back to GB18030 (Chinese Excel's default).
Rows are then read with python-calamine and the header row is found below any title rows or merged
cells: the first row (of the first ``HEADER_SCAN_ROWS``) whose cells match enough known header names.
Blank rows are skipped; row numbers are the ones Excel shows (1-based).

Cells are normalised by ``cell_text``/``cell_date``/``cell_id_number``: NFKC (full-width digits and
letters to half-width), surrounding blanks stripped; dates from Excel date cells, Excel serials and
strings such as 1980.1.1, 1980/1/1, 1980-01-01, 19800101, 1980年1月1日; ID numbers that Excel turned
into numbers (a float, or text like 4.30302E+17) are refused with a message telling the user to
format the column as text and type the numbers again — such a value has lost digits and is never
stored.

Writing (``write_workbook``): xlsxwriter, every cell written with ``write_string`` so nothing is
ever a formula (a cell starting with = + - @ stays text), and text-formatted (@) columns where asked
(ID numbers in templates, so Excel does not turn them into numbers when typed).
"""

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

HEADER_SCAN_ROWS = 30
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year bug folded in)
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_bytes() -> int:
    return _setting("LIANXIN_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def max_uncompressed() -> int:
    return _setting("LIANXIN_IMPORT_MAX_UNCOMPRESSED", 400 * 1024 * 1024)


def max_entries() -> int:
    return _setting("LIANXIN_IMPORT_MAX_ZIP_ENTRIES", 1000)


def max_ratio() -> int:
    return _setting("LIANXIN_IMPORT_MAX_ZIP_RATIO", 200)


class SpreadsheetError(Exception):
    """The file as a whole cannot be read: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message, params: dict | None = None):
        self.code, self.params = code, params or {}
        self.message = str(message) % self.params if self.params else str(message)
        super().__init__(self.message)


class CellError(Exception):
    """One cell cannot be used as it is."""

    def __init__(self, code: str, message, params: dict | None = None):
        self.code, self.params = code, params or {}
        self.message = str(message) % self.params if self.params else str(message)
        super().__init__(self.message)


# ---------------------------------------------------------------- guards


def file_format(filename: str, data: bytes) -> str:
    """ "xlsx" or "csv" after the guards; raise SpreadsheetError otherwise. Nothing is parsed yet."""
    name = (filename or "").lower().strip()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if len(data) > max_bytes():
        raise SpreadsheetError(
            "too_large",
            _("The file is %(size)s MB; the limit is %(limit)s MB. Please split it into smaller files."),
            {"size": round(len(data) / 1048576, 1), "limit": round(max_bytes() / 1048576, 1)},
        )
    if not data:
        raise SpreadsheetError("empty", _("The file is empty."))
    if ext in {"xlsm", "xltm", "xlsb", "xlam"}:
        raise SpreadsheetError(
            "macro", _("Files with macros (.xlsm, .xlsb) are not accepted. Please save as .xlsx.")
        )
    if ext == "xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SpreadsheetError(
            "old_format", _("The old .xls format is not accepted. Please save the file as .xlsx.")
        )
    if ext == "csv":
        _check_text(data)
        return "csv"
    if ext != "xlsx":
        raise SpreadsheetError("extension", _("Please upload an .xlsx or .csv file."))
    _check_zip(data)
    return "xlsx"


def _check_zip(data: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SpreadsheetError(
            "not_xlsx", _("This is not a valid .xlsx file. Please save it again as .xlsx.")
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
        if len(entries) > max_entries():
            raise SpreadsheetError("zip_bomb", _("The file has too many parts to be a normal spreadsheet."))
        names = {entry.filename.lower() for entry in entries}
        if any(n.endswith("vbaproject.bin") for n in names):
            raise SpreadsheetError(
                "macro", _("Files with macros (.xlsm, .xlsb) are not accepted. Please save as .xlsx.")
            )
        if "[content_types].xml" in names:
            types = archive.read("[Content_Types].xml")[:200_000].lower()
            if b"macroenabled" in types:
                raise SpreadsheetError(
                    "macro", _("Files with macros (.xlsm, .xlsb) are not accepted. Please save as .xlsx.")
                )
        declared = sum(entry.file_size for entry in entries)
        compressed = max(sum(entry.compress_size for entry in entries), 1)
        if declared > max_uncompressed() or declared / compressed > max_ratio():
            raise SpreadsheetError("zip_bomb", _("The file expands to an unreasonable size; it was refused."))
        # Headers can lie: count what really comes out, in chunks, stopping at the cap.
        total, limit = 0, min(max_uncompressed(), max_ratio() * compressed)
        for entry in entries:
            with archive.open(entry) as stream:
                first = True
                while chunk := stream.read(1 << 20):
                    if first and _declares_entities(chunk):
                        raise SpreadsheetError(
                            "xml_entities",
                            _(
                                "This file declares XML entities; it was refused. Please save it again as .xlsx."
                            ),
                        )
                    first = False
                    total += len(chunk)
                    if total > limit:
                        raise SpreadsheetError(
                            "zip_bomb", _("The file expands to an unreasonable size; it was refused.")
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise SpreadsheetError(
            "not_xlsx", _("This is not a valid .xlsx file. Please save it again as .xlsx.")
        ) from None


# What a renamed binary file starts with: zip/xlsx, OLE (.xls/.doc), PDF, Windows and ELF programs, images.
BINARY_MAGIC = (
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"%PDF",
    b"MZ",
    b"\x7fELF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
)


def _check_text(data: bytes) -> None:
    """A .csv must be text: no known binary signature, no NUL byte in its first 64 KB."""
    if data.startswith(BINARY_MAGIC) or b"\x00" in data[:65536]:
        raise SpreadsheetError(
            "not_csv", _("This file is not a CSV text file. Please save it as UTF-8 CSV or .xlsx.")
        )


def _declares_entities(head: bytes) -> bool:
    """XXE and billion-laughs need a DTD; a spreadsheet written by Excel or WPS never has one."""
    lowered = head[:65536].lower()
    return b"<!doctype" in lowered or b"<!entity" in lowered


def decode_csv(data: bytes) -> str:
    """UTF-8 with or without BOM; otherwise GB18030 (a superset of GBK/GB2312)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "encoding", _("The CSV file is neither UTF-8 nor GB18030 text. Please save it as UTF-8 CSV.")
        ) from None


# ---------------------------------------------------------------- reading


def raw_rows(data: bytes, fmt: str) -> Iterator[tuple[str, int, list]]:
    """(sheet name, Excel row number, cell values) of every visible sheet, blank rows included."""
    if fmt == "csv":
        reader = csv.reader(io.StringIO(decode_csv(data)))
        for number, row in enumerate(reader, start=1):
            yield "CSV", number, row
        return
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible")]
        for name in sheets:
            sheet = book.get_sheet_by_name(name)
            # iter_rows starts at the sheet's first row (index 0), so Excel's number is index + 1.
            for index, row in enumerate(sheet.iter_rows()):
                yield name, index + 1, row
    except CalamineError as exc:
        raise SpreadsheetError(
            "unreadable",
            _("The file could not be read (%(error)s). Please save it again as .xlsx."),
            {"error": str(exc)[:200]},
        ) from None


def is_blank(row: Sequence) -> bool:
    """Every cell empty or blanks only. A plain loop: it returns at a data row's first cell, where
    ``all()`` over a generator cost more than the test itself (170,000 rows an import)."""
    for value in row:
        if value is None:
            continue
        if not isinstance(value, str):
            return False
        if value and not value.isspace():
            return False
    return True


_PAREN = re.compile(r"\(.*?\)|\[.*?\]")


def normalize_header(text) -> str:
    """ "  身份证 号码（18位）：" → "身份证号码": NFKC, no blanks, no notes in brackets, no * or :."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = _PAREN.sub("", value)
    value = "".join(value.split())
    return value.strip("*:：").lower()


@dataclass
class Header:
    sheet: str
    row: int
    columns: dict[str, int]  # field key → position in the row
    labels: dict[str, str]  # field key → the header as written in the file


@dataclass
class Table:
    """One sheet's header and a lazy iterator over its non-blank data rows."""

    header: Header | None
    rows: Iterator[tuple[int, list]] = field(default_factory=lambda: iter(()))


def find_table(data: bytes, fmt: str, aliases: dict[str, Iterable[str]], *, min_matches: int = 2) -> Table:
    """The first sheet with a header row: a row matching at least ``min_matches`` known names.

    ``aliases`` maps a field key to accepted header names (normalised with ``normalize_header``).
    """
    lookup = {normalize_header(name): key for key, names in aliases.items() for name in names}
    stream = raw_rows(data, fmt)
    current_sheet, scanned = None, 0
    for sheet, number, row in stream:
        if sheet != current_sheet:
            current_sheet, scanned = sheet, 0
        scanned += 1
        if scanned > HEADER_SCAN_ROWS:
            continue
        columns, labels = {}, {}
        for position, value in enumerate(row):
            key = lookup.get(normalize_header(value)) if isinstance(value, str) else None
            if key and key not in columns:
                columns[key], labels[key] = position, str(value).strip()
        if len(columns) >= min_matches:
            header = Header(sheet, number, columns, labels)
            return Table(header, _data_rows(stream, sheet))
    return Table(None)


def _data_rows(stream, sheet: str) -> Iterator[tuple[int, list]]:
    for name, number, row in stream:
        if name != sheet:
            return
        if not is_blank(row):
            yield number, row


# ---------------------------------------------------------------- cells


def cell_text(value) -> str:
    """Text of a cell: NFKC, blanks collapsed and stripped; whole floats lose their ".0"."""
    if type(value) is str:
        if value.isascii():  # ASCII is already in NFKC: skip the normalisation (most cells)
            return " ".join(value.split())
        return " ".join(unicodedata.normalize("NFKC", value).split())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


_DATE = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?$")
_DATE8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _invalid_date():
    return CellError(
        "date",
        _("This is not a date. Please write it like 1980-01-01, 1980.1.1 or 1980年1月1日."),
    )


def cell_date(value) -> dt.date | None:
    """A date from a date cell, an Excel serial number or common written forms; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value <= MAX_EXCEL_SERIAL or not float(value).is_integer():
            raise _invalid_date()
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = cell_text(value)
    if not text:
        return None
    match = _DATE.match(text) or _DATE8.match(text)
    if not match:
        if text.isdigit() and 1 <= int(text) <= MAX_EXCEL_SERIAL and len(text) <= 5:
            return EXCEL_EPOCH + dt.timedelta(days=int(text))
        raise _invalid_date()
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _invalid_date() from None


_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


def cell_id_number(value) -> str:
    """The ID number as text (half-width, upper-case X); never a value Excel made a number of."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise number_mangled_error()
    text = cell_text(value).replace(" ", "")
    if _SCIENTIFIC.match(text):
        raise number_mangled_error()
    return text.upper()


def number_mangled_error() -> CellError:
    return CellError(
        "id_as_number",
        _(
            "Excel turned this ID number into a number and may have lost digits. Set the column's "
            "format to Text, type the ID numbers again, then upload."
        ),
    )


# ---------------------------------------------------------------- writing


@dataclass
class SheetSpec:
    name: str
    headers: list[str]
    rows: Iterable[Sequence] = ()
    text_columns: set[int] = field(default_factory=set)  # formatted as Text (@) for rows typed later
    widths: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # shown on a second sheet (e.g. template help)


def write_workbook(sheets: list[SheetSpec], *, watermark: str = "", author: str = "") -> bytes:
    """An .xlsx where every cell is a string: nothing can become a formula, a date or a number.

    ``watermark`` (exports: who exported it and when) goes in every sheet's printed header and
    footer and in the document properties, so a copy found elsewhere says where it came from."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    # 49 is Excel's built-in Text format ("@"): what a user gets from Format Cells → Text.
    if watermark:
        book.set_properties(
            {"title": watermark, "author": author, "comments": watermark, "keywords": "lianxin"}
        )
    bold = book.add_format({"bold": True, "num_format": 49})
    text = book.add_format({"num_format": 49})
    for spec in sheets:
        sheet = book.add_worksheet(spec.name[:31])
        if watermark:
            mark = watermark.replace("&", "&&")[:200]
            sheet.set_header(f"&L{mark}")
            sheet.set_footer(f"&L{mark}&R&P / &N")
        for col in range(len(spec.headers)):
            width = spec.widths.get(col, 14)
            sheet.set_column(col, col, width, text if col in spec.text_columns else None)
        for col, title in enumerate(spec.headers):
            sheet.write_string(0, col, str(title), bold)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(spec.rows, start=1):
            for col, value in enumerate(row):
                if value is None or value == "":
                    continue
                sheet.write_string(r, col, str(value), text if col in spec.text_columns else None)
        if spec.notes:
            help_sheet = book.add_worksheet(str(_("Notes"))[:31])
            help_sheet.set_column(0, 0, 100)
            for r, line in enumerate(spec.notes):
                help_sheet.write_string(r, 0, str(line))
    book.close()
    return buffer.getvalue()
