"""Branch life (D3, issue 5): meeting compliance, late entries, the five must-visit triggers and
recruitment's minimum times. Given the city of conftest.py, time frozen where dates matter."""

import datetime as dt
import random

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from lianxin.branch import compliance, selectors, services
from lianxin.branch.models import (
    Meeting,
    MeetingType,
    RecruitStage,
    VisitCause,
    VisitTask,
    VisitTaskStatus,
    VisitTrigger,
)
from lianxin.core import demo
from lianxin.core.models import AuditEntry, Notification, Todo, TodoStatus
from lianxin.places import services as place_services
from lianxin.places.models import OrgKind
from lianxin.registry import services as registry
from lianxin.registry.models import Difficulty, MemberKind, MemberStatus, PartyMember, Relationship

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

TODAY = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


def mt(code) -> MeetingType:
    return MeetingType.objects.get(code=code)


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


def make_members(city, secretary, count, organization=None, seed=1):
    rng = random.Random(seed)
    members = []
    for index in range(count):
        household = registry.household_create(
            actor=secretary, place=city.happy_building, unit="9", room=f"{seed}{index:02d}"
        )
        person = demo.person(rng, min_age=30, max_age=80, today=dt.date(2025, 1, 1))
        resident = registry.resident_create(
            actor=secretary,
            name=person.name,
            id_number=person.id_number,
            household=household,
            relationship=Relationship.HEAD,
        )
        members.append(
            registry.member_create(
                actor=secretary,
                resident=resident,
                organization=organization or city.happy_branch,
                kind=MemberKind.RETIRED,
                joined_on=dt.date(1990, 7, 1),
            )
        )
    return members


def held(secretary, org, code, day, **kwargs):
    with time_machine.travel(dt.datetime.combine(day, dt.time(12)), tick=False):
        return services.meeting_record(
            actor=secretary, organization=org, meeting_type=mt(code), held_on=day, topic="学习", **kwargs
        )


def grid_for(actor, org, year=2025, as_of=dt.date(2026, 1, 15)):
    rows = compliance.compliance_grid(actor=actor, year=year, organization=org, as_of=as_of)
    assert len(rows) == 1
    return {row.meeting_type.code: row for row in rows[0].types}, rows[0]


# --- compliance ---------------------------------------------------------------------------------


def test_the_source_frequencies_are_seeded(db):
    assert {t.code: t.period_months for t in MeetingType.objects.all()} == {
        "committee_meeting": 1,
        "group_meeting": 1,
        "general_meeting": 3,
        "party_lecture": 6,
        "organizational_life": 12,
        "democratic_life": 12,
    }


def test_quarter_boundaries_put_march_31_in_q1_and_april_1_in_q2(city, secretary):
    held(secretary, city.happy_branch, "general_meeting", dt.date(2025, 3, 31))
    held(secretary, city.happy_branch, "general_meeting", dt.date(2025, 4, 1))
    types, _row = grid_for(secretary, city.happy_branch)
    general = types["general_meeting"]
    assert [c.held for c in general.cells] == [1, 1, 0, 0]
    assert [c.state for c in general.cells] == ["met", "met", "missed", "missed"]
    assert (general.due_periods, general.met_periods, general.expected, general.held) == (4, 2, 4, 2)
    assert [c.label for c in general.gaps] == ["Q3", "Q4"]


def test_half_year_boundary_and_two_lectures_do_not_make_up_for_a_missing_one(city, secretary):
    held(secretary, city.happy_branch, "party_lecture", dt.date(2025, 6, 15))
    held(secretary, city.happy_branch, "party_lecture", dt.date(2025, 6, 30))
    types, _row = grid_for(secretary, city.happy_branch)
    assert [(c.held, c.state) for c in types["party_lecture"].cells] == [(2, "met"), (0, "missed")]
    held(secretary, city.happy_branch, "party_lecture", dt.date(2025, 7, 1))
    types, _row = grid_for(secretary, city.happy_branch)
    assert [(c.held, c.state) for c in types["party_lecture"].cells] == [(2, "met"), (1, "met")]
    assert types["party_lecture"].met_periods == 2


def test_a_year_without_a_meeting_of_one_type_is_a_gap(city, secretary):
    for month in range(1, 13):
        held(secretary, city.happy_branch, "committee_meeting", dt.date(2025, month, 10))
    types, row = grid_for(secretary, city.happy_branch)
    assert types["committee_meeting"].gaps == []
    assert types["committee_meeting"].met_periods == 12
    life = types["organizational_life"]
    assert (life.due_periods, life.met_periods, [c.state for c in life.cells]) == (1, 0, ["missed"])
    assert "democratic_life" not in types  # a branch holds no 民主生活会; its committee does
    committee_types, _ = grid_for(secretary, city.happy_committee)
    assert committee_types["democratic_life"].gaps[0].label == "2025年"
    assert row.gap_count == 0 + 4 + 2 + 1  # no general meetings, lectures or organizational life


