"""Writes of the five systems (D10). Each service checks access, validates (Chinese messages naming
the field), writes in one transaction, records an audit entry and notifies after commit.

Ballots are the exception to "who did it": a public-evaluation ballot is anonymous. The code's
compare-and-set (issued → used) and the unique code on the ballot make one ballot per code under
any concurrency; online ballots write no audit entry, because the entry would carry the voter's
network address. Paper ballots are audited as entered by the staff member (not what was marked).
"""

import datetime as dt
import re
import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, codes, statements
from lianxin.core.calendar import previous_working_day, working_days_between
from lianxin.core.notifications import notify
from lianxin.core.services import todo_create

from .actions import PerformanceAction as A
from .models import (
    AccountabilityCase,
    BallotChannel,
    BallotCode,
    CaseOutcome,
    CaseSource,
    CaseStatus,
    CodeStatus,
    Commendation,
    CommendationStatus,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Criterion,
    CycleStatus,
    EvaluationCycle,
    Evaluee,
    Fulfilment,
    Goal,
    GoalItem,
    MemberGroup,
    Milestone,
    MilestoneKind,
    ProgressUpdate,
    ReportStatus,
    Satisfaction,
    Score,
    ScoreKind,
    SecretaryReport,
    YearMilestone,
)


def _require(actor, action, place_path):
    access.require(actor, action, place_path)


def _year_ok(year: int) -> None:
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})


def publish_on_board(*, actor, place, title: str, body: str, source, source_key: str) -> str:
    """Publish on the community's notice board (lianxin.disclosure, 党务 section); returns the public
    link, or "" while the board module is not installed. Only public text goes into ``body``."""
    try:
        from lianxin.disclosure.services import publish
    except ImportError:
        return ""
    item = publish(
        actor=actor,
        place=place,
        section="party",
        title=title,
        body=body,
        kind="periodic",
        source=source,
        source_key=source_key,
    )
    return item.get_absolute_url()


# --- goals (目标责任制) ----------------------------------------------------------------------------


@transaction.atomic
def goal_create(*, actor, organization, year: int, title: str, letter_issued_by: str = "") -> Goal:
    """The year's goals of an organization (D10 目标责任制); one per organization and year."""
    _require(actor, A.MANAGE, organization.place_path)
    _year_ok(year)
    if not title.strip():
        raise ValidationError({"title": _("Please enter a title.")})
    if Goal.objects.filter(organization=organization, year=year).exists():
        raise ValidationError(
            {"year": _("This organization already has goals for %(year)s.") % {"year": year}}
        )
    goal = Goal.objects.create(
        organization=organization,
        place_id=organization.place_id,
        year=year,
        title=title.strip(),
        letter_issued_by=letter_issued_by.strip(),
        created_by=actor,
    )
    audit.record(actor=actor, action="performance.goal.create", obj=goal, after=audit.snapshot(goal))
    return goal


@transaction.atomic
def goal_item_add(
    *,
    actor,
    goal: Goal,
    project: str,
    target: str,
    lead: str,
    due_on: dt.date,
    practical: bool = False,
    milestones: list[tuple[str, dt.date]] = (),
) -> GoalItem:
    """An item: project, target, lead person and schedule (定项目、定目标、定责任、定进度)."""
    _require(actor, A.MANAGE, goal.place_path)
    errors = {}
    if not project.strip():
        errors["project"] = _("Please name the project.")
    if not target.strip():
        errors["target"] = _("Please state the target.")
    if not lead.strip():
        errors["lead"] = _("Please name the lead person.")
    if due_on is None or due_on.year != goal.year:
        errors["due_on"] = _("The due date must fall within %(year)s.") % {"year": goal.year}
    for title, when in milestones:
        if not title.strip() or when is None or when.year != goal.year:
            errors["milestones"] = _("Each milestone needs a title and a date within %(year)s.") % {
                "year": goal.year
            }
    if errors:
        raise ValidationError(errors)
    item = GoalItem.objects.create(
        goal=goal,
        place_id=goal.place_id,
        project=project.strip(),
        target=target.strip(),
        lead=lead.strip(),
        due_on=due_on,
        practical=practical,
    )
    Milestone.objects.bulk_create(
        [Milestone(item=item, title=title.strip(), due_on=when) for title, when in milestones]
    )
    audit.record(actor=actor, action="performance.goal_item.add", obj=item, after=audit.snapshot(item))
    return item


@transaction.atomic
def goal_letter_sign(*, actor, goal: Goal, signed_by: str, signed_on: dt.date) -> Goal:
    """Record that the responsibility letter (责任书) was signed, by whom and when."""
    _require(actor, A.MANAGE, goal.place_path)
    if not signed_by.strip():
        raise ValidationError({"signed_by": _("Name who signed the letter.")})
    if signed_on is None or signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    if not goal.items.exists():
        raise ValidationError({"signed_by": _("Add the goal items before the letter is signed.")})
    before = audit.snapshot(goal, ["letter_signed_on", "letter_signed_by"])
    updated = Goal.objects.filter(pk=goal.pk, letter_signed_on__isnull=True).update(
        letter_signed_on=signed_on, letter_signed_by=signed_by.strip()
    )
    if not updated:
        raise ValidationError({"signed_by": _("The letter has already been recorded as signed.")})
    goal.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.goal.sign",
        obj=goal,
        before=before,
        after=audit.snapshot(goal, ["letter_signed_on", "letter_signed_by"]),
    )
    return goal


