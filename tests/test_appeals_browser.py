"""Residents' requests in a real browser (D4): a staff member records a phone request at the desk
(desktop), hands it on and answers it; the resident checks its status on the portal with a phone.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text.
"""

import pytest

from lianxin.appeals.models import Request, RequestCategory

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, log_in, path_of, screenshot, texts
from .test_registry_pages import registry_sample

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_staff_records_a_request_at_the_desk(open_page, city, personas):
    people = registry_sample(city)
    page = open_page(**DESKTOP)
    log_in(page, "staff")
    page.click("nav.mainnav a[href='/requests/']")
    assert path_of(page) == "/requests/"
    page.click("[data-test=intake-link]")
    assert path_of(page) == "/requests/new/"

    # Find the resident by pinyin initials, then fill in the one intake screen.
    page.fill("#who", "zs")
    with page.expect_navigation():
        page.click("[data-test=who-search] button[type=submit]")
    page.select_option("#id_resident", str(people["head"].pk))
    page.select_option("#id_channel", "phone")
    page.select_option("#id_category", str(RequestCategory.objects.get(code="facilities").pk))
    page.select_option("#id_place", str(city.happy_building.pk))
    page.fill("#id_description", "1号楼门口路灯坏了一周，晚上老人出门不安全")
    page.set_input_files(
        "#id_attachments", files=[{"name": "路灯.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    screenshot(page, "appeals-intake-desktop")
    with page.expect_navigation():
        page.click("[data-test=intake-submit]")

    request = Request.objects.get()
    assert path_of(page) == f"/requests/{request.pk}/"
    assert page.inner_text("[data-test=case-number]") == request.number
    assert request.owner == personas["staff"] and request.resident == people["head"]
    assert request.attachments.count() == 1

    # Answer it from the case page: the timeline shows both steps.
    page.fill("[data-test=action-reply] textarea[name=text]", "已报修，物业明日更换灯泡")
    with page.expect_navigation():
        page.click("[data-test=action-reply] button[type=submit]")
    request.refresh_from_db()
    assert request.status == "answered"
    assert len(texts(page, "[data-test=timeline] li")) == 2
    screenshot(page, "appeals-detail-desktop")


def test_resident_checks_the_status_on_a_phone(open_page, city, personas):
    from lianxin.appeals import services

    request = services.request_intake(
        actor=personas["staff"],
        channel="desk",
        place=city.happy,
        category="environment",
        description="小区垃圾桶满溢",
        requester_name="王五",
        requester_phone="13900001111",
    )
    services.request_reply(actor=personas["staff"], request=request, text="已增加清运次数")

    page = open_page(**PHONE)
    page.goto("/portal/requests/status/")
    page.fill("#id_number", request.number)
    page.fill("#id_phone", "13900002222")  # a wrong phone
    with page.expect_navigation():
        page.click("[data-test=status-submit]")
    assert page.locator("[data-test=not-found]").count() == 1
    assert page.locator("[data-test=result]").count() == 0
    screenshot(page, "appeals-portal-not-found-phone")

    page.fill("#id_number", request.number)
    page.fill("#id_phone", "139 0000 1111")
    with page.expect_navigation():
        page.click("[data-test=status-submit]")
    assert page.locator("[data-test=result]").count() == 1
    assert "已增加清运次数" in page.inner_text("[data-test=portal-answer]")
    body = page.inner_text("body")
    assert "王五" not in body and "13900001111" not in body and "垃圾桶满溢" not in body
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "appeals-portal-status-phone")


def test_officer_drills_down_from_the_district_to_the_cases(open_page, city, personas):
    from lianxin.appeals import services

    for who, where in [("staff", city.happy_building), ("staff", city.happy), ("outsider", city.unity)]:
        services.request_intake(
            actor=personas[who],
            channel="phone",
            place=where,
            category="property",
            description="电梯停运",
            requester_name="王五",
        )
    page = open_page(**DESKTOP)
    log_in(page, "district")
    page.goto("/requests/dashboard/")
    rows = texts(page, "[data-test=stats] tbody tr td:first-child")
    assert len(rows) == 2  # 幸福社区 and 团结社区: communities with requests
    assert page.locator("[data-test=stats] thead abbr[title]").count() == 4  # the definitions as tooltips
    screenshot(page, "appeals-dashboard-district")
    with page.expect_navigation():
        page.click(f"[data-test=drill][href*='within={city.happy.pk}']")
    assert len(texts(page, "[data-test=stats] tbody tr")) == 2  # 幸福社区 itself and its grid
    with page.expect_navigation():
        page.click(f"a[href='/requests/?place={city.happy_grid.pk}']")
    assert len(texts(page, "[data-test=requests] tbody tr")) == 1
    screenshot(page, "appeals-cases-of-a-grid")
