"""Reporting an incident from the scene on a phone (D7, issue 9): a grid worker opens the report
screen from the menu, taps the type and severity, fills the rest on one screen, attaches a photo and
sends it; the superiors' inbox holds the report when the next page shows.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text.
"""

import pytest

from lianxin.core.models import Notification
from lianxin.disputes.models import Incident

from . import browser_helpers
from .browser_helpers import PHONE, body_is_elderly, log_in, path_of, screenshot, toggle_elderly

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _png() -> bytes:
    """A real 8×8 red PNG, so the photo shows on the incident page."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def test_grid_worker_reports_an_incident_on_a_phone(open_page, city, personas, tmp_path):
    photo = tmp_path / "scene.png"
    photo.write_bytes(PNG)
    page = open_page(**PHONE)
    log_in(page, "grid")

    page.click("[data-test=nav-toggle]")
    with page.expect_navigation():
        page.click("nav.mainnav a[href='/disputes/incidents/report/']")
    assert path_of(page) == "/disputes/incidents/report/"
    # One screen, no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.check("[data-test=incident_type] input[value=mass]")
    page.check("[data-test=severity] input[value=large]")
    page.select_option("#id_place", str(city.happy_building.pk))
    page.fill("#id_location", "1号楼东侧")
    page.fill("#id_people_affected", "25")
    page.fill("#id_description", "二十余名业主聚集，要求物业公司退还停车费。")
    page.set_input_files("#id_photos", str(photo))
    box = page.locator("[data-test=send-incident]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300, box
    screenshot(page, "disputes-phone-incident-form")

    with page.expect_navigation():
        page.click("[data-test=send-incident]")
    incident = Incident.objects.get()
    assert path_of(page) == f"/disputes/incidents/{incident.pk}/"
    assert page.locator("[data-test=people]").inner_text().strip() == "25"
    assert page.locator("[data-test=photo]").count() == 1
    screenshot(page, "disputes-phone-incident-sent")
    # A large incident: the community, the subdistrict and the district were told at once.
    told = set(
        Notification.objects.filter(dedupe_key=f"disputes.incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"secretary", "committee", "staff", "east", "district"}
    assert incident.reported_by == personas["grid_worker"]

    # The same screen in the elderly mode: bigger type, still no sideways scrolling.
    toggle_elderly(page)
    with page.expect_navigation():
        page.goto("/disputes/incidents/report/")
    assert body_is_elderly(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "disputes-phone-incident-form-elderly")