@transaction.atomic
def goal_progress(*, actor, item: GoalItem, progress: int, note: str, evidence=None) -> ProgressUpdate:
    """A progress update with evidence; 100% completes the item (completion counts it)."""
    _require(actor, A.MANAGE, item.place_path)
    errors = {}
    if progress is None or not 0 <= int(progress) <= 100:
        errors["progress"] = _("Progress must be between 0 and 100.")
    if not (note or "").strip():
        errors["note"] = _("Say what was done.")
    if errors:
        raise ValidationError(errors)
    item = GoalItem.objects.select_for_update().get(pk=item.pk)
    before = audit.snapshot(item, ["progress", "completed_on"])
    update = ProgressUpdate.objects.create(item=item, progress=progress, note=note.strip(), by=actor)
    if evidence:
        update.evidence.save(evidence.name, evidence, save=True)
    item.progress = progress
    item.completed_on = (item.completed_on or timezone.localdate()) if progress == 100 else None
    item.save(update_fields=["progress", "completed_on"])
    audit.record(
        actor=actor,
        action="performance.goal_item.progress",
        obj=item,
        before=before,
        after=audit.snapshot(item, ["progress", "completed_on"]),
        reason=note.strip(),
    )
    return update


# --- commitments (公开承诺制) ----------------------------------------------------------------------

# Starting points per member kind (D10): cadres lead by example, retirees 发挥余热, mobile members 双向带动.
TEMPLATES: dict[str, dict[str, str]] = {
    MemberGroup.ORGANIZATION: {
        "target": "年内为群众办成5件实事，群众满意率达到95%以上",
        "items": "整治小区楼道环境\n开展党员志愿服务每月1次\n走访困难家庭全覆盖",
        "measures": "支部书记牵头，分片包干，每季度通报进度",
    },
    MemberGroup.CADRE: {
        "target": "带头完成分管工作目标，联系10户群众并解决实际困难",
        "items": "每月走访联系户1次\n带头参加志愿服务每季度2次\n带头落实“最多报一次”",
        "measures": "建立联系户台账，每季度向支部汇报",
    },
    MemberGroup.RETIREE: {
        "target": "发挥余热，参加社区志愿服务全年不少于24次",
        "items": "参加楼道巡查每月2次\n调解邻里纠纷\n给青少年讲党课1次",
        "measures": "加入社区志愿服务队，按排班参加",
    },
    MemberGroup.MOBILE: {
        "target": "双向带动：在外地带回1条致富或就业信息，按时参加流动党员组织生活",
        "items": "每季度向支部书面汇报1次\n按时交纳党费\n回乡期间参加1次志愿服务",
        "measures": "通过电话和网上党支部保持联系",
    },
    MemberGroup.MEMBER: {
        "target": "全年参加志愿服务不少于12次，联系2户群众",
        "items": "每月参加主题党日\n联系2户群众并帮助解决困难",
        "measures": "按支部安排参加，每半年向支部汇报",
    },
}

_VAGUE = ("尽力", "尽量", "争取", "努力", "积极", "适当", "进一步", "加强", "若干", "一些", "有关")
_NUMBER = re.compile(r"[0-9０-９一二三四五六七八九十百千万两每全]")


def _unvague(text: str) -> str:
    for word in _VAGUE:
        text = text.replace(word, "")
    return text


def group_for_member(member) -> str:
    """The template a member starts from, by their registry kind; cadres are chosen by hand."""
    return {"retired": MemberGroup.RETIREE, "mobile": MemberGroup.MOBILE}.get(member.kind, MemberGroup.MEMBER)


def commitment_check(commitment: Commitment) -> list[dict]:
    """The quality check before publishing (D10): a clear target, concrete items, measures and a
    deadline inside the period. Returns the problems as {"field", "code", "message"}; empty = passes."""
    problems = []

    def problem(field, code, message):
        problems.append({"field": field, "code": code, "message": str(message)})

    target = commitment.target.strip()
    if not target:
        problem("target", "target_missing", _("The target is missing: say what will be achieved."))
    elif len(target) < 8 or (any(word in target for word in _VAGUE) and not _NUMBER.search(_unvague(target))):
        problem(
            "target",
            "target_vague",
            _(
                "The target is not clear: name a result that can be checked, with a number or a concrete outcome."
            ),
        )
    lines = commitment.item_lines()
    if not lines:
        problem("items", "items_missing", _("List the concrete items, one per line."))
    elif any(len(line) < 4 for line in lines):
        problem("items", "items_vague", _("Each item must say what will be done (at least 4 characters)."))
    if len(commitment.measures.strip()) < 4:
        problem("measures", "measures_missing", _("Say which measures will carry the commitment out."))
    if commitment.deadline is None:
        problem("deadline", "deadline_missing", _("Give a deadline."))
    elif not commitment.period_start <= commitment.deadline <= commitment.period_end:
        problem(
            "deadline",
            "deadline_outside",
            _("The deadline %(date)s is outside the period %(start)s to %(end)s.")
            % {
                "date": commitment.deadline.isoformat(),
                "start": commitment.period_start.isoformat(),
                "end": commitment.period_end.isoformat(),
            },
        )
    return problems


_COMMITMENT_FIELDS = ["target", "items", "measures", "deadline", "status"]


