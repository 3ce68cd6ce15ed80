"""Writes of the elections module (D3 换届). Each service checks access, validates (Chinese messages
naming the field), writes in one transaction and records an audit entry.

Secret ballots: a teller's paper ballot is audited as "a ballot entered for round N by teller Y",
never with its marks; a ballot cast with a one-time code writes no audit entry (the entry would
carry the voter's network address and time) — the round's count, with the used codes, is audited
when the round is closed. Double submits: a teller's form carries a one-time token (unique per
round); a code changes from issued to used by compare-and-set, so it counts once under any
concurrency. Rules: lianxin.elections.rules (docs/elections.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.branch.services import add_months, nearest_managers
from lianxin.core import access, audit, codes
from lianxin.core.notifications import notify
from lianxin.decisions import rules as decision_rules
from lianxin.places.models import PartyOrganization
from lianxin.registry.models import MemberKind, MemberStatus, PartyMember

from . import rules
from .actions import ElectionAction as A
from .models import (
    Ballot,
    BallotCode,
    BallotMark,
    Candidate,
    CodeStatus,
    Election,
    ElectionStatus,
    EntryToken,
    Mark,
    MarkMode,
    NominationSource,
    Procedure,
    Round,
    RoundCandidate,
    RoundKind,
    RoundOutcome,
    RoundStatus,
    Term,
    TermStatus,
    Vetting,
)

CODE_LENGTH = 10


def _require(actor, action, path):
    if not access.can(actor, action, path):
        raise PermissionDenied


def _move(election: Election, expected: set[str], to: str, **fields) -> None:
    """Compare-and-set on the election's status: of two concurrent moves, one wins."""
    if not Election.objects.filter(pk=election.pk, status__in=expected).update(status=to, **fields):
        raise ValidationError({"status": _("This election has moved on; reload the page.")})
    election.refresh_from_db()


# --- terms (换届提醒) ------------------------------------------------------------------------------


def _term_start(*, organization, started_on: dt.date, years: int, election=None) -> Term:
    current = (
        Term.objects.select_for_update().filter(organization=organization, status=TermStatus.CURRENT).first()
    )
    if current is not None:
        Term.objects.filter(pk=current.pk).update(status=TermStatus.ENDED, ended_on=started_on)
    return Term.objects.create(
        organization=organization,
        place_id=organization.place_id,
        started_on=started_on,
        due_on=add_months(started_on, 12 * years),
        years=years,
        election=election,
    )


@transaction.atomic
def term_record(
    *, actor, organization: PartyOrganization, started_on: dt.date, years: int | None = None
) -> Term:
    """Record the term an organization is serving (its last election's date); a new record ends the
    current one. Terms are 3 years for community organizations by default (D3)."""
    _require(actor, A.RUN, organization.place_path)
    years = years or rules.default_term_years()
    if not 1 <= years <= 10:
        raise ValidationError({"years": _("A term is between 1 and 10 years.")})
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": _("The start of the term cannot be in the future.")})
    term = _term_start(organization=organization, started_on=started_on, years=years)
    audit.record(actor=actor, action="elections.term.record", obj=term, after=audit.snapshot(term))
    return term


def terms_remind(*, today: dt.date) -> int:
    """Tick handler: remind the organization's secretary and committee members of a term due within
    ``LIANXIN_ELECTIONS_REMIND_MONTHS`` (6) months, and again once it is overdue. Each reminder goes
    out once (dedupe keys)."""
    horizon = add_months(today, rules.remind_months())
    sent = 0
    for term in Term.objects.filter(status=TermStatus.CURRENT, due_on__lte=horizon).select_related(
        "organization"
    ):
        overdue = term.due_on < today
        recipients = nearest_managers(term.place_path)
        if overdue:
            title = _("Re-election overdue: %(org)s") % {"org": term.organization.name}
        else:
            title = _("Re-election due: %(org)s") % {"org": term.organization.name}
        created = notify(
            recipients=recipients,
            title=title,
            body=_("The term started on %(start)s is due for re-election on %(due)s.")
            % {"start": term.started_on.isoformat(), "due": term.due_on.isoformat()},
            url="/elections/terms/",
            dedupe_key=f"elections:term:{term.pk}:{'overdue' if overdue else 'due'}",
        )
        sent += len(created)
    return sent


