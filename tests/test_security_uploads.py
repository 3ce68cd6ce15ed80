"""Issue 12 item 8: upload guards the spreadsheet tests did not cover: renamed binaries, XML entities
(XXE, billion laughs), zip headers that lie about sizes, and the guards running through the service."""

import io
import struct
import zipfile

import pytest

from lianxin.core import spreadsheets as sheets

from .test_spreadsheets import xlsx


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04rest",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"%PDF-1.7",
        b"MZ\x90\x00",
        b"\x89PNG\r\n",
        b"a,b\x00c",
    ],
)
def test_a_binary_renamed_to_csv_is_refused(data):
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("名单.csv", data + b"\n1,2\n")
    assert exc.value.code in {"not_csv", "old_format"}


def test_real_csv_text_passes():
    assert sheets.file_format("名单.csv", "姓名,身份证号\n张三,1\n".encode("gb18030")) == "csv"


def _with_part(name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx([["姓名", "身份证号"], ["张三", "1"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, content if item.filename == name else source.read(item.filename))
    return buffer.getvalue()


XXE = b"""<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>"""
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS])
def test_xml_entity_declarations_are_refused_before_parsing(payload):
    data = _with_part("xl/sharedStrings.xml", payload)
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("名单.xlsx", data)
    assert exc.value.code == "xml_entities"


def test_even_unguarded_the_parser_does_not_read_local_files():
    """Defence in depth: python-calamine never resolves external entities."""
    data = _with_part("xl/sharedStrings.xml", XXE)
    try:
        text = " ".join(str(v) for _s, _n, row in sheets.raw_rows(data, "xlsx") for v in row)
    except sheets.SpreadsheetError:
        return
    assert "root:" not in text


def test_a_zip_whose_headers_understate_the_size_is_still_caught(settings):
    settings.LIANXIN_IMPORT_MAX_UNCOMPRESSED = 100_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 5_000_000 + b"</a>")
    data = bytearray(buffer.getvalue())
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 10)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    with pytest.raises(sheets.SpreadsheetError) as exc:
        sheets.file_format("lying.xlsx", bytes(data))
    assert exc.value.code in {"zip_bomb", "not_xlsx"}


@pytest.mark.django_db
def test_the_import_service_refuses_without_storing_the_bytes(city, personas):
    from lianxin.imports import services
    from lianxin.imports.models import ImportStatus

    class Upload(io.BytesIO):
        name = "户情.xlsx"

    job = services.import_upload(
        actor=personas["staff"], kind="households", file=Upload(_with_part("xl/sharedStrings.xml", XXE))
    )
    assert job.status == ImportStatus.INVALID and not job.content
    assert job.report["problems"][0]["code"] == "xml_entities"