@transaction.atomic
def commitment_create(
    *,
    actor,
    organization,
    year: int,
    member=None,
    group: str = "",
    kind: str = CommitmentKind.YEARLY,
    target: str = "",
    items: str = "",
    measures: str = "",
    deadline: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Commitment:
    """A draft commitment of an organization or one of its members. Yearly ones run for the year;
    instant and special ones (urgent tasks) name their own period."""
    _require(actor, A.MANAGE, organization.place_path)
    _year_ok(year)
    if member is not None and not member.organization.path.startswith(organization.path):
        raise ValidationError({"member": _("The member does not belong to this organization.")})
    if kind not in CommitmentKind.values:
        raise ValidationError({"kind": _("Choose a kind of commitment.")})
    group = group or (group_for_member(member) if member is not None else MemberGroup.ORGANIZATION)
    if group not in MemberGroup.values or (member is None) != (group == MemberGroup.ORGANIZATION):
        raise ValidationError({"group": _("Choose who commits: the organization, or a member's kind.")})
    if kind == CommitmentKind.YEARLY:
        period_start, period_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    elif period_start is None or period_end is None or period_start > period_end:
        raise ValidationError({"period_end": _("Give the period of this commitment (start before end).")})
    commitment = Commitment.objects.create(
        organization=organization,
        place_id=organization.place_id,
        member=member,
        group=group,
        kind=kind,
        year=year,
        period_start=period_start,
        period_end=period_end,
        target=target.strip(),
        items=items.strip(),
        measures=measures.strip(),
        deadline=deadline,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="performance.commitment.create",
        obj=commitment,
        after=audit.snapshot(commitment, _COMMITMENT_FIELDS),
    )
    return commitment


@transaction.atomic
def commitment_update(
    *, actor, commitment: Commitment, target: str, items: str, measures: str, deadline
) -> Commitment:
    """Rewrite a draft or a returned commitment (a published one is corrected by a new one)."""
    _require(actor, A.MANAGE, commitment.place_path)
    before = audit.snapshot(commitment, _COMMITMENT_FIELDS)
    updated = Commitment.objects.filter(
        pk=commitment.pk, status__in=[CommitmentStatus.DRAFT, CommitmentStatus.RETURNED]
    ).update(target=target.strip(), items=items.strip(), measures=measures.strip(), deadline=deadline)
    if not updated:
        raise ValidationError({"target": _("Only a draft or a returned commitment can be rewritten.")})
    commitment.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.commitment.update",
        obj=commitment,
        before=before,
        after=audit.snapshot(commitment, _COMMITMENT_FIELDS),
    )
    return commitment


def _commitment_public_text(commitment: Commitment) -> str:
    lines = [
        _("Target: %(text)s") % {"text": commitment.target},
        _("Items:"),
        *[f"{n}. {line}" for n, line in enumerate(commitment.item_lines(), 1)],
        _("Measures: %(text)s") % {"text": commitment.measures},
        _("Deadline: %(date)s") % {"date": commitment.deadline.isoformat()},
    ]
    return "\n".join(lines)


@transaction.atomic
def commitment_publish(*, actor, commitment: Commitment) -> tuple[Commitment, list[dict]]:
    """Check the commitment (commitment_check); one that fails goes back with its reasons (status
    "returned"), one that passes is published on the notice board. Returns (commitment, problems)."""
    _require(actor, A.MANAGE, commitment.place_path)
    commitment = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("organization", "member__resident")
        .get(pk=commitment.pk)
    )
    if commitment.status not in (CommitmentStatus.DRAFT, CommitmentStatus.RETURNED):
        raise ValidationError({"status": _("This commitment has already been published.")})
    problems = commitment_check(commitment)
    before = audit.snapshot(commitment, ["status", "return_reasons"])
    if problems:
        commitment.status = CommitmentStatus.RETURNED
        commitment.return_reasons = problems
        commitment.save(update_fields=["status", "return_reasons"])
        audit.record(
            actor=actor,
            action="performance.commitment.return",
            obj=commitment,
            before=before,
            after=audit.snapshot(commitment, ["status", "return_reasons"]),
        )
        notify(
            recipients=[commitment.created_by],
            title=_("Commitment returned for rewriting: %(name)s") % {"name": commitment.owner_name},
            body="\n".join(p["message"] for p in problems),
            url=f"/performance/commitments/{commitment.pk}/",
        )
        return commitment, problems
    commitment.status = CommitmentStatus.PUBLISHED
    commitment.return_reasons = []
    commitment.published_at = timezone.now()
    commitment.board_url = publish_on_board(
        actor=actor,
        place=commitment.place,
        title=_("Public commitment: %(name)s (%(kind)s)")
        % {"name": commitment.owner_name, "kind": commitment.get_kind_display()},
        body=_commitment_public_text(commitment),
        source=commitment,
        source_key=f"performance.commitment:{commitment.pk}",
    )
    commitment.save(update_fields=["status", "return_reasons", "published_at", "board_url"])
    audit.record(
        actor=actor,
        action="performance.commitment.publish",
        obj=commitment,
        before=before,
        after=audit.snapshot(commitment, ["status", "board_url"]),
    )
    return commitment, []


@transaction.atomic
def commitment_fulfil(*, actor, commitment: Commitment, note: str, done: bool = False) -> Fulfilment:
    """A fulfilment update (践诺); ``done`` marks the commitment fulfilled."""
    _require(actor, A.MANAGE, commitment.place_path)
    if not note.strip():
        raise ValidationError({"note": _("Say what was done.")})
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.status != CommitmentStatus.PUBLISHED:
        raise ValidationError({"note": _("Only a published commitment that is still open can be updated.")})
    fulfilment = Fulfilment.objects.create(commitment=commitment, note=note.strip(), done=done, by=actor)
    if done:
        commitment.status = CommitmentStatus.FULFILLED
        commitment.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="performance.commitment.fulfil",
        obj=commitment,
        after={"note": fulfilment.note, "done": done, "status": commitment.status},
    )
    return fulfilment