# --- the election project ----------------------------------------------------------------------------


@transaction.atomic
def election_create(
    *,
    actor,
    organization: PartyOrganization,
    title: str,
    seats: int,
    procedure: str = Procedure.STANDARD,
    mark_mode: str = MarkMode.THREE,
    min_extra_percent: int | None = None,
    term_years: int | None = None,
) -> Election:
    """Open an election project for an organization (换届选举)."""
    _require(actor, A.RUN, organization.place_path)
    errors = {}
    if not title.strip():
        errors["title"] = _("Please enter a title.")
    if not 1 <= int(seats) <= 50:
        errors["seats"] = _("Seats must be between 1 and 50.")
    if procedure not in Procedure.values:
        errors["procedure"] = _("Choose a procedure.")
    if procedure == Procedure.TWO_MEETINGS and int(seats) != 1:
        errors["seats"] = _("The two-meeting ballot elects the secretary: one seat.")
    if mark_mode not in MarkMode.values:
        errors["mark_mode"] = _("Choose how ballots are marked.")
    extra = rules.min_extra_percent() if min_extra_percent is None else int(min_extra_percent)
    if not 0 <= extra <= 100:
        errors["min_extra_percent"] = _("The extra share must be between 0 and 100 percent.")
    if errors:
        raise ValidationError(errors)
    election = Election.objects.create(
        organization=organization,
        place_id=organization.place_id,
        title=title.strip(),
        seats=int(seats),
        procedure=procedure,
        mark_mode=mark_mode,
        min_extra_percent=extra,
        term_years=term_years or rules.default_term_years(),
        created_by=actor,
    )
    audit.record(actor=actor, action="elections.create", obj=election, after=audit.snapshot(election))
    return election


@transaction.atomic
def candidate_nominate(
    *,
    actor,
    election: Election,
    name: str,
    source: str,
    signers: str = "",
    member: PartyMember | None = None,
) -> Candidate:
    """Nominate a candidate: by the organization (组织推荐), jointly by members (党员联名推荐, at
    least ``LIANXIN_ELECTIONS_JOINT_MIN_SIGNERS`` signers) or, in an open nomination (公推直选), by
    residents (群众推荐)."""
    _require(actor, A.RUN, election.place_path)
    if election.status != ElectionStatus.NOMINATION:
        raise ValidationError({"name": _("Nominations are closed: the slate is fixed.")})
    errors = {}
    name = (member.resident.name if member is not None and not name.strip() else name).strip()
    if not name:
        errors["name"] = _("Please enter the candidate's name.")
    elif election.candidates.filter(name=name).exists():
        errors["name"] = _("%(name)s is already nominated.") % {"name": name}
    names = [line.strip() for line in signers.splitlines() if line.strip()]
    if source not in NominationSource.values:
        errors["source"] = _("Choose who nominates.")
    elif source == NominationSource.MEMBERS and len(set(names)) < rules.joint_min_signers():
        errors["signers"] = _(
            "A joint nomination needs at least %(min)d members' signatures; %(n)d given."
        ) % {"min": rules.joint_min_signers(), "n": len(set(names))}
    elif source == NominationSource.MASSES and election.procedure != Procedure.OPEN_NOMINATION:
        errors["source"] = _("Residents recommend candidates only in an open nomination (公推直选).")
    if member is not None and member.place_path[: len(election.place_path)] != election.place_path:
        errors["member"] = _("This member is not in the organization's community.")
    if errors:
        raise ValidationError(errors)
    candidate = Candidate.objects.create(
        election=election,
        name=name,
        member=member,
        source=source,
        signers="\n".join(dict.fromkeys(names)),
        signer_count=len(set(names)),
    )
    audit.record(
        actor=actor, action="elections.candidate.nominate", obj=election, after=audit.snapshot(candidate)
    )
    return candidate


