"""Assistance in a real browser (D6, issue 6): a resident opens the public notices on her phone
(390×844), reads one and files an anonymous objection; no login, no JavaScript needed.

Elements are found by URL, data-test attributes and form field names, never by translated text.
"""

import pytest
from django.utils import timezone

from lianxin.assistance import programmes, services
from lianxin.assistance.models import Objection

from . import browser_helpers
from .browser_helpers import PHONE, path_of, screenshot
from .test_assistance_flow import drive_to, open_case

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_resident_reads_a_notice_and_objects_on_her_phone(open_page, city, personas):
    programmes.ensure_defaults()
    today = timezone.localdate()
    case = drive_to(open_case(city, personas), "notice", personas)
    notice = services.notice_publish(actor=personas["community_secretary"], case=case)
    assert notice.starts_on == today

    phone = open_page(**PHONE)
    phone.goto("/portal/assistance/")
    assert phone.locator("[data-test=notices] li").count() == 1
    screenshot(phone, "assistance-notices-phone")
    # Nothing wider than the screen: the list reads on a phone without sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    with phone.expect_navigation():
        phone.click("[data-test=notice-link]")
    assert path_of(phone) == f"/portal/assistance/{notice.pk}/"
    assert phone.inner_text("[data-test=masked-name]").strip() == "张*"
    body = phone.inner_text("body")
    assert (
        "13800138000" not in body
        and "11010519491231002X" not in body
        and "1单元" not in body
        and "高血压" not in body
    )

    phone.fill("textarea[name=text]", "听说该户子女每月都给生活费，请核实家庭收入。")
    assert phone.is_checked("input[name=anonymous]")
    screenshot(phone, "assistance-objection-form-phone")
    with phone.expect_navigation():
        phone.click("[data-test=objection-form] button[type=submit]")
    assert phone.locator("[data-test=objection-filed]").count() == 1
    screenshot(phone, "assistance-objection-filed-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    objection = Objection.objects.get()
    assert objection.notice_id == notice.pk and objection.anonymous and objection.answered_at is None
    assert "子女每月都给生活费" in objection.text