@transaction.atomic
def commitment_mark_broken(*, actor, commitment: Commitment, reason: str) -> Commitment:
    """A person records that a published commitment was not kept (it may then become a case)."""
    _require(actor, A.MANAGE, commitment.place_path)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    if not Commitment.objects.filter(pk=commitment.pk, status=CommitmentStatus.PUBLISHED).update(
        status=CommitmentStatus.BROKEN
    ):
        raise ValidationError({"reason": _("Only a published commitment that is still open can be updated.")})
    commitment.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.commitment.broken",
        obj=commitment,
        before={"status": CommitmentStatus.PUBLISHED},
        after={"status": commitment.status},
        reason=reason.strip(),
    )
    return commitment


# --- evaluations (绩效评估制) ----------------------------------------------------------------------


def _weights_ok(weights: dict) -> None:
    values = [weights.get(k) for k in ("weight_self", "weight_peer", "weight_leader", "weight_public")]
    if any(v is None or not 0 <= int(v) <= 100 for v in values) or sum(int(v) for v in values) != 100:
        raise ValidationError(
            {"weight_public": _("The four weights must be whole numbers adding up to 100.")}
        )


@transaction.atomic
def cycle_create(
    *, actor, place, year: int, half: int, title: str, meeting_on=None, weights: dict | None = None
) -> EvaluationCycle:
    """A half-yearly evaluation (D10: 一会四评 at one review meeting)."""
    _require(actor, A.MANAGE, place.path)
    _year_ok(year)
    if half not in (1, 2):
        raise ValidationError({"half": _("Choose the first or the second half of the year.")})
    if not title.strip():
        raise ValidationError({"title": _("Please enter a title.")})
    weights = weights or {}
    if weights:
        _weights_ok(weights)
    cycle = EvaluationCycle.objects.create(
        place=place,
        year=year,
        half=half,
        title=title.strip(),
        meeting_on=meeting_on,
        created_by=actor,
        **weights,
    )
    audit.record(actor=actor, action="performance.cycle.create", obj=cycle, after=audit.snapshot(cycle))
    return cycle


@transaction.atomic
def cycle_set_weights(*, actor, cycle: EvaluationCycle, **weights) -> EvaluationCycle:
    _require(actor, A.MANAGE, cycle.place_path)
    _weights_ok(weights)
    fields = list(weights)
    before = audit.snapshot(cycle, fields)
    EvaluationCycle.objects.filter(pk=cycle.pk).update(**weights)
    cycle.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.cycle.weights",
        obj=cycle,
        before=before,
        after=audit.snapshot(cycle, fields),
    )
    return cycle


@transaction.atomic
def cycle_close(*, actor, cycle: EvaluationCycle) -> EvaluationCycle:
    """Close the cycle: no more scores or ballots; unused codes stay unused."""
    _require(actor, A.MANAGE, cycle.place_path)
    if not EvaluationCycle.objects.filter(pk=cycle.pk, status=CycleStatus.OPEN).update(
        status=CycleStatus.CLOSED
    ):
        raise ValidationError({"status": _("This evaluation is already closed.")})
    cycle.refresh_from_db()
    audit.record(actor=actor, action="performance.cycle.close", obj=cycle, after={"status": cycle.status})
    return cycle


def _open(cycle: EvaluationCycle) -> None:
    if (
        EvaluationCycle.objects.filter(pk=cycle.pk).values_list("status", flat=True).first()
        != CycleStatus.OPEN
    ):
        raise ValidationError({"cycle": _("This evaluation is closed.")})


@transaction.atomic
def evaluee_add(
    *, actor, cycle: EvaluationCycle, name: str = "", role: str = "", organization=None, member=None
):
    _require(actor, A.MANAGE, cycle.place_path)
    _open(cycle)
    if member is not None:
        name = name or member.resident.name
    elif organization is not None:
        name = name or organization.name
    if not name.strip():
        raise ValidationError({"name": _("Name who is evaluated.")})
    evaluee = Evaluee.objects.create(
        cycle=cycle,
        name=name.strip(),
        role=role.strip(),
        organization=organization,
        member=member,
        position=cycle.evaluees.count(),
    )
    audit.record(actor=actor, action="performance.evaluee.add", obj=cycle, after={"evaluee": evaluee.name})
    return evaluee


@transaction.atomic
def score_record(*, actor, evaluee: Evaluee, kind: str, score, comment: str = "", by_name: str = "") -> Score:
    """A self, peer or leader score, 0–100, one per person and kind. A leader review is the register
    entry (点评登记) and needs a comment."""
    cycle = evaluee.cycle
    _require(actor, A.MANAGE, cycle.place_path)
    _open(cycle)
    errors = {}
    if kind not in ScoreKind.values:
        errors["kind"] = _("Choose self, peer or leader evaluation.")
    try:
        score = Decimal(str(score))
    except ArithmeticError:
        score = None
    if score is None or not Decimal(0) <= score <= Decimal(100):
        errors["score"] = _("A score is between 0 and 100.")
    if kind == ScoreKind.LEADER and not comment.strip():
        errors["comment"] = _("A leader review needs a comment.")
    if errors:
        raise ValidationError(errors)
    row, created = Score.objects.update_or_create(
        evaluee=evaluee,
        kind=kind,
        by=actor,
        defaults={
            "score": score,
            "comment": comment.strip(),
            "by_name": by_name.strip() or actor.get_full_name(),
        },
    )
    audit.record(
        actor=actor,
        action="performance.score.record",
        obj=cycle,
        after={"evaluee": evaluee.name, "kind": kind, "score": str(score), "comment": comment.strip()},
    )
    return row


# 20 characters from 32 unambiguous symbols: 100 bits, so guessing a code is infeasible.
CODE_ALPHABET = codes.ALPHABET
CODE_LENGTH = 20
MAX_CODES_PER_BATCH = 200_000


def new_code() -> str:
    return codes.new_code(CODE_LENGTH)


normalize_code = codes.normalize


