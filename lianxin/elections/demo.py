"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city.

A current term for every party organization of the demo city (some due within the reminder window,
one overdue); in the first community that has a secretary, the community committee's completed
re-election (a competitive slate of 6 for 5 seats, paper ballots with a blank and an invalid one,
the report approved by the subdistrict, the new term started) and its first branch's election in
progress (nominations being vetted). Every write goes through the services. Deterministic.
"""

import datetime as dt
import random

from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.branch.services import add_months
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import OrgKind, PartyOrganization

from . import services
from .models import Mark, NominationSource, Term, TermStatus

COMMITTEE_CANDIDATES = ["王建华", "李秀英", "张国强", "刘桂兰", "陈志明", "杨丽娟"]
# Votes for of each candidate among 40 ballots: 38 valid, 1 blank, 1 invalid.
COMMITTEE_VOTES = [36, 34, 31, 27, 22, 12]
BRANCH_CANDIDATES = ["赵文斌", "孙海燕", "周晓东", "吴春梅"]


def _secretary_community():
    city = demo.demo_city()
    if city is None:
        return None, None
    for assignment in (
        RoleAssignment.objects.filter(
            ended_at__isnull=True, role=Role.COMMUNITY_SECRETARY, place__path__startswith=city.path
        )
        .select_related("user", "place")
        .order_by("place__path", "user__username")
    ):
        return assignment.user, assignment.place
    return None, None


def _officer_above(place):
    return (
        RoleAssignment.objects.filter(
            ended_at__isnull=True, role=Role.SUBDISTRICT_OFFICER, place__path__in=[place.path[:-8]]
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )


def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    """Add this module's demo data; return counts of what was made."""
    rng = random.Random(seed + 14)
    city = demo.demo_city()
    if city is None:
        return {}
    today = timezone.localdate()
    counts = {"terms": 0, "elections": 0, "ballots": 0}
    orgs = list(PartyOrganization.objects.filter(place_path__startswith=city.path, dissolved_on__isnull=True))
    for n, org in enumerate(orgs):
        # Staggered starts: about a third due within the reminder window, one overdue.
        months_ago = 36 - 2 if n % 3 == 0 else rng.randint(6, 30)
        if n == 1:
            months_ago = 37
        started = add_months(today, -months_ago).replace(day=1)
        Term.objects.create(
            organization=org,
            place_id=org.place_id,
            started_on=started,
            due_on=add_months(started, 36),
            years=3,
        )
        counts["terms"] += 1

    secretary, community = _secretary_community()
    if secretary is None:
        return counts
    committee = (
        PartyOrganization.objects.filter(place=community, kind=OrgKind.COMMITTEE).order_by("path").first()
        or PartyOrganization.objects.filter(place=community).order_by("path").first()
    )
    if committee is None:
        return counts

    election = services.election_create(
        actor=secretary, organization=committee, title=f"{committee.name}换届选举", seats=5
    )
    for name in COMMITTEE_CANDIDATES:
        candidate = services.candidate_nominate(
            actor=secretary, election=election, name=name, source=NominationSource.ORGANIZATION
        )
        services.candidate_vet(actor=secretary, candidate=candidate, approve=True)
    services.slate_fix(actor=secretary, election=election)
    first = election.rounds.get(number=1)
    meeting = today - dt.timedelta(days=20)
    services.round_open(actor=secretary, round=first, present=40, held_on=meeting, entitled=46)
    ids = [e.candidate_id for e in first.entries.order_by("candidate_id")]
    remaining = dict(zip(ids, COMMITTEE_VOTES, strict=True))
    ballots = []
    for b in range(38):
        # Each valid ballot gives "for" to the five candidates who still need the most votes; the
        # others get "against" or "abstain".
        chosen = sorted((cid for cid in ids if remaining[cid] > 0), key=lambda cid: -remaining[cid])[:5]
        marks = {}
        for cid in ids:
            if cid in chosen:
                marks[cid] = Mark.FOR
                remaining[cid] -= 1
            else:
                marks[cid] = Mark.AGAINST if (b + cid) % 3 else Mark.ABSTAIN
        ballots.append(marks)
    ballots.append({})  # blank
    ballots.append({cid: Mark.FOR for cid in ids})  # six "for" for five seats: invalid
    for n, marks in enumerate(ballots):
        services.paper_ballot_enter(
            actor=secretary, round=first, marks=marks, token=f"demo-{election.pk}-{n}"
        )
        counts["ballots"] += 1
    services.round_close(actor=secretary, round=first)
    election.refresh_from_db()
    services.report_submit(actor=secretary, election=election)
    officer = _officer_above(community)
    if officer is not None:
        services.report_decide(actor=officer.user, election=election, approve=True, note="同意。")
    counts["elections"] += 1

    branch = (
        PartyOrganization.objects.filter(place=community, kind=OrgKind.BRANCH).order_by("path").first()
        or committee
    )
    running = services.election_create(
        actor=secretary, organization=branch, title=f"{branch.name}换届选举", seats=3
    )
    for n, name in enumerate(BRANCH_CANDIDATES):
        candidate = services.candidate_nominate(
            actor=secretary,
            election=running,
            name=name,
            source=NominationSource.MEMBERS if n == 3 else NominationSource.ORGANIZATION,
            signers="\n".join(["党员甲", "党员乙", "党员丙", "党员丁", "党员戊"]) if n == 3 else "",
        )
        if n < 3:
            services.candidate_vet(actor=secretary, candidate=candidate, approve=True)
    counts["elections"] += 1
    counts["current_terms"] = Term.objects.filter(status=TermStatus.CURRENT).count()
    return counts
