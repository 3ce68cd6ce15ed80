"""Sample data of the governance module, shared by its tests and its permission-matrix entries."""

import datetime as dt
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.appeals.models import RequestCategory
from lianxin.branch import services as branch
from lianxin.branch.models import MeetingType
from lianxin.core import demo
from lianxin.governance import services
from lianxin.governance.models import ChainLevel, ContactKind, ItemReview
from lianxin.registry import services as registry
from lianxin.registry.models import MemberKind, Relationship

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def people(city, secretary, count, *, seed=7, extra_households=0):
    """``count`` party members of 幸福社区's branch, each heading a household of 1号楼, and
    ``extra_households`` households without members."""
    rng = random.Random(seed)
    members, homes = [], []
    for index in range(count + extra_households):
        home = registry.household_create(
            actor=secretary, place=city.happy_building, unit="3", room=f"{seed}{index:02d}"
        )
        homes.append(home)
        if index >= count:
            continue
        person = demo.person(rng, min_age=30, max_age=80, today=dt.date(2025, 1, 1))
        resident = registry.resident_create(
            actor=secretary,
            name=person.name,
            id_number=person.id_number,
            household=home,
            relationship=Relationship.HEAD,
        )
        members.append(
            registry.member_create(
                actor=secretary,
                resident=resident,
                organization=city.happy_branch,
                kind=MemberKind.RETIRED,
                joined_on=dt.date(1990, 7, 1),
            )
        )
    return members, homes


def committee_meeting(city, secretary, days_ahead=10):
    return branch.meeting_plan(
        actor=secretary,
        organization=city.happy_committee,
        meeting_type=MeetingType.objects.get(code="committee_meeting"),
        topic="研究社区停车管理",
        planned_on=timezone.localdate() + dt.timedelta(days=days_ahead),
    )


def fill_check(check, secretary, scores=None):
    for row in check.items.select_related("item"):
        services.check_item_record(
            actor=secretary,
            check_item=row,
            evidence=f"{row.item.code} 台账齐全",
            self_score=(scores or {}).get(row.item.code, row.item.points),
        )


def review_all(check, officer, scores):
    for row in check.items.select_related("item"):
        services.item_review(
            actor=officer,
            check_item=row,
            decision=ItemReview.ACCEPTED,
            score=scores.get(row.item.code, row.item.points),
        )


def governance_sample(city):
    """In 幸福社区: three members (the first a delegate), a chain of each level with one logged
    contact, a committee meeting open to members with one application, a reviewed class-2 self-check
    with its upgrade plan and a submitted one of the branch. Made once per test, kept on the city."""
    sample = getattr(city, "_governance_sample", None)
    if sample is not None:
        return sample
    secretary = User.objects.get(username="secretary")
    officer = User.objects.get(username="east")
    today = timezone.localdate()
    members, homes = people(city, secretary, 3, seed=5)
    delegate = services.delegate_add(
        actor=secretary, organization=city.happy_committee, member=members[0], term_start=dt.date(2024, 1, 1)
    )
    org = city.happy_committee
    to_delegate = services.link_assign(
        actor=secretary,
        organization=org,
        level=ChainLevel.DELEGATE,
        contact=members[1],
        target_member=members[0],
    )
    to_member = services.link_assign(
        actor=secretary,
        organization=org,
        level=ChainLevel.MEMBER,
        contact=members[0],
        target_member=members[2],
    )
    to_home = services.link_assign(
        actor=secretary,
        organization=org,
        level=ChainLevel.HOUSEHOLD,
        contact=members[2],
        target_household=homes[0],
    )
    entry = services.entry_record(
        actor=secretary,
        link=to_home,
        kind=ContactKind.VISIT,
        contacted_on=today,
        problems="楼道灯坏了",
        notes="已记录",
    )
    open_meeting = services.meeting_open(actor=secretary, meeting=committee_meeting(city, secretary), seats=2)
    member_user = User.objects.get(username="member")
    branch.member_account_link(actor=secretary, user=member_user, resident=members[1].resident)
    application = services.sitting_apply(
        user=member_user, open_meeting=open_meeting, motivation="想了解停车方案"
    )
    check = services.check_start(actor=secretary, organization=org, year=today.year)
    fill_check(check, secretary)
    services.check_submit(actor=secretary, check=check)
    review_all(check, officer, {"room": 0, "fees": 0})
    check = services.review_conclude(actor=officer, check=check)
    branch_check = services.check_start(actor=secretary, organization=city.happy_branch, year=today.year)
    fill_check(branch_check, secretary)
    services.check_item_record(
        actor=secretary,
        check_item=branch_check.items.first(),
        evidence="活动室照片",
        self_score=10,
        attachment=SimpleUploadedFile("photo.png", PNG),
    )
    services.check_submit(actor=secretary, check=branch_check)
    sample = {
        "members": members,
        "homes": homes,
        "delegate": delegate,
        "link": to_home,
        "links": [to_delegate, to_member, to_home],
        "entry": entry,
        "open_meeting": open_meeting,
        "application": application,
        "check": check,
        "submitted": branch_check,
        "check_item": branch_check.items.first(),
        "draft_item": None,
        "plan": check.plan,
        "plan_item": check.plan.items.first(),
        "category": RequestCategory.objects.get(code="facilities"),
    }
    city._governance_sample = sample
    return sample
