"""Elections (D3 换届): the rules shown with numbers — quorum, the competitive slate, the majority of
those present, run-offs, blank and invalid ballots — ballot secrecy, double submits, terms and their
reminders, the report and its approval."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from lianxin.core.models import AuditEntry, Notification
from lianxin.elections import rules, services
from lianxin.elections.models import (
    Ballot,
    BallotCode,
    BallotMark,
    Candidate,
    CodeStatus,
    ElectionStatus,
    EntryToken,
    Mark,
    NominationSource,
    Procedure,
    RoundKind,
    RoundOutcome,
    RoundStatus,
    Term,
    TermStatus,
)

from .conftest import city_per_module
from .test_elections_helpers import enter, ids, make_election, open_first_round

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

pytestmark = pytest.mark.django_db


def _outcomes(round):
    return {e.candidate.name: (e.votes_for, e.outcome) for e in round.entries.select_related("candidate")}


# --- slate -------------------------------------------------------------------------------------------


def test_slate_minimum_is_seats_plus_twenty_percent_rounded_up():
    assert [rules.slate_minimum(s, 20) for s in (1, 3, 5, 7, 10)] == [2, 4, 6, 9, 12]
    assert rules.slate_minimum(5, 0) == 5


def test_a_competitive_slate_below_the_ratio_is_refused_naming_the_numbers(city, personas):
    election = make_election(city, seats=5, candidates=5)
    with pytest.raises(ValidationError) as exc:
        services.slate_fix(actor=personas["community_secretary"], election=election)
    message = exc.value.message_dict["slate"][0]
    assert "5" in message and "6" in message and "20" in message
    election.refresh_from_db()
    assert election.status == ElectionStatus.NOMINATION and not election.rounds.exists()
    # A sixth candidate makes the slate competitive.
    extra = services.candidate_nominate(
        actor=personas["community_secretary"],
        election=election,
        name="孙海燕",
        source=NominationSource.ORGANIZATION,
    )
    services.candidate_vet(actor=personas["community_secretary"], candidate=extra, approve=True)
    services.slate_fix(actor=personas["community_secretary"], election=election)
    assert election.status == ElectionStatus.SLATE and election.rounds.get().entries.count() == 6


def test_rejected_candidates_are_not_on_the_slate_and_rejection_needs_a_reason(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=2)
    third = services.candidate_nominate(
        actor=secretary, election=election, name="周晓东", source=NominationSource.ORGANIZATION
    )
    with pytest.raises(ValidationError) as exc:
        services.candidate_vet(actor=secretary, candidate=third, approve=False)
    assert "reason" in exc.value.message_dict
    services.candidate_vet(actor=secretary, candidate=third, approve=False, reason="不符合任职条件")
    services.slate_fix(actor=secretary, election=election)
    assert not Candidate.objects.get(pk=third.pk).on_slate


def test_joint_nomination_needs_the_minimum_of_signers_and_residents_only_in_open_nomination(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=0)
    with pytest.raises(ValidationError) as exc:
        services.candidate_nominate(
            actor=secretary,
            election=election,
            name="甲",
            source=NominationSource.MEMBERS,
            signers="张三\n李四\n张三",
        )
    assert "2" in exc.value.message_dict["signers"][0] and "5" in exc.value.message_dict["signers"][0]
    ok = services.candidate_nominate(
        actor=secretary,
        election=election,
        name="甲",
        source=NominationSource.MEMBERS,
        signers="一\n二\n三\n四\n五",
    )
    assert ok.signer_count == 5
    with pytest.raises(ValidationError) as exc:
        services.candidate_nominate(
            actor=secretary, election=election, name="乙", source=NominationSource.MASSES
        )
    assert "source" in exc.value.message_dict
    direct = make_election(city, seats=1, candidates=0, procedure=Procedure.OPEN_NOMINATION)
    assert services.candidate_nominate(
        actor=secretary, election=direct, name="乙", source=NominationSource.MASSES
    )


# --- quorum -----------------------------------------------------------------------------------------


def test_quorum_not_met_means_no_voting(city, personas):
    election = make_election(city, seats=2, candidates=3)
    # 46 entitled: more than four-fifths is at least 37.
    first = open_first_round(election, entitled=46, present=36)
    assert first.status == RoundStatus.NO_QUORUM and first.quorum_needed == 37
    assert "36" in first.explanation and "37" in first.explanation
    with pytest.raises(ValidationError) as exc:
        enter(first, [[0]])
    assert "quorum" in str(exc.value).lower() or exc.value.message_dict["marks"]
    assert not Ballot.objects.exists()
    election.refresh_from_db()
    assert election.status == ElectionStatus.SLATE
    # A new meeting with 37 present is valid.
    again = services.round_open(
        actor=personas["community_secretary"],
        round=first,
        present=37,
        entitled=46,
        held_on=timezone.localdate(),
    )
    assert again.status == RoundStatus.OPEN and again.votes_needed == 19


# --- majority, blank and invalid ------------------------------------------------------------------


def test_elected_with_more_than_half_of_those_present_blank_and_invalid_counted(city, personas):
    election = make_election(city, seats=2, candidates=3)
    first = open_first_round(election, entitled=12, present=10)
    assert first.votes_needed == 6  # more than half of 10 present
    enter(
        first,
        [[0, 1]] * 5  # A and B 5 each
        + [[0]]  # A 6
        + [[1, 2]]  # B 6, C 1
        + [[]]  # blank
        + [[0, 1, 2]]  # three "for" for two seats: invalid
        + [{0: Mark.AGAINST, 1: Mark.ABSTAIN}],
    )
    services.round_close(actor=personas["community_secretary"], round=first)
    first.refresh_from_db()
    assert (first.ballots, first.blank, first.invalid) == (10, 1, 1)
    names = _outcomes(first)
    assert names["王建华"] == (6, RoundOutcome.ELECTED)
    assert names["李秀英"] == (6, RoundOutcome.ELECTED)
    assert names["张国强"] == (1, RoundOutcome.NOT_ELECTED)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED
    assert set(election.candidates.filter(elected=True).values_list("name", flat=True)) == {
        "王建华",
        "李秀英",
    }
    # The invalid ballot's marks are not kept; the against/abstain marks of a valid ballot are.
    assert BallotMark.objects.filter(ballot__invalid=True).count() == 0
    entry = first.entries.get(candidate__name="王建华")
    assert entry.votes_against == 1


def test_five_of_ten_is_not_more_than_half_and_a_runoff_follows(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=2, candidates=3)
    first = open_first_round(election, entitled=10, present=10)
    enter(first, [[0, 1]] * 5 + [[0, 2]] * 1 + [[2]] * 4)
    services.round_close(actor=secretary, round=first)
    names = _outcomes(first)
    assert names["王建华"] == (6, RoundOutcome.ELECTED)
    assert names["李秀英"] == (5, RoundOutcome.NOT_ELECTED)  # 5 of 10 present: not more than half
    assert names["张国强"] == (5, RoundOutcome.NOT_ELECTED)
    # One seat left: a further ballot among the candidates not elected (另行选举), same meeting.
    runoff = election.rounds.get(number=2)
    assert runoff.kind == RoundKind.RUNOFF and runoff.seats == 1 and runoff.status == RoundStatus.OPEN
    assert {e.candidate.name for e in runoff.entries.all()} == {"李秀英", "张国强"}
    assert runoff.votes_needed == 6
    enter(runoff, [[0]] * 4 + [[1]] * 6, prefix="r")
    services.round_close(actor=secretary, round=runoff)
    assert _outcomes(runoff)["张国强"] == (6, RoundOutcome.ELECTED)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED
    assert set(election.candidates.filter(elected=True).values_list("name", flat=True)) == {
        "王建华",
        "张国强",
    }


def test_more_qualified_than_seats_the_most_votes_win(city, personas):
    election = make_election(city, seats=2, candidates=3)
    first = open_first_round(election, entitled=10, present=10)
    enter(first, [[0, 1]] * 4 + [[0, 2]] * 3 + [[1, 2]] * 3)
    services.round_close(actor=personas["community_secretary"], round=first)
    names = _outcomes(first)
    # All three reach 6 (more than half of 10); the two with most votes take the two seats.
    assert names == {
        "王建华": (7, RoundOutcome.ELECTED),
        "李秀英": (7, RoundOutcome.ELECTED),
        "张国强": (6, RoundOutcome.NOT_ELECTED),
    }
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED and not election.rounds.filter(number=2).exists()


def test_the_cut_rule_on_counts():
    from types import SimpleNamespace

    a, b, c = (SimpleNamespace(votes_for=v) for v in (12, 12, 3))
    assert services._elect([a, b, c], seats=1, needed=11) == ([], [a, b])
    a.votes_for = 13
    assert services._elect([a, b, c], seats=1, needed=11) == ([a], [])
    assert services._elect([a, b, c], seats=3, needed=11) == ([a, b], [])


def test_a_tie_at_the_cut_goes_to_a_ballot_among_the_tied(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=2, candidates=4)
    first = open_first_round(election, entitled=11, present=11)
    enter(first, [[0, 1]] * 4 + [[0, 2]] * 4 + [[1, 2]] * 3)
    services.round_close(actor=secretary, round=first)
    names = _outcomes(first)
    assert names["王建华"] == (8, RoundOutcome.ELECTED)
    assert names["李秀英"] == (7, RoundOutcome.TIE) and names["张国强"] == (7, RoundOutcome.TIE)
    tie = election.rounds.get(number=2)
    assert tie.kind == RoundKind.TIE and tie.seats == 1 and tie.status == RoundStatus.OPEN
    assert {e.candidate.name for e in tie.entries.all()} == {"李秀英", "张国强"}
    enter(tie, [[0]] * 6 + [[1]] * 5, prefix="tie")
    services.round_close(actor=secretary, round=tie)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED
    assert set(election.candidates.filter(elected=True).values_list("name", flat=True)) == {
        "王建华",
        "李秀英",
    }


# --- secrecy and double submits ---------------------------------------------------------------------


def _relations(model):
    return {f.name: f.related_model for f in model._meta.get_fields() if f.is_relation and f.concrete}


def test_no_table_links_a_ballot_to_a_voter_or_a_code():
    from lianxin.elections.models import Round

    assert _relations(Ballot) == {"round": Round}
    assert {f.name for f in Ballot._meta.concrete_fields} == {"id", "round", "blank", "invalid"}
    assert _relations(BallotMark) == {"ballot": Ballot, "candidate": Candidate}
    assert {f.name for f in BallotMark._meta.concrete_fields} == {"id", "ballot", "candidate", "mark"}
    # The code and the teller's token know their round, never a ballot, a user or a time.
    assert _relations(BallotCode) == {"round": Round}
    assert _relations(EntryToken) == {"round": Round}
    for model in (Ballot, BallotMark, BallotCode, EntryToken):
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateTimeField | models.DateField), (model, field.name)
    # Nothing else in the project points at a ballot.
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in (Ballot, BallotMark):
                assert (model, field.name) == (BallotMark, "ballot")


def test_a_teller_entry_is_audited_without_its_marks_and_a_double_submit_adds_nothing(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election)
    order = ids(first)
    assert services.paper_ballot_enter(
        actor=secretary, round=first, marks={order[0]: Mark.FOR}, token="tok-1"
    )
    assert not services.paper_ballot_enter(
        actor=secretary, round=first, marks={order[0]: Mark.FOR}, token="tok-1"
    )
    assert Ballot.objects.count() == 1
    entry = AuditEntry.objects.filter(action="elections.ballot.enter").get()
    assert entry.after == {"round": 1} and entry.actor == secretary


def test_ballots_stop_at_the_number_present(city, personas):
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election, entitled=3, present=3)
    enter(first, [[0], [1], []])
    with pytest.raises(ValidationError):
        enter(first, [[0]], prefix="more")
    assert Ballot.objects.count() == 3


def test_a_code_counts_once_and_is_not_linked_to_its_ballot(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election, entitled=5, present=5)
    codes = services.codes_issue(actor=secretary, round=first, count=2)
    with pytest.raises(ValidationError):
        services.codes_issue(actor=secretary, round=first, count=4)
    order = ids(first)
    services.code_ballot_cast(code=codes[0].lower(), marks={order[0]: Mark.FOR})
    with pytest.raises(ValidationError) as exc:
        services.code_ballot_cast(code=codes[0], marks={order[1]: Mark.FOR})
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.code_ballot_cast(code="NOPE", marks={})
    assert Ballot.objects.count() == 1 and BallotCode.objects.filter(status=CodeStatus.USED).count() == 1
    # No audit entry carries the voter's address for a code ballot.
    assert not AuditEntry.objects.filter(action__startswith="elections.ballot").exists()


def test_marks_for_someone_not_on_the_ballot_are_refused(city, personas):
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election)
    with pytest.raises(ValidationError):
        services.paper_ballot_enter(
            actor=personas["community_secretary"], round=first, marks={999999: Mark.FOR}, token="z"
        )


# --- report, approval, terms ------------------------------------------------------------------------


def _counted(city, personas):
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election, entitled=10, present=10)
    enter(first, [[0]] * 7 + [[1]] * 3)
    services.round_close(actor=personas["community_secretary"], round=first)
    election.refresh_from_db()
    return election


def test_report_approved_by_the_superior_starts_the_new_term(city, personas):
    secretary, officer = personas["community_secretary"], personas["subdistrict_officer"]
    old = services.term_record(
        actor=secretary, organization=city.happy_committee, started_on=dt.date(2023, 3, 1), years=3
    )
    assert old.due_on == dt.date(2026, 3, 1)
    election = _counted(city, personas)
    services.report_submit(actor=secretary, election=election)
    assert Notification.objects.filter(recipient=officer).exists()
    with pytest.raises(PermissionDenied):
        services.report_decide(actor=personas["district_officer"], election=election, approve=True)
    with pytest.raises(PermissionDenied):
        services.report_decide(actor=secretary, election=election, approve=True)
    with pytest.raises(ValidationError):
        services.report_decide(actor=officer, election=election, approve=False)
    services.report_decide(actor=officer, election=election, approve=False, note="请补充选票统计表")
    assert election.status == ElectionStatus.RETURNED
    services.report_submit(actor=secretary, election=election)
    services.report_decide(actor=officer, election=election, approve=True)
    assert election.status == ElectionStatus.APPROVED
    current = Term.objects.get(organization=city.happy_committee, status=TermStatus.CURRENT)
    assert current.election == election and current.started_on == election.meeting_on
    assert current.due_on.year == election.meeting_on.year + 3
    assert Term.objects.get(pk=old.pk).status == TermStatus.ENDED


def test_terms_due_are_listed_and_reminded_once(city, personas):
    from lianxin.elections import selectors

    secretary = personas["community_secretary"]
    today = timezone.localdate()
    soon = services.term_record(
        actor=secretary,
        organization=city.happy_committee,
        started_on=today.replace(day=1) - dt.timedelta(days=3 * 365 - 60),
    )
    later = services.term_record(
        actor=secretary, organization=city.happy_branch, started_on=today - dt.timedelta(days=200)
    )
    due = list(selectors.term_list(actor=secretary, due_within_months=6, today=today))
    assert soon in due and later not in due
    assert services.terms_remind(today=today) >= 1
    assert Notification.objects.filter(recipient=secretary, title__contains="幸福社区党委").count() == 1
    assert services.terms_remind(today=today) == 0
    assert list(selectors.term_list(actor=personas["outsider"])) == []


def test_outsiders_cannot_run_an_election_of_another_community(city, personas):
    with pytest.raises(PermissionDenied):
        services.election_create(
            actor=personas["outsider"], organization=city.happy_committee, title="x", seats=1
        )
    with pytest.raises(PermissionDenied):
        services.election_create(
            actor=personas["subdistrict_officer"], organization=city.happy_committee, title="x", seats=1
        )


def test_two_meeting_ballot_needs_both_meetings(city, personas):
    secretary = personas["community_secretary"]
    election = make_election(city, seats=1, candidates=2, procedure=Procedure.TWO_MEETINGS)
    first = open_first_round(election, entitled=10, present=10)
    enter(first, [[0]] * 7 + [[1]] * 3)
    services.round_close(actor=secretary, round=first)
    assert not election.candidates.filter(elected=True).exists()
    second = election.rounds.get(number=2)
    assert second.kind == RoundKind.SECOND_MEETING and second.status == RoundStatus.PENDING
    assert [e.candidate.name for e in second.entries.all()] == ["王建华"]
    # The residents' representatives: quorum two-thirds, more than half of those present.
    second = services.round_open(
        actor=secretary, round=second, entitled=30, present=20, held_on=timezone.localdate()
    )
    assert second.status == RoundStatus.OPEN and second.votes_needed == 11
    enter(second, [[0]] * 12 + [[]] * 8, prefix="s")
    services.round_close(actor=secretary, round=second)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COUNTED
    assert list(election.candidates.filter(elected=True).values_list("name", flat=True)) == ["王建华"]


def test_entitled_members_are_full_members_of_the_organization_and_below(city, personas):
    from lianxin.registry import services as registry
    from lianxin.registry.models import MemberKind

    from .test_registry_pages import registry_sample

    sample = registry_sample(city)
    registry.member_create(
        actor=personas["community_secretary"],
        resident=sample["spouse"],
        organization=city.happy_branch,
        kind=MemberKind.PROBATIONARY,
        joined_on=timezone.localdate() - dt.timedelta(days=100),
        probation_ends_on=timezone.localdate() + dt.timedelta(days=265),
    )
    # 张三 (a full member of the branch) votes at the committee's meeting; the probationary member does not.
    assert services.entitled_members(city.happy_committee) == 1
    assert services.entitled_members(city.happy_branch) == 1
    assert services.entitled_members(city.unity_committee) == 0


def test_the_majority_base_is_a_setting(city, personas, settings):
    settings.LIANXIN_ELECTIONS_RULES = {"party_election": {"majority_base": "entitled", "quorum": "1/2"}}
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election, entitled=20, present=11)
    assert first.status == RoundStatus.OPEN and first.quorum_needed == 11
    assert first.votes_needed == 11  # more than half of the 20 entitled, not of the 11 present
