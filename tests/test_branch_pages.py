"""Branch-life pages (D3, issue 5): recording a meeting with attendance through the form, the late
entry refusal on the form, the compliance pages and a member's own page."""

import datetime as dt
import random

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from lianxin.accounts.models import User
from lianxin.branch import services
from lianxin.branch.models import Attendance, Meeting, MeetingType, Recruit, VisitTask
from lianxin.core import demo
from lianxin.registry import services as registry

from .conftest import city_per_module
from .test_registry_pages import registry_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def branch_sample(city):
    """A held meeting of 幸福社区第一党支部 (张三 absent, with a file), a visit task for 张三 and a
    recruit (李四); made once per test and kept on the city object for the permission matrices."""
    sample = getattr(city, "_branch_sample", None)
    if sample is not None:
        return sample
    people = registry_sample(city)
    secretary = User.objects.get(username="secretary")
    member = people["member"]
    meeting = services.meeting_record(
        actor=secretary,
        organization=city.happy_branch,
        meeting_type=MeetingType.objects.get(code="committee_meeting"),
        held_on=timezone.localdate(),
        topic="学习党章",
        attendance={member.pk: (False, "住院")},
    )
    attachment = services.meeting_attach(
        actor=secretary, meeting=meeting, file=SimpleUploadedFile("签到表.txt", "张三 请假".encode())
    )
    task, _opened = services.member_condition_report(actor=secretary, member=member, cause="ill", note="住院")
    recruit = services.recruit_create(
        actor=secretary,
        resident=people["spouse"],
        organization=city.happy_branch,
        applied_on=dt.date(2025, 1, 2),
    )
    planned = services.meeting_plan(
        actor=secretary,
        organization=city.happy_branch,
        meeting_type=MeetingType.objects.get(code="party_lecture"),
        topic="书记讲党课",
        planned_on=timezone.localdate(),
    )
    person = demo.person(random.Random(77), min_age=20, max_age=30, today=dt.date(2026, 1, 1))
    newcomer = registry.resident_create(
        actor=secretary, name=person.name, id_number=person.id_number, place=city.happy_building
    )
    open_post = services.post_define(
        actor=secretary, organization=city.happy_branch, year=2026, title="政策宣传岗", duties="宣传惠民政策"
    )
    taken_post = services.post_define(
        actor=secretary, organization=city.happy_branch, year=2026, title="环境监督岗", duties="监督楼道卫生"
    )
    holding = services.post_volunteer(actor=secretary, post=taken_post, member=member)
    reserve = services.reserve_signup(
        actor=secretary, resident=newcomer, community=city.happy, education="bachelor"
    )
    hardship = services.hardship_apply(
        actor=User.objects.get(username="committee"), member=member, amount=800, reason="大病支出"
    )
    sample = {
        "open_post": open_post,
        "taken_post": taken_post,
        "holding": holding,
        "reserve": reserve,
        "hardship": hardship,
        "meeting": meeting,
        "planned": planned,
        "attachment": attachment,
        "task": task,
        "recruit": recruit,
        "member": member,
        "newcomer": newcomer,
    }
    city._branch_sample = sample
    return sample


@pytest.fixture
def secretary_client(client, personas):
    client.force_login(personas["community_secretary"])
    return client


def test_the_record_form_saves_the_meeting_and_who_was_absent(secretary_client, city):
    member = registry_sample(city)["member"]
    url = reverse("branch_meeting_record", args=[city.happy_branch.pk])
    page = secretary_client.get(url)
    assert page.status_code == 200 and f'name="present_{member.pk}"' in page.content.decode()
    response = secretary_client.post(
        url,
        {
            "meeting_type": MeetingType.objects.get(code="general_meeting").pk,
            "topic": "第一季度党员大会",
            "held_on": timezone.localdate().isoformat(),
            "location": "党员活动室",
            "chair": "王书记",
            "minutes": "传达学习",
            f"reason_{member.pk}": "外出探亲",
        },
    )
    meeting = Meeting.objects.get(topic="第一季度党员大会")
    assert response.status_code == 302 and response.url == reverse("branch_meeting", args=[meeting.pk])
    assert Attendance.objects.get(meeting=meeting).absence_reason == "外出探亲"
    detail = secretary_client.get(response.url).content.decode()
    assert "外出探亲" in detail and "第一季度党员大会" in detail