@transaction.atomic
def candidate_vet(*, actor, candidate: Candidate, approve: bool, reason: str = "") -> Candidate:
    """Vetting (资格审查): approve, or reject with a reason."""
    election = candidate.election
    _require(actor, A.RUN, election.place_path)
    if election.status != ElectionStatus.NOMINATION:
        raise ValidationError({"reason": _("Nominations are closed: the slate is fixed.")})
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for rejecting the candidate.")})
    before = audit.snapshot(candidate, ["vetting", "vetting_reason"])
    candidate.vetting = Vetting.APPROVED if approve else Vetting.REJECTED
    candidate.vetting_reason = reason.strip()[:300]
    candidate.save(update_fields=["vetting", "vetting_reason"])
    audit.record(
        actor=actor,
        action="elections.candidate.vet",
        obj=election,
        before=before,
        after={"candidate": candidate.name, **audit.snapshot(candidate, ["vetting", "vetting_reason"])},
    )
    return candidate


def slate_check(election: Election, count: int) -> None:
    """Refuse a slate below the competitive ratio (差额), naming the numbers."""
    needed = rules.slate_minimum(election.seats, election.min_extra_percent)
    if count < needed:
        raise ValidationError(
            {
                "slate": _(
                    "The slate has %(count)d candidates for %(seats)d seats; a competitive election needs "
                    "at least %(percent)d%% more candidates than seats, that is at least %(needed)d."
                )
                % {
                    "count": count,
                    "seats": election.seats,
                    "percent": election.min_extra_percent,
                    "needed": needed,
                }
            }
        )


@transaction.atomic
def slate_fix(*, actor, election: Election) -> Election:
    """Fix the slate: the approved candidates, at least the competitive ratio more than the seats.
    The first round is created, waiting for the meeting."""
    _require(actor, A.RUN, election.place_path)
    Election.objects.select_for_update().filter(pk=election.pk).first()
    approved = list(election.candidates.filter(vetting=Vetting.APPROVED))
    if election.candidates.filter(vetting=Vetting.PENDING).exists():
        raise ValidationError({"slate": _("Some candidates have not been vetted yet.")})
    slate_check(election, len(approved))
    _move(election, {ElectionStatus.NOMINATION}, ElectionStatus.SLATE)
    Candidate.objects.filter(pk__in=[c.pk for c in approved]).update(on_slate=True)
    first = Round.objects.create(election=election, number=1, kind=RoundKind.FIRST, seats=election.seats)
    RoundCandidate.objects.bulk_create(RoundCandidate(round=first, candidate=c) for c in approved)
    audit.record(
        actor=actor,
        action="elections.slate.fix",
        obj=election,
        after={"slate": [c.name for c in approved], "seats": election.seats},
    )
    return election


def entitled_members(organization: PartyOrganization) -> int:
    """Members with voting rights: full members (probationary members have none) of the organization
    and the organizations below it."""
    return (
        PartyMember.objects.filter(
            status=MemberStatus.ACTIVE,
            organization__path__startswith=organization.path,
        )
        .exclude(kind=MemberKind.PROBATIONARY)
        .count()
    )