def format_code(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


@transaction.atomic
def codes_issue(*, actor, cycle: EvaluationCycle, count: int) -> int:
    """Issue ``count`` one-time ballot codes (a new batch) for the slips; returns the batch number."""
    _require(actor, A.BALLOTS, cycle.place_path)
    _open(cycle)
    if not 1 <= int(count) <= MAX_CODES_PER_BATCH:
        raise ValidationError({"count": _("Issue between 1 and 200,000 codes at a time.")})
    batch = (cycle.codes.order_by("-batch").values_list("batch", flat=True).first() or 0) + 1
    BallotCode.objects.bulk_create(
        (BallotCode(cycle=cycle, code=new_code(), batch=batch) for _ in range(count)), batch_size=2000
    )
    audit.record(
        actor=actor, action="performance.codes.issue", obj=cycle, after={"batch": batch, "count": count}
    )
    return batch


@transaction.atomic
def code_void(*, actor, cycle: EvaluationCycle, code: str, reason: str) -> BallotCode:
    """Void an unused code (a lost or spoiled slip); it can never be used afterwards."""
    _require(actor, A.BALLOTS, cycle.place_path)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    row = cycle.codes.filter(code=normalize_code(code)).first()
    if row is None:
        raise ValidationError({"code": _("There is no such code in this evaluation.")})
    if not BallotCode.objects.filter(pk=row.pk, status=CodeStatus.ISSUED).update(
        status=CodeStatus.VOID, voided_reason=reason.strip()[:200]
    ):
        raise ValidationError({"code": _("This code has already been used or voided.")})
    row.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.code.void",
        obj=cycle,
        after={"code": row.code},
        reason=reason.strip(),
    )
    return row


class BallotRefused(ValidationError):
    """The code cannot be used: unknown, voided, already used, or the evaluation is closed."""


_LOOKUP_SQL = """
SELECT c.id, c.cycle_id, c.status, y.status, y.place_path, e.id
FROM performance_ballotcode c
JOIN performance_evaluationcycle y ON y.id = c.cycle_id
LEFT JOIN performance_evaluee e ON e.cycle_id = c.cycle_id
WHERE c.code = %s
"""


# PostgreSQL, a resident's ballot: claim the code, write the ballot and its marks in ONE statement
# (atomic on its own, so no BEGIN/COMMIT round trips): three round trips fewer per ballot. Nothing
# is written when the code was claimed meanwhile (the UPDATE returns no row).
_CAST_SQL = """
WITH claimed AS (
  UPDATE performance_ballotcode SET status = %s WHERE id = %s AND status = %s RETURNING id
), ballot AS (
  INSERT INTO performance_ballot (cycle_id, code_id, channel, cast_on)
  SELECT %s, claimed.id, %s, %s FROM claimed RETURNING id
)
INSERT INTO performance_ballotmark (ballot_id, evaluee_id, rating)
SELECT ballot.id, m.evaluee, m.rating FROM ballot, (VALUES {marks}) AS m (evaluee, rating)
RETURNING ballot_id
"""


def _ballot_write(*, code: str, ratings: dict, channel: str, actor=None) -> int:
    """The hot path of the public evaluation (200,000 ballots a year in the source's city): plain SQL,
    one read (code, cycle and people evaluated) and one short write transaction."""
    code = normalize_code(code)
    rows = []
    if len(code) == CODE_LENGTH:
        with statements.prepared_cursor(connection) as cursor:
            cursor.execute(_LOOKUP_SQL, [code])
            rows = cursor.fetchall()
    if not rows:
        raise BallotRefused({"code": _("This code is not valid. Check the code on your slip.")})
    code_id, cycle_id, code_status, cycle_status, place_path = rows[0][:5]
    if actor is not None:
        _require(actor, A.BALLOTS, place_path)
    if code_status == CodeStatus.VOID:
        raise BallotRefused({"code": _("This code has been voided and cannot be used.")})
    if code_status == CodeStatus.USED:
        raise BallotRefused({"code": _("This code has already been used: each code counts once.")})
    if cycle_status != CycleStatus.OPEN:
        raise BallotRefused({"code": _("This evaluation is closed.")})
    evaluees = [row[5] for row in rows if row[5] is not None]
    try:
        marks = {int(k): v for k, v in ratings.items()}
    except (TypeError, ValueError):
        marks = {}
    if (
        not evaluees
        or set(marks) != set(evaluees)
        or any(v not in Satisfaction.values for v in marks.values())
    ):
        raise ValidationError(
            {
                "ratings": _(
                    "Please rate everyone on the list: satisfied, basically satisfied or dissatisfied."
                )
            }
        )
    today = timezone.localdate()
    if actor is None and connection.vendor == "postgresql":
        with statements.prepared_cursor(connection) as cursor:
            cursor.execute(
                _CAST_SQL.format(marks=", ".join(["(%s::bigint, %s::varchar)"] * len(evaluees))),
                [CodeStatus.USED, code_id, CodeStatus.ISSUED, cycle_id, channel, today]
                + [value for evaluee in evaluees for value in (evaluee, marks[evaluee])],
            )
            written = cursor.fetchall()
        if not written:
            raise BallotRefused({"code": _("This code has already been used: each code counts once.")})
        return written[0][0]
    with transaction.atomic(), connection.cursor() as cursor:
        # Compare-and-set: of any number of concurrent submissions of one code, one changes the row.
        cursor.execute(
            "UPDATE performance_ballotcode SET status = %s WHERE id = %s AND status = %s",
            [CodeStatus.USED, code_id, CodeStatus.ISSUED],
        )
        if cursor.rowcount != 1:
            raise BallotRefused({"code": _("This code has already been used: each code counts once.")})
        cursor.execute(
            "INSERT INTO performance_ballot (cycle_id, code_id, channel, cast_on) VALUES (%s, %s, %s, %s) RETURNING id",
            [cycle_id, code_id, channel, today],
        )
        ballot_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO performance_ballotmark (ballot_id, evaluee_id, rating) VALUES "
            + ", ".join(["(%s, %s, %s)"] * len(evaluees)),
            [value for evaluee in evaluees for value in (ballot_id, evaluee, marks[evaluee])],
        )
        if actor is not None:
            audit.record(
                actor=actor,
                action="performance.ballot.paper",
                obj=EvaluationCycle.objects.get(pk=cycle_id),
                after={"code": code, "channel": channel},
            )
    return ballot_id