def test_an_organization_founded_mid_year_owes_only_the_periods_it_existed_for(city, secretary, sysadmin):
    new = place_services.org_create(
        actor=sysadmin,
        kind=OrgKind.BRANCH,
        name="幸福社区第二党支部",
        place=city.happy,
        parent=city.happy_committee,
        founded_on=dt.date(2025, 7, 15),
    )
    held(secretary, new, "committee_meeting", dt.date(2025, 7, 20))  # its founding month: held, not due
    held(secretary, new, "committee_meeting", dt.date(2025, 8, 5))
    types, row = grid_for(secretary, new)
    monthly = types["committee_meeting"]
    assert [c.state for c in monthly.cells[:7]] == ["not_due"] * 7
    assert monthly.cells[6].held == 1
    assert [c.state for c in monthly.cells[7:]] == ["met", "missed", "missed", "missed", "missed"]
    assert (monthly.due_periods, monthly.met_periods, monthly.held) == (5, 1, 2)
    assert [c.state for c in types["general_meeting"].cells] == ["not_due", "not_due", "not_due", "missed"]
    assert types["party_lecture"].due_periods == 0  # H2 began before the founding
    assert types["organizational_life"].due_periods == 0
    with pytest.raises(ValidationError) as exc:
        held(secretary, new, "committee_meeting", dt.date(2025, 7, 1))
    assert "held_on" in exc.value.message_dict


def test_an_organization_dissolved_mid_year_owes_nothing_after(city, secretary, sysadmin):
    old = place_services.org_create(
        actor=sysadmin, kind=OrgKind.BRANCH, name="临时党支部", place=city.happy, parent=city.happy_committee
    )
    place_services.org_update(actor=sysadmin, org=old, dissolved_on=dt.date(2025, 5, 10))
    types, _row = grid_for(secretary, old)
    assert types["committee_meeting"].due_periods == 4  # January to April
    assert types["general_meeting"].due_periods == 1
    assert types["organizational_life"].due_periods == 0


def test_the_period_under_way_is_open_not_missed(city, secretary):
    types, _row = grid_for(secretary, city.happy_branch, year=2026, as_of=dt.date(2026, 1, 15))
    assert types["committee_meeting"].cells[0].state == "open"
    assert {c.state for c in types["committee_meeting"].cells[1:]} == {"upcoming"}
    assert types["committee_meeting"].due_periods == 0 and types["committee_meeting"].gaps == []


@time_machine.travel(TODAY, tick=False)
def test_a_meeting_entered_late_needs_a_reason_and_is_marked(city, secretary):
    old_day = dt.date(2025, 12, 20)  # 26 days ago; the default allows 7
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=secretary,
            organization=city.happy_branch,
            meeting_type=mt("committee_meeting"),
            held_on=old_day,
            topic="补录",
        )
    assert "late_reason" in exc.value.message_dict
    assert not Meeting.objects.exists() and AuditEntry.objects.count() == before
    meeting = services.meeting_record(
        actor=secretary,
        organization=city.happy_branch,
        meeting_type=mt("committee_meeting"),
        held_on=old_day,
        topic="补录",
        late_reason="记录员住院，纸质记录今日补录",
    )
    assert meeting.late_entry and meeting.late_reason
    entry = AuditEntry.objects.get(action="meeting.record")
    assert entry.reason == "记录员住院，纸质记录今日补录"
    types, _ = grid_for(secretary, city.happy_branch)
    assert types["committee_meeting"].cells[11].state == "met"  # late, but held: it counts
    recent = services.meeting_record(
        actor=secretary,
        organization=city.happy_branch,
        meeting_type=mt("committee_meeting"),
        held_on=dt.date(2026, 1, 10),
        topic="按时",
    )
    assert not recent.late_entry
    with pytest.raises(ValidationError):
        services.meeting_record(
            actor=secretary,
            organization=city.happy_branch,
            meeting_type=mt("committee_meeting"),
            held_on=dt.date(2026, 1, 16),
            topic="未来",
        )


