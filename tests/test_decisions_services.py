"""The 4+2 chain (D8, issue 7): stages in order, rule outcomes, the mandatory categories, the
double ballot, the deliberation day, departure audits and the charter."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lianxin.core.models import AuditEntry, Todo
from lianxin.decisions import services
from lianxin.decisions.models import (
    BallotCode,
    HouseholdVote,
    MatterStatus,
    Stage,
    StageRecord,
    VoteChannel,
)

from .test_decisions_helpers import category, households, record, walk


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


def new_matter(city, actor, code="construction", **kwargs):
    return services.matter_create(
        actor=actor, place=city.happy, title="社区办公用房改造", category=category(code), **kwargs
    )


def test_the_whole_chain_with_both_publications(city, secretary):
    matter = new_matter(city, secretary, double_ballot=False)
    for stage in [Stage.PROPOSAL, Stage.DELIBERATION, Stage.REVIEW, Stage.DECISION]:
        assert matter.status == stage
        rec = record(matter, secretary)
        assert rec.passed and rec.complete and rec.recorded_by == secretary and rec.location == "社区议事厅"
        matter.refresh_from_db()
    assert matter.status == MatterStatus.RESOLUTION
    services.resolution_publish(actor=secretary, matter=matter, text="同意改造，预算30万元。")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RESULT
    rec = services.result_publish(actor=secretary, matter=matter, text="已完工，决算28.6万元。")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.IMPLEMENTED and rec.stage == Stage.RESULT
    assert services.missing_stages(matter) == []
    # Every stage record is audited.
    assert AuditEntry.objects.filter(action="decision.stage_record", object_id=str(matter.pk)).count() == 4


def test_stages_out_of_order_are_refused(city, secretary):
    matter = new_matter(city, secretary)
    before = AuditEntry.objects.count()
    for stage in (Stage.DELIBERATION, Stage.REVIEW, Stage.DECISION):
        with pytest.raises(ValidationError) as caught:
            record(matter, secretary, stage=stage)
        assert "stage" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.resolution_publish(actor=secretary, matter=matter, text="决议")
    with pytest.raises(ValidationError):
        services.result_publish(actor=secretary, matter=matter, text="结果")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.PROPOSAL
    assert not StageRecord.objects.exists() and AuditEntry.objects.count() == before


def test_a_mandatory_matter_cannot_be_marked_implemented_with_a_stage_missing(city, secretary):
    # Started as an ordinary matter, the party member meeting was skipped; later recategorized as a
    # construction contract (mandatory): the implementation result is refused, naming the stage.
    matter = new_matter(city, secretary, code="facilities")
    walk(matter, secretary, Stage.REVIEW)
    services.stage_skip(actor=secretary, matter=matter, reason="小额维修")
    matter.refresh_from_db()
    record(matter, secretary)
    matter.refresh_from_db()
    services.resolution_publish(actor=secretary, matter=matter, text="同意维修")
    services.matter_recategorize(
        actor=secretary, matter=matter, category=category("construction"), reason="金额超标"
    )
    matter.refresh_from_db()
    assert services.missing_stages(matter) == [Stage.REVIEW]
    with pytest.raises(ValidationError) as caught:
        services.result_publish(actor=secretary, matter=matter, text="完工")
    assert "stage" in caught.value.message_dict
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RESULT
    assert not StageRecord.objects.filter(matter=matter, stage=Stage.RESULT).exists()


def test_mandatory_stages_cannot_be_skipped(city, secretary):
    matter = new_matter(city, secretary, code="subsistence")
    walk(matter, secretary, Stage.REVIEW)
    with pytest.raises(ValidationError):
        services.stage_skip(actor=secretary, matter=matter, reason="赶时间")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.REVIEW


def test_an_ordinary_matter_may_skip_and_be_implemented(city, secretary):
    matter = new_matter(city, secretary, code="environment")
    walk(matter, secretary, Stage.REVIEW)
    services.stage_skip(actor=secretary, matter=matter, reason="两委已决定")
    matter.refresh_from_db()
    with pytest.raises(ValidationError):
        services.stage_skip(actor=secretary, matter=matter, reason="")
    services.stage_skip(actor=secretary, matter=matter, reason="不涉及居民利益")
    matter.refresh_from_db()
    services.resolution_publish(actor=secretary, matter=matter, text="决议")
    services.result_publish(actor=secretary, matter=matter, text="完成")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.IMPLEMENTED


def test_no_quorum_keeps_the_stage_and_a_failed_vote_ends_the_matter(city, secretary):
    matter = new_matter(city, secretary)
    walk(matter, secretary, Stage.REVIEW)
    no_quorum = record(matter, secretary, tally=(30, 15, 15))
    matter.refresh_from_db()
    assert not no_quorum.quorum_met and not no_quorum.complete and matter.status == MatterStatus.REVIEW
    assert "15" in no_quorum.explanation and no_quorum.rule_code == "party_member_meeting"
    failed = record(matter, secretary, tally=(30, 16, 15))
    matter.refresh_from_db()
    assert failed.quorum_met and not failed.passed and matter.status == MatterStatus.REJECTED
    with pytest.raises(ValidationError):
        record(matter, secretary, stage=Stage.REVIEW, tally=(30, 16, 16))


def test_residents_meeting_rule_applies_when_residents_decide(city, secretary):
    matter = new_matter(city, secretary, decision_body="residents", double_ballot=False)
    walk(matter, secretary, Stage.DECISION)
    rec = record(matter, secretary, tally=(200, 101, 51))
    assert rec.rule_code == "residents_meeting" and rec.passed


def test_impossible_tallies_name_the_field(city, secretary):
    matter = new_matter(city, secretary)
    with pytest.raises(ValidationError) as caught:
        record(matter, secretary, tally=(7, 8, 6))
    assert "present" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.stage_record(
            actor=secretary,
            matter=matter,
            stage=Stage.PROPOSAL,
            held_on=timezone.localdate(),
            entitled=7,
            present=6,
            votes_for=5,
            votes_against=2,
            abstain=0,
        )
    assert "votes_for" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.stage_record(
            actor=secretary,
            matter=matter,
            stage=Stage.PROPOSAL,
            held_on=timezone.localdate() + dt.timedelta(days=3),
            entitled=7,
            present=6,
            votes_for=6,
        )
    assert "held_on" in caught.value.message_dict
    assert not StageRecord.objects.exists()


@pytest.mark.parametrize(
    "persona", ["staff", "supervisor", "district_officer", "grid_worker", "outsider", "resident"]
)
def test_only_the_secretary_and_committee_record(city, personas, persona):
    matter = new_matter(city, personas["community_secretary"])
    with pytest.raises(PermissionDenied):
        record(matter, personas[persona])
    matter.refresh_from_db()
    assert matter.status == MatterStatus.PROPOSAL and not StageRecord.objects.exists()
    record(matter, personas["committee_member"])


def test_a_stage_completes_once_in_the_database(city, secretary):
    matter = new_matter(city, secretary)
    rec = record(matter, secretary)
    with pytest.raises(IntegrityError), transaction.atomic():
        StageRecord.objects.create(
            matter=matter, stage=rec.stage, held_on=rec.held_on, complete=True, recorded_by=secretary
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_stage_submissions_make_exactly_one_transition(city, personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    secretary = personas["community_secretary"]
    matter = new_matter(city, secretary)
    barrier, outcomes = threading.Barrier(8), []

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            record(matter, secretary, stage=Stage.PROPOSAL)
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # reported below
            outcomes.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved"] + ["refused"] * 7, outcomes
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DELIBERATION
    assert StageRecord.objects.filter(matter=matter).count() == 1
    assert AuditEntry.objects.filter(action="decision.stage_record").count() == 1


# --- the double ballot ---------------------------------------------------------------------------


@pytest.fixture
def ballot(city, secretary):
    """A construction matter (major: double ballot) waiting for the residents; 5 households, two
    representatives (王: 3 households, 李: 2), codes issued."""
    matter = new_matter(city, secretary)
    assert matter.double_ballot
    walk(matter, secretary, Stage.DECISION)
    homes = households(city, 5)
    wang = services.representative_create(actor=secretary, place=city.happy, name="王代表")
    li = services.representative_create(actor=secretary, place=city.happy, name="李代表")
    services.representative_link(actor=secretary, representative=wang, households=homes[:3])
    services.representative_link(actor=secretary, representative=li, households=homes[3:])
    assert services.ballot_codes_issue(actor=secretary, matter=matter) == 5
    return matter, homes, wang, li


def code_of(matter, household):
    return BallotCode.objects.get(matter=matter, household=household).code


def test_double_ballot_tally(city, secretary, ballot):
    matter, homes, wang, li = ballot
    services.household_vote_direct(code=code_of(matter, homes[0]), choice="against")
    result = services.representative_cast(actor=secretary, matter=matter, representative=wang, choice="for")
    assert result == {"cast": [homes[1].pk, homes[2].pk], "skipped": [homes[0].pk]}
    services.representative_cast(actor=secretary, matter=matter, representative=li, choice="against")
    tally = services.household_tally(matter)
    assert tally["entitled"] == 5 and tally["voted"] == 5
    assert (tally["for"], tally["against"], tally["abstain"]) == (2, 3, 0)
    assert (tally["direct"], tally["by_representative"]) == (1, 4)
    assert tally["quorum_met"] and not tally["passed"]
    # The representatives themselves voted 30 of 35 for: the household tally decides, both are kept.
    rec = record(matter, secretary, tally=(35, 35, 30))
    matter.refresh_from_db()
    assert rec.quorum_met and not rec.passed and matter.status == MatterStatus.REJECTED
    assert rec.votes_for == 30 and rec.household_tally["against"] == 3
    assert "3" in rec.explanation


def test_the_household_tally_passes_the_decision(city, secretary, ballot):
    matter, homes, wang, li = ballot
    services.representative_cast(actor=secretary, matter=matter, representative=wang, choice="for")
    rec = record(matter, secretary, tally=(35, 30, 15))  # heads: 15 of 30 present would fail
    matter.refresh_from_db()
    assert rec.passed and matter.status == MatterStatus.RESOLUTION
    assert rec.household_tally["for"] == 3 and rec.household_tally["voted"] == 3


def test_a_household_cannot_be_counted_twice(city, secretary, ballot):
    matter, homes, wang, li = ballot
    # Representative first, then the household with its own code: refused, the code stays unused.
    services.representative_cast(actor=secretary, matter=matter, representative=li, choice="for")
    with pytest.raises(ValidationError) as caught:
        services.household_vote_direct(code=code_of(matter, homes[3]), choice="against")
    assert "code" in caught.value.message_dict
    assert BallotCode.objects.get(matter=matter, household=homes[3]).used_at is None
    # Household first, then its representative: the representative skips it.
    services.household_vote_direct(code=code_of(matter, homes[0]), choice="against")
    services.representative_cast(actor=secretary, matter=matter, representative=wang, choice="for")
    services.representative_cast(actor=secretary, matter=matter, representative=wang, choice="for")
    # A code is single use.
    with pytest.raises(ValidationError):
        services.household_vote_direct(code=code_of(matter, homes[0]), choice="for")
    assert HouseholdVote.objects.filter(matter=matter).count() == 5
    assert HouseholdVote.objects.get(matter=matter, household=homes[0]).channel == VoteChannel.DIRECT
    assert HouseholdVote.objects.get(matter=matter, household=homes[3]).choice == "for"
    # And the database itself refuses a second row, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdVote.objects.create(matter=matter, household=homes[1], choice="against", channel="direct")


def test_a_representative_casts_only_their_own_households(city, secretary, ballot):
    matter, homes, wang, li = ballot
    with pytest.raises(ValidationError):
        services.representative_cast(
            actor=secretary, matter=matter, representative=wang, choice="for", households=[homes[4]]
        )
    assert not HouseholdVote.objects.exists()


def test_a_household_has_one_representative(city, secretary, ballot):
    matter, homes, wang, li = ballot
    assert services.representative_link(actor=secretary, representative=li, households=[homes[0]]) == 1
    assert set(wang.links.values_list("household_id", flat=True)) == {homes[1].pk, homes[2].pk}


def test_household_voting_needs_an_open_ballot(city, secretary, ballot):
    matter, homes, wang, li = ballot
    code = code_of(matter, homes[0])
    services.matter_withdraw(actor=secretary, matter=matter, reason="暂缓")
    with pytest.raises(ValidationError):
        services.household_vote_direct(code=code, choice="for")
    assert not HouseholdVote.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_code_used_at_once_counts_once(city, personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    secretary = personas["community_secretary"]
    matter = new_matter(city, secretary)
    walk(matter, secretary, Stage.DECISION)
    home = households(city, 1)[0]
    rep = services.representative_create(actor=secretary, place=city.happy, name="王代表")
    services.representative_link(actor=secretary, representative=rep, households=[home])
    services.ballot_codes_issue(actor=secretary, matter=matter)
    code = code_of(matter, home)
    barrier, outcomes = threading.Barrier(6), []

    def vote(n):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            if n == 0:
                services.representative_cast(actor=secretary, matter=matter, representative=rep, choice="for")
            else:
                services.household_vote_direct(code=code, choice="against")
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert HouseholdVote.objects.filter(matter=matter, household=home).count() == 1
    assert outcomes.count("refused") >= 4


# --- deliberation day, audits, charter ----------------------------------------------------------


def test_the_deliberation_day_defaults_to_the_10th(city, secretary, settings):
    assert services.deliberation_next_date(city.happy, dt.date(2026, 3, 4)) == dt.date(2026, 3, 10)
    assert services.deliberation_next_date(city.happy, dt.date(2026, 3, 11)) == dt.date(2026, 4, 10)
    services.deliberation_schedule_set(actor=secretary, place=city.happy, day=31)
    assert services.deliberation_next_date(city.happy, dt.date(2026, 2, 3)) == dt.date(2026, 2, 28)
    settings.LIANXIN_DECISIONS_DELIBERATION_DAY = 15
    assert services.deliberation_next_date(city.harmony, dt.date(2026, 3, 4)) == dt.date(2026, 3, 15)


def test_a_deliberation_day_collects_agenda_minutes_and_follow_ups(city, personas, secretary, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    item = services.agenda_item_submit(
        place=city.happy, title="小区停车难", detail="晚上没车位", name="赵大爷"
    )
    assert item.from_portal
    day = services.deliberation_day_plan(actor=secretary, place=city.happy)
    assert day.held_on == dt.date(2026, 3, 10)
    item.refresh_from_db()
    assert item.day == day and item.status == "scheduled"
    with pytest.raises(ValidationError):
        services.deliberation_day_plan(actor=secretary, place=city.happy)
    time_machine.move_to(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    services.deliberation_day_record(
        actor=secretary,
        day=day,
        attendees=42,
        minutes="讨论停车问题",
        outcomes={item.pk: ("discussed", "划线增位")},
    )
    with pytest.raises(ValidationError):
        services.deliberation_day_record(actor=secretary, day=day, attendees=42, minutes="再记一次")
    follow_up = services.follow_up_create(
        actor=secretary, day=day, title="施划停车位", owner=personas["staff"], days=5, agenda_item=item
    )
    # 5 working days from Tuesday 10 March 2026: Tuesday 17 March.
    assert follow_up.due_on == dt.date(2026, 3, 17)
    assert Todo.objects.filter(assignee=personas["staff"], title="施划停车位").exists()
    with pytest.raises(ValidationError):
        services.follow_up_create(actor=secretary, day=day, title="x", owner=personas["outsider"])
    services.follow_up_done(actor=personas["staff"], follow_up=follow_up, note="已施划")
    item.refresh_from_db()
    assert item.status == "discussed" and item.outcome == "划线增位"


def test_departure_audit_is_published_once(city, secretary):
    row = services.departure_audit_create(
        actor=secretary,
        place=city.happy,
        cadre_name="钱主任",
        post="居委会主任",
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2025, 12, 31),
        auditor="街道审计组",
        findings="备用金未及时入账一笔",
        result="minor",
        summary="发现问题一项，已整改",
    )
    with pytest.raises(ValidationError) as caught:
        services.departure_audit_create(
            actor=secretary,
            place=city.happy,
            cadre_name="x",
            post="x",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2024, 1, 1),
            auditor="x",
            findings="x",
            result="clean",
            summary="x",
        )
    assert "period_end" in caught.value.message_dict
    published = services.departure_audit_publish(actor=secretary, departure_audit=row)
    assert published.published_at is not None
    with pytest.raises(ValidationError):
        services.departure_audit_publish(actor=secretary, departure_audit=row)


def test_charter_versions_and_the_current_one(city, secretary):
    first = services.charter_adopt(
        actor=secretary,
        place=city.happy,
        title="居民自治章程",
        text="第一版",
        adopted_by="居民会议",
        adopted_on=dt.date(2020, 5, 1),
    )
    second = services.charter_adopt(
        actor=secretary,
        place=city.happy,
        title="居民自治章程",
        text="第二版",
        adopted_by="居民代表会议",
        adopted_on=dt.date(2025, 5, 1),
        effective_from=dt.date(2025, 6, 1),
        change_note="增加议事日条款",
    )
    assert (first.version, second.version) == (1, 2)
    assert services.charter_current(city.happy, dt.date(2025, 5, 15)) == first
    assert services.charter_current(city.happy, dt.date(2025, 6, 1)) == second
    assert services.charter_current(city.unity) is None
    with pytest.raises(ValidationError) as caught:
        services.charter_adopt(
            actor=secretary,
            place=city.happy,
            title="x",
            text="x",
            adopted_by="x",
            adopted_on=dt.date(2025, 5, 1),
            effective_from=dt.date(2025, 4, 1),
        )
    assert "effective_from" in caught.value.message_dict


def test_comments_on_a_draft_only_while_open(city, secretary):
    matter = new_matter(city, secretary)
    with pytest.raises(ValidationError):
        services.comment_add(matter=matter, text="支持")
    services.matter_send_draft(
        actor=secretary, matter=matter, draft="草案", until=timezone.localdate() + dt.timedelta(days=3)
    )
    comment = services.comment_add(matter=matter, text="建议加装电梯", name="住户")
    assert comment.matter == matter
    with pytest.raises(ValidationError) as caught:
        services.comment_add(matter=matter, text="  ")
    assert "text" in caught.value.message_dict


def test_both_publications_and_the_audit_go_to_the_board(city, secretary):
    from lianxin.disclosure.models import BoardItem

    matter = new_matter(city, secretary, double_ballot=False)
    walk(matter, secretary, Stage.RESOLUTION)
    rec = services.resolution_publish(actor=secretary, matter=matter, text="同意改造。", posted_days=7)
    item = BoardItem.objects.get(source_key=f"decisions:matter:{matter.pk}:resolution")
    assert rec.published_url == item.get_absolute_url() and item.section == "affairs"
    assert "同意改造" in item.body and "35" in item.body
    assert (item.ends_on - item.starts_on).days == 7
    services.result_publish(actor=secretary, matter=matter, text="已完工。")
    assert BoardItem.objects.filter(source_key=f"decisions:matter:{matter.pk}:result").exists()
    row = services.departure_audit_create(
        actor=secretary,
        place=city.happy,
        cadre_name="钱主任",
        post="居委会主任",
        period_start=dt.date(2021, 1, 1),
        period_end=dt.date(2025, 12, 31),
        auditor="街道审计组",
        findings="内部线索：某笔报销待核",
        result="clean",
        summary="未发现问题",
    )
    services.departure_audit_publish(actor=secretary, departure_audit=row)
    audit_item = BoardItem.objects.get(source_key=f"decisions:departure-audit:{row.pk}")
    assert "未发现问题" in audit_item.body and "内部线索" not in audit_item.body
    charter = services.charter_adopt(
        actor=secretary,
        place=city.happy,
        title="居民自治章程",
        text="全文",
        adopted_by="居民会议",
        adopted_on=dt.date(2025, 1, 1),
    )
    assert BoardItem.objects.get(source_key=f"decisions:charter:{charter.pk}").kind == "long_term"