@time_machine.travel(dt.datetime(2026, 2, 20, 10, tzinfo=dt.UTC), tick=False)
def test_the_record_form_asks_for_the_reason_when_entered_late(secretary_client, city):
    url = reverse("branch_meeting_record", args=[city.happy_branch.pk])
    data = {
        "meeting_type": MeetingType.objects.get(code="committee_meeting").pk,
        "topic": "一月支委会",
        "held_on": "2026-01-20",
    }
    response = secretary_client.post(url, data)
    assert response.status_code == 200 and not Meeting.objects.exists()
    assert "late_reason" in response.context["form"].errors
    response = secretary_client.post(url, {**data, "late_reason": "原始记录找回"})
    assert response.status_code == 302 and Meeting.objects.get().late_entry


def test_the_compliance_pages_show_the_organization(secretary_client, city):
    branch_sample(city)
    overview = secretary_client.get(reverse("branch"))
    assert overview.status_code == 200 and "幸福社区第一党支部" in overview.content.decode()
    page = secretary_client.get(reverse("branch_org", args=[city.happy_branch.pk]))
    assert page.status_code == 200
    assert 'data-test="type-committee_meeting"' in page.content.decode()


def test_a_recruit_page_shows_the_refusal_with_the_earliest_date(secretary_client, city):
    recruit = branch_sample(city)["recruit"]
    url = reverse("branch_recruit", args=[recruit.pk])
    response = secretary_client.post(url, {"step": "advance", "on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "documents" not in response.context["advance_form"].fields
    assert Recruit.objects.get(pk=recruit.pk).stage == "applicant"  # documents are missing


def test_a_linked_member_sees_their_meetings(client, city, personas):
    sample = branch_sample(city)
    user = personas["party_member"]
    client.force_login(user)
    assert 'data-test="not-linked"' in client.get(reverse("branch_mine")).content.decode()
    services.member_account_link(
        actor=personas["community_secretary"], user=user, resident=sample["member"].resident
    )
    page = client.get(reverse("branch_mine")).content.decode()
    assert "学习党章" in page and "住院" in page
    assert reverse("branch_mine") in client.get(reverse("home")).content.decode()  # in the menu


def test_the_system_administrator_changes_a_frequency_in_the_back_office(client, personas):
    from lianxin.core.models import AuditEntry

    lecture = MeetingType.objects.get(code="party_lecture")
    url = reverse("admin:branch_meetingtype_change", args=[lecture.pk])
    client.force_login(personas["community_secretary"])
    assert client.get(url).status_code == 302  # to the back-office login: not for her
    client.force_login(personas["sysadmin"])
    response = client.post(
        url,
        {
            "name": "党课",
            "period_months": 3,
            "times_per_period": 1,
            "org_kinds": ["branch", "general_branch"],
            "position": 4,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content
    lecture.refresh_from_db()
    assert lecture.period_months == 3 and lecture.org_kinds == ["branch", "general_branch"]
    entry = AuditEntry.objects.get(action="meeting_type.change")
    assert entry.before["period_months"] == 6 and entry.after["period_months"] == 3


def test_published_posts_are_on_the_board_of_their_community_only(client, city, personas):
    sample = branch_sample(city)
    secretary = personas["community_secretary"]
    services.post_assign(actor=secretary, holding=sample["holding"])
    services.posts_publish(actor=secretary, organization=city.happy_branch, year=2026)
    client.force_login(personas["resident"])  # a resident of 幸福社区
    page = client.get(reverse("branch_posts_board")).content.decode()
    assert "环境监督岗" in page and sample["member"].resident.name in page
    assert "政策宣传岗" not in page  # nobody holds it: not published
    client.force_login(personas["outsider"])
    assert "环境监督岗" not in client.get(reverse("branch_posts_board")).content.decode()
    client.force_login(secretary)
    coverage = client.get(reverse("branch_posts") + "?year=2026")
    assert coverage.context["coverage"]["total"] == 0  # 张三 is retired, not a member without a post


def test_report_a_situation_then_close_the_visit_with_its_record(secretary_client, city):
    member = branch_sample(city)["member"]
    response = secretary_client.post(
        reverse("branch_condition_report", args=[member.pk]), {"cause": "difficulty", "note": "儿子失业"}
    )
    task = VisitTask.objects.get(member=member, cause="difficulty")
    assert response.status_code == 302 and response.url == reverse("branch_visit", args=[task.pk])
    url = reverse("branch_visit", args=[task.pk])
    empty = secretary_client.post(url, {"visited_on": timezone.localdate().isoformat()})
    assert empty.status_code == 200 and set(empty.context["form"].errors) == {"visitors", "findings"}
    done = secretary_client.post(
        url,
        {
            "visited_on": timezone.localdate().isoformat(),
            "visitors": "书记、网格员",
            "findings": "已协助登记求职",
        },
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.record.visitors == "书记、网格员"
    assert "已协助登记求职" in secretary_client.get(url).content.decode()


def test_the_five_post_steps_are_done_from_the_pages(secretary_client, city):
    """设岗定责 without the API: define → volunteer → assign → publish → appraise."""
    member = registry_sample(city)["member"]
    response = secretary_client.post(
        reverse("branch_post_create"),
        {
            "organization": city.happy_branch.pk,
            "year": 2025,
            "title": "文明劝导岗",
            "duties": "劝导不文明行为",
        },
    )
    post = services.Post.objects.get(title="文明劝导岗")
    assert response.url == reverse("branch_post", args=[post.pk])
    # A missing title is named on the form, nothing saved.
    page = secretary_client.post(
        reverse("branch_post_create"), {"organization": city.happy_branch.pk, "year": 2025, "duties": "x"}
    )
    assert page.status_code == 200 and list(page.context["form"].errors) == ["title"]
    secretary_client.post(
        reverse("branch_post_volunteer", args=[post.pk]), {"member": member.pk, "on": "2025-03-01"}
    )
    holding = post.holdings.get()
    secretary_client.post(reverse("branch_post_assign", args=[holding.pk]), {"assign": "1"})
    secretary_client.post(
        reverse("branch_posts_publish"), {"organization": city.happy_branch.pk, "year": 2025}
    )
    post.refresh_from_db()
    assert post.published
    secretary_client.post(
        reverse("branch_post_appraise", args=[holding.pk]),
        {"appraisal": "excellent", "note": "群众好评", "on": "2025-12-20"},
    )
    holding.refresh_from_db()
    assert (holding.status, holding.appraisal) == ("assigned", "excellent")
    detail = secretary_client.get(reverse("branch_post", args=[post.pk])).content.decode()
    assert member.resident.name in detail and "群众好评" in detail


def test_reserve_cadres_and_the_hardship_fund_are_run_from_the_pages(secretary_client, city, personas):
    sample = branch_sample(city)
    newcomer, member = sample["newcomer"], sample["member"]
    # The sample signed the newcomer up already: a second sign-up is refused on the form.
    found = secretary_client.get(reverse("branch_reserve_signup"), {"q": newcomer.name})
    assert newcomer.name in found.content.decode()
    again = secretary_client.post(
        reverse("branch_reserve_signup"),
        {"resident": newcomer.pk, "education": "bachelor", "on": "2026-03-01"},
    )
    assert (
        again.status_code == 200 and gettext("This person has already signed up.") in again.content.decode()
    )
    cadre = sample["reserve"]
    url = reverse("branch_reserve_advance", args=[cadre.pk])
    secretary_client.post(url, {"passed": "1"})  # eligibility review
    no_score = secretary_client.post(url, {"passed": "1"})  # the written test needs its score
    assert (
        no_score.status_code == 200
        and gettext("Please enter the score (0–100).") in no_score.content.decode()
    )
    secretary_client.post(url, {"passed": "1", "score": "86.5"})
    cadre.refresh_from_db()
    assert (cadre.stage, str(cadre.written_score)) == ("tested", "86.5")

    # The fund: the committee member applied (sample); the secretary decides and pays.
    application = sample["hardship"]
    secretary_client.post(
        reverse("branch_fund_decide", args=[application.pk]), {"approve": "1", "amount": "600"}
    )
    too_much = secretary_client.post(
        reverse("branch_fund_pay", args=[application.pk]), {"amount": "700", "paid_on": "2026-01-05"}
    )
    assert too_much.status_code == 200 and application.payments.count() == 0
    secretary_client.post(
        reverse("branch_fund_pay", args=[application.pk]),
        {"amount": "600", "paid_on": timezone.localdate().isoformat()},
    )
    application.refresh_from_db()
    assert application.status == "approved" and application.payments.get().amount == 600
    listing = secretary_client.get(reverse("branch_fund")).content.decode()
    assert "600" in listing
    # An application recorded for a member from the page; its author cannot decide it.
    secretary_client.post(
        reverse("branch_fund_apply"), {"member": member.pk, "amount": "300", "reason": "子女上学"}
    )
    mine = services.HardshipApplication.objects.get(reason="子女上学")
    refused = secretary_client.post(reverse("branch_fund_decide", args=[mine.pk]), {"approve": "1"})
    assert refused.status_code == 200
    mine.refresh_from_db()
    assert mine.status == "submitted"