def ballot_cast(*, code: str, ratings: dict, channel: str = BallotChannel.ONLINE, actor=None) -> int:
    """Cast one public-evaluation ballot with a one-time code (D10 群众测评). ``actor`` is the staff
    member entering a paper ballot, None for a resident online. One ballot per code, whatever the
    concurrency: the compare-and-set on the code and the unique code on the ballot; a refused code
    raises BallotRefused. A busy SQLite database is retried briefly. Returns the ballot's id."""
    for attempt in range(5):
        try:
            return _ballot_write(code=code, ratings=ratings, channel=channel, actor=actor)
        except IntegrityError:
            raise BallotRefused(
                {"code": _("This code has already been used: each code counts once.")}
            ) from None
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


# --- commendations (表彰激励制) --------------------------------------------------------------------

_ORG_CRITERIA = {Criterion.FIVE_GOODS, Criterion.RED_BANNER}
_MEMBER_CRITERIA = {Criterion.FIVE_LEADS, Criterion.FIVE_MODELS}


@transaction.atomic
def commendation_nominate(
    *,
    actor,
    place,
    year: int,
    criterion: str,
    deeds: str,
    organization=None,
    member=None,
    post_name: str = "",
) -> Commendation:
    """A nomination: organizations for 五个好 and the red banner, members for 五带头 and 五个模范,
    a post for 示范岗."""
    _require(actor, A.MANAGE, place.path)
    _year_ok(year)
    errors = {}
    if criterion not in Criterion.values:
        errors["criterion"] = _("Choose a criterion.")
    elif criterion in _ORG_CRITERIA and organization is None:
        errors["organization"] = _("Choose the organization nominated.")
    elif criterion in _MEMBER_CRITERIA and member is None:
        errors["member"] = _("Choose the member nominated.")
    elif criterion == Criterion.MODEL_POST and not post_name.strip():
        errors["post_name"] = _("Name the post.")
    if not deeds.strip():
        errors["deeds"] = _("Describe the deeds.")
    for obj in (organization, member):
        if obj is not None and not obj.place_path.startswith(place.path):
            errors["place"] = _("The nominee is outside this place.")
    if errors:
        raise ValidationError(errors)
    row = Commendation.objects.create(
        place=place,
        year=year,
        criterion=criterion,
        organization=organization if criterion not in _MEMBER_CRITERIA else None,
        member=member if criterion in _MEMBER_CRITERIA | {Criterion.MODEL_POST} else None,
        post_name=post_name.strip(),
        deeds=deeds.strip(),
        nominated_by=actor,
    )
    audit.record(actor=actor, action="performance.commendation.nominate", obj=row, after=audit.snapshot(row))
    return row


@transaction.atomic
def commendation_decide(*, actor, commendation: Commendation, award: bool, note: str = "") -> Commendation:
    """Award or decline a nomination; never the nominator's own (four eyes). Awarded ones go on the
    honour roll of the notice board."""
    _require(actor, A.DECIDE, commendation.place_path)
    access.require_not_self(actor, commendation.nominated_by_id, _("You cannot decide your own nomination."))
    status = CommendationStatus.AWARDED if award else CommendationStatus.DECLINED
    if not Commendation.objects.filter(pk=commendation.pk, status=CommendationStatus.NOMINATED).update(
        status=status, decided_by=actor, decided_on=timezone.localdate(), decision_note=note.strip()
    ):
        raise ValidationError({"status": _("This nomination has already been decided.")})
    commendation = Commendation.objects.select_related("member__resident", "organization", "place").get(
        pk=commendation.pk
    )
    if award:
        commendation.board_url = publish_on_board(
            actor=actor,
            place=commendation.place,
            title=_("Honour roll %(year)s: %(name)s")
            % {"year": commendation.year, "name": commendation.honouree},
            body=f"{commendation.get_criterion_display()}\n{commendation.deeds}",
            source=commendation,
            source_key=f"performance.commendation:{commendation.pk}",
        )
        commendation.save(update_fields=["board_url"])
    audit.record(
        actor=actor,
        action="performance.commendation.decide",
        obj=commendation,
        before={"status": CommendationStatus.NOMINATED},
        after={"status": status, "note": note.strip()},
    )
    return commendation


# --- accountability (过错追究制) -------------------------------------------------------------------


