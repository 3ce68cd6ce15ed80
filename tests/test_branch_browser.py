"""Branch life in a real browser (D3, issue 5): the secretary records a meeting with attendance on a
laptop; the absent member finds it, with her reason, on her phone (390×844).

Elements are found by URL, data-test attributes and form field names, never by translated text.
"""

import datetime as dt
import random

import pytest
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.branch import services
from lianxin.branch.models import Attendance, Meeting, MeetingType
from lianxin.core import demo
from lianxin.registry import services as registry
from lianxin.registry.models import MemberKind

from . import browser_helpers
from .browser_helpers import DESKTOP, PHONE, log_in, path_of, screenshot, texts
from .test_registry_pages import registry_sample

browser = browser_helpers.browser
open_page = browser_helpers.open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def second_member(city):
    secretary = User.objects.get(username="secretary")
    person = demo.person(random.Random(3), min_age=40, max_age=60, today=dt.date(2026, 1, 1))
    resident = registry.resident_create(
        actor=secretary, name=person.name, id_number=person.id_number, place=city.happy_building
    )
    return registry.member_create(
        actor=secretary,
        resident=resident,
        organization=city.happy_branch,
        kind=MemberKind.EMPLOYED,
        joined_on=dt.date(2005, 7, 1),
    )


def test_secretary_records_a_meeting_and_the_absent_member_sees_it_on_her_phone(open_page, city, personas):
    zhang = registry_sample(city)["member"]
    other = second_member(city)
    services.member_account_link(
        actor=personas["community_secretary"], user=personas["party_member"], resident=zhang.resident
    )
    today = timezone.localdate()

    laptop = open_page(**DESKTOP)
    log_in(laptop, "secretary")
    laptop.click("nav.mainnav a[href='/branch/']")
    assert path_of(laptop) == "/branch/"
    laptop.click(f"[data-test=orgs] a[href^='/branch/compliance/{city.happy_branch.pk}/']")
    assert path_of(laptop) == f"/branch/compliance/{city.happy_branch.pk}/"
    assert laptop.locator("[data-test=type-committee_meeting] li.cell").count() == 12
    screenshot(laptop, "branch-org-compliance-laptop")
    laptop.click("[data-test=record-meeting]")
    assert path_of(laptop) == f"/branch/orgs/{city.happy_branch.pk}/record/"
    laptop.select_option("#id_meeting_type", str(MeetingType.objects.get(code="committee_meeting").pk))
    laptop.fill("#id_topic", "学习二十届四中全会精神")
    laptop.fill("#id_held_on", today.isoformat())
    laptop.fill("#id_location", "社区党员活动室")
    laptop.fill("#id_chair", "王书记")
    laptop.fill("#id_minutes", "传达会议精神，讨论冬季走访安排。")
    laptop.uncheck(f"#present_{zhang.pk}")
    laptop.fill(f"input[name=reason_{zhang.pk}]", "住院治疗")
    assert laptop.is_checked(f"#present_{other.pk}")
    screenshot(laptop, "branch-record-meeting-laptop")
    with laptop.expect_navigation():
        laptop.click("[data-test=save-meeting]")
    meeting = Meeting.objects.get()
    assert path_of(laptop) == f"/branch/meetings/{meeting.pk}/"
    rows = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in laptop.locator("[data-test=attendance] tbody tr").all()
    ]
    assert [row[0] for row in rows] == [other.resident.name, zhang.resident.name]  # present first
    assert rows[1][2] == "住院治疗"
    assert {(a.member_id, a.present, a.absence_reason) for a in Attendance.objects.all()} == {
        (other.pk, True, ""),
        (zhang.pk, False, "住院治疗"),
    }
    screenshot(laptop, "branch-meeting-recorded-laptop")

    phone = open_page(**PHONE)
    log_in(phone, "member")
    phone.click("[data-test=nav-toggle]")
    phone.click("nav.mainnav a[href='/branch/mine/']")
    assert path_of(phone) == "/branch/mine/"
    items = texts(phone, "[data-test=my-meetings] li")
    assert len(items) == 1
    assert "学习二十届四中全会精神" in items[0] and "住院治疗" in items[0] and today.isoformat() in items[0]
    assert phone.locator("[data-test=my-meetings] li.absent").count() == 1
    # Nothing sideways on a phone: the page is no wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "branch-my-meetings-phone")
