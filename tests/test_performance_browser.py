"""A resident scans a slip's QR link on a phone and submits the public evaluation (D10 群众测评):
no login, one tap per person, the ballot counts once; the same link again is refused.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text.
"""

import pytest

from lianxin.performance.models import Ballot, BallotCode, BallotMark, CodeStatus
from lianxin.performance.views import slip_rows

from . import browser_helpers
from .browser_helpers import PHONE, path_of, root_font_px, screenshot, toggle_elderly
from .test_performance_services import perf_sample

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_resident_opens_the_slips_qr_link_on_a_phone_and_evaluates(open_page, live_server, city, personas):
    sample = perf_sample(city)
    code = sample["codes"][0]
    (slip,) = slip_rows(live_server.url, [code])
    assert slip["qr"].startswith("data:image/svg+xml") and slip["link"].endswith(f"/portal/evaluate/{code}/")

    page = open_page(**PHONE)
    page.goto(slip["link"])  # what the phone's camera opens
    assert path_of(page) == f"/portal/evaluate/{code}/"
    assert page.locator(".who").count() == 0  # nobody is signed in
    assert page.locator("[data-test=code]").inner_text().replace("-", "") == code
    people = page.locator("[data-test=evaluee]")
    assert people.count() == 2
    assert _no_sideways_scroll(page)
    # Submitting with nobody rated is stopped by the browser (required radios): nothing is counted.
    page.click("[data-test=submit]")
    assert path_of(page) == f"/portal/evaluate/{code}/" and Ballot.objects.count() == 0
    people.nth(0).locator("[data-test=rate-satisfied]").check()
    people.nth(1).locator("[data-test=rate-basically]").check()
    radio = people.nth(0).locator("label").first.bounding_box()
    assert radio["height"] >= 24, radio
    screenshot(page, "performance-phone-ballot")
    with page.expect_navigation():
        page.click("[data-test=submit]")
    assert path_of(page) == "/portal/evaluate/thanks/"
    page.wait_for_selector("[data-test=thanks]")
    screenshot(page, "performance-phone-thanks")

    ballot = Ballot.objects.get()
    assert ballot.channel == "online" and BallotCode.objects.get(code=code).status == CodeStatus.USED
    marks = dict(BallotMark.objects.values_list("evaluee__name", "rating"))
    assert marks == {"王书记": "satisfied", "幸福社区第一党支部": "basically"}

    # The same slip again: refused, still one ballot.
    response = page.goto(slip["link"])
    assert response.status == 409
    assert page.locator("[data-test=refused]").count() == 1
    assert Ballot.objects.count() == 1

    # A second slip, read in the elderly-friendly mode: bigger text, no sideways scrolling.
    page.goto(f"/portal/evaluate/?code={sample['codes'][2]}")
    assert path_of(page) == f"/portal/evaluate/{sample['codes'][2]}/"
    standard = root_font_px(page)
    toggle_elderly(page)
    assert root_font_px(page) > standard and _no_sideways_scroll(page)
    screenshot(page, "performance-phone-ballot-elderly")


def test_the_secretary_reads_the_results_and_the_goals(open_page, city, personas):
    from lianxin.performance import services

    from .browser_helpers import DESKTOP, log_in

    sample = perf_sample(city)
    cycle = sample["cycle"]
    for code, rating in zip(sample["codes"][:3], ["satisfied", "satisfied", "dissatisfied"], strict=True):
        services.ballot_cast(code=code, ratings={e.pk: rating for e in sample["evaluees"]})
    page = open_page(**DESKTOP)
    log_in(page, "secretary")
    page.goto(f"/performance/evaluations/{cycle.pk}/")
    rows = page.locator("[data-test=results] tbody tr")
    assert rows.count() == 2
    assert "66.7%" in rows.first.inner_text()  # 2 of 3 satisfied or basically satisfied
    assert page.locator("[data-test=paper-form]").count() == 1
    screenshot(page, "performance-desktop-cycle")
    page.goto(f"/performance/goals/{sample['goal'].pk}/")
    assert page.locator("[data-test=items] tbody tr").count() == 1
    screenshot(page, "performance-desktop-goal")