def test_compliance_is_scoped_and_rolls_up(city, personas, secretary):
    held(secretary, city.happy_branch, "general_meeting", dt.date(2025, 2, 1))
    assert (
        compliance.compliance_grid(actor=personas["outsider"], year=2025, organization=city.happy_branch)
        == []
    )
    assert compliance.compliance_grid(actor=personas["grid_worker"], year=2025) == []
    rows = compliance.compliance_grid(
        actor=personas["district_officer"], year=2025, as_of=dt.date(2026, 1, 1)
    )
    assert {row.name for row in rows} == {"幸福社区党委", "幸福社区第一党支部", "团结社区党委"}
    by_community = {r.place.name: r for r in compliance.compliance_rollup(rows, "community")}
    assert set(by_community) == {"幸福社区", "团结社区"}
    happy = by_community["幸福社区"]
    assert happy.organizations == 2
    assert happy.expected == sum(r.expected for r in rows if r.name.startswith("幸福"))
    assert happy.met == 1
    by_sub = {r.place.name: r for r in compliance.compliance_rollup(rows, "subdistrict")}
    assert by_sub["东街街道"].met == 1 and by_sub["西街街道"].met == 0
    (district,) = compliance.compliance_rollup(rows, "district")
    assert district.expected == sum(r.expected for r in rows)


def test_a_reminder_goes_out_once_before_a_period_ends(city, secretary, personas):
    day = dt.date(2026, 3, 25)
    with time_machine.travel(dt.datetime(2026, 3, 25, 9, tzinfo=dt.UTC), tick=False):
        first = services.compliance_remind(today=day)
        again = services.compliance_remind(today=day)
    titles = list(Notification.objects.filter(recipient=secretary).values_list("title", flat=True))
    # Q1 and March end on 31 March: 支委会 and 党员大会 are still due from both 幸福 organizations.
    assert sorted(titles) == sorted(
        gettext("%(meeting)s not yet held: %(org)s") % {"meeting": meeting, "org": org}
        for meeting in ("支委会", "党员大会")
        for org in ("幸福社区党委", "幸福社区第一党支部")
    )
    committee_titles = Notification.objects.filter(recipient=personas["committee_member"])
    assert committee_titles.count() == 4
    assert first == 4 + 4 + 2 and again == 0  # the 团结 secretary gets her committee's two
    assert not Notification.objects.filter(recipient=personas["outsider"], title__contains="幸福").exists()
    held(secretary, city.happy_branch, "committee_meeting", dt.date(2026, 3, 26))
    assert services.compliance_remind(today=dt.date(2026, 3, 27)) == 0


# --- 五个必访 ------------------------------------------------------------------------------------


def open_tasks(member, cause):
    return VisitTask.objects.filter(member=member, cause=cause, status=VisitTaskStatus.OPEN)


@time_machine.travel(TODAY, tick=False)
def test_illness_and_difficulty_recorded_in_the_registry_open_one_visit_each(city, secretary):
    (member,) = make_members(city, secretary, 1)
    household = member.resident.household
    registry.difficulty_add(actor=secretary, household=household, kind=Difficulty.ILL, cause="中风住院")
    registry.difficulty_add(actor=secretary, household=household, kind=Difficulty.LOW_INCOME, cause="收入低")
    assert services.visit_tasks_sweep(today=TODAY.date()) == 2
    assert services.visit_tasks_sweep(today=TODAY.date()) == 0  # no duplicate task
    ill = open_tasks(member, VisitCause.ILL).get()
    assert open_tasks(member, VisitCause.DIFFICULTY).count() == 1
    assert ill.owner == secretary and ill.due_on > TODAY.date()
    assert Todo.objects.get(pk=ill.todo_id).assignee == secretary
    # The branch hears of it again while the visit is open: added to the same task.
    task, opened = services.member_condition_report(
        actor=secretary, member=member, cause="ill", note="又住院"
    )
    assert task == ill and not opened
    assert open_tasks(member, VisitCause.ILL).count() == 1 and ill.triggers.count() == 2


@time_machine.travel(TODAY, tick=False)
def test_a_deceased_member_gets_a_visit_once(city, secretary, personas):
    (member,) = make_members(city, secretary, 1)
    registry.member_update(actor=secretary, member=member, status=MemberStatus.DECEASED)
    assert services.visit_tasks_sweep(today=TODAY.date()) == 1
    assert services.visit_tasks_sweep(today=TODAY.date()) == 0
    assert open_tasks(member, VisitCause.DECEASED).count() == 1
    with pytest.raises(Exception):  # noqa: B017 - staff may not report (PermissionDenied)
        services.member_condition_report(actor=personas["staff"], member=member, cause="deceased", note="x")


