"""The visit journey (D5, issue 4 item 6) on a phone: a grid worker opens today's plan, picks the
household with a difficulty at the top, records a visit with a finding (a double tap still makes one
visit), turns the finding into a request with the household filled in, and reads it all again in the
elderly-friendly mode.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text.
"""

import pytest

from lianxin.core.access import Role
from lianxin.registry import services as registry
from lianxin.visits import services
from lianxin.visits.models import Visit

from . import browser_helpers
from .browser_helpers import PHONE, log_in, path_of, root_font_px, screenshot, toggle_elderly
from .conftest import make_user
from .test_registry_pages import registry_sample

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FINDING = "楼道灯坏了，老人夜里上下楼不便，希望尽快维修。"


@pytest.fixture
def plan_data(city, personas):
    """The registry sample (张三's household, an elderly couple) and two plain households, one visited
    recently; the grid worker and a partner are the pair of 第一网格."""
    from lianxin.appeals.models import RequestCategory

    # Seeded by a data migration; made sure of here in case an earlier test's flush removed them.
    for code, name in (("facilities", "公共设施"), ("other", "其他")):
        RequestCategory.objects.get_or_create(code=code, defaults={"name": name})
    sample = registry_sample(city)
    secretary = personas["community_secretary"]
    plain = registry.household_create(actor=secretary, place=city.happy_building, unit="1", room="102")
    visited = registry.household_create(actor=secretary, place=city.happy_building, unit="2", room="201")
    services.visit_record(actor=personas["staff"], household=visited, findings="一切正常")
    partner = make_user("partner", Role.GRID_WORKER, city.happy_grid, "搭档小王")
    services.assignment_create(
        actor=secretary, place=city.happy_grid, first=personas["grid_worker"], second=partner
    )
    return {"difficult": sample["household"], "plain": plain, "visited": visited, "partner": partner}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_grid_worker_records_a_visit_on_a_phone(open_page, plan_data):
    from lianxin.appeals.models import Request

    page = open_page(**PHONE)
    log_in(page, "grid")

    # Today's plan, from the menu.
    page.click("[data-test=nav-toggle]")
    with page.expect_navigation():
        page.click("nav.mainnav a[href='/visits/']")
    assert path_of(page) == "/visits/"
    cards = page.locator("[data-test=plan-household]")
    # Not yet visited this month: the elderly couple first, then the plain household.
    assert [int(cards.nth(i).get_attribute("data-household")) for i in range(cards.count())] == [
        plan_data["difficult"].pk,
        plan_data["plain"].pk,
    ]
    assert _no_sideways_scroll(page)
    box = cards.first.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300, box  # a thumb-sized target
    screenshot(page, "visits-phone-plan")

    # Pick the household and record the visit in one screen.
    with page.expect_navigation():
        cards.first.click()
    assert path_of(page) == f"/visits/households/{plan_data['difficult'].pk}/"
    page.check("[data-test=contact] input[value=met]")
    page.select_option("#id_companion", str(plan_data["partner"].pk))
    page.fill("#id_findings", FINDING)
    page.check("#id_needs_followup")
    save = page.locator("[data-test=save-visit]")
    assert save.bounding_box()["height"] >= 48
    assert _no_sideways_scroll(page)
    screenshot(page, "visits-phone-form")
    # A double tap on the save button still records one visit.
    # (The page before saving has no findings in its log: waiting for one waits for the new page.)
    save.dblclick()
    page.wait_for_selector("[data-test=visit-log] [data-test=findings]", timeout=30_000)
    page.wait_for_load_state()
    assert page.locator("[data-test=findings]").first.inner_text().strip() == FINDING
    visit = Visit.objects.get(household=plan_data["difficult"])
    assert visit.needs_followup and visit.companion == plan_data["partner"]
    assert Visit.objects.count() == 2  # this one and the earlier visit of another household

    # One tap turns the finding into a request with the household filled in.
    page.select_option("[data-test=request-category]", "facilities")
    with page.expect_navigation():
        page.click("[data-test=to-request]")
    page.wait_for_selector("[data-test=request-link]")
    request = Request.objects.get()
    assert (request.household_id, request.source_visit_id, request.channel) == (
        plan_data["difficult"].pk,
        visit.pk,
        "visit",
    )
    assert request.requester_name == "张三" and request.description == FINDING
    assert request.number in page.locator("[data-test=request-link]").inner_text()
    assert page.locator("[data-test=to-request]").count() == 0
    screenshot(page, "visits-phone-logged")

    # The plan now shows the household as visited (with "show all").
    with page.expect_navigation():
        page.goto("/visits/?show=all")
    first = page.locator("[data-test=plan-household]").first
    assert int(first.get_attribute("data-household")) == plan_data["difficult"].pk

    # Elderly-friendly mode: bigger text, still one column without sideways scrolling.
    standard = root_font_px(page)
    toggle_elderly(page)
    assert root_font_px(page) > standard
    assert _no_sideways_scroll(page)
    screenshot(page, "visits-phone-plan-elderly")
    with page.expect_navigation():
        page.goto(f"/visits/households/{plan_data['plain'].pk}/")
    assert _no_sideways_scroll(page)
    assert page.locator("[data-test=save-visit]").bounding_box()["height"] >= 56
    screenshot(page, "visits-phone-form-elderly")


def test_secretary_reads_coverage_pairs_and_duties_on_a_phone(open_page, plan_data, personas, settings):
    from lianxin.visits.models import AssistantDuty

    settings.LIANXIN_VISIT_PAIR_WARN_ABOVE = 2  # the pair's three households count as "far above"
    page = open_page(**PHONE)
    log_in(page, "secretary")
    page.goto("/visits/coverage/")
    totals = [t.strip() for t in page.locator("[data-test=totals] dd").all_inner_texts()]
    assert totals == ["3", "1", "33%", "2"]  # households, visited this month, coverage, never visited
    assert page.locator("[data-test=never-visited] li").count() == 2
    assert _no_sideways_scroll(page)
    screenshot(page, "visits-phone-coverage")

    page.goto("/visits/pairs/")
    assert page.locator("[data-test=overload-warning]").count() == 1
    assert page.locator("[data-test=load]").first.inner_text().strip().startswith("3")
    screenshot(page, "visits-phone-pairs")

    # The assistant records this week's call; the secretary sees it done.
    assistant = open_page(**PHONE)
    log_in(assistant, "assistant")
    assistant.goto("/visits/duties/")
    with assistant.expect_navigation():
        assistant.click("[data-kind=weekly_call] [data-test=record-duty]")
    assistant.fill("#id_note", "已电话联系书记")
    with assistant.expect_navigation():
        assistant.click("main form button[type=submit]")
    assert path_of(assistant) == "/visits/duties/"
    assert assistant.get_attribute("[data-kind=weekly_call]", "data-status") == "done"
    assert AssistantDuty.objects.get().assistant == personas["assistant"]
    screenshot(assistant, "visits-phone-duties")

    page.goto("/visits/duties/")
    assert (
        page.get_attribute(
            f"[data-assistant='{personas['assistant'].pk}'] [data-kind=weekly_call]", "data-status"
        )
        == "done"
    )
