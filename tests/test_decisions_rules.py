"""Quorum and majority rule sets (D8, issue 7): boundaries of each, and the explanation names the rule
and the numbers."""

from fractions import Fraction

import pytest
from django.test import override_settings
from django.utils import translation

from lianxin.decisions import rules
from lianxin.decisions.rules import Tally, evaluate, rule_set


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def party(present, votes_for, entitled=30):
    return evaluate(rule_set(rules.PARTY_MEMBER_MEETING), Tally(entitled, present, votes_for))


def test_party_member_meeting_needs_more_than_half_of_those_entitled():
    fails = party(present=16, votes_for=15)
    assert fails.quorum_met and not fails.passed and fails.status == "failed"
    assert fails.quorum_needed == 16 and fails.votes_needed == 16
    passes = party(present=16, votes_for=16)
    assert passes.quorum_met and passes.passed and passes.status == "passed"
    no_quorum = party(present=15, votes_for=15)
    assert not no_quorum.quorum_met and not no_quorum.passed and no_quorum.status == "no_quorum"


def test_party_member_meeting_counts_those_entitled_not_those_present():
    # 20 present, 11 for: a majority of those present, not of the 30 entitled.
    outcome = party(present=20, votes_for=11)
    assert outcome.quorum_met and not outcome.passed


def test_explanations_name_the_rule_and_the_numbers():
    fails = party(present=16, votes_for=15)
    assert fails.rule.code == rules.PARTY_MEMBER_MEETING
    text = fails.explanation
    assert "Party member meeting" in text and "not passed" in text
    for number in ("16 of 30", "at least 16", "only 15"):
        assert number in text, text
    assert "no quorum" in party(present=15, votes_for=15).explanation
    assert "at least 16" in party(present=15, votes_for=15).explanation
    assert ": passed" in party(present=16, votes_for=16).explanation


def test_explanations_are_translated():
    with translation.override("zh-hans"):
        outcome = party(present=16, votes_for=15)
    assert "16" in outcome.explanation and "15" in outcome.explanation


def test_residents_meeting_more_than_half_present_decides_by_those_present():
    rule = rule_set(rules.RESIDENTS_MEETING)
    # 100 entitled: 51 present is a quorum, 50 is not.
    assert not evaluate(rule, Tally(100, 50, 50)).quorum_met
    outcome = evaluate(rule, Tally(100, 51, 26))
    assert outcome.quorum_met and outcome.passed and outcome.votes_needed == 26
    assert not evaluate(rule, Tally(100, 51, 25, 20, 6)).passed
    # Majority of those present: 60 present need 31.
    assert evaluate(rule, Tally(100, 60, 31)).passed
    assert not evaluate(rule, Tally(100, 60, 30, 30)).passed


def test_representatives_meeting_two_thirds_present_decides_by_those_present():
    rule = rule_set(rules.REPRESENTATIVES_MEETING)
    # 35 representatives: at least two-thirds is 24 (23.33 rounded up).
    assert not evaluate(rule, Tally(35, 23, 23)).quorum_met
    outcome = evaluate(rule, Tally(35, 24, 13))
    assert outcome.quorum_needed == 24 and outcome.quorum_met and outcome.passed
    assert not evaluate(rule, Tally(35, 24, 12, 12)).passed
    # Exactly two-thirds counts (以上 includes the number): 30 entitled, 20 present.
    assert evaluate(rule, Tally(30, 20, 11)).quorum_met
    assert not evaluate(rule, Tally(30, 19, 19)).quorum_met
    # The worked example: 35 representatives, unanimous.
    assert evaluate(rule, Tally(35, 35, 35)).passed


def test_thresholds_are_exact():
    assert rules.needed(30, Fraction(1, 2), strict=True) == 16
    assert rules.needed(31, Fraction(1, 2), strict=True) == 16
    assert rules.needed(30, Fraction(2, 3), strict=False) == 20
    assert rules.needed(31, Fraction(2, 3), strict=False) == 21
    assert rules.needed(30, Fraction(2, 3), strict=True) == 21


def test_impossible_tallies_are_refused_with_the_field():
    errors = rules.check_tally(Tally(30, 31, 0))
    assert set(errors) == {"present"}
    errors = rules.check_tally(Tally(30, 20, 15, 4, 2))
    assert set(errors) == {"votes_for"}
    assert "entitled" in rules.check_tally(Tally(0, 0, 0))
    with pytest.raises(ValueError):
        evaluate(rule_set(rules.RESIDENTS_MEETING), Tally(10, 11, 0))


@override_settings(
    LIANXIN_DECISIONS_RULES={rules.REPRESENTATIVES_MEETING: {"quorum": "1/2", "quorum_strict": True}}
)
def test_rule_sets_are_configurable():
    rule = rule_set(rules.REPRESENTATIVES_MEETING)
    assert rule.quorum == Fraction(1, 2) and rule.quorum_strict
    assert evaluate(rule, Tally(35, 18, 10)).quorum_met
    assert not evaluate(rule, Tally(35, 17, 17)).quorum_met
    # Untouched rule sets keep their defaults.
    assert rule_set(rules.PARTY_MEMBER_MEETING) == rules.DEFAULTS[rules.PARTY_MEMBER_MEETING]


def test_every_rule_set_has_a_source():
    for rule in rules.DEFAULTS.values():
        assert str(rule.source) and str(rule.name)