def cases_suggest(*, actor=None, today: dt.date | None = None, place=None) -> int:
    """Suggest cases (D10 过错追究): goal items past their due date and not done, commitments recorded
    as not kept, and substantiated complaints (a residents' criticism of a member that the branch
    recorded, lianxin.branch). Each source is suggested once (unique constraint); nothing is decided.
    Also the ``performance_cases`` tick handler."""
    from lianxin.branch.models import VisitCause, VisitTask

    today = today or timezone.localdate()
    if actor is not None and place is not None:
        _require(actor, A.MANAGE, place.path)
    scope = Q(place_path__startswith=place.path) if place is not None else Q()
    rows = []
    for item in GoalItem.objects.overdue(today).filter(scope).select_related("goal__organization"):
        rows.append(
            AccountabilityCase(
                place_id=item.place_id,
                source=CaseSource.GOAL_ITEM,
                source_id=item.pk,
                subject=_("Goal item overdue: %(project)s (due %(date)s)")
                % {"project": item.project, "date": item.due_on.isoformat()},
                person=item.lead,
            )
        )
    for commitment in Commitment.objects.filter(scope, status=CommitmentStatus.BROKEN).select_related(
        "organization", "member__resident"
    ):
        rows.append(
            AccountabilityCase(
                place_id=commitment.place_id,
                source=CaseSource.COMMITMENT,
                source_id=commitment.pk,
                subject=_("Commitment not kept: %(name)s") % {"name": commitment.owner_name},
                person=commitment.owner_name,
            )
        )
    for task in VisitTask.objects.filter(scope, cause=VisitCause.CRITICISED).select_related(
        "member__resident"
    ):
        rows.append(
            AccountabilityCase(
                place_id=task.place_id,
                source=CaseSource.COMPLAINT,
                source_id=task.pk,
                subject=_("Residents' complaint about %(name)s") % {"name": task.member.resident.name},
                person=task.member.resident.name,
            )
        )
    known = {
        (s, i)
        for s, i in AccountabilityCase.objects.filter(source_id__in=[r.source_id for r in rows]).values_list(
            "source", "source_id"
        )
    }
    new = [r for r in rows if (r.source, r.source_id) not in known]
    if not new:
        return 0
    from lianxin.places.models import Place

    paths = dict(Place.objects.filter(pk__in={r.place_id for r in new}).values_list("pk", "path"))
    for row in new:
        row.place_path = paths[row.place_id]
    with transaction.atomic():
        made = AccountabilityCase.objects.bulk_create(new, ignore_conflicts=True)
        audit.record(actor=actor, action="performance.cases.suggest", after={"suggested": len(new)})
    return len(made)


def performance_cases(*, today: dt.date) -> int:
    """Tick handler (LIANXIN_TICK_HANDLERS): the daily suggestion sweep."""
    return cases_suggest(today=today)


_CASE_MOVES = {
    "confirm": ({CaseStatus.SUGGESTED}, CaseStatus.CONFIRMED),
    "dismiss": ({CaseStatus.SUGGESTED, CaseStatus.CONFIRMED}, CaseStatus.DISMISSED),
    "close": ({CaseStatus.CONFIRMED}, CaseStatus.CLOSED),
}


@transaction.atomic
def case_move(
    *, actor, case: AccountabilityCase, move: str, review: str = "", outcome: str = "", note: str = ""
) -> AccountabilityCase:
    """A person confirms a suggested case (or dismisses it, with a reason), reviews it and records the
    outcome. Every move is compare-and-set on the status and audited."""
    _require(actor, A.DECIDE, case.place_path)
    if move not in _CASE_MOVES:
        raise ValidationError({"move": _("Unknown step.")})
    allowed, target = _CASE_MOVES[move]
    fields: dict = {"status": target}
    now = timezone.now()
    if move == "confirm":
        fields |= {"confirmed_by": actor, "confirmed_at": now}
    elif move == "dismiss":
        if not note.strip():
            raise ValidationError({"note": _("Please give a reason.")})
        fields |= {"outcome_note": note.strip(), "closed_by": actor, "closed_at": now}
    else:
        errors = {}
        if not review.strip():
            errors["review"] = _("Record what the review found.")
        if outcome not in CaseOutcome.values:
            errors["outcome"] = _("Choose the outcome.")
        if errors:
            raise ValidationError(errors)
        fields |= {"review": review.strip(), "outcome": outcome, "outcome_note": note.strip()}
        fields |= {"closed_by": actor, "closed_at": now}
    before = audit.snapshot(case, ["status", "outcome"])
    if not AccountabilityCase.objects.filter(pk=case.pk, status__in=allowed).update(**fields):
        raise ValidationError({"status": _("This case is not at that step any more.")})
    case.refresh_from_db()
    audit.record(
        actor=actor,
        action=f"performance.case.{move}",
        obj=case,
        before=before,
        after=audit.snapshot(case, ["status", "outcome", "review", "outcome_note"]),
    )
    return case


# --- the year's rhythm ---------------------------------------------------------------------------


def rhythm_dates(year: int) -> dict[str, dt.date]:
    """Start of year: commitments made by the end of February; 1 July: the mid-year review and
    commendations the last working day of June; year end: the last working day of the year."""
    return {
        MilestoneKind.COMMITMENTS: previous_working_day(dt.date(year, 3, 1)),
        MilestoneKind.MID_YEAR: previous_working_day(dt.date(year, 7, 1)),
        MilestoneKind.YEAR_END: previous_working_day(dt.date(year + 1, 1, 1)),
    }


@transaction.atomic
def rhythm_plan(*, actor, place, year: int, assignee) -> list[YearMilestone]:
    """Put the year's milestones on the calendar of ``place`` with a to-do each for ``assignee``
    (core to-dos remind one working day ahead and flag overdue). Running it again adds nothing."""
    _require(actor, A.MANAGE, place.path)
    _year_ok(year)
    today = timezone.localdate()
    made = []
    for kind, due in rhythm_dates(year).items():
        milestone, created = YearMilestone.objects.get_or_create(
            place=place, year=year, kind=kind, defaults={"due_on": due}
        )
        if created and due >= today:
            start = max(today, due - dt.timedelta(days=300))
            milestone.todo = todo_create(
                actor=actor,
                assignee=assignee,
                place=place,
                title=str(MilestoneKind(kind).label),
                days=min(250, working_days_between(start, due)),
                start=start,
                url="/performance/rhythm/",
            )
            milestone.save(update_fields=["todo"])
        made.append(milestone)
    audit.record(actor=actor, action="performance.rhythm.plan", obj=place, after={"year": year})
    return made


