"""D11 must-show in a real browser: a resident books a room on a phone (390×844), staff approve it,
the resident checks the booking with its code. Elements are found by URL, data-test attributes and
form field names, never by translated text."""

import datetime as dt

import pytest
from django.utils import timezone

from lianxin.cobuilding import services
from lianxin.cobuilding.models import Booking, BookingStatus

from . import browser_helpers
from .browser_helpers import PHONE, body_is_elderly, log_in, path_of, screenshot, toggle_elderly
from .test_cobuilding_helpers import catalogue

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_resident_books_a_room_on_a_phone_and_staff_approve_it(open_page, city, personas):
    room = services.room_create(
        actor=personas["staff"],
        place=city.happy,
        name="市民学校教室",
        kind="school",
        opens_at=dt.time(8, 30),
        closes_at=dt.time(21, 0),
        capacity=30,
    )
    day = timezone.localdate() + dt.timedelta(days=2)

    phone = open_page(**PHONE)
    phone.goto("/portal/facilities/")
    screenshot(phone, "cobuilding-portal-rooms-phone")
    phone.click(f"[data-test=room-{room.pk}]")
    assert path_of(phone) == f"/portal/facilities/{room.pk}/book/"
    # Phone-first: the form fits the screen, nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("#id_day", day.isoformat())
    phone.select_option("#id_start", "19:00")
    phone.select_option("#id_end", "20:30")
    phone.fill("#id_purpose", "老年合唱团排练")
    phone.fill("#id_people", "12")
    phone.fill("#id_booker_name", "周阿姨")
    phone.fill("#id_phone", "13907310001")
    screenshot(phone, "cobuilding-portal-book-form-phone")
    with phone.expect_navigation():
        phone.click("[data-test=book-submit]")
    code = phone.inner_text("[data-test=booking-code]").strip()
    screenshot(phone, "cobuilding-portal-booked-phone")
    booking = Booking.objects.get(code=code)
    assert booking.status == BookingStatus.PENDING and booking.room_id == room.pk
    assert booking.phone_masked == "139****0001" and "13907310001" not in booking.phone_encrypted
    assert timezone.localtime(booking.starts_at).time() == dt.time(19, 0)

    # The same slot again: refused with the message on the form, nothing written.
    phone.goto(f"/portal/facilities/{room.pk}/book/")
    phone.fill("#id_day", day.isoformat())
    phone.select_option("#id_start", "20:00")
    phone.select_option("#id_end", "21:00")
    phone.fill("#id_purpose", "排练")
    phone.fill("#id_booker_name", "钱先生")
    phone.fill("#id_phone", "13907310002")
    with phone.expect_navigation():
        phone.click("[data-test=book-submit]")
    assert phone.locator(".has-error #id_start").count() == 1
    assert "16:00" not in phone.inner_text(".has-error .error") and "19:00" in phone.inner_text(
        ".has-error .error"
    )
    assert Booking.objects.filter(room=room).count() == 1
    screenshot(phone, "cobuilding-portal-conflict-phone")

    staff = open_page(**PHONE)
    log_in(staff, "staff")
    staff.goto("/cobuilding/facilities/")
    assert staff.locator(f"[data-test=booking-{code}]").count() == 1
    screenshot(staff, "cobuilding-staff-pending-phone")
    with staff.expect_navigation():
        staff.click(f"[data-test=approve-{booking.pk}]")
    assert staff.locator(f"[data-test=pending] [data-test=booking-{code}]").count() == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED and booking.decided_by == personas["staff"]
    screenshot(staff, "cobuilding-staff-approved-phone")

    phone.goto("/portal/facilities/status/")
    phone.fill("#id_code", code.lower())
    with phone.expect_navigation():
        phone.click("[data-test=status-submit]")
    status = phone.inner_text("[data-test=booking-status]").strip()
    assert status == catalogue("Approved")
    assert phone.locator("[data-test=result]").count() == 1
    assert "周阿姨" not in phone.content() and "13907310001" not in phone.content()
    screenshot(phone, "cobuilding-portal-status-phone")

    # Elderly mode: the same pages in large type, still one column on the phone.
    phone.goto(f"/portal/facilities/{room.pk}/book/")
    toggle_elderly(phone)
    assert body_is_elderly(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "cobuilding-portal-book-elderly-phone")
