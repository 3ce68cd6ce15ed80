"""Shared builders of the elections tests: an election of 幸福社区党委 at a chosen stage."""

import datetime as dt

from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.elections import services
from lianxin.elections.models import Mark, NominationSource

NAMES = ["王建华", "李秀英", "张国强", "刘桂兰", "陈志明", "杨丽娟", "赵文斌"]


def make_election(city, *, seats=2, candidates=3, actor=None, **options):
    """An election of 幸福社区党委 with ``candidates`` approved candidates (nomination still open)."""
    actor = actor or User.objects.get(username="secretary")
    election = services.election_create(
        actor=actor, organization=city.happy_committee, title="幸福社区党委换届选举", seats=seats, **options
    )
    for name in NAMES[:candidates]:
        candidate = services.candidate_nominate(
            actor=actor, election=election, name=name, source=NominationSource.ORGANIZATION
        )
        services.candidate_vet(actor=actor, candidate=candidate, approve=True)
    return election


def open_first_round(election, *, entitled=10, present=10, actor=None):
    actor = actor or User.objects.get(username="secretary")
    services.slate_fix(actor=actor, election=election)
    first = election.rounds.get(number=1)
    return services.round_open(
        actor=actor,
        round=first,
        present=present,
        entitled=entitled,
        held_on=timezone.localdate() - dt.timedelta(days=1),
    )


def ids(round):
    return [e.candidate_id for e in round.entries.order_by("candidate_id")]


def enter(round, ballots, *, actor=None, prefix="t"):
    """Enter paper ballots: each a dict {candidate index: mark} or a list of indexes voted for."""
    actor = actor or User.objects.get(username="secretary")
    order = ids(round)
    for n, ballot in enumerate(ballots):
        if isinstance(ballot, dict):
            marks = {order[i]: mark for i, mark in ballot.items()}
        else:
            marks = {order[i]: Mark.FOR for i in ballot}
        assert services.paper_ballot_enter(
            actor=actor, round=round, marks=marks, token=f"{prefix}-{round.pk}-{n}"
        )


def elections_sample(city):
    """An election of 幸福社区党委 voting in round 1 (two candidates approved, the slate fixed, the
    meeting held), made once per test and kept on the city object for the permission matrix."""
    sample = getattr(city, "_elections_sample", None)
    if sample is not None:
        return sample
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election)
    candidate = election.candidates.first()
    sample = {"election": election, "round": first, "candidate": candidate}
    city._elections_sample = sample
    return sample
