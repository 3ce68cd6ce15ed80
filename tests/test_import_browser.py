"""The import journey (D2, issue 3 item 7) in a real browser: upload a file with errors, read the
dry-run report, upload the fixed file, confirm, and find the people in the registry.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text; the
sheet and column names come from the file, so they are asserted as they are.
"""

import pytest

from lianxin.registry.models import Resident

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, log_in, path_of, screenshot, texts
from .test_registry_pages import LI, WANG, ZHAO
from .test_spreadsheets import xlsx

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADER = ["楼栋", "单元", "房号", "姓名", "身份证号", "与户主关系", "联系电话"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bad_checksum(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def households_file(*, fixed: bool) -> bytes:
    rows = [
        HEADER,
        ["1号楼", "2", "301", "王五", WANG if fixed else bad_checksum(WANG), "户主", "13900000001"],
        ["1号楼", "2", "301", "赵六", ZHAO if fixed else 4.30302e17, "配偶", ""],
        ["1号楼", "2", "302", "李四" if fixed else "", LI, "户主", ""],
    ]
    return xlsx(rows, title=["幸福社区住户登记表"])


def upload(page, data: bytes, name: str) -> None:
    page.goto("/people/imports/new/")
    page.check("input[name=kind][value=households]")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    with page.expect_navigation():
        page.click("[data-test=upload]")


def test_staff_fixes_a_file_after_reading_the_dry_run(open_page, city, personas):
    page = open_page()
    log_in(page, "staff")
    page.click("nav.mainnav a[href='/people/imports/']")
    assert path_of(page) == "/people/imports/"
    page.click("[data-test=new-import]")
    assert path_of(page) == "/people/imports/new/"

    upload(page, households_file(fixed=False), "住户.xlsx")
    assert path_of(page).startswith("/people/imports/")
    rows = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator("[data-test=problems] tbody tr").all()
    ]
    # sheet, row as Excel shows it (a title row above the header), column, message.
    assert [row[:3] for row in rows] == [
        ["名单", "3", "身份证号"],
        ["名单", "4", "身份证号"],
        ["名单", "5", "姓名"],
    ]
    assert all(row[3] for row in rows), "every problem needs a message"
    assert "文本" in rows[1][3], "the ID-as-number message should say to format the column as Text"
    assert page.locator("[data-test=commit]").count() == 0
    assert not Resident.objects.exists()

    with page.expect_navigation():
        page.click("[data-test=upload-again]")
    assert page.is_checked("input[name=kind][value=households]")
    upload(page, households_file(fixed=True), "住户-改.xlsx")
    assert page.locator("[data-test=problems]").count() == 0
    assert texts(page, "[data-test=counts] dd")[:1] and page.locator("[data-test=commit]").count() == 1
    job_path = path_of(page)

    with page.expect_navigation():
        page.click("[data-test=commit]")
    assert path_of(page) == job_path
    assert page.locator("[data-test=result]").count() == 1
    assert page.locator("[data-test=commit]").count() == 0
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["李四", "王五", "赵六"]

    page.click("[data-test=see-list]")
    assert path_of(page) == "/people/households/"
    heads = texts(page, "[data-test=households] tbody tr td:nth-child(2)")
    assert sorted(heads) == ["李四", "王五"]
    page.goto("/people/residents/?q=zl")
    assert texts(page, "[data-test=residents] tbody tr td:first-child") == ["赵六"]
    assert ZHAO not in page.content()


@pytest.mark.parametrize(("device", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_report_screenshots(open_page, city, personas, device, options):
    page = open_page(**options)
    log_in(page, "staff")
    upload(page, households_file(fixed=False), "幸福社区住户登记表（2024年第三季度）.xlsx")
    assert page.locator("[data-test=problems] tbody tr").count() == 3
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the report is {overflow}px wider than the {device} screen"
    screenshot(page, f"import-report-{device}")
    page.goto("/people/imports/new/")
    screenshot(page, f"import-upload-{device}")
