"""Writes of democratic decisions (D8, D9). Each: check access → validate → write → audit, in one
transaction. The matter's status moves only along ``TRANSITIONS``, by compare-and-set: concurrent
submits of the same stage make exactly one transition."""

import calendar as pycalendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, codes
from lianxin.core.calendar import add_working_days
from lianxin.core.services import todo_create
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household

from . import conf, rules
from .actions import DecisionAction
from .models import (
    CHAIN,
    VOTING_STAGES,
    AgendaItem,
    AgendaStatus,
    BallotCode,
    Charter,
    DayStatus,
    DecisionBody,
    DeliberationDay,
    DeliberationSchedule,
    DepartureAudit,
    DraftComment,
    FollowUp,
    FollowUpStatus,
    HouseholdVote,
    Matter,
    MatterCategory,
    MatterStatus,
    Representative,
    RepresentedHousehold,
    Stage,
    StageRecord,
    VoteChannel,
    VoteChoice,
)

S = MatterStatus

# The 4+2 chain: a matter waits for one stage at a time; a vote that fails ends it.
TRANSITIONS: dict[str, set[str]] = {
    S.PROPOSAL: {S.DELIBERATION, S.REJECTED, S.WITHDRAWN},
    S.DELIBERATION: {S.REVIEW, S.REJECTED, S.WITHDRAWN},
    S.REVIEW: {S.DECISION, S.REJECTED, S.WITHDRAWN},
    S.DECISION: {S.RESOLUTION, S.REJECTED, S.WITHDRAWN},
    S.RESOLUTION: {S.RESULT},
    S.RESULT: {S.IMPLEMENTED},
    S.IMPLEMENTED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}

# Stages a matter outside the mandatory categories may go without (with a reason).
SKIPPABLE = {Stage.REVIEW, Stage.DECISION}


def next_stage(stage: str) -> str:
    return CHAIN[CHAIN.index(Stage(stage)) + 1].value


def rule_for(matter: Matter, stage: str) -> rules.RuleSet:
    """The rule set of a voting stage of ``matter``."""
    if stage == Stage.PROPOSAL:
        return rules.rule_set(rules.BRANCH_COMMITTEE)
    if stage == Stage.DELIBERATION:
        return rules.rule_set(rules.TWO_COMMITTEES)
    if stage == Stage.REVIEW:
        return rules.rule_set(rules.PARTY_MEMBER_MEETING)
    if matter.decision_body == DecisionBody.RESIDENTS:
        return rules.rule_set(rules.RESIDENTS_MEETING)
    return rules.rule_set(rules.REPRESENTATIVES_MEETING)


def _require(actor, place_or_path) -> None:
    access.require(actor, DecisionAction.RECORD, place_or_path)


def _community(place) -> Place:
    place = Place.objects.get(pk=place.pk)
    if place.kind != PlaceKind.COMMUNITY:
        raise ValidationError({"place": _("Choose a community.")})
    return place


def _move(matter: Matter, old: str, new: str) -> None:
    """Compare-and-set: move ``matter`` from ``old`` to ``new`` or refuse when someone was quicker."""
    if new not in TRANSITIONS[old]:
        raise ValidationError(
            _("A matter cannot go from “%(old)s” to “%(new)s”.") % {"old": S(old).label, "new": S(new).label}
        )
    moved = Matter.objects.filter(pk=matter.pk, status=old).update(status=new, updated_at=timezone.now())
    if not moved:
        raise ValidationError(_("This matter has just been changed by someone else; please reload the page."))
    matter.status = new


def _publish(*, actor, place, section, title, body, kind, source, source_key, **dates) -> str:
    """Put an item on the disclosure board (lianxin.disclosure) when the board exists; its URL."""
    try:
        from lianxin.disclosure import services as board
    except ImportError:  # the board is another module; decisions work without it
        return ""
    publish = getattr(board, "publish", None)
    if publish is None:
        return ""
    item = publish(
        actor=actor,
        place=place,
        section=section,
        title=title,
        body=body,
        kind=kind,
        source=source,
        source_key=source_key,
        **dates,
    )
    return item.get_absolute_url()


# --- matters --------------------------------------------------------------------------------------


@transaction.atomic
def matter_create(
    *,
    actor,
    place,
    title: str,
    category: MatterCategory,
    description: str = "",
    decision_body: str = DecisionBody.REPRESENTATIVES,
    double_ballot: bool | None = None,
) -> Matter:
    """Put a matter on the chain (D8). Major categories use the double ballot unless told otherwise."""
    place = _community(place)
    _require(actor, place)
    if not (title or "").strip():
        raise ValidationError({"title": _("Please enter a title.")})
    if decision_body not in DecisionBody.values:
        raise ValidationError({"decision_body": _("Choose who decides.")})
    matter = Matter.objects.create(
        place=place,
        title=title.strip(),
        category=category,
        description=(description or "").strip(),
        decision_body=decision_body,
        double_ballot=category.major if double_ballot is None else bool(double_ballot),
        created_by=actor,
    )
    audit.record(actor=actor, action="decision.matter_create", obj=matter, after=audit.snapshot(matter))
    return matter


