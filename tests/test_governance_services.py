"""Governance (D3, D1): contact-chain coverage and overdue contacts on a known data set, problems
turned into requests without retyping, sitting in (seats, approvals, double applications), and
standards → class rating → upgrade plan. Given the city of conftest.py."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.appeals.models import Request
from lianxin.branch import services as branch
from lianxin.core.calendar import add_working_days, working_days_between
from lianxin.core.models import AuditEntry
from lianxin.governance import conf, selectors, services
from lianxin.governance.models import (
    ApplicationStatus,
    ChainLevel,
    CheckStatus,
    ContactKind,
    ContactLink,
    ItemReview,
    SittingInApplication,
    StandardItem,
    UpgradeItem,
)
from lianxin.places.models import OrgRating, PartyOrganization, Rating

from .conftest import city_per_module, make_user
from .test_governance_helpers import committee_meeting, fill_check, governance_sample, people, review_all

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

MONDAY = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


@pytest.fixture
def officer(personas):
    return personas["subdistrict_officer"]


def test_coverage_and_overdue_on_a_known_data_set(city, secretary):
    """6 members (2 delegates) and 8 households; 1 of 2 delegates, 3 of 6 members and 3 of 8
    households have a contact; 7 assignments, 3 contacted within 22 working days (one on the cutoff
    day itself): 4 overdue."""
    org = city.happy_committee
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        members, homes = people(city, secretary, 6, extra_households=2)
        for member in members[:2]:
            services.delegate_add(
                actor=secretary, organization=org, member=member, term_start=dt.date(2025, 1, 1)
            )
        services.delegate_add(  # a past term does not count
            actor=secretary,
            organization=org,
            member=members[5],
            term_start=dt.date(2020, 1, 1),
            term_end=dt.date(2024, 12, 31),
        )
        assign = lambda level, contact, **target: services.link_assign(  # noqa: E731
            actor=secretary, organization=org, level=level, contact=contact, **target
        )
        to_delegate = assign(ChainLevel.DELEGATE, members[2], target_member=members[0])
        to_members = [assign(ChainLevel.MEMBER, members[0], target_member=m) for m in members[2:5]]
        to_homes = [assign(ChainLevel.HOUSEHOLD, members[2], target_household=h) for h in homes[:3]]
    with time_machine.travel(MONDAY, tick=False):
        today = dt.date(2026, 3, 16)
        services.entry_record(
            actor=secretary, link=to_delegate, kind=ContactKind.CALL, contacted_on=dt.date(2026, 3, 10)
        )
        services.entry_record(
            actor=secretary, link=to_members[0], kind=ContactKind.VISIT, contacted_on=dt.date(2026, 3, 2)
        )
        cutoff = selectors.contact_cutoff(today)
        assert working_days_between(cutoff, today) == conf.contact_working_days() == 22
        # the boundary: a contact on the cutoff day itself is not overdue, the working day before is
        services.entry_record(actor=secretary, link=to_homes[0], kind=ContactKind.VISIT, contacted_on=cutoff)
        result = selectors.coverage(organization=org, today=today)
        assert (result[ChainLevel.DELEGATE].total, result[ChainLevel.DELEGATE].covered) == (2, 1)
        assert (result[ChainLevel.MEMBER].total, result[ChainLevel.MEMBER].covered) == (6, 3)
        assert (result[ChainLevel.HOUSEHOLD].total, result[ChainLevel.HOUSEHOLD].covered) == (8, 3)
        assert [result[level].share for level in ChainLevel.values] == [50.0, 50.0, 37.5]
        assert result["links"] == 7
        assert result["overdue"] == 4
        assert result["overdue_by_level"] == {"member": 2, "household": 2}
        # Read with its branch, as the table reads a page of organizations: each keeps its own
        # figures (the branch's members are also the committee's; the contacts are the committee's),
        # in as many queries as the committee alone.
        with CaptureQueriesContext(connection) as alone:
            selectors.coverages(organizations=[org], today=today)
        with CaptureQueriesContext(connection) as both:
            figures = selectors.coverages(organizations=[org, city.happy_branch], today=today)
        assert len(both) == len(alone)
        assert figures[org.pk] == result
        branch = figures[city.happy_branch.pk]
        assert [(branch[level].total, branch[level].covered) for level in ChainLevel.values] == [
            (0, 0),
            (6, 0),
            (8, 0),
        ]
        assert (branch["links"], branch["overdue"], branch["overdue_by_level"]) == (0, 0, {})
        overdue = selectors.link_list(actor=secretary, overdue_only=True, today=today)
        assert {link.pk for link in overdue} == {
            to_members[1].pk,
            to_members[2].pk,
            to_homes[1].pk,
            to_homes[2].pk,
        }
        # the table of the secretary's scope has the committee with the same figures
        (row,) = [
            r for r in selectors.coverage_table(actor=secretary, today=today) if r["organization"] == org
        ]
        assert row["overdue"] == 4
        # the outsider sees none of it
        outsider = make_user("other-secretary", "community_secretary", city.unity)
        assert all(r["organization"] != org for r in selectors.coverage_table(actor=outsider, today=today))


def test_chain_rules_and_reassignment(city, secretary):
    org = city.happy_committee
    members, homes = people(city, secretary, 3)
    services.delegate_add(
        actor=secretary, organization=org, member=members[0], term_start=dt.date(2024, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.link_assign(
            actor=secretary,
            organization=org,
            level=ChainLevel.DELEGATE,
            contact=members[2],
            target_member=members[1],
        )
    assert "target_member" in exc.value.message_dict  # not a delegate
    with pytest.raises(ValidationError) as exc:
        services.link_assign(
            actor=secretary,
            organization=org,
            level=ChainLevel.MEMBER,
            contact=members[1],
            target_member=members[2],
        )
    assert "contact" in exc.value.message_dict  # the contact must be a delegate at this level
    first = services.link_assign(
        actor=secretary,
        organization=org,
        level=ChainLevel.HOUSEHOLD,
        contact=members[1],
        target_household=homes[0],
    )
    with pytest.raises(ValidationError):
        services.link_assign(
            actor=secretary,
            organization=org,
            level=ChainLevel.HOUSEHOLD,
            contact=members[1],
            target_household=homes[0],
        )
    second = services.link_assign(
        actor=secretary,
        organization=org,
        level=ChainLevel.HOUSEHOLD,
        contact=members[2],
        target_household=homes[0],
    )
    first.refresh_from_db()
    assert first.ended_on is not None and second.ended_on is None
    assert ContactLink.objects.active().filter(target_household=homes[0]).count() == 1
    entry = AuditEntry.objects.filter(action="governance.link_assign").order_by("seq").last()
    assert entry.before["contact"] == members[1].pk and entry.after["contact"] == members[2].pk
    outsider = make_user("other-secretary", "community_secretary", city.unity)
    with pytest.raises(PermissionDenied):
        services.link_assign(
            actor=outsider,
            organization=org,
            level=ChainLevel.HOUSEHOLD,
            contact=members[1],
            target_household=homes[1],
        )


def test_a_problem_becomes_a_request_without_retyping(city, personas):
    sample = governance_sample(city)
    secretary = personas["community_secretary"]
    entry, home = sample["entry"], sample["homes"][0]
    home.refresh_from_db()
    before = Request.objects.count()
    request = services.entry_to_request(actor=secretary, entry=entry, category=sample["category"])
    assert request.description == "楼道灯坏了"
    assert request.household == home and request.resident == home.head
    assert request.requester_name == home.head.name and request.place == city.happy_building
    assert request.channel == "visit" and request.owner == secretary
    entry.refresh_from_db()
    assert entry.request == request
    # once per entry: a second call (a double tap) returns the same request
    assert services.entry_to_request(actor=secretary, entry=entry, category="other") == request
    assert Request.objects.count() == before + 1
    assert (
        AuditEntry.objects.filter(action="governance.entry_to_request", object_id=str(entry.pk)).count() == 1
    )
    quiet = services.entry_record(
        actor=secretary, link=sample["link"], kind=ContactKind.CALL, contacted_on=entry.contacted_on
    )
    with pytest.raises(ValidationError) as exc:
        services.entry_to_request(actor=secretary, entry=quiet, category="other")
    assert "problems" in exc.value.message_dict


def test_sitting_in_seats_approvals_and_double_applications(city, personas):
    secretary = personas["community_secretary"]
    members, _homes = people(city, secretary, 3)
    users = [
        personas["party_member"],
        make_user("m2", "party_member", city.happy),
        make_user("m3", "party_member", city.happy),
    ]
    for user, member in zip(users, members, strict=True):
        branch.member_account_link(actor=secretary, user=user, resident=member.resident)
    open_meeting = services.meeting_open(actor=secretary, meeting=committee_meeting(city, secretary), seats=1)
    with pytest.raises(ValidationError):
        services.meeting_open(actor=secretary, meeting=open_meeting.meeting, seats=3)
    apps = [services.sitting_apply(user=user, open_meeting=open_meeting) for user in users]
    with pytest.raises(ValidationError) as exc:
        services.sitting_apply(user=users[0], open_meeting=open_meeting)
    assert "member" in exc.value.message_dict
    assert SittingInApplication.objects.filter(member=members[0]).count() == 1
    # a resident without a member record cannot apply
    with pytest.raises(PermissionDenied):
        services.sitting_apply(user=personas["resident"], open_meeting=open_meeting)
    services.sitting_decide(actor=secretary, application=apps[0], approve=True)
    with pytest.raises(ValidationError) as exc:
        services.sitting_decide(actor=secretary, application=apps[1], approve=True)
    assert "seats" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.sitting_decide(actor=secretary, application=apps[1], approve=False)
    assert "reason" in exc.value.message_dict
    declined = services.sitting_decide(actor=secretary, application=apps[1], approve=False, reason="名额已满")
    assert declined.status == ApplicationStatus.DECLINED and declined.decline_reason == "名额已满"
    with pytest.raises(ValidationError):  # compare-and-set: decided once
        services.sitting_decide(actor=secretary, application=apps[1], approve=False, reason="again")
    attended = services.sitting_attend(
        actor=secretary, application=apps[0], attended=True, comment="建议增设充电桩"
    )
    assert attended.attended and attended.comment == "建议增设充电桩"
    with pytest.raises(ValidationError):
        services.sitting_attend(actor=secretary, application=apps[1], attended=True)
    mine = selectors.my_governance(user=users[2])
    assert mine["open_meetings"] == [] and [a.status for a in mine["applications"]] == ["pending"]
    assert selectors.my_governance(user=personas["resident"]) is None


def test_standards_give_the_rating_and_the_upgrade_plan(city, personas, settings):
    secretary, officer = personas["community_secretary"], personas["subdistrict_officer"]
    org = city.happy_committee
    assert StandardItem.objects.filter(field="community").count() == 10  # seeded: 5 areas × 2, 100 points
    check = services.check_start(actor=secretary, organization=org, year=2026)
    assert check.items.count() == 10
    with pytest.raises(ValidationError):
        services.check_start(actor=secretary, organization=org, year=2026)
    with pytest.raises(ValidationError) as exc:
        services.check_submit(actor=secretary, check=check)
    assert "items" in exc.value.message_dict
    fill_check(check, secretary)
    services.check_submit(actor=secretary, check=check)
    with pytest.raises(PermissionDenied):  # the community does not review itself
        services.review_conclude(actor=secretary, check=check)
    # one item returned: the self-check goes back, is corrected and resubmitted
    rows = {row.item.code: row for row in check.items.select_related("item")}
    review_all(check, officer, {})
    services.item_review(
        actor=officer, check_item=rows["room"], decision=ItemReview.RETURNED, note="缺少照片"
    )
    check = services.review_conclude(actor=officer, check=check)
    assert check.status == CheckStatus.RETURNED
    services.check_item_record(
        actor=secretary, check_item=rows["room"], evidence="补充活动室照片", self_score=8
    )
    services.check_submit(actor=secretary, check=check)
    # reviewed: 6 × 10 + 4 × 5 = 80 of 100 → class 2 (class 1 from 90, class 2 from 70)
    review_all(check, officer, {"room": 5, "fees": 5, "records": 5, "disclosure": 5})
    check = services.review_conclude(actor=officer, check=check)
    assert (check.status, check.score, check.max_score, check.rating) == (
        CheckStatus.REVIEWED,
        80,
        100,
        Rating.CLASS_2,
    )
    org.refresh_from_db()
    assert org.rating == Rating.CLASS_2
    rating = OrgRating.objects.get(organization=org)
    assert rating == check.org_rating and rating.rated_by == officer and "80" in rating.basis
    plan = check.plan
    assert plan.rating == Rating.CLASS_2
    due = add_working_days(timezone.localtime(check.reviewed_at).date(), conf.upgrade_working_days()).due
    assert sorted(item.check_item.item.code for item in plan.items.all()) == [
        "disclosure",
        "fees",
        "records",
        "room",
    ]
    assert {item.due_on for item in plan.items.all()} == {due} and rating.upgrade_due == due
    audit = AuditEntry.objects.filter(action="org.rate", object_id=str(org.pk)).get()
    assert audit.before == {"rating": None} and audit.after["rating"] == 2
    assert AuditEntry.objects.filter(action="governance.item_review").count() == 21
    # progress on the plan, and a step of the secretary's own, due in working days
    item = plan.items.first()
    services.upgrade_item_progress(
        actor=secretary, item=item, progress="已整改", done_on=timezone.localtime(check.reviewed_at).date()
    )
    extra = services.upgrade_item_add(
        actor=secretary, plan=plan, task="开展党员培训", owner="王书记", due_days=20
    )
    assert extra.due_on == add_working_days(timezone.localtime(extra.plan.created_at).date(), 20).due
    assert UpgradeItem.objects.filter(plan=plan, done_on__isnull=False).count() == 1
    # thresholds are settings: at 80 % for class 1 the same score would be class 1
    settings.LIANXIN_GOVERNANCE_RATING_THRESHOLDS = {1: 80}
    assert services.rating_for(80, 100) == Rating.CLASS_1
    assert services.rating_for(69, 100) == Rating.CLASS_3


def test_rollups_per_subdistrict_and_district(city, personas):
    governance_sample(city)
    district = personas["district_officer"]
    year = governance_sample(city)["check"].year
    result = selectors.rollup(actor=district, year=year)
    east = next(row for row in result["subdistrict"] if row["name"] == "东街街道")
    assert east[2] == 1 and east["reviewed"] == 1 and east["submitted"] == 1 and east["orgs"] == 2
    (district_row,) = result["district"]
    assert district_row["orgs"] == 3 and district_row[2] == 1 and district_row["unrated"] == 2
    outsider = selectors.rollup(actor=personas["outsider"], year=year)
    assert all(row["name"] != "东街街道" for row in outsider["subdistrict"])


def test_checklists_are_edited_by_district_officers(city, personas):
    item = StandardItem.objects.filter(field="community").first()
    with pytest.raises(PermissionDenied):
        services.item_save(
            actor=personas["community_secretary"],
            item=item,
            field="community",
            area=item.area,
            code=item.code,
            text="x",
            points=5,
        )
    saved = services.item_save(
        actor=personas["district_officer"],
        item=item,
        field="community",
        area=item.area,
        code=item.code,
        text="新要求",
        points=15,
    )
    assert saved.points == 15
    entry = AuditEntry.objects.filter(action="governance.item_save").order_by("seq").last()
    assert entry.before["points"] == 10 and entry.after["points"] == 15
    # a field without its own list uses the community list
    assert list(services.checklist_for("market")) == list(services.checklist_for("community"))
    assert PartyOrganization.objects.get(pk=city.happy_committee.pk).field == "community"
