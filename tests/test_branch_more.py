"""Branch life, the rest of issue 5 (D3): posts in five steps (设岗定责), reserve cadres (后备干部) and
the hardship fund (特困党员帮扶)."""

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from lianxin.branch import selectors, services
from lianxin.branch.models import Education, HardshipStatus, PostHoldingStatus, ReserveStage
from lianxin.core import demo
from lianxin.registry import services as registry
from lianxin.registry.models import MemberKind

from .test_branch_services import make_members

NOW = dt.datetime(2026, 12, 10, 10, tzinfo=dt.UTC)


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


@time_machine.travel(NOW, tick=False)
def test_posts_in_five_steps_and_coverage_of_members_without_posts(city, secretary, personas):
    a, b = make_members(city, secretary, 2)
    for member in (a, b):
        registry.member_update(actor=secretary, member=member, kind=MemberKind.WITHOUT_POST)
    services.member_account_link(actor=secretary, user=personas["party_member"], resident=a.resident)
    hygiene = services.post_define(
        actor=secretary,
        organization=city.happy_branch,
        year=2026,
        title="楼道卫生监督岗",
        duties="每周巡查楼道",
    )
    mediation = services.post_define(
        actor=secretary, organization=city.happy_branch, year=2026, title="邻里调解岗", duties="调解邻里纠纷"
    )
    with pytest.raises(ValidationError):
        services.post_define(
            actor=secretary, organization=city.happy_branch, year=2026, title="邻里调解岗", duties="x"
        )
    assert selectors.post_coverage(actor=secretary, year=2026)["covered"] == 0
    # 自愿认岗: the member herself, through her own account; the branch records the other.
    own = services.post_volunteer(actor=personas["party_member"], post=hygiene, member=a)
    with pytest.raises(PermissionDenied):
        services.post_volunteer(actor=personas["party_member"], post=hygiene, member=b)
    second = services.post_volunteer(actor=secretary, post=mediation, member=a)  # several posts
    other = services.post_volunteer(actor=secretary, post=mediation, member=b)
    with pytest.raises(ValidationError):
        services.posts_publish(actor=secretary, organization=city.happy_branch, year=2026)  # none assigned
    for holding in (own, second, other):
        services.post_assign(actor=secretary, holding=holding)
    with pytest.raises(ValidationError):
        services.post_assign(actor=secretary, holding=own)  # decided once
    coverage = selectors.post_coverage(actor=secretary, year=2026)
    assert (coverage["covered"], coverage["total"]) == (2, 2)
    assert coverage["organizations"][0]["organization__name"] == "幸福社区第一党支部"
    with pytest.raises(ValidationError):
        services.post_appraise(actor=secretary, holding=own, appraisal="good")  # not published yet
    assert services.posts_publish(actor=secretary, organization=city.happy_branch, year=2026) == 2
    assert {p.title for p in selectors.post_list(actor=secretary, published_only=True)} == {
        "楼道卫生监督岗",
        "邻里调解岗",
    }
    with pytest.raises(ValidationError) as exc:
        services.post_appraise(actor=secretary, holding=own, appraisal="good", on=dt.date(2026, 6, 30))
    assert "on" in exc.value.message_dict
    done = services.post_appraise(actor=secretary, holding=own, appraisal="excellent", note="认真负责")
    assert done.appraisal == "excellent" and done.status == PostHoldingStatus.ASSIGNED


def _person(city, secretary, seed, age):
    person = demo.person(random.Random(seed), min_age=age, max_age=age + 1, today=dt.date(2026, 12, 10))
    return registry.resident_create(
        actor=secretary, name=person.name, id_number=person.id_number, place=city.happy_building
    )