def test_three_absences_in_a_row_open_one_visit(city, secretary):
    regular, absentee = make_members(city, secretary, 2)
    days = [dt.date(2025, m, 10) for m in (9, 10, 11, 12)]

    def meeting(day, absent_present):
        held(
            secretary,
            city.happy_branch,
            "committee_meeting",
            day,
            attendance={
                regular.pk: (True, ""),
                absentee.pk: (absent_present, "" if absent_present else "外出"),
            },
        )

    meeting(days[0], True)
    meeting(days[1], False)
    meeting(days[2], False)
    assert not VisitTask.objects.exists()
    meeting(days[3], False)
    task = open_tasks(absentee, VisitCause.ABSENT).get()
    assert not VisitTask.objects.filter(member=regular).exists()
    with time_machine.travel(dt.datetime(2025, 12, 20, 12), tick=False):
        services.visit_task_close(
            actor=secretary,
            task=task,
            visited_on=dt.date(2025, 12, 20),
            visitors="书记",
            findings="在外地照顾孙子",
        )
    meeting(dt.date(2026, 1, 10), False)  # the same run of absences: no new task
    assert VisitTask.objects.filter(member=absentee).count() == 1
    assert VisitTrigger.objects.filter(member=absentee).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_residents_criticism_opens_a_visit_and_the_same_request_never_twice(city, secretary, personas):
    (member,) = make_members(city, secretary, 1)
    staff = personas["staff"]
    task, opened = services.member_criticised(
        actor=staff, member=member, source_kind="request", source_id=41, note="居民反映其占用楼道"
    )
    assert opened and task.cause == VisitCause.CRITICISED
    again, opened_again = services.member_criticised(
        actor=staff, member=member, source_kind="request", source_id=41, note="重复提交"
    )
    assert again is None and not opened_again
    other, opened_other = services.member_criticised(
        actor=staff, member=member, source_kind="comment", source_id=7, note="意见箱"
    )
    assert other == task and not opened_other
    assert open_tasks(member, VisitCause.CRITICISED).count() == 1
    assert task.triggers.count() == 2
    with pytest.raises(Exception):  # noqa: B017 - out of scope (PermissionDenied)
        services.member_criticised(
            actor=personas["outsider"], member=member, source_kind="request", source_id=99
        )


