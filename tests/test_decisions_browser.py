"""Decisions in a real browser (issue 7): the secretary records the party member meeting of the
office rebuild on a laptop and reads the rule's explanation on the matter page; a household votes
with its ballot code on a phone (390×844).

Elements are found by URL, data-test attributes and form field names, never by translated text.
"""

import importlib

import pytest
from django.apps import apps

from lianxin.decisions import services
from lianxin.decisions.models import BallotCode, HouseholdVote, StageRecord

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, log_in, path_of, screenshot
from .test_decisions_helpers import category, households, walk

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_secretary_records_a_stage_and_a_household_votes_on_its_phone(open_page, live_server, city, personas):
    # The flush of an earlier transactional test may have emptied the seeded categories.
    importlib.import_module("lianxin.decisions.migrations.0002_seed_categories").seed(apps, None)
    secretary = personas["community_secretary"]
    matter = services.matter_create(
        actor=secretary, place=city.happy, title="社区办公用房改造", category=category("construction")
    )
    walk(matter, secretary, "review")

    laptop = open_page(**DESKTOP)
    log_in(laptop, "secretary")
    laptop.click("nav.mainnav a[href='/decisions/']")
    assert path_of(laptop) == "/decisions/"
    laptop.click(f"[data-test=matter-{matter.pk}] a")
    laptop.click("[data-test=record-stage]")
    form = laptop.locator("[data-test=stage-form]")
    form.locator("input[name=location]").fill("社区党群服务中心")
    form.locator("input[name=entitled]").fill("30")
    form.locator("input[name=present]").fill("16")
    form.locator("input[name=votes_for]").fill("15")
    form.locator("input[name=votes_against]").fill("1")
    form.locator("button[type=submit]").click()
    assert path_of(laptop) == f"/decisions/matters/{matter.pk}/"
    explanation = laptop.locator("[data-test=stage-review] [data-test=explanation]").inner_text()
    assert "16" in explanation and "15" in explanation
    assert StageRecord.objects.get(matter=matter, stage="review").passed is False
    screenshot(laptop, "decisions-matter-laptop")

    # A second matter in the double ballot; the household votes with its code on a phone.
    lift = services.matter_create(
        actor=secretary, place=city.happy, title="加装电梯筹资", category=category("fundraising")
    )
    walk(lift, secretary, "decision")
    home = households(city, 1)[0]
    services.ballot_codes_issue(actor=secretary, matter=lift)
    code = BallotCode.objects.get(matter=lift, household=home).code
    phone = open_page(**PHONE)
    phone.goto(f"{live_server.url}/portal/decisions/vote/")
    vote_form = phone.locator("[data-test=vote-form]")
    vote_form.locator("input[name=code]").fill(code.lower())
    vote_form.locator("input[name=choice][value=for]").check()
    with phone.expect_navigation():
        vote_form.locator("button[type=submit]").click()
    assert phone.locator("[data-test=vote-counted]").count() == 1
    assert HouseholdVote.objects.get(matter=lift, household=home).channel == "direct"
    screenshot(phone, "decisions-vote-phone")