@time_machine.travel(NOW, tick=False)
def test_reserve_cadres_steps_scores_and_the_one_to_one_check(city, secretary, personas):
    young = _person(city, secretary, 1, 30)
    older = _person(city, secretary, 2, 50)
    first = services.reserve_signup(
        actor=secretary, resident=young, community=city.happy, education=Education.BACHELOR
    )
    second = services.reserve_signup(
        actor=secretary, resident=older, community=city.happy, education=Education.BELOW_COLLEGE
    )
    with pytest.raises(ValidationError):
        services.reserve_signup(
            actor=secretary, resident=young, community=city.happy, education=Education.COLLEGE
        )
    for cadre in (first, second):
        cadre = services.reserve_advance(actor=secretary, cadre=cadre)  # eligibility confirmed
        with pytest.raises(ValidationError):
            services.reserve_advance(actor=secretary, cadre=cadre)  # the written test needs a score
        cadre = services.reserve_advance(actor=secretary, cadre=cadre, score=Decimal("86.5"))
        cadre = services.reserve_advance(actor=secretary, cadre=cadre, score=Decimal("90"))
    check = {row["community"].name: row for row in selectors.reserve_check(actor=secretary)}["幸福社区"]
    assert check["cadres"] == 2  # the secretary and the committee member
    assert (check["reserves"], check["ratio_met"], check["young_college_met"]) == (0, False, False)
    services.reserve_advance(actor=secretary, cadre=second)  # inspected: a reserve
    check = selectors.reserve_check(actor=secretary)[0]
    assert (check["reserves"], check["ratio_met"], check["young_college_met"]) == (1, False, False)
    done = services.reserve_advance(actor=secretary, cadre=first)
    assert done.stage == ReserveStage.RESERVE and done.written_score == Decimal("86.5")
    check = selectors.reserve_check(actor=secretary)[0]
    assert (check["reserves"], check["ratio_met"], check["young_college_met"]) == (2, True, True)
    assert selectors.reserve_check(actor=personas["outsider"])[0]["community"].name == "团结社区"


@time_machine.travel(NOW, tick=False)
def test_hardship_fund_nobody_decides_their_own_and_the_ledger_adds_up(city, secretary, personas):
    (member,) = make_members(city, secretary, 1)
    committee = personas["committee_member"]
    application = services.hardship_apply(
        actor=committee, member=member, amount=Decimal("3000"), reason="重病住院"
    )
    with pytest.raises(ValidationError):
        services.hardship_decide(actor=committee, application=application, approve=True)  # she applied
    with pytest.raises(PermissionDenied):
        services.hardship_decide(actor=personas["staff"], application=application, approve=True)
    # The secretary is the member here: she may not decide for herself either.
    services.member_account_link(actor=secretary, user=secretary, resident=member.resident)
    with pytest.raises(ValidationError):
        services.hardship_decide(actor=secretary, application=application, approve=True)
    from lianxin.branch.models import MemberAccount

    MemberAccount.objects.filter(user=secretary).delete()
    with pytest.raises(ValidationError):
        services.hardship_pay(
            actor=secretary, application=application, amount=Decimal("100"), paid_on=NOW.date()
        )
    decided = services.hardship_decide(
        actor=secretary, application=application, approve=True, amount=Decimal("2000")
    )
    assert decided.status == HardshipStatus.APPROVED and decided.approved_amount == Decimal("2000")
    with pytest.raises(ValidationError):
        services.hardship_decide(actor=secretary, application=application, approve=False)
    services.hardship_pay(
        actor=committee, application=application, amount=Decimal("1500"), paid_on=dt.date(2025, 12, 30)
    )
    services.hardship_pay(
        actor=committee, application=application, amount=Decimal("500"), paid_on=dt.date(2026, 1, 5)
    )
    with pytest.raises(ValidationError):
        services.hardship_pay(
            actor=committee, application=application, amount=Decimal("0.01"), paid_on=NOW.date()
        )
    totals = {
        row["year"]: (row["total"], row["payments"]) for row in selectors.hardship_totals(actor=secretary)
    }
    assert totals == {2025: (Decimal("1500"), 1), 2026: (Decimal("500"), 1)}
    assert selectors.hardship_totals(actor=personas["outsider"]) == []