def test_the_database_refuses_a_second_open_task_for_the_same_cause(city, secretary):
    (member,) = make_members(city, secretary, 1)
    fields = {"member": member, "place": member.place, "cause": VisitCause.ILL}
    first = VisitTask(**fields)
    first.set_deadline(dt.date(2026, 1, 5), 3)
    first.save()
    second = VisitTask(**fields)
    second.set_deadline(dt.date(2026, 1, 5), 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@time_machine.travel(TODAY, tick=False)
def test_closing_a_visit_needs_its_record(city, secretary):
    (member,) = make_members(city, secretary, 1)
    task, _ = services.member_condition_report(actor=secretary, member=member, cause="ill", note="住院")
    with pytest.raises(ValidationError) as exc:
        services.visit_task_close(
            actor=secretary, task=task, visited_on=TODAY.date(), visitors="", findings=""
        )
    assert set(exc.value.message_dict) == {"visitors", "findings"}
    task.refresh_from_db()
    assert task.status == VisitTaskStatus.OPEN
    services.visit_task_close(
        actor=secretary, task=task, visited_on=TODAY.date(), visitors="书记、网格员", findings="病情稳定"
    )
    task.refresh_from_db()
    assert task.status == VisitTaskStatus.DONE and task.record.findings == "病情稳定"
    assert Todo.objects.get(pk=task.todo_id).status == TodoStatus.DONE
    with pytest.raises(ValidationError):
        services.visit_task_close(
            actor=secretary, task=task, visited_on=TODAY.date(), visitors="x", findings="y"
        )


# --- recruitment ----------------------------------------------------------------------------------


def _docs(secretary, recruit, day):
    from lianxin.branch import conf

    for name in conf.documents(recruit.stage):
        recruit = services.recruit_document(actor=secretary, recruit=recruit, name=name, received_on=day)
    return recruit


@time_machine.travel(dt.datetime(2027, 6, 1, 10, tzinfo=dt.UTC), tick=False)
def test_recruitment_refuses_early_steps_with_the_earliest_date(city, secretary):
    (someone,) = make_members(city, secretary, 1, seed=5)
    resident = someone.resident
    PartyMember.objects.filter(pk=someone.pk).delete()
    recruit = services.recruit_create(
        actor=secretary, resident=resident, organization=city.happy_branch, applied_on=dt.date(2024, 1, 10)
    )
    with pytest.raises(ValidationError) as exc:
        services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2024, 3, 1))
    assert "documents" in exc.value.message_dict
    recruit = _docs(secretary, recruit, dt.date(2024, 2, 1))
    recruit = services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2024, 3, 1))
    assert recruit.stage == RecruitStage.ACTIVIST
    recruit = _docs(secretary, recruit, dt.date(2024, 11, 1))
    with pytest.raises(ValidationError) as exc:
        services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2024, 12, 1))
    message = exc.value.message_dict["on"][0]
    assert "2025-03-01" in message and resident.name in message
    recruit.refresh_from_db()
    assert recruit.stage == RecruitStage.ACTIVIST
    recruit = services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2025, 3, 1))
    recruit = _docs(secretary, recruit, dt.date(2025, 4, 1))
    recruit = services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2025, 5, 1))
    assert recruit.stage == RecruitStage.PROBATIONARY
    member = recruit.member
    assert member.kind == MemberKind.PROBATIONARY and member.probation_ends_on == dt.date(2026, 5, 1)
    recruit = _docs(secretary, recruit, dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.recruit_advance(
            actor=secretary, recruit=recruit, on=dt.date(2026, 4, 30), member_kind=MemberKind.EMPLOYED
        )
    assert "2026-05-01" in exc.value.message_dict["on"][0]
    with pytest.raises(ValidationError) as exc:
        services.recruit_advance(actor=secretary, recruit=recruit, on=dt.date(2026, 5, 1))
    assert "member_kind" in exc.value.message_dict
    recruit = services.recruit_advance(
        actor=secretary, recruit=recruit, on=dt.date(2026, 5, 1), member_kind=MemberKind.EMPLOYED
    )
    member.refresh_from_db()
    assert recruit.stage == RecruitStage.FULL and member.kind == MemberKind.EMPLOYED
    assert [e.to_stage for e in recruit.events.all()] == [
        "applicant",
        "activist",
        "target",
        "probationary",
        "full",
    ]


# --- a member's own view ---------------------------------------------------------------------------


def test_a_member_sees_their_own_meetings_through_the_linked_account(city, secretary, personas):
    (member,) = make_members(city, secretary, 1)
    user = personas["party_member"]
    assert selectors.my_branch_life(user=user) is None
    services.member_account_link(actor=secretary, user=user, resident=member.resident)
    held(
        secretary,
        city.happy_branch,
        "committee_meeting",
        dt.date(2025, 10, 10),
        attendance={member.pk: (False, "住院")},
    )
    mine = selectors.my_branch_life(user=user)
    assert mine["member"] == member
    assert [(a.present, a.absence_reason) for a in mine["attendance"]] == [(False, "住院")]
    with pytest.raises(ValidationError):
        services.member_account_link(actor=secretary, user=user, resident=member.resident)


def test_one_organization_and_the_city_wide_grid_agree(city, secretary, sysadmin):
    """The page of one organization counts with a small query of its own; the grid with one grouped
    query for all. Same rules: every cell of every organization must agree."""
    new = place_services.org_create(
        actor=sysadmin,
        kind=OrgKind.BRANCH,
        name="新建党支部",
        place=city.happy,
        parent=city.happy_committee,
        founded_on=dt.date(2025, 4, 1),
    )
    gone = place_services.org_create(
        actor=sysadmin, kind=OrgKind.GROUP, name="第一党小组", place=city.happy, parent=city.happy_branch
    )
    gone = place_services.org_update(actor=sysadmin, org=gone, dissolved_on=dt.date(2025, 9, 30))
    rng = random.Random(11)
    for org in (city.happy_branch, city.happy_committee, new, gone):
        for _ in range(25):
            day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
            code = rng.choice([t.code for t in MeetingType.objects.all() if org.kind in t.org_kinds])
            if (org.founded_on and day < org.founded_on) or (org.dissolved_on and day >= org.dissolved_on):
                continue
            held(secretary, org, code, day)
    as_of = dt.date(2025, 8, 15)
    grid = {row.id: row for row in compliance.compliance_grid(actor=secretary, year=2025, as_of=as_of)}
    assert set(grid) >= {city.happy_branch.pk, city.happy_committee.pk, new.pk, gone.pk}

    def flat(row):
        return [
            (
                t.meeting_type.code,
                t.expected,
                t.met_periods,
                t.due_periods,
                t.held,
                [vars(c) for c in t.cells],
            )
            for t in row.types
        ]

    for pk, row in grid.items():
        (single,) = compliance.compliance_grid(
            actor=secretary, year=2025, organization=type(city.happy_branch).objects.get(pk=pk), as_of=as_of
        )
        assert flat(single) == flat(row), row.name