@transaction.atomic
def round_open(*, actor, round: Round, present: int, held_on: dt.date, entitled: int | None = None) -> Round:
    """The meeting of a round: who was entitled and present, and the quorum (D8, rules). Without a
    quorum the round records "no quorum" and no vote is taken; it may be opened again at a new
    meeting."""
    election = round.election
    _require(actor, A.RUN, election.place_path)
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status not in (RoundStatus.PENDING, RoundStatus.NO_QUORUM):
        raise ValidationError({"present": _("This round's meeting is already recorded.")})
    if entitled is None:
        entitled = entitled_members(election.organization)
    tally = decision_rules.Tally(entitled=int(entitled), present=int(present), votes_for=0)
    errors = decision_rules.check_tally(tally)
    if errors:
        raise ValidationError(errors)
    rule = rules.body_rule(round.body)
    quorum_needed = rule.quorum_needed(tally.entitled)
    quorum_met = tally.present >= quorum_needed
    round.entitled, round.present, round.held_on = tally.entitled, tally.present, held_on
    round.quorum_needed = quorum_needed
    round.votes_needed = rule.votes_needed(tally.entitled, tally.present)
    if quorum_met:
        round.status = RoundStatus.OPEN
        round.explanation = ""
    else:
        round.status = RoundStatus.NO_QUORUM
        round.explanation = _(
            "No quorum: %(present)d of %(entitled)d members with voting rights present; at least "
            "%(needed)d are needed. No vote may be taken."
        ) % {"present": tally.present, "entitled": tally.entitled, "needed": quorum_needed}
    round.save()
    if quorum_met and election.status == ElectionStatus.SLATE:
        _move(election, {ElectionStatus.SLATE}, ElectionStatus.VOTING, meeting_on=held_on)
    audit.record(
        actor=actor,
        action="elections.round.open",
        obj=election,
        after={
            "round": round.number,
            "entitled": round.entitled,
            "present": round.present,
            "quorum_needed": quorum_needed,
            "quorum_met": quorum_met,
        },
    )
    return round


# --- ballots ------------------------------------------------------------------------------------------


def _classify(round: Round, marks: dict[int, str]) -> tuple[dict[int, str], bool, bool]:
    """Validate a ballot's marks against the round's candidates. Returns (marks, blank, invalid): an
    entirely unmarked ballot is blank; more votes for than seats makes it invalid."""
    candidate_ids = set(round.entries.values_list("candidate_id", flat=True))
    clean: dict[int, str] = {}
    for key, value in (marks or {}).items():
        if not value:
            continue
        try:
            candidate_id = int(key)
        except (TypeError, ValueError):
            candidate_id = -1
        if candidate_id not in candidate_ids or value not in Mark.values:
            raise ValidationError({"marks": _("A mark names a candidate who is not on this ballot.")})
        if round.election.mark_mode == MarkMode.TICK and value != Mark.FOR:
            raise ValidationError({"marks": _("This ballot has ticks only: a tick is a vote for.")})
        clean[candidate_id] = value
    blank = not clean
    invalid = sum(1 for value in clean.values() if value == Mark.FOR) > round.seats
    return clean, blank, invalid


def _insert_ballot(round: Round, marks: dict[int, str], blank: bool, invalid: bool) -> None:
    ballot = Ballot.objects.create(round=round, blank=blank, invalid=invalid)
    if marks and not invalid:
        BallotMark.objects.bulk_create(
            BallotMark(ballot=ballot, candidate_id=candidate_id, mark=mark)
            for candidate_id, mark in marks.items()
        )


def _lock_open_round(round_id: int) -> Round:
    round = Round.objects.select_for_update().select_related("election").get(pk=round_id)
    if round.status != RoundStatus.OPEN:
        if round.status == RoundStatus.NO_QUORUM:
            raise ValidationError({"marks": _("The meeting has no quorum: no vote may be taken.")})
        raise ValidationError({"marks": _("This round is not open for voting.")})
    if round.ballot_rows.count() >= round.present:
        raise ValidationError(
            {
                "marks": _("%(n)d ballots are already in, as many as the members present: no more ballots.")
                % {"n": round.present}
            }
        )
    return round


def running_totals(round: Round) -> dict:
    """Ballots so far in a round: counted, blank, invalid, and the votes of each candidate."""
    counts = round.ballot_rows.aggregate(
        ballots=Count("id"),
        blank=Count("id", filter=Q(blank=True)),
        invalid=Count("id", filter=Q(invalid=True)),
    )
    per = {
        row["candidate_id"]: row
        for row in BallotMark.objects.filter(ballot__round=round)
        .values("candidate_id")
        .annotate(
            votes_for=Count("id", filter=Q(mark=Mark.FOR)),
            votes_against=Count("id", filter=Q(mark=Mark.AGAINST)),
            abstain=Count("id", filter=Q(mark=Mark.ABSTAIN)),
        )
    }
    candidates = []
    for entry in round.entries.select_related("candidate").order_by("candidate_id"):
        row = per.get(entry.candidate_id, {})
        candidates.append(
            {
                "candidate": entry.candidate,
                "votes_for": row.get("votes_for", 0),
                "votes_against": row.get("votes_against", 0),
                "abstain": row.get("abstain", 0),
            }
        )
    return {**counts, "valid": counts["ballots"] - counts["invalid"], "candidates": candidates}


