"""The demo city's elections: a term for every organization, one completed election with results
(approved, the new term started), one in progress."""

from lianxin.elections.models import Election, ElectionStatus, Round, Term, TermStatus
from lianxin.places.models import PartyOrganization

from .demo_helpers import build_city


def test_demo_elections(db, monkeypatch):
    counts = build_city(monkeypatch, "elections")
    active = PartyOrganization.objects.filter(dissolved_on__isnull=True)
    assert set(
        Term.objects.filter(status=TermStatus.CURRENT).values_list("organization_id", flat=True)
    ) == set(active.values_list("pk", flat=True))
    done = Election.objects.get(status=ElectionStatus.APPROVED)
    first = done.rounds.get(number=1)
    assert (first.ballots, first.blank, first.invalid, first.present) == (40, 1, 1, 40)
    assert done.candidates.filter(elected=True).count() == 5
    assert Term.objects.get(organization=done.organization, status=TermStatus.CURRENT).election == done
    votes = sorted(first.entries.values_list("votes_for", flat=True), reverse=True)
    assert votes == [36, 34, 31, 27, 22, 12]
    running = Election.objects.get(status=ElectionStatus.NOMINATION)
    assert running.candidates.count() == 4 and running.candidates.filter(vetting="pending").count() == 1
    assert not Round.objects.filter(election=running).exists()
    assert counts["elections_elections"] == 2 and counts["elections_ballots"] == 40