@transaction.atomic
def matter_recategorize(*, actor, matter: Matter, category: MatterCategory, reason: str) -> Matter:
    """Change a matter's category (with a reason). A matter that becomes mandatory after a stage was
    skipped can then not be marked implemented: the chain check reads the records, not the status."""
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    _require(actor, matter.place_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    before = {"category": matter.category_id}
    matter.category = category
    matter.updated_at = timezone.now()
    matter.save(update_fields=["category", "updated_at"])
    audit.record(
        actor=actor,
        action="decision.matter_recategorize",
        obj=matter,
        before=before,
        after={"category": category.pk},
        reason=reason.strip(),
    )
    return matter


@transaction.atomic
def matter_send_draft(*, actor, matter: Matter, draft: str, until: dt.date) -> Matter:
    """Send the draft to residents for comments until ``until`` (the portal shows it)."""
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    _require(actor, matter.place_path)
    if matter.status not in {S.PROPOSAL, S.DELIBERATION, S.REVIEW, S.DECISION}:
        raise ValidationError(_("The draft can only be sent before the residents decide."))
    if not (draft or "").strip():
        raise ValidationError({"draft": _("Please enter the draft.")})
    if until is None or until < timezone.localdate():
        raise ValidationError({"until": _("Please enter a date from today on.")})
    before = {"draft": matter.draft, "comments_until": matter.comments_until}
    matter.draft, matter.comments_until = draft.strip(), until
    matter.updated_at = timezone.now()
    matter.save(update_fields=["draft", "comments_until", "updated_at"])
    audit.record(
        actor=actor,
        action="decision.draft_send",
        obj=matter,
        before=before,
        after={"draft": matter.draft, "comments_until": until},
    )
    return matter


@transaction.atomic
def comment_add(*, matter: Matter, text: str, name: str = "") -> DraftComment:
    """A resident comments on a draft from the portal (no login; only while comments are open)."""
    matter = Matter.objects.get(pk=matter.pk)
    if not matter.comments_open:
        raise ValidationError(_("Comments on this draft are closed."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Please write your comment.")})
    if len(text) > 2000:
        raise ValidationError({"text": _("Please keep the comment under 2000 characters.")})
    comment = DraftComment.objects.create(matter=matter, text=text, name=(name or "").strip()[:60])
    audit.record(actor=None, action="decision.draft_comment", obj=matter, after={"comment": comment.pk})
    return comment


@transaction.atomic
def matter_withdraw(*, actor, matter: Matter, reason: str) -> Matter:
    matter = Matter.objects.get(pk=matter.pk)
    _require(actor, matter.place_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    old = matter.status
    _move(matter, old, S.WITHDRAWN)
    audit.record(
        actor=actor,
        action="decision.matter_withdraw",
        obj=matter,
        before={"status": old},
        after={"status": S.WITHDRAWN},
        reason=reason.strip(),
    )
    return matter


def _check_stage(matter: Matter, stage: str) -> None:
    """Stages run in order: only the one the matter waits for may be recorded."""
    if matter.status not in {s.value for s in Stage}:
        raise ValidationError(
            {"stage": _("This matter is closed (%(status)s).") % {"status": S(matter.status).label}}
        )
    if stage != matter.status:
        raise ValidationError(
            {
                "stage": _("Stages run in order: this matter waits for “%(expected)s”, not “%(given)s”.")
                % {"expected": Stage(matter.status).label, "given": Stage(stage).label}
            }
        )


def _check_date(held_on) -> None:
    if held_on is None or held_on > timezone.localdate():
        raise ValidationError({"held_on": _("Please enter the date (not in the future).")})


def missing_stages(matter: Matter) -> list[str]:
    """The stages before the result that are not complete (a skipped stage counts as missing for a
    matter in a mandatory category). Read from the records, not from the status."""
    done = StageRecord.objects.filter(matter=matter, complete=True)
    if matter.category.mandatory:
        done = done.filter(skipped=False)
    have = set(done.values_list("stage", flat=True))
    return [stage.value for stage in CHAIN[:-1] if stage not in have]


@transaction.atomic
def stage_record(
    *,
    actor,
    matter: Matter,
    stage: str,
    held_on: dt.date,
    location: str = "",
    entitled: int,
    present: int,
    votes_for: int,
    votes_against: int = 0,
    abstain: int = 0,
    notes: str = "",
) -> StageRecord:
    """Record the meeting of a voting stage (D8): its date and place, attendance, votes, who recorded
    it. The stage's rule set decides (lianxin.decisions.rules): without quorum the record is kept and
    the matter still waits for this stage; a vote that fails ends the matter (not adopted); a vote
    that passes moves it on. With the double ballot the household tally decides the residents' stage
    (both tallies are kept)."""
    matter = Matter.objects.select_related("category").get(pk=matter.pk)
    _require(actor, matter.place_path)
    if stage not in VOTING_STAGES:
        raise ValidationError({"stage": _("This stage has no vote; publish it instead.")})
    _check_stage(matter, stage)
    _check_date(held_on)
    tally = rules.Tally(
        entitled=_count(entitled, "entitled"),
        present=_count(present, "present"),
        votes_for=_count(votes_for, "votes_for"),
        votes_against=_count(votes_against, "votes_against"),
        abstain=_count(abstain, "abstain"),
    )
    errors = rules.check_tally(tally)
    if errors:
        raise ValidationError(errors)
    rule = rule_for(matter, stage)
    outcome = rules.evaluate(rule, tally)
    passed, explanation, household = outcome.passed, outcome.explanation, None
    if stage == Stage.DECISION and matter.double_ballot and outcome.quorum_met:
        household = household_tally(matter)
        if not household["voted"]:
            raise ValidationError(
                {"stage": _("This matter uses the double ballot: collect the households' votes first.")}
            )
        passed = household["passed"]
        explanation = _("%(heads)s Household tally (this counts): %(households)s") % {
            "heads": outcome.explanation,
            "households": household["explanation"],
        }
    old = matter.status
    if outcome.quorum_met:
        _move(matter, old, next_stage(stage) if passed else S.REJECTED)
    else:
        # No quorum: the meeting must be held again. Still a compare-and-set, so a record never
        # lands on a stage someone else has just completed.
        _move_same(matter, old)
    record = StageRecord.objects.create(
        matter=matter,
        stage=stage,
        held_on=held_on,
        location=(location or "").strip()[:120],
        rule_code=rule.code,
        entitled=tally.entitled,
        present=tally.present,
        votes_for=tally.votes_for,
        votes_against=tally.votes_against,
        abstain=tally.abstain,
        quorum_met=outcome.quorum_met,
        passed=passed,
        complete=passed,
        explanation=explanation,
        household_tally=household,
        notes=(notes or "").strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="decision.stage_record",
        obj=matter,
        before={"status": old},
        after={
            "status": matter.status,
            "stage": stage,
            "record": record.pk,
            "rule": rule.code,
            "entitled": tally.entitled,
            "present": tally.present,
            "for": tally.votes_for,
            "against": tally.votes_against,
            "abstain": tally.abstain,
            "passed": passed,
            "household_tally": household,
        },
    )
    return record


def _move_same(matter: Matter, old: str) -> None:
    if not Matter.objects.filter(pk=matter.pk, status=old).update(updated_at=timezone.now()):
        raise ValidationError(_("This matter has just been changed by someone else; please reload the page."))


def _count(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Please enter a whole number.")}) from None
    if number < 0:
        raise ValidationError({field: _("A count cannot be negative.")})
    return number


@transaction.atomic
def stage_skip(*, actor, matter: Matter, reason: str, held_on: dt.date | None = None) -> StageRecord:
    """Go without the party member meeting or the residents' vote, for a matter outside the
    mandatory categories only, with the reason recorded."""
    matter = Matter.objects.select_related("category").get(pk=matter.pk)
    _require(actor, matter.place_path)
    if matter.category.mandatory:
        raise ValidationError(
            _("“%(category)s” is a mandatory category: every stage of the 4+2 chain is required.")
            % {"category": matter.category.name}
        )
    if matter.status not in SKIPPABLE:
        raise ValidationError(_("Only the party member meeting and the residents' decision can be skipped."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    old = matter.status
    _move(matter, old, next_stage(old))
    record = StageRecord.objects.create(
        matter=matter,
        stage=old,
        held_on=held_on or timezone.localdate(),
        complete=True,
        skipped=True,
        notes=reason.strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="decision.stage_skip",
        obj=matter,
        before={"status": old},
        after={"status": matter.status, "record": record.pk},
        reason=reason.strip(),
    )
    return record


def _last_decision(matter: Matter) -> StageRecord | None:
    return (
        StageRecord.objects.filter(matter=matter, stage=Stage.DECISION, complete=True)
        .order_by("-recorded_at")
        .first()
    )


@transaction.atomic
def resolution_publish(
    *, actor, matter: Matter, text: str, published_on: dt.date | None = None, posted_days: int | None = None
) -> StageRecord:
    """+1: publish the resolution on the board (affairs section) for ``posted_days`` days (7)."""
    matter = Matter.objects.select_related("category").get(pk=matter.pk)
    _require(actor, matter.place_path)
    _check_stage(matter, Stage.RESOLUTION)
    published_on = published_on or timezone.localdate()
    _check_date(published_on)
    posted_days = conf.resolution_posted_days() if posted_days is None else int(posted_days)
    if not 1 <= posted_days <= 90:
        raise ValidationError({"posted_days": _("Post it for 1 to 90 days.")})
    if not (text or "").strip():
        raise ValidationError({"text": _("Please enter the text of the resolution.")})
    old = matter.status
    _move(matter, old, S.RESULT)
    decision = _last_decision(matter)
    votes = ""
    if decision is not None and not decision.skipped:
        votes = _(
            "Residents' vote: %(present)d of %(entitled)d present, %(for)d for, %(against)d against, "
            "%(abstain)d abstaining."
        ) % {
            "present": decision.present,
            "entitled": decision.entitled,
            "for": decision.votes_for,
            "against": decision.votes_against,
            "abstain": decision.abstain,
        }
    body = "\n\n".join(part for part in [text.strip(), votes] if part)
    due_from = decision.held_on if decision is not None else published_on
    url = _publish(
        actor=actor,
        place=matter.place,
        section="affairs",
        title=_("Resolution: %(title)s") % {"title": matter.title},
        body=body,
        kind="immediate",
        source=matter,
        source_key=f"decisions:matter:{matter.pk}:resolution",
        due_on=add_working_days(due_from, conf.publish_within_days()).due,
        starts_on=published_on,
        ends_on=published_on + dt.timedelta(days=posted_days),
    )
    record = StageRecord.objects.create(
        matter=matter,
        stage=Stage.RESOLUTION,
        held_on=published_on,
        complete=True,
        passed=True,
        notes=body,
        posted_days=posted_days,
        published_url=url,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="decision.resolution_publish",
        obj=matter,
        before={"status": old},
        after={"status": matter.status, "record": record.pk, "url": url},
    )
    return record


@transaction.atomic
def result_publish(*, actor, matter: Matter, text: str, published_on: dt.date | None = None) -> StageRecord:
    """+2: publish the implementation result and mark the matter implemented. A matter in a
    mandatory category is refused unless every stage is complete (none skipped)."""
    matter = Matter.objects.select_related("category").get(pk=matter.pk)
    _require(actor, matter.place_path)
    _check_stage(matter, Stage.RESULT)
    missing = missing_stages(matter)
    if matter.category.mandatory and missing:
        raise ValidationError(
            {
                "stage": _(
                    "“%(category)s” is a mandatory category: it cannot be marked implemented while "
                    "stages are missing: %(stages)s."
                )
                % {
                    "category": matter.category.name,
                    "stages": "、".join(str(Stage(s).label) for s in missing),
                }
            }
        )
    published_on = published_on or timezone.localdate()
    _check_date(published_on)
    if not (text or "").strip():
        raise ValidationError({"text": _("Please describe the implementation result.")})
    old = matter.status
    _move(matter, old, S.IMPLEMENTED)
    url = _publish(
        actor=actor,
        place=matter.place,
        section="affairs",
        title=_("Implementation result: %(title)s") % {"title": matter.title},
        body=text.strip(),
        kind="immediate",
        source=matter,
        source_key=f"decisions:matter:{matter.pk}:result",
        starts_on=published_on,
    )
    record = StageRecord.objects.create(
        matter=matter,
        stage=Stage.RESULT,
        held_on=published_on,
        complete=True,
        passed=True,
        notes=text.strip(),
        published_url=url,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="decision.result_publish",
        obj=matter,
        before={"status": old},
        after={"status": matter.status, "record": record.pk, "url": url},
    )
    return record


# --- the double ballot (双票表决) ---------------------------------------------------------------


@transaction.atomic
def representative_create(*, actor, place, name: str, resident=None, started_on=None) -> Representative:
    place = _community(place)
    _require(actor, place)
    if not (name or "").strip():
        raise ValidationError({"name": _("Please enter the name.")})
    if resident is not None and not resident.place_path.startswith(place.path):
        raise ValidationError({"resident": _("The resident does not live in this community.")})
    rep = Representative.objects.create(
        place=place, name=name.strip(), resident=resident, started_on=started_on
    )
    audit.record(actor=actor, action="decision.representative_create", obj=rep, after=audit.snapshot(rep))
    return rep


@transaction.atomic
def representative_link(*, actor, representative: Representative, households) -> int:
    """Make ``representative`` the one who represents each of ``households`` (moving any household
    from its previous representative). Returns how many links changed."""
    representative = Representative.objects.get(pk=representative.pk)
    _require(actor, representative.place_path)
    households = list(households)
    for household in households:
        if not household.place_path.startswith(representative.place_path):
            raise ValidationError(
                {"households": _("%(household)s is not in this community.") % {"household": household}}
            )
    changed = []
    for household in households:
        link = RepresentedHousehold.objects.select_for_update().filter(household=household).first()
        if link is None:
            RepresentedHousehold.objects.create(representative=representative, household=household)
        elif link.representative_id != representative.pk:
            link.representative = representative
            link.save(update_fields=["representative"])
        else:
            continue
        changed.append(household.pk)
    audit.record(
        actor=actor, action="decision.representative_link", obj=representative, after={"households": changed}
    )
    return len(changed)


def _new_code() -> str:
    return codes.new_code(8)


def _check_ballot_open(matter: Matter) -> None:
    if not matter.double_ballot:
        raise ValidationError(_("This matter does not use the double ballot."))
    if matter.status != S.DECISION:
        raise ValidationError(
            _("Household voting is open only while the matter awaits the residents' decision.")
        )


def community_households(matter: Matter):
    return Household.objects.under(matter.place_path)


@transaction.atomic
def ballot_codes_issue(*, actor, matter: Matter) -> int:
    """Give every household of the community a one-time ballot code for ``matter`` (those that have
    one keep it). Returns how many were issued."""
    matter = Matter.objects.get(pk=matter.pk)
    _require(actor, matter.place_path)
    _check_ballot_open(matter)
    have = set(BallotCode.objects.filter(matter=matter).values_list("household_id", flat=True))
    issued = 0
    for household_id in community_households(matter).values_list("pk", flat=True):
        if household_id in have:
            continue
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    BallotCode.objects.create(matter=matter, household_id=household_id, code=_new_code())
                break
            except IntegrityError:
                if BallotCode.objects.filter(matter=matter, household_id=household_id).exists():
                    break
        else:  # pragma: no cover - 32**8 codes
            raise ValidationError(_("Could not make a unique code; please try again."))
        issued += 1
    audit.record(actor=actor, action="decision.ballot_codes_issue", obj=matter, after={"issued": issued})
    return issued


def _refuse_counted(household) -> ValidationError:
    return ValidationError(
        {"code": _("This household's vote is already counted (%(household)s).") % {"household": household}}
    )


@transaction.atomic
def household_vote_direct(*, code: str, choice: str) -> HouseholdVote:
    """A household votes with its one-time code (portal, no login). The code is spent by
    compare-and-set; the unique (matter, household) row refuses a household already counted,
    whoever cast it. On any refusal nothing is written and the code stays unused."""
    code = (code or "").strip().upper().replace(" ", "")
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": _("Choose for, against or abstain.")})
    ballot = BallotCode.objects.select_related("matter", "household").filter(code=code).first()
    if ballot is None or ballot.used_at is not None:
        raise ValidationError({"code": _("This ballot code is not valid or has already been used.")})
    _check_ballot_open(ballot.matter)
    if not BallotCode.objects.filter(pk=ballot.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise ValidationError({"code": _("This ballot code is not valid or has already been used.")})
    try:
        with transaction.atomic():
            vote = HouseholdVote.objects.create(
                matter=ballot.matter, household=ballot.household, choice=choice, channel=VoteChannel.DIRECT
            )
    except IntegrityError:
        raise _refuse_counted(ballot.household) from None
    audit.record(
        actor=None,
        action="decision.household_vote",
        obj=ballot.matter,
        after={"household": ballot.household_id, "choice": choice, "channel": VoteChannel.DIRECT},
    )
    return vote


@transaction.atomic
def representative_cast(
    *, actor, matter: Matter, representative: Representative, choice: str, households=None
) -> dict:
    """A representative casts the votes of the households they represent (all, or ``households``),
    recorded by staff. Households that have voted themselves are skipped, never counted twice."""
    matter = Matter.objects.get(pk=matter.pk)
    _require(actor, matter.place_path)
    _check_ballot_open(matter)
    if representative.place_id != matter.place_id:
        raise ValidationError({"representative": _("This representative is not of the matter's community.")})
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": _("Choose for, against or abstain.")})
    linked = set(
        RepresentedHousehold.objects.filter(representative=representative).values_list(
            "household_id", flat=True
        )
    )
    wanted = linked if households is None else {getattr(h, "pk", h) for h in households}
    if not wanted <= linked:
        raise ValidationError(
            {"households": _("A representative can only cast the votes of their own households.")}
        )
    cast, skipped = [], []
    for household_id in sorted(wanted):
        try:
            with transaction.atomic():
                HouseholdVote.objects.create(
                    matter=matter,
                    household_id=household_id,
                    choice=choice,
                    channel=VoteChannel.REPRESENTATIVE,
                    representative=representative,
                    cast_by=actor,
                )
        except IntegrityError:
            skipped.append(household_id)
        else:
            cast.append(household_id)
    audit.record(
        actor=actor,
        action="decision.representative_cast",
        obj=matter,
        after={"representative": representative.pk, "choice": choice, "cast": cast, "skipped": skipped},
    )
    return {"cast": cast, "skipped": skipped}


def household_tally(matter: Matter) -> dict:
    """The household tally of ``matter``: households of the community, votes by choice and channel,
    and the household-ballot rule's outcome (one vote per household)."""
    entitled = community_households(matter).count()
    counts = {choice: 0 for choice in VoteChoice.values}
    channels = {channel: 0 for channel in VoteChannel.values}
    for choice, channel in HouseholdVote.objects.filter(matter=matter).values_list("choice", "channel"):
        counts[choice] += 1
        channels[channel] += 1
    voted = sum(counts.values())
    result = {
        "entitled": entitled,
        "voted": voted,
        "for": counts[VoteChoice.FOR],
        "against": counts[VoteChoice.AGAINST],
        "abstain": counts[VoteChoice.ABSTAIN],
        "direct": channels[VoteChannel.DIRECT],
        "by_representative": channels[VoteChannel.REPRESENTATIVE],
        "passed": False,
        "quorum_met": False,
        "explanation": "",
    }
    if entitled:
        outcome = rules.evaluate(
            rules.rule_set(rules.HOUSEHOLD_BALLOT),
            rules.Tally(
                entitled=entitled,
                present=voted,
                votes_for=counts[VoteChoice.FOR],
                votes_against=counts[VoteChoice.AGAINST],
                abstain=counts[VoteChoice.ABSTAIN],
            ),
        )
        result.update(passed=outcome.passed, quorum_met=outcome.quorum_met, explanation=outcome.explanation)
    return result


# --- 民主议事: the monthly deliberation day -------------------------------------------------------


def deliberation_day_of(place) -> int:
    schedule = DeliberationSchedule.objects.filter(place=place).first()
    return schedule.day if schedule else conf.deliberation_day()


def deliberation_next_date(place, today: dt.date | None = None) -> dt.date:
    """The community's next deliberation day from ``today`` on (a day past a short month's end falls
    on its last day)."""
    today = today or timezone.localdate()
    day = deliberation_day_of(place)
    year, month = today.year, today.month
    for _step in range(2):
        last = pycalendar.monthrange(year, month)[1]
        candidate = dt.date(year, month, min(day, last))
        if candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable")


@transaction.atomic
def deliberation_schedule_set(*, actor, place, day: int, location: str = "") -> DeliberationSchedule:
    place = _community(place)
    _require(actor, place)
    if not 1 <= int(day) <= 31:
        raise ValidationError({"day": _("Enter a day of the month from 1 to 31.")})
    schedule, _created = DeliberationSchedule.objects.update_or_create(
        place=place, defaults={"day": int(day), "location": (location or "").strip()}
    )
    audit.record(actor=actor, action="decision.schedule_set", place=place, after={"day": int(day)})
    return schedule


@transaction.atomic
def deliberation_day_plan(
    *, actor, place, held_on: dt.date | None = None, location: str = ""
) -> DeliberationDay:
    """Plan a deliberation day (by default the community's next one) and put the agenda items
    received so far on it."""
    place = _community(place)
    _require(actor, place)
    held_on = held_on or deliberation_next_date(place)
    if not location:
        schedule = DeliberationSchedule.objects.filter(place=place).first()
        location = schedule.location if schedule else ""
    try:
        with transaction.atomic():
            day = DeliberationDay.objects.create(
                place=place, held_on=held_on, location=location.strip(), created_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            {
                "held_on": _("A deliberation day on %(date)s is already planned.")
                % {"date": held_on.isoformat()}
            }
        ) from None
    AgendaItem.objects.filter(place=place, day__isnull=True, status=AgendaStatus.NEW).update(
        day=day, status=AgendaStatus.SCHEDULED
    )
    audit.record(actor=actor, action="decision.day_plan", obj=day, after=audit.snapshot(day))
    return day


@transaction.atomic
def agenda_item_submit(
    *, actor=None, place, title: str, detail: str = "", name: str = "", phone: str = ""
) -> AgendaItem:
    """A topic for the deliberation day: from a resident on the portal (no actor) or from staff."""
    place = _community(place)
    if actor is not None:
        _require(actor, place)
    if not (title or "").strip():
        raise ValidationError({"title": _("Please enter the topic.")})
    phone = (phone or "").strip()
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 20):
        raise ValidationError({"phone": _("Please enter a phone number (digits only).")})
    item = AgendaItem.objects.create(
        place=place,
        title=title.strip()[:200],
        detail=(detail or "").strip(),
        submitter_name=(name or "").strip()[:60],
        submitter_phone=phone,
        from_portal=actor is None,
    )
    audit.record(actor=actor, action="decision.agenda_submit", obj=item, after={"title": item.title})
    return item


@transaction.atomic
def agenda_item_schedule(*, actor, item: AgendaItem, day: DeliberationDay) -> AgendaItem:
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    _require(actor, item.place_path)
    if day.place_id != item.place_id or day.status != DayStatus.PLANNED:
        raise ValidationError({"day": _("Choose a planned deliberation day of the same community.")})
    item.day, item.status = day, AgendaStatus.SCHEDULED
    item.save(update_fields=["day", "status"])
    audit.record(actor=actor, action="decision.agenda_schedule", obj=item, after={"day": day.pk})
    return item


@transaction.atomic
def deliberation_day_record(
    *, actor, day: DeliberationDay, attendees: int, minutes: str, outcomes: dict | None = None
) -> DeliberationDay:
    """Record a held deliberation day (once): attendance, minutes, and per agenda item whether it was
    discussed or not taken up, with the outcome (``outcomes`` = {item id: (status, text)})."""
    day = DeliberationDay.objects.get(pk=day.pk)
    _require(actor, day.place_path)
    if day.held_on > timezone.localdate():
        raise ValidationError({"held_on": _("This day has not come yet.")})
    if not (minutes or "").strip():
        raise ValidationError({"minutes": _("Please enter the minutes.")})
    attendees = _count(attendees, "attendees")
    now = timezone.now()
    if not DeliberationDay.objects.filter(pk=day.pk, status=DayStatus.PLANNED).update(
        status=DayStatus.HELD,
        attendees=attendees,
        minutes=minutes.strip(),
        recorded_by=actor,
        recorded_at=now,
    ):
        raise ValidationError(_("This deliberation day is already recorded."))
    for item_id, (status, text) in (outcomes or {}).items():
        if status not in (AgendaStatus.DISCUSSED, AgendaStatus.DECLINED):
            raise ValidationError({"outcomes": _("Mark each topic as discussed or not taken up.")})
        AgendaItem.objects.filter(pk=item_id, day=day).update(status=status, outcome=(text or "").strip())
    day.refresh_from_db()
    audit.record(
        actor=actor,
        action="decision.day_record",
        obj=day,
        before={"status": DayStatus.PLANNED},
        after={
            "status": day.status,
            "attendees": attendees,
            "outcomes": {str(k): v[0] for k, v in (outcomes or {}).items()},
        },
    )
    return day


@transaction.atomic
def follow_up_create(
    *, actor, day: DeliberationDay, title: str, owner, days: int | None = None, agenda_item=None
) -> FollowUp:
    """A follow-up of a deliberation day: an owner and a due date in official working days; the owner
    also gets a to-do."""
    day = DeliberationDay.objects.get(pk=day.pk)
    _require(actor, day.place_path)
    if not (title or "").strip():
        raise ValidationError({"title": _("Please say what is to be done.")})
    if owner is None or not access.can(owner, DecisionAction.VIEW, day.place_path):
        raise ValidationError({"owner": _("Choose an owner who works in this community.")})
    days = conf.follow_up_days() if days is None else _count(days, "days")
    if not 1 <= days <= 120:
        raise ValidationError({"days": _("The number of working days must be between 1 and 120.")})
    if agenda_item is not None and agenda_item.day_id != day.pk:
        raise ValidationError({"agenda_item": _("This topic is not on this day's agenda.")})
    follow_up = FollowUp(day=day, place=day.place, title=title.strip(), owner=owner, agenda_item=agenda_item)
    follow_up.set_deadline(max(day.held_on, timezone.localdate()), days)
    follow_up.save()
    audit.record(
        actor=actor, action="decision.follow_up_create", obj=follow_up, after=audit.snapshot(follow_up)
    )
    if access.can(actor, access.Action.MANAGE_TODO, day.place_path):
        todo_create(
            actor=actor,
            assignee=owner,
            place=day.place,
            title=follow_up.title,
            days=days,
            start=follow_up.due_from,
            url=day_url(day),
        )
    return follow_up


def day_url(day) -> str:
    from django.urls import reverse

    return reverse("decisions_day", args=[day.pk])


@transaction.atomic
def follow_up_done(*, actor, follow_up: FollowUp, note: str = "") -> FollowUp:
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    if actor.pk != follow_up.owner_id:
        _require(actor, follow_up.place_path)
    if not FollowUp.objects.filter(pk=follow_up.pk, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.DONE, done_at=timezone.now(), note=(note or "").strip()
    ):
        raise ValidationError(_("This follow-up is already done."))
    follow_up.refresh_from_db()
    audit.record(
        actor=actor, action="decision.follow_up_done", obj=follow_up, after={"status": follow_up.status}
    )
    return follow_up


# --- 离任审计 and 居民自治章程 -----------------------------------------------------------------------


@transaction.atomic
def departure_audit_create(
    *,
    actor,
    place,
    cadre_name: str,
    post: str,
    period_start: dt.date,
    period_end: dt.date,
    auditor: str,
    findings: str,
    result: str,
    summary: str,
) -> DepartureAudit:
    place = _community(place)
    _require(actor, place)
    errors = {}
    for field, value in (
        ("cadre_name", cadre_name),
        ("post", post),
        ("auditor", auditor),
        ("findings", findings),
        ("summary", summary),
    ):
        if not (value or "").strip():
            errors[field] = _("This field is required.")
    if period_start is None or period_end is None or period_end < period_start:
        errors["period_end"] = _("The end of the period must not be before its start.")
    from .models import AuditResult

    if result not in AuditResult.values:
        errors["result"] = _("Choose the result.")
    if errors:
        raise ValidationError(errors)
    record = DepartureAudit.objects.create(
        place=place,
        cadre_name=cadre_name.strip(),
        post=post.strip(),
        period_start=period_start,
        period_end=period_end,
        auditor=auditor.strip(),
        findings=findings.strip(),
        result=result,
        summary=summary.strip(),
        created_by=actor,
    )
    audit.record(
        actor=actor, action="decision.departure_audit_create", obj=record, after=audit.snapshot(record)
    )
    return record


@transaction.atomic
def departure_audit_publish(*, actor, departure_audit: DepartureAudit) -> DepartureAudit:
    """Publish the result of a departure audit on the board (finance section), once. Only the
    published summary goes out; the findings stay on the staff pages."""
    record = DepartureAudit.objects.get(pk=departure_audit.pk)
    _require(actor, record.place_path)
    now = timezone.now()
    if not DepartureAudit.objects.filter(pk=record.pk, published_at__isnull=True).update(published_at=now):
        raise ValidationError(_("This audit result is already published."))
    body = _(
        "%(post)s %(name)s, in office %(start)s to %(end)s. Audited by %(auditor)s. Result: %(result)s.\n\n%(summary)s"
    ) % {
        "post": record.post,
        "name": record.cadre_name,
        "start": record.period_start.isoformat(),
        "end": record.period_end.isoformat(),
        "auditor": record.auditor,
        "result": record.get_result_display(),
        "summary": record.summary,
    }
    url = _publish(
        actor=actor,
        place=record.place,
        section="finance",
        title=_("Departure audit result: %(post)s %(name)s")
        % {"post": record.post, "name": record.cadre_name},
        body=body,
        kind="immediate",
        source=record,
        source_key=f"decisions:departure-audit:{record.pk}",
        starts_on=timezone.localdate(),
    )
    DepartureAudit.objects.filter(pk=record.pk).update(published_url=url)
    record.refresh_from_db()
    audit.record(actor=actor, action="decision.departure_audit_publish", obj=record, after={"url": url})
    return record


@transaction.atomic
def charter_adopt(
    *,
    actor,
    place,
    title: str,
    text: str,
    adopted_by: str,
    adopted_on: dt.date,
    effective_from: dt.date | None = None,
    change_note: str = "",
) -> Charter:
    """Record a new version of the community's residents' charter (never an edit of an old one) and
    publish it on the board (long-term item, affairs section)."""
    place = _community(place)
    _require(actor, place)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Please enter a title.")
    if not (text or "").strip():
        errors["text"] = _("Please enter the text of the charter.")
    if not (adopted_by or "").strip():
        errors["adopted_by"] = _("Please say which meeting adopted it.")
    if adopted_on is None or adopted_on > timezone.localdate():
        errors["adopted_on"] = _("Please enter the date (not in the future).")
    effective_from = effective_from or adopted_on
    if adopted_on and effective_from and effective_from < adopted_on:
        errors["effective_from"] = _("A charter cannot take effect before it is adopted.")
    if errors:
        raise ValidationError(errors)
    latest = Charter.objects.filter(place=place).aggregate(v=Max("version"))["v"] or 0
    try:
        with transaction.atomic():
            charter = Charter.objects.create(
                place=place,
                version=latest + 1,
                title=title.strip(),
                text=text.strip(),
                adopted_by=adopted_by.strip(),
                adopted_on=adopted_on,
                effective_from=effective_from,
                change_note=(change_note or "").strip(),
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            _("Another version was recorded at the same moment; please try again.")
        ) from None
    url = _publish(
        actor=actor,
        place=place,
        section="affairs",
        title=_("%(title)s (version %(version)d, in effect from %(date)s)")
        % {"title": charter.title, "version": charter.version, "date": effective_from.isoformat()},
        body=charter.text,
        kind="long_term",
        source=charter,
        source_key=f"decisions:charter:{charter.pk}",
        starts_on=effective_from,
    )
    if url:
        Charter.objects.filter(pk=charter.pk).update(published_url=url)
        charter.published_url = url
    audit.record(
        actor=actor,
        action="decision.charter_adopt",
        obj=charter,
        after={"version": charter.version, "url": url},
    )
    return charter


def charter_current(place, today: dt.date | None = None) -> Charter | None:
    today = today or timezone.localdate()
    return (
        Charter.objects.filter(place=place, effective_from__lte=today)
        .order_by("-effective_from", "-version")
        .first()
    )
