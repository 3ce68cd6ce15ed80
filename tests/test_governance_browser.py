"""Governance in a real browser (issue 14): the secretary records the evidence of a standards item
with a photo on a laptop and submits the self-check; the subdistrict officer reviews the last item on
a phone and concludes (class 2, with an upgrade plan); a party member applies to sit in on the
committee meeting from their phone, in the elderly-friendly layout.

Elements are found by URL, data-test attributes and form field names, never by translated text.
"""

import importlib

import pytest
from django.apps import apps

from lianxin.branch import services as branch
from lianxin.governance import services
from lianxin.governance.models import CheckStatus, ItemReview, SittingInApplication
from lianxin.places.models import PartyOrganization

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, body_is_elderly, log_in, path_of, screenshot, toggle_elderly
from .test_governance_helpers import PNG, committee_meeting, people

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_self_check_review_and_sitting_in(open_page, live_server, city, personas, tmp_path):
    # The flush of an earlier transactional test may have emptied the seeded checklists.
    importlib.import_module("lianxin.governance.migrations.0002_default_checklists").seed(apps, None)
    secretary, officer = personas["community_secretary"], personas["subdistrict_officer"]
    check = services.check_start(actor=secretary, organization=city.happy_committee, year=2026)
    rows = {row.item.code: row for row in check.items.select_related("item")}
    for code, row in rows.items():
        if code != "room":
            services.check_item_record(
                actor=secretary, check_item=row, evidence="台账齐全", self_score=row.item.points
            )

    laptop = open_page(**DESKTOP)
    log_in(laptop, "secretary")
    laptop.click("nav.mainnav a[href='/governance/']")
    assert path_of(laptop) == "/governance/"
    laptop.goto(f"/governance/checks/{check.pk}/")
    laptop.click("tr[data-code=room] a.button")
    assert path_of(laptop) == f"/governance/check-items/{rows['room'].pk}/"
    laptop.fill("textarea[name=evidence]", "党员活动室30平方米，标识上墙，附照片")
    laptop.fill("input[name=self_score]", "9")
    photo = tmp_path / "room.png"
    photo.write_bytes(PNG)
    laptop.set_input_files("input[name=attachment]", str(photo))
    laptop.click("main form button[type=submit]")
    assert path_of(laptop) == f"/governance/checks/{check.pk}/"
    assert laptop.locator("tr[data-code=room] [data-test=evidence-file]").count() == 1
    with laptop.expect_navigation():
        laptop.click(f"form[action='/governance/checks/{check.pk}/submit/'] button")
    assert laptop.locator("[data-test=status]").count() == 1
    check.refresh_from_db()
    assert check.status == CheckStatus.SUBMITTED
    screenshot(laptop, "governance-self-check-laptop")

    # The subdistrict officer: every item but the premises room reviewed already; this one on a phone.
    for code, row in rows.items():
        if code != "room":
            services.item_review(
                actor=officer, check_item=row, decision=ItemReview.ACCEPTED, score=0 if code == "fees" else 10
            )
    phone = open_page(**PHONE)
    log_in(phone, "east")
    phone.goto(f"/governance/check-items/{rows['room'].pk}/review/")
    phone.check("input[name=decision][value=accepted]")
    phone.fill("input[name=score]", "5")
    phone.fill("textarea[name=note]", "照片不够清楚")
    phone.click("main form button[type=submit]")
    assert path_of(phone) == f"/governance/checks/{check.pk}/"
    with phone.expect_navigation():
        phone.click(f"form[action='/governance/checks/{check.pk}/conclude/'] button")
    assert phone.locator("[data-test=plan]").count() == 1
    check.refresh_from_db()
    assert (check.score, check.rating) == (85, 2)
    assert PartyOrganization.objects.get(pk=city.happy_committee.pk).rating == 2
    assert check.plan.items.count() == 2
    screenshot(phone, "governance-review-phone")

    # A member applies to sit in on the committee meeting, on a phone, in the elderly layout.
    (member,) = people(city, secretary, 1)[0]
    branch.member_account_link(actor=secretary, user=personas["party_member"], resident=member.resident)
    open_meeting = services.meeting_open(actor=secretary, meeting=committee_meeting(city, secretary), seats=3)
    member_phone = open_page(**PHONE)
    log_in(member_phone, "member")
    toggle_elderly(member_phone)
    assert body_is_elderly(member_phone)
    assert member_phone.locator("nav.mainnav a[href='/governance/mine/']").count() == 1
    member_phone.goto("/governance/mine/")
    form = member_phone.locator(f"form[action='/governance/mine/{open_meeting.pk}/apply/']")
    form.locator("textarea[name=motivation]").fill("想听听停车方案怎么定")
    form.locator("button[type=submit]").click()
    assert path_of(member_phone) == "/governance/mine/"
    assert member_phone.locator("[data-test=my-applications] li .tag").count() == 1
    application = SittingInApplication.objects.get(member=member)
    assert (application.status, application.motivation) == ("pending", "想听听停车方案怎么定")
    screenshot(member_phone, "governance-sitting-in-phone-elderly")
