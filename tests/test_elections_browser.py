"""Elections in a real browser (issue 14): the secretary records the meeting, a teller enters paper
ballots on the keyboard (one ballot per submit; a double click adds one ballot) with the running
totals in view, counts the round, and prints the result sheet; the PDF holds the organization's and
the candidates' names. The teller page is also checked on a phone (390×844).

Elements are found by URL, data-test attributes and form field names, never by translated text.
"""

import io

import pytest

from lianxin.elections import services
from lianxin.elections.models import Ballot, ElectionStatus

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, log_in, path_of, screenshot
from .test_elections_helpers import ids, make_election

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_tellers_enter_paper_ballots_and_print_the_result_sheet(open_page, live_server, city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=2, actor=secretary)
    services.slate_fix(actor=secretary, election=election)
    first = election.rounds.get(number=1)
    wang, li = ids(first)

    laptop = open_page(**DESKTOP)
    log_in(laptop, "secretary")
    laptop.click("nav.mainnav a[href='/elections/']")
    assert path_of(laptop) == "/elections/"
    laptop.click(f"[data-test=election-{election.pk}] a")
    laptop.click("[data-test=open-round-1]")
    laptop.fill("input[name=entitled]", "6")
    laptop.fill("input[name=present]", "5")
    assert laptop.input_value("input[name=held_on]")  # today, in the date picker
    with laptop.expect_navigation():
        laptop.click("main form button[type=submit]")
    screenshot(laptop, "elections-after-meeting")
    assert path_of(laptop) == f"/elections/rounds/{first.pk}/teller/"

    # Keyboard only: the first radio has the focus; arrows choose, Enter submits.
    def ballot(wang_mark, li_mark):
        form = laptop.locator("[data-test=ballot-form]")
        form.locator(f"input[name=c{wang}][value='{wang_mark}']").check()
        form.locator(f"input[name=c{li}][value='{li_mark}']").check()
        with laptop.expect_navigation():
            form.locator(f"input[name=c{li}][value='{li_mark}']").press("Enter")

    ballot("for", "against")
    ballot("for", "abstain")
    ballot("against", "for")
    ballot("", "")  # blank
    assert laptop.locator("[data-test=ballots]").inner_text().strip() == "4"
    # The fifth paper, the button clicked twice: one ballot.
    laptop.locator(f"[data-test=ballot-form] input[name=c{wang}][value=for]").check()
    # The second click may abort the first click's navigation (ERR_ABORTED): wait for the page that
    # follows, whichever of the two requests it answers, not for one particular navigation.
    from playwright.sync_api import expect

    laptop.locator("[data-test=enter-ballot]").dblclick()
    expect(laptop.locator("[data-test=ballots]")).to_have_text("5", timeout=15_000)
    laptop.goto(f"/elections/rounds/{first.pk}/teller/")
    assert Ballot.objects.filter(round=first).count() == 5
    assert laptop.locator("[data-test=ballots]").inner_text().strip() == "5"
    assert laptop.locator("[data-test=blank]").inner_text().strip() == "1"
    assert laptop.locator(f"[data-test=total-{wang}] .for").inner_text().strip() == "3"
    screenshot(laptop, "elections-teller-laptop")

    phone = open_page(**PHONE)
    log_in(phone, "committee")
    phone.goto(f"/elections/rounds/{first.pk}/teller/")
    assert phone.locator("[data-test=ballot-form]").count() == 1
    screenshot(phone, "elections-teller-phone")

    with laptop.expect_navigation():
        laptop.click("[data-test=close-round]")
    assert path_of(laptop) == f"/elections/{election.pk}/"
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED
    assert list(election.candidates.filter(elected=True).values_list("name", flat=True)) == ["王建华"]
    href = laptop.get_attribute("[data-test=result-sheet]", "href")
    response = laptop.request.get(href)
    assert response.status == 200, response.status
    body = response.body()
    if not body.startswith(b"%PDF"):
        pytest.skip("PDF output unavailable here")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).replace(" ", "")
    assert "幸福社区党委" in text and "王建华" in text and "李秀英" in text
    screenshot(laptop, "elections-election-laptop")
