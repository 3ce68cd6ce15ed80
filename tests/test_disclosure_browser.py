"""The resident portal in a real browser (D9/D12): a resident on a phone, JavaScript off, reads the
community's board, opens a notice from the short link its paper copy's QR code encodes, compares the
fingerprint, and puts a comment into the comment box; then the same in elderly mode.

Elements are found by URL, data-test attributes and CSS, never by their (translated) text.
"""

import pytest

from lianxin.disclosure import services
from lianxin.disclosure.models import Comment

from . import browser_helpers
from .browser_helpers import PHONE, path_of, screenshot, texts

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_resident_reads_board_opens_qr_link_and_comments_on_a_phone(open_page, city, personas, live_server):
    secretary = personas["community_secretary"]
    old = services.publish(
        actor=secretary,
        place=city.happy,
        section="finance",
        kind="periodic",
        title="2026年第三季度财务收支公开",
        body="一、收入：社区运转经费30,000元。\n二、支出：环境卫生整治4,300元。",
    )
    notice = services.correct(
        actor=secretary,
        item=old,
        title=old.title,
        body=old.body.replace("4,300", "4,030"),
        reason="支出金额录入有误，予以更正。",
    )
    services.publish(actor=secretary, place=city.happy, section="affairs", title="停水通知", body="明日停水")

    page = open_page(**PHONE, java_script_enabled=False)
    page.goto("/portal/")
    # From the portal's menu to the board, choosing the community with a plain form.
    page.goto("/portal/requests/new/")
    with page.expect_navigation():
        page.click("[data-test=portal-board-link]")
    assert path_of(page) == "/portal/board/"
    page.select_option("#id_place", str(city.happy.pk))
    with page.expect_navigation():
        page.click("[data-test=choose-community] button[type=submit]")
    assert path_of(page) == f"/portal/board/c/{city.happy.pk}/"
    assert len(texts(page, "[data-test=board] li")) == 2
    with page.expect_navigation():
        page.click("[data-test=sections] a[href='?section=finance']")
    assert texts(page, "[data-test=board] li a") == [notice.title]
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "disclosure-board-phone")

    # The paper copy carries a QR code of the short link; the phone opens it.
    short_url = f"{live_server.url}/portal/board/n/{old.code}/"
    page.goto(short_url)
    assert path_of(page) == f"/portal/board/{old.pk}/"
    assert page.locator("[data-test=corrected-banner]").count() == 1
    assert page.inner_text("[data-test=fingerprint]") == old.fingerprint
    with page.expect_navigation():
        page.click("[data-test=newer-link]")
    assert path_of(page) == f"/portal/board/{notice.pk}/"
    assert page.inner_text("[data-test=fingerprint]") == notice.fingerprint
    assert "4,030" in page.inner_text("[data-test=notice-body]")
    assert page.inner_text("[data-test=short-link]").endswith(f"/portal/board/n/{notice.code}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "disclosure-notice-phone")

    # Comment on the notice: anonymous, the answer may be published.
    with page.expect_navigation():
        page.click("[data-test=comment-on]")
    assert path_of(page) == f"/portal/board/c/{city.happy.pk}/comment/"
    assert notice.title in page.input_value("#id_subject")
    page.fill("#id_text", "建议把每项支出的明细也公开。")
    page.check("#id_publish_agreed")
    screenshot(page, "disclosure-comment-phone")
    with page.expect_navigation():
        page.click("[data-test=comment-form] button[type=submit]")
    comment = Comment.objects.get()
    assert page.inner_text("[data-test=comment-number]") == comment.number
    assert comment.anonymous and comment.publish_agreed and comment.place == city.happy
    assert comment.name == "" and comment.phone_enc == ""

    # The receipt page shows the answer once the community has given it.
    services.comment_answer(actor=secretary, comment=comment, answer="下季度起公开支出明细。")
    with page.expect_navigation():
        page.click("[data-test=comment-filed] a.button")
    assert "下季度起公开支出明细" in page.inner_text("[data-test=answer]")


def test_board_in_elderly_mode(open_page, city, personas):
    services.publish(
        actor=personas["community_secretary"],
        place=city.happy,
        section="service",
        topic="guide",
        title="办理居住证明的程序",
        body="1. 携带身份证到社区服务站。\n2. 填写申请表。",
    )
    page = open_page(**PHONE)
    page.goto(f"/portal/board/c/{city.happy.pk}/?topic=guide")
    normal = browser_helpers.root_font_px(page)
    browser_helpers.toggle_elderly(page)
    assert browser_helpers.body_is_elderly(page)
    assert browser_helpers.root_font_px(page) > normal
    assert texts(page, "[data-test=board] li a") == ["办理居住证明的程序"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "disclosure-guides-phone-elderly")