def paper_ballot_enter(*, actor, round: Round, marks: dict, token: str) -> bool:
    """A teller enters one paper ballot. ``token`` is the form's one-time token: a form submitted
    twice finds it taken and adds nothing (returns False). Audited without the marks."""
    _require(actor, A.RUN, round.election.place_path)
    if not token or len(token) > 64:
        raise ValidationError({"token": _("The form has expired; reload the page.")})
    try:
        with transaction.atomic():
            round = _lock_open_round(round.pk)
            clean, blank, invalid = _classify(round, marks)
            EntryToken.objects.create(round=round, token=token)
            _insert_ballot(round, clean, blank, invalid)
            audit.record(
                actor=actor,
                action="elections.ballot.enter",
                obj=round.election,
                after={"round": round.number},
                reason=_("A ballot entered for round %(n)d by teller %(teller)s")
                % {"n": round.number, "teller": actor.get_full_name() or actor.get_username()},
            )
    except IntegrityError:
        return False
    return True


def new_token() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def codes_issue(*, actor, round: Round, count: int) -> list[str]:
    """One-time ballot codes for a round, handed out at the meeting without names. Never more codes
    than members present."""
    _require(actor, A.RUN, round.election.place_path)
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status != RoundStatus.OPEN:
        raise ValidationError({"count": _("Codes are issued only while the round is open.")})
    issued = round.codes.count()
    if not 1 <= int(count) <= round.present - issued:
        raise ValidationError(
            {
                "count": _("%(issued)d codes issued for %(present)d present: at most %(left)d more.")
                % {"issued": issued, "present": round.present, "left": max(round.present - issued, 0)}
            }
        )
    fresh = [codes.new_code(CODE_LENGTH) for _ in range(int(count))]
    BallotCode.objects.bulk_create(BallotCode(round=round, code=code) for code in fresh)
    audit.record(
        actor=actor,
        action="elections.codes.issue",
        obj=round.election,
        after={"round": round.number, "count": count},
    )
    return fresh


normalize_code = codes.normalize


def code_round(code: str) -> Round | None:
    row = BallotCode.objects.filter(code=normalize_code(code)).select_related("round__election").first()
    return row.round if row else None


def code_ballot_cast(*, code: str, marks: dict) -> None:
    """A member casts a ballot with a one-time code. The code turns from issued to used by
    compare-and-set inside the ballot's transaction: of concurrent submissions one counts, the others
    are refused. The ballot row does not reference the code."""
    for attempt in range(5):
        try:
            return _code_cast(code=code, marks=marks)
        except OperationalError:  # a busy SQLite database
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _code_cast(*, code: str, marks: dict) -> None:
    code = normalize_code(code)
    row = BallotCode.objects.filter(code=code).first()
    if row is None:
        raise ValidationError({"code": _("This code is not valid. Check the code on your ballot slip.")})
    with transaction.atomic():
        round = _lock_open_round(row.round_id)
        clean, blank, invalid = _classify(round, marks)
        if not BallotCode.objects.filter(pk=row.pk, status=CodeStatus.ISSUED).update(status=CodeStatus.USED):
            raise ValidationError({"code": _("This code has already been used: each code counts once.")})
        _insert_ballot(round, clean, blank, invalid)


# --- counting -------------------------------------------------------------------------------------------


def _elect(entries: list[RoundCandidate], seats: int, needed: int) -> tuple[list, list]:
    """Party rules: elected with at least ``needed`` votes for; when more reach it than there are
    seats, the most votes win; candidates tied at the cut go to a further ballot. Returns (elected,
    tied at the cut)."""
    qualified = sorted((e for e in entries if e.votes_for >= needed), key=lambda e: -e.votes_for)
    if len(qualified) <= seats:
        return qualified, []
    cut = qualified[seats - 1].votes_for
    above = [e for e in qualified if e.votes_for > cut]
    at_cut = [e for e in qualified if e.votes_for == cut]
    if len(above) + len(at_cut) == seats:
        return above + at_cut, []
    return above, at_cut


