"""User journeys of the foundation (D1) in a real browser: Debian's chromium through Playwright.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text; place
names are data, so they are asserted as they are.
"""

import pytest

from . import browser_helpers
from .browser_helpers import (
    DESKTOP,
    PHONE,
    body_is_elderly,
    log_in,
    log_out,
    path_of,
    root_font_px,
    screenshot,
    texts,
    toggle_elderly,
)

# The module's chromium and its pages (fixtures).
browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# app.css: html { font-size: var(--base) } with --base 16px, and 21px in elderly mode.
STANDARD_PX = 16.0
ELDERLY_PX = 21.0
BRAND_RED = "rgb(179, 38, 30)"


def missing_place_id() -> int:
    from lianxin.places.models import Place

    return (Place.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def test_secretary_sees_only_their_community(open_page, city, personas):
    page = open_page()
    log_in(page, "secretary")

    # Home: the numbers of 幸福社区 alone (1 community, 1 grid, 1 building; 2 organizations),
    # not the whole city's (1, 1, 2, 3, 2, 1; 3 organizations).
    assert texts(page, "[data-test=place-counts] dd") == ["1", "1", "1"]
    assert page.locator("dl.counts").nth(1).locator("dd").first.inner_text().strip() == "2"
    assert texts(page, "[data-test=communities] a") == ["幸福社区"]
    assert page.locator("nav.mainnav a[href='/places/']").count() == 1

    page.click("nav.mainnav a[href='/places/']")
    assert path_of(page) == "/places/"
    assert texts(page, "[data-test=roots] a") == ["幸福社区"]
    body = page.inner_text("main")
    assert "团结社区" not in body and "和谐社区" not in body

    # Another community by URL answers exactly like an id that does not exist.
    response = page.goto(f"/places/{city.unity.pk}/")
    assert response.status == 404
    assert "团结社区" not in page.content()
    not_yours = (page.title(), page.inner_text("main"))
    response = page.goto(f"/places/{missing_place_id()}/")
    assert response.status == 404
    assert (page.title(), page.inner_text("main")) == not_yours
    assert page.locator("header.topbar").is_visible(), "the 404 page should keep the site's frame"


def test_subdistrict_officer_drills_down_to_their_communities(open_page, city, personas):
    page = open_page()
    log_in(page, "east")

    assert sorted(texts(page, "[data-test=communities] a")) == sorted(["幸福社区", "和谐社区"])

    page.goto("/places/")
    assert texts(page, "[data-test=roots] a") == ["东街街道"]
    page.click("[data-test=roots] a")
    assert path_of(page) == f"/places/{city.east.pk}/"
    assert sorted(texts(page, "[data-test=children] > li > a")) == sorted(["幸福社区", "和谐社区"])
    assert "团结社区" not in page.content()

    page.click(f"[data-test=children] a[href='/places/{city.happy.pk}/']")
    assert path_of(page) == f"/places/{city.happy.pk}/"
    assert texts(page, "[data-test=children] > li > a") == ["第一网格"]
    assert "东街街道" in texts(page, "nav.crumbs a")

    assert page.goto(f"/places/{city.unity.pk}/").status == 404


def test_resident_has_no_staff_pages(open_page, personas):
    page = open_page()
    log_in(page, "resident")

    assert page.locator("nav.mainnav a[href='/']").count() == 1, "residents still get a menu"
    for url in ("/places/", "/orgs/"):
        assert page.locator(f"a[href='{url}']").count() == 0, f"a link to {url} is shown to a resident"

    for url in ("/places/", "/orgs/"):
        response = page.goto(url)
        assert response.status == 403, url
        assert page.locator("header.topbar").is_visible(), "the 403 page should keep the site's frame"
        assert page.locator("main a.button[href='/']").is_visible(), "the 403 page should lead back home"


def test_elderly_mode_is_remembered_on_the_account(open_page, personas):
    secretary = personas["community_secretary"]
    page = open_page()
    log_in(page, "secretary")
    assert not body_is_elderly(page)
    assert root_font_px(page) == STANDARD_PX

    toggle_elderly(page)
    assert path_of(page) == "/", "the switch should come back to the same page"
    assert body_is_elderly(page)
    assert page.get_attribute("[data-test=elderly-toggle]", "aria-pressed") == "true"
    assert root_font_px(page) == ELDERLY_PX

    page.goto("/places/")
    assert body_is_elderly(page) and root_font_px(page) == ELDERLY_PX
    secretary.refresh_from_db()
    assert secretary.elderly_mode

    # Without the cookie, only the account can remember it: a new device after logging in again.
    log_out(page)
    page.context.clear_cookies()
    page.reload()
    assert not body_is_elderly(page)
    log_in(page, "secretary")
    assert body_is_elderly(page) and root_font_px(page) == ELDERLY_PX

    toggle_elderly(page)
    assert not body_is_elderly(page)
    assert page.get_attribute("[data-test=elderly-toggle]", "aria-pressed") == "false"
    assert root_font_px(page) == STANDARD_PX
    page.goto("/todos/")
    assert not body_is_elderly(page) and root_font_px(page) == STANDARD_PX
    secretary.refresh_from_db()
    assert not secretary.elderly_mode


def assert_fits_and_is_styled(page, where: str) -> None:
    assert page.locator("header.topbar").evaluate("e => getComputedStyle(e).backgroundColor") == BRAND_RED, (
        f"{where}: app.css did not load"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{where}: the page is {overflow}px wider than the screen"


@pytest.mark.parametrize(("device", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(open_page, personas, device, options):
    page = open_page(**options)
    log_in(page, "east")
    assert_fits_and_is_styled(page, f"home on {device}")
    screenshot(page, f"home-{device}")

    page.goto("/places/")
    assert_fits_and_is_styled(page, f"places on {device}")
    screenshot(page, f"places-{device}")

    page.goto("/")
    toggle_elderly(page)
    assert body_is_elderly(page)
    assert_fits_and_is_styled(page, f"elderly home on {device}")
    screenshot(page, f"home-elderly-{device}")