# --- the secretary's report (述职) ----------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def report_text(figures: dict) -> str:
    f = figures
    return "\n\n".join(
        [
            _(
                "1. Goals: %(items)s goal items, %(done)s completed (%(rate)s); %(practical)s practical matters, %(practical_done)s done."
            )
            % f["goals"],
            _(
                "2. Commitments: %(total)s made, %(published)s published, %(fulfilled)s fulfilled, %(broken)s not kept."
            )
            % f["commitments"],
            _("3. Branch life: %(held)s meetings held.") % f["meetings"],
            _(
                "4. Residents' requests: %(received)s received, %(closed)s closed; satisfaction %(satisfaction)s."
            )
            % f["requests"],
            _("5. Visits: %(visits)s visits to %(households)s households.") % f["visits"],
            _("6. Problems and next year's plan:"),
        ]
    )


def report_figures(*, organization, year: int) -> dict:
    """The figures of the report, read from the modules' data (最多报一次: nothing retyped)."""
    from django.db.models import Count

    from lianxin.appeals.models import Request
    from lianxin.branch.models import Meeting, MeetingStatus
    from lianxin.visits.models import Visit

    path = organization.place_path
    items = GoalItem.objects.filter(goal__year=year, goal__organization__path__startswith=organization.path)
    done = items.filter(completed_on__isnull=False)
    commitments = Commitment.objects.filter(year=year, organization__path__startswith=organization.path)
    by_status = dict(commitments.values_list("status").annotate(n=Count("id")))
    requests = Request.objects.filter(place_path__startswith=path, received_on__year=year).exclude(
        status="merged"
    )
    rated = requests.exclude(rating="")
    visits = Visit.objects.filter(place_path__startswith=path, visited_on__year=year)
    meetings = Meeting.objects.filter(
        organization__path__startswith=organization.path, status=MeetingStatus.HELD, held_on__year=year
    )
    n_items, n_done = items.count(), done.count()
    n_rated = rated.count()
    return {
        "goals": {
            "items": n_items,
            "done": n_done,
            "rate": _pct(n_done, n_items),
            "practical": items.filter(practical=True).count(),
            "practical_done": done.filter(practical=True).count(),
        },
        "commitments": {
            "total": sum(by_status.values()),
            "published": sum(by_status.get(s, 0) for s in ("published", "fulfilled", "broken")),
            "fulfilled": by_status.get("fulfilled", 0),
            "broken": by_status.get("broken", 0),
        },
        "meetings": {
            "held": meetings.count(),
            "by_type": dict(meetings.values_list("meeting_type__name").annotate(n=Count("id"))),
        },
        "requests": {
            "received": requests.count(),
            "closed": requests.filter(status="closed").count(),
            "satisfaction": _pct(rated.filter(rating__in=["satisfied", "basically"]).count(), n_rated),
        },
        "visits": {"visits": visits.count(), "households": visits.values("household").distinct().count()},
    }


@transaction.atomic
def report_compile(*, actor, organization, year: int) -> SecretaryReport:
    """Compile (or re-compile, while still a draft) the secretary's report from the data; the text
    starts from the figures and stays editable until published."""
    _require(actor, A.MANAGE, organization.place_path)
    _year_ok(year)
    figures = report_figures(organization=organization, year=year)
    report = SecretaryReport.objects.select_for_update().filter(organization=organization, year=year).first()
    if report is not None and report.status == ReportStatus.PUBLISHED:
        raise ValidationError(
            {"year": _("This report has been published and can no longer be compiled again.")}
        )
    if report is None:
        report = SecretaryReport(organization=organization, place_id=organization.place_id, year=year)
    report.secretary = organization.secretary_name
    report.figures = figures
    report.text = report_text(figures)
    report.compiled_at = timezone.now()
    report.save()
    audit.record(actor=actor, action="performance.report.compile", obj=report, after={"figures": figures})
    return report


@transaction.atomic
def report_update(*, actor, report: SecretaryReport, text: str) -> SecretaryReport:
    _require(actor, A.MANAGE, report.place_path)
    if not text.strip():
        raise ValidationError({"text": _("The report cannot be empty.")})
    before = {"text": report.text}
    if not SecretaryReport.objects.filter(pk=report.pk, status=ReportStatus.DRAFT).update(text=text.strip()):
        raise ValidationError({"text": _("A published report can no longer be edited.")})
    report.refresh_from_db()
    audit.record(
        actor=actor,
        action="performance.report.update",
        obj=report,
        before=before,
        after={"text": report.text},
    )
    return report


@transaction.atomic
def report_publish(*, actor, report: SecretaryReport) -> SecretaryReport:
    _require(actor, A.MANAGE, report.place_path)
    if not SecretaryReport.objects.filter(pk=report.pk, status=ReportStatus.DRAFT).update(
        status=ReportStatus.PUBLISHED, published_at=timezone.now()
    ):
        raise ValidationError({"text": _("This report has already been published.")})
    report = SecretaryReport.objects.select_related("organization", "place").get(pk=report.pk)
    report.board_url = publish_on_board(
        actor=actor,
        place=report.place,
        title=_("Secretary's report %(year)s: %(org)s")
        % {"year": report.year, "org": report.organization.name},
        body=report.text,
        source=report,
        source_key=f"performance.report:{report.pk}",
    )
    report.save(update_fields=["board_url"])
    audit.record(
        actor=actor, action="performance.report.publish", obj=report, after={"status": report.status}
    )
    return report