@transaction.atomic
def round_close(*, actor, round: Round) -> Round:
    """Count a round: blank and invalid ballots are counted as ballots and give no votes; each
    candidate's votes for are compared with more than half of those present with voting rights. Seats
    left over get a further round: among candidates tied at the cut, or among the candidates not
    elected (另行选举), the slate ratio relaxed (docs/elections.md)."""
    election = round.election
    _require(actor, A.RUN, election.place_path)
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.status != RoundStatus.OPEN:
        raise ValidationError({"status": _("Only an open round can be counted.")})
    totals = running_totals(round)
    if totals["ballots"] == 0:
        raise ValidationError({"status": _("No ballots have been entered for this round.")})
    entries = list(round.entries.select_related("candidate"))
    by_candidate = {row["candidate"].pk: row for row in totals["candidates"]}
    for entry in entries:
        row = by_candidate[entry.candidate_id]
        entry.votes_for, entry.votes_against, entry.abstain = (
            row["votes_for"],
            row["votes_against"],
            row["abstain"],
        )
    elected, tied = _elect(entries, round.seats, round.votes_needed)
    for entry in entries:
        entry.outcome = (
            RoundOutcome.ELECTED
            if entry in elected
            else RoundOutcome.TIE
            if entry in tied
            else RoundOutcome.NOT_ELECTED
        )
    RoundCandidate.objects.bulk_update(entries, ["votes_for", "votes_against", "abstain", "outcome"])
    used_codes = round.codes.filter(status=CodeStatus.USED).count()
    round.ballots, round.blank, round.invalid = totals["ballots"], totals["blank"], totals["invalid"]
    round.status = RoundStatus.CLOSED
    round.explanation = _(
        "%(ballots)d ballots (%(blank)d blank, %(invalid)d invalid) from %(present)d present of %(entitled)d "
        "entitled. Elected with at least %(needed)d votes for (more than half of those present with voting "
        "rights): %(elected)s."
    ) % {
        "ballots": round.ballots,
        "blank": round.blank,
        "invalid": round.invalid,
        "present": round.present,
        "entitled": round.entitled,
        "needed": round.votes_needed,
        "elected": "、".join(e.candidate.name for e in elected) or _("nobody"),
    }
    round.save()
    seats_left = round.seats - len(elected)
    final_meeting = election.procedure != Procedure.TWO_MEETINGS or round.kind == RoundKind.SECOND_MEETING
    if final_meeting:
        Candidate.objects.filter(pk__in=[e.candidate_id for e in elected]).update(elected=True)
    next_round = None
    if election.procedure == Procedure.TWO_MEETINGS and round.kind != RoundKind.SECOND_MEETING and elected:
        # 两会票决: the party member meeting's choice goes to the residents' representatives.
        next_round = _next_round(
            round, RoundKind.SECOND_MEETING, [e.candidate for e in elected], len(elected), same_meeting=False
        )
    if seats_left > 0 and tied:
        next_round = _next_round(
            round, RoundKind.TIE, [e.candidate for e in tied], seats_left, same_meeting=True
        )
    elif seats_left > 0 and round.kind != RoundKind.SECOND_MEETING:
        pool = sorted(
            (e for e in entries if e.outcome == RoundOutcome.NOT_ELECTED), key=lambda e: -e.votes_for
        )
        size = rules.slate_minimum(seats_left, election.min_extra_percent)
        if len(pool) > size:
            pool = pool[:size]
        if pool:
            next_round = _next_round(
                round, RoundKind.RUNOFF, [e.candidate for e in pool], seats_left, same_meeting=True
            )
    if next_round is None:
        _move(election, {ElectionStatus.VOTING}, ElectionStatus.COUNTED)
    audit.record(
        actor=actor,
        action="elections.round.close",
        obj=election,
        after={
            "round": round.number,
            "ballots": round.ballots,
            "blank": round.blank,
            "invalid": round.invalid,
            "codes_used": used_codes,
            "results": {
                e.candidate.name: [e.votes_for, e.votes_against, e.abstain, e.outcome] for e in entries
            },
        },
    )
    return round


def _next_round(previous: Round, kind: str, candidates: list, seats: int, *, same_meeting: bool) -> Round:
    body = decision_rules.REPRESENTATIVES_MEETING if kind == RoundKind.SECOND_MEETING else previous.body
    new = Round.objects.create(
        election=previous.election, number=previous.number + 1, kind=kind, body=body, seats=seats
    )
    RoundCandidate.objects.bulk_create(RoundCandidate(round=new, candidate=c) for c in candidates)
    if same_meeting:
        # A further ballot at the same meeting: the same attendance and threshold.
        Round.objects.filter(pk=new.pk).update(
            status=RoundStatus.OPEN,
            held_on=previous.held_on,
            entitled=previous.entitled,
            present=previous.present,
            quorum_needed=previous.quorum_needed,
            votes_needed=previous.votes_needed,
        )
        new.refresh_from_db()
    return new


@transaction.atomic
def election_end_short(*, actor, election: Election, reason: str) -> Election:
    """Stop with fewer elected than seats when close to them (可以减少名额，不再选举); the pending
    further round is dropped."""
    _require(actor, A.RUN, election.place_path)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    if not election.candidates.filter(elected=True).exists():
        raise ValidationError({"reason": _("Nobody has been elected yet.")})
    pending = election.rounds.exclude(status=RoundStatus.CLOSED)
    if pending.filter(ballot_rows__isnull=False).exists():
        raise ValidationError({"reason": _("Ballots have been entered in the open round: count it first.")})
    pending.delete()
    _move(election, {ElectionStatus.VOTING}, ElectionStatus.COUNTED, short_reason=reason.strip()[:500])
    audit.record(actor=actor, action="elections.end_short", obj=election, reason=reason.strip())
    return election


# --- report and approval ------------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, actor, election: Election) -> Election:
    """Report the result to the superior organization for approval."""
    _require(actor, A.RUN, election.place_path)
    _move(
        election,
        {ElectionStatus.COUNTED, ElectionStatus.RETURNED},
        ElectionStatus.REPORTED,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    audit.record(actor=actor, action="elections.report.submit", obj=election)
    _notify_approvers(election)
    return election


def _notify_approvers(election: Election) -> None:
    from lianxin.accounts.models import RoleAssignment
    from lianxin.core import tree

    roles = [role for role, actions in access.ROLE_ACTIONS.items() if A.APPROVE in actions]
    users = [
        a.user
        for a in RoleAssignment.objects.filter(
            ended_at__isnull=True, role__in=roles, place__path__in=tree.ancestors_of(election.place_path)
        ).select_related("user")
    ]
    notify(
        recipients=users,
        title=_("Election report to approve: %(title)s") % {"title": election.title},
        url=f"/elections/{election.pk}/",
        dedupe_key=f"elections:report:{election.pk}:{election.submitted_at.isoformat()}",
    )


@transaction.atomic
def report_decide(*, actor, election: Election, approve: bool, note: str = "") -> Election:
    """The superior's officer approves the report (the new term starts on the meeting date) or returns
    it with a note."""
    _require(actor, A.APPROVE, election.place_path)
    access.require_not_self(actor, election.submitted_by_id, _("You cannot approve a report you submitted."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Please say why the report is returned.")})
    status = ElectionStatus.APPROVED if approve else ElectionStatus.RETURNED
    _move(
        election,
        {ElectionStatus.REPORTED},
        status,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note.strip()[:500],
    )
    term = None
    if approve:
        term = _term_start(
            organization=election.organization,
            started_on=election.meeting_on or timezone.localdate(),
            years=election.term_years,
            election=election,
        )
    audit.record(
        actor=actor,
        action="elections.report.approve" if approve else "elections.report.return",
        obj=election,
        after={"status": status, "term": term.pk if term else None},
        reason=note.strip(),
    )
    return election
