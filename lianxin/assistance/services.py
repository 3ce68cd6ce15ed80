"""Write use-cases of assistance and benefits (D6). Each one checks access, validates, writes in one
transaction, appends an audit entry and schedules notifications.

The case workflow is the programme's list of steps: a case passes its current step to the next one
(``case_advance``), goes back to an earlier one with a reason (``case_return``) or is rejected
(``case_reject``); never forward past a step. Each move is a compare-and-set on the case's
``version``: two people approving the same step at the same moment make exactly one move.

Anti-favouritism (优亲厚友, D6): whoever declared a relative in the case's household, whoever lives in
it and whoever applied is recused from the case (``Recusal``); the case is flagged, needs a full
review at sampled steps and is listed for the supervisors (居务监督委员会).
"""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit, crypto
from lianxin.core.access import Action
from lianxin.core.calendar import add_working_days, is_working_day
from lianxin.core.notifications import notify
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household, MemberStatus, PartyMember, Resident

from .actions import AssistanceAction as A
from .models import (
    Case,
    CaseCounter,
    CaseDocument,
    CaseEvent,
    CaseStatus,
    Investigation,
    InvestigationPhoto,
    LedgerEntry,
    LedgerKind,
    Notice,
    Objection,
    Pairing,
    PairingAction,
    PairingNote,
    PanelVote,
    PaymentPlan,
    PaymentStatus,
    Programme,
    ProgrammeStep,
    ReasonCategory,
    Recusal,
    RelativeDeclaration,
    StepKind,
    VoteChoice,
)

# The place kinds at which a role assignment acts for a step of each level.
LEVEL_KINDS = {
    "community": {PlaceKind.COMMUNITY, PlaceKind.GRID},
    "subdistrict": {PlaceKind.SUBDISTRICT},
    "district": {PlaceKind.DISTRICT, PlaceKind.CITY},
}
MIN_PANEL = 3
REVIEW_REMIND_DAYS = 20
MAX_PHOTOS = 9


# --- who may act -------------------------------------------------------------------------------


def community_of(place: Place) -> Place:
    node = place
    while node is not None and node.kind != PlaceKind.COMMUNITY:
        node = node.parent
    if node is None:
        raise ValidationError({"household": _("This household is not in a community.")})
    return node


def mask_name(name: str) -> str:
    """张*明 for three characters, 张* for two, 欧阳** for four: the surname and the last character stay
    only when the name is long enough that they do not give it away."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[:2] + "*" * (len(name) - 2)


def _person_of(user):
    """The registry person a user account is (lianxin.branch.MemberAccount), if linked."""
    link = getattr(user, "person_link", None) if user is not None else None
    try:
        return link.resident if link is not None else None
    except Resident.DoesNotExist:  # pragma: no cover - cascade keeps them together
        return None


def conflicts(user, case: Case) -> list[str]:
    """Why ``user`` may not act on ``case``: their own household or application, a declared relative."""
    reasons = []
    if case.applicant_user_id and case.applicant_user_id == getattr(user, "pk", None):
        reasons.append(_("own application"))
    person = _person_of(user)
    if person is not None and person.household_id == case.household_id:
        reasons.append(_("lives in the household"))
    declared = RelativeDeclaration.objects.filter(
        declarant=user, household_id=case.household_id, ended_at__isnull=True
    ).first()
    if declared is not None:
        reasons.append(_("declared relative: %(relation)s") % {"relation": declared.get_relation_display()})
    return reasons


def is_recused(user, case: Case) -> bool:
    return bool(conflicts(user, case)) or Recusal.objects.filter(case=case, user=user).exists()


def _acting_assignments(user, step: ProgrammeStep, path: str) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    held = [(role, place_path) for role, place_path, _pk in access._assignments(user)]
    candidates = [p for role, p in held if role in step.roles and path.startswith(p)]
    if not candidates:
        return False
    return Place.objects.filter(path__in=candidates, kind__in=LEVEL_KINDS[step.level]).exists()


def can_act(user, case: Case, step: ProgrammeStep | None = None) -> bool:
    """May ``user`` act on ``case`` at its current step: a role of the step held at the step's level
    above the case, and no conflict of interest."""
    step = step or case.step
    if case.status != CaseStatus.OPEN or step is None:
        return False
    return _acting_assignments(user, step, case.place_path) and not is_recused(user, case)


def _require_act(user, case: Case, step: ProgrammeStep | None = None) -> None:
    step = step or case.step
    if case.status != CaseStatus.OPEN or step is None:
        raise ValidationError({"status": _("This case is closed.")})
    if not _acting_assignments(user, step, case.place_path):
        raise PermissionDenied(_("You do not act at the step “%(step)s”.") % {"step": step.name})
    reasons = conflicts(user, case)
    if reasons or Recusal.objects.filter(case=case, user=user).exists():
        raise PermissionDenied(
            _("You are recused from this case (%(reasons)s).")
            % {"reasons": "；".join(reasons) or _("recorded recusal")}
        )


def _step_users(case: Case, step: ProgrammeStep) -> list:
    """Who acts at ``step`` for ``case`` (for notifications), recused people left out."""
    places = Place.objects.filter(kind__in=LEVEL_KINDS[step.level]).values_list("path", flat=True)
    paths = [p for p in places if case.place_path.startswith(p)]
    users = {
        a.user
        for a in RoleAssignment.objects.filter(
            ended_at__isnull=True, role__in=step.roles, place__path__in=paths
        ).select_related("user")
    }
    recused = set(Recusal.objects.filter(case=case).values_list("user_id", flat=True))
    return [u for u in users if u.pk not in recused]


def _holders(action: str, path: str) -> list:
    """Users holding ``action`` at a place above ``path``."""
    roles = [role for role, actions in access.ROLE_ACTIONS.items() if action in actions]
    return [
        a.user
        for a in RoleAssignment.objects.filter(ended_at__isnull=True, role__in=roles).select_related(
            "user", "place"
        )
        if path.startswith(a.place.path)
    ]


def _case_url(case) -> str:
    return reverse("assistance_case", args=[case.pk])


def _notify_step(case: Case) -> None:
    if case.step is None:
        return
    users = _step_users(case, case.step)
    title = _("Assistance case %(number)s: %(step)s") % {"number": case.number, "step": case.step.name}
    body = _("Due %(date)s.") % {"date": case.due_on.isoformat()}
    notify(recipients=users, title=title, body=body, url=_case_url(case))


# --- programmes ------------------------------------------------------------------------------


@transaction.atomic
def programme_update(*, actor, programme: Programme, **fields) -> Programme:
    """Edit a programme's name, notice period or review interval (district level)."""
    access.require(actor, A.PROGRAMMES)
    allowed = {"name", "description", "notice_days", "review_months", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    if "notice_days" in fields and not 1 <= int(fields["notice_days"]) <= 60:
        raise ValidationError({"notice_days": _("The notice runs for 1 to 60 working days.")})
    before = audit.snapshot(programme, list(allowed))
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.save()
    old, new = audit.changes(before, audit.snapshot(programme, list(allowed)))
    audit.record(actor=actor, action="assistance.programme_update", obj=programme, before=old, after=new)
    return programme


# --- cases -----------------------------------------------------------------------------------


def _allocate_number(year: int) -> str:
    while True:
        if CaseCounter.objects.filter(year=year).update(last=F("last") + 1):
            serial = CaseCounter.objects.values_list("last", flat=True).get(year=year)
            return f"BF{year}-{serial:05d}"
        try:
            with transaction.atomic():
                CaseCounter.objects.create(year=year, last=1)
            return f"BF{year}-00001"
        except IntegrityError:
            continue


def _amount(value, field="amount") -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount in yuan, e.g. 650.00.")}) from None
    if amount < 0 or amount > Decimal("100000"):
        raise ValidationError({field: _("The amount must be between 0 and 100,000 yuan.")})
    return amount


def _snap(case: Case) -> dict:
    return audit.snapshot(case, ["step", "status", "version", "due_on", "amount", "flagged", "full_review"])


@transaction.atomic
def case_open(
    *,
    actor,
    programme: Programme,
    household: Household,
    applicant: Resident,
    reason_category: str,
    reason: str = "",
    amount=None,
    applicant_user=None,
) -> Case:
    """Take an application (申请): the case starts at the programme's first step (D6)."""
    access.require(actor, A.HANDLE, household.place_path)
    if not programme.active:
        raise ValidationError({"programme": _("This programme takes no applications.")})
    if applicant.household_id != household.pk or applicant.moved_out_on:
        raise ValidationError({"applicant": _("The applicant must live in the household.")})
    if reason_category not in ReasonCategory.values:
        raise ValidationError({"reason_category": _("Please choose a reason category.")})
    first = programme.steps.order_by("order").first()
    if first is None:
        raise ValidationError({"programme": _("This programme has no steps.")})
    if Case.objects.filter(programme=programme, household=household, status=CaseStatus.OPEN).exists():
        raise ValidationError({"household": _("This household already has an open case in this programme.")})
    today = timezone.localdate()
    case = Case(
        number=_allocate_number(today.year),
        programme=programme,
        household=household,
        applicant=applicant,
        applicant_user=applicant_user,
        community=community_of(household.place),
        place=household.place,
        reason_category=reason_category,
        reason=reason.strip(),
        amount=_amount(amount),
        step=first,
        step_started_on=today,
        created_by=actor,
    )
    if conflicts(actor, case):
        raise PermissionDenied(_("Nobody takes their own or a relative's application."))
    case.set_deadline(today, first.deadline_days)
    case.save()
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPEN, to_step=first, actor=actor)
    audit.record(actor=actor, action="assistance.case_open", obj=case, after=_snap(case))
    sync_conflicts(case=case, actor=actor)
    _notify_step(case)
    return case


def sync_conflicts(*, case: Case, actor=None) -> list:
    """Recuse everyone related to the case's household and flag the case when anyone is; returns the
    recusals made now. Runs at intake and whenever a relative is declared."""
    related = {}
    for declaration in RelativeDeclaration.objects.filter(
        household_id=case.household_id, ended_at__isnull=True
    ).select_related("declarant"):
        related.setdefault(declaration.declarant, declaration.get_relation_display())
    from lianxin.branch.models import MemberAccount

    for link in MemberAccount.objects.filter(resident__household_id=case.household_id).select_related("user"):
        related.setdefault(link.user, _("lives in the household"))
    if case.applicant_user_id:
        related.setdefault(case.applicant_user, _("own application"))
    made = []
    for user, why in related.items():
        recusal, created = Recusal.objects.get_or_create(
            case=case, user=user, defaults={"reason": str(why)[:200]}
        )
        if created:
            made.append(recusal)
            CaseEvent.objects.create(
                case=case, kind=CaseEvent.Kind.RECUSE, actor=actor, reason=f"{user}：{why}"
            )
    if related and not case.flagged:
        reasons = sorted({str(why) for why in related.values()})
        before = _snap(case)
        Case.objects.filter(pk=case.pk).update(flagged=True, full_review=True, flag_reasons=reasons)
        case.flagged, case.full_review, case.flag_reasons = True, True, reasons
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.FLAG, actor=actor, reason="；".join(reasons))
        audit.record(
            actor=actor,
            action="assistance.case_flag",
            obj=case,
            before=before,
            after=_snap(case) | {"recused": [u.pk for u in related]},
        )
        notify(
            recipients=_holders(A.SUPERVISE, case.place_path),
            title=_("Assistance case %(number)s is flagged for a related person") % {"number": case.number},
            url=_case_url(case),
            dedupe_key=f"assistance:flag:{case.pk}",
        )
    elif made:
        audit.record(
            actor=actor,
            action="assistance.case_recuse",
            obj=case,
            after={"recused": [r.user_id for r in made]},
        )
    return made


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("step", "programme", "household", "applicant", "community").get(
        pk=case.pk
    )


def _move(case: Case, *, to_step, status=CaseStatus.OPEN, extra=None) -> Case:
    """The compare-and-set: only the first of two concurrent moves from the same version succeeds."""
    today = timezone.localdate()
    values = {"version": case.version + 1, "status": status, "step": to_step, **(extra or {})}
    if to_step is not None and status == CaseStatus.OPEN:
        probe = Case(step_started_on=today)
        probe.set_deadline(today, to_step.deadline_days)
        values |= {
            "step_started_on": today,
            "due_from": probe.due_from,
            "due_days": probe.due_days,
            "due_on": probe.due_on,
            "due_provisional": probe.due_provisional,
        }
    if status != CaseStatus.OPEN:
        values["closed_at"] = timezone.now()
    moved = Case.objects.filter(pk=case.pk, version=case.version, status=CaseStatus.OPEN).update(**values)
    if not moved:
        raise ValidationError({"step": _("This case has already moved on; please reload it.")})
    return _fresh(case)


def _check_documents(case: Case, step: ProgrammeStep) -> None:
    have = set(case.documents.values_list("name", flat=True))
    missing = [name for name in step.required_documents if name not in have]
    if missing:
        raise ValidationError(
            {"documents": _("Missing documents: %(names)s.") % {"names": "、".join(missing)}}
        )


def current_notice(case: Case) -> Notice | None:
    return case.notices.filter(withdrawn_at__isnull=True).order_by("-published_at", "-id").first()


def notice_period_over(notice: Notice, today: dt.date) -> bool:
    return today > notice.ends_on


def tally(case: Case, round_: int | None = None) -> dict:
    votes = list(case.votes.filter(round=round_ or case.vote_round))
    counts = {choice: sum(1 for v in votes if v.choice == choice) for choice in VoteChoice.values}
    return {
        **counts,
        "total": len(votes),
        "passed": len(votes) >= MIN_PANEL and counts[VoteChoice.FOR] * 2 > len(votes),
        "votes": votes,
    }


def _check_step_done(case: Case, step: ProgrammeStep, *, actor, review_note: str) -> None:
    today = timezone.localdate()
    _check_documents(case, step)
    if step.kind == StepKind.INVESTIGATE and not Investigation.objects.filter(case=case).exists():
        raise ValidationError({"investigation": _("Record the home investigation first.")})
    if step.kind == StepKind.DELIBERATE:
        result = tally(case)
        if result["total"] < MIN_PANEL:
            raise ValidationError(
                {"votes": _("The panel needs at least %(count)d votes.") % {"count": MIN_PANEL}}
            )
        if not result["passed"]:
            raise ValidationError(
                {"votes": _("The panel did not vote for the application; reject or return it.")}
            )
    if step.kind == StepKind.NOTICE:
        notice = current_notice(case)
        if notice is None:
            raise ValidationError(
                {"notice": _("The case must be publicly noticed before it can pass this step.")}
            )
        if not notice_period_over(notice, today):
            raise ValidationError(
                {"notice": _("The public notice runs until %(date)s.") % {"date": notice.ends_on.isoformat()}}
            )
        objections = notice.objections.all()
        if any(o.answered_at is None for o in objections):
            raise ValidationError({"objections": _("Every objection must be answered first.")})
        if any(o.upheld for o in objections):
            raise ValidationError({"objections": _("An objection was upheld: return or reject the case.")})
    if step.sampled and case.full_review and not review_note.strip():
        raise ValidationError(
            {
                "review_note": _(
                    "This case is flagged: record the findings of a full review, not a sample check."
                )
            }
        )
    if step.four_eyes:
        previous = case.events.filter(kind=CaseEvent.Kind.ADVANCE).order_by("-at", "-id").first()
        if previous is not None and previous.actor_id == actor.pk:
            raise PermissionDenied(_("A second person must complete this step."))
    if step.kind == StepKind.PAY and case.programme.pays_monthly and case.amount is None:
        raise ValidationError({"amount": _("Set the monthly amount first.")})


@transaction.atomic
def documents_receive(*, actor, case: Case, names: list[str]) -> list[CaseDocument]:
    """Record that staff saw the documents (户口簿, 收入证明 …)."""
    case = _fresh(case)
    _require_act(actor, case)
    made = []
    for name in {n.strip() for n in names if n and n.strip()}:
        document, created = CaseDocument.objects.get_or_create(
            case=case, name=name[:60], defaults={"received_by": actor}
        )
        if created:
            made.append(document)
    if made:
        audit.record(
            actor=actor, action="assistance.documents", obj=case, after={"documents": [d.name for d in made]}
        )
    return made


@transaction.atomic
def case_advance(
    *,
    actor,
    case: Case,
    note: str = "",
    review_note: str = "",
    documents=(),
    amount=None,
    expected_version=None,
) -> Case:
    """Pass the current step; the case moves to the next step (never further). The notice step
    passes only after its period ended and every objection is answered (D6)."""
    case = _fresh(case)
    if expected_version is not None and int(expected_version) != case.version:
        raise ValidationError({"step": _("This case has already moved on; please reload it.")})
    step = case.step
    _require_act(actor, case)
    if documents:
        documents_receive(actor=actor, case=case, names=list(documents))
    if amount not in (None, ""):
        new_amount = _amount(amount)
        if step.kind == StepKind.NOTICE or (
            current_notice(case) is not None
            and new_amount != case.amount
            and step.order > _notice_order(case)
        ):
            raise ValidationError(
                {"amount": _("The amount was noticed publicly; return the case to change it.")}
            )
        Case.objects.filter(pk=case.pk).update(amount=new_amount)
        case.amount = new_amount
    _check_step_done(case, step, actor=actor, review_note=review_note)
    following = case.programme.steps.filter(order__gt=step.order).order_by("order").first()
    before = _snap(case)
    if following is None:
        moved = _move(case, to_step=step, status=CaseStatus.APPROVED)
        if case.programme.pays_monthly:
            _payment_start(actor=actor, case=moved)
    else:
        moved = _move(case, to_step=following)
    CaseEvent.objects.create(
        case=moved,
        kind=CaseEvent.Kind.ADVANCE,
        from_step=step,
        to_step=following,
        actor=actor,
        reason="\n".join(t for t in (note.strip(), review_note.strip()) if t),
    )
    audit.record(
        actor=actor,
        action="assistance.case_advance",
        obj=moved,
        before=before,
        after=_snap(moved),
        reason=review_note.strip() or note.strip(),
    )
    if moved.status == CaseStatus.OPEN:
        _notify_step(moved)
    elif moved.applicant_user_id:
        notify(
            recipients=[moved.applicant_user],
            title=_("Your application %(number)s was approved") % {"number": moved.number},
        )
    return moved


def _notice_order(case: Case) -> int:
    notice_step = case.programme.steps.filter(kind=StepKind.NOTICE).first()
    return notice_step.order if notice_step else 0


@transaction.atomic
def case_return(*, actor, case: Case, to_step: ProgrammeStep, reason: str) -> Case:
    """Send the case back to an earlier step, with a reason (D6). A notice already published is
    withdrawn when the case goes back before it; the deliberation then votes again."""
    case = _fresh(case)
    step = case.step
    _require_act(actor, case)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for returning the case.")})
    if to_step.programme_id != case.programme_id or to_step.order >= step.order:
        raise ValidationError({"to_step": _("A case can only go back to an earlier step.")})
    before = _snap(case)
    extra = {}
    deliberate = case.programme.steps.filter(kind=StepKind.DELIBERATE).first()
    if deliberate is not None and to_step.order <= deliberate.order < step.order:
        extra["vote_round"] = case.vote_round + 1
    moved = _move(case, to_step=to_step, extra=extra)
    if to_step.order <= _notice_order(case):
        _withdraw_notices(actor, case, _("The case was returned for further work."))
    CaseEvent.objects.create(
        case=moved,
        kind=CaseEvent.Kind.RETURN,
        from_step=step,
        to_step=to_step,
        actor=actor,
        reason=reason.strip(),
    )
    audit.record(
        actor=actor,
        action="assistance.case_return",
        obj=moved,
        before=before,
        after=_snap(moved),
        reason=reason.strip(),
    )
    _notify_step(moved)
    return moved


@transaction.atomic
def case_reject(*, actor, case: Case, reason: str) -> Case:
    """Refuse the application at the current step, with a reason."""
    case = _fresh(case)
    step = case.step
    _require_act(actor, case)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for the rejection.")})
    before = _snap(case)
    moved = _move(case, to_step=step, status=CaseStatus.REJECTED)
    _withdraw_notices(actor, case, _("The application was not approved."), running_only=True)
    CaseEvent.objects.create(
        case=moved, kind=CaseEvent.Kind.REJECT, from_step=step, actor=actor, reason=reason.strip()
    )
    audit.record(
        actor=actor,
        action="assistance.case_reject",
        obj=moved,
        before=before,
        after=_snap(moved),
        reason=reason.strip(),
    )
    if moved.applicant_user_id:
        notify(
            recipients=[moved.applicant_user],
            title=_("Your application %(number)s was not approved") % {"number": moved.number},
            body=reason.strip(),
        )
    return moved


# --- 调查 home investigation ---------------------------------------------------------------------


def _check_upload(name: str, data: bytes):
    # The requests module's check: type by the first bytes, size cap (settings).
    from lianxin.appeals.services import check_upload

    try:
        return check_upload(name, data)
    except ValidationError as exc:
        raise ValidationError({"photos": exc.message_dict.get("attachments", exc.messages)}) from None


def _read(upload) -> tuple[str, bytes]:
    from lianxin.appeals.services import _read_upload

    return _read_upload(upload)


@transaction.atomic
def investigation_record(
    *,
    actor,
    case: Case,
    first_investigator,
    second_investigator,
    visited_on: dt.date,
    household_size: int,
    composition: str = "",
    income: str = "",
    health: str = "",
    findings: str = "",
    photos=(),
) -> Investigation:
    """The home investigation (入户调查) by two people, both able to act here and neither related."""
    case = _fresh(case)
    _require_act(actor, case)
    if case.step.kind != StepKind.INVESTIGATE:
        raise ValidationError({"step": _("The case is not at the investigation step.")})
    if first_investigator is None or second_investigator is None or first_investigator == second_investigator:
        raise ValidationError({"second_investigator": _("Two different investigators are needed.")})
    for field, person in (
        ("first_investigator", first_investigator),
        ("second_investigator", second_investigator),
    ):
        if not _acting_assignments(person, case.step, case.place_path):
            raise ValidationError({field: _("%(name)s does not investigate here.") % {"name": person}})
        if is_recused(person, case):
            raise ValidationError({field: _("%(name)s is recused from this case.") % {"name": person}})
    if visited_on is None or visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The visit date cannot be in the future.")})
    if not household_size or int(household_size) < 1 or int(household_size) > 30:
        raise ValidationError({"household_size": _("Enter the number of people (1–30).")})
    if not (findings or "").strip():
        raise ValidationError({"findings": _("Please record what the investigation found.")})
    uploads = [_read(upload) for upload in photos]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": _("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS}})
    checked = [(name, data, *_check_upload(name, data)) for name, data in uploads]
    for name, _data, content_type, _ext in checked:
        if not content_type.startswith("image/"):
            raise ValidationError({"photos": _("“%(name)s” is not a photo.") % {"name": name}})
    investigation = Investigation.objects.filter(case=case).first()
    before = None
    if investigation is None:
        investigation = Investigation(case=case, recorded_by=actor)
    else:
        before = audit.snapshot(
            investigation, ["first_investigator", "second_investigator", "visited_on", "household_size"]
        )
    investigation.first_investigator = first_investigator
    investigation.second_investigator = second_investigator
    investigation.visited_on = visited_on
    investigation.household_size = int(household_size)
    investigation.composition_enc = crypto.encrypt(composition.strip())
    investigation.income_enc = crypto.encrypt(str(income).strip())
    investigation.health_enc = crypto.encrypt(health.strip())
    investigation.findings_enc = crypto.encrypt(findings.strip())
    investigation.recorded_by = actor
    investigation.save()
    for name, data, content_type, extension in checked:
        photo = InvestigationPhoto(
            investigation=investigation,
            token=secrets.token_hex(16),
            extension=extension,
            original_name=name.replace("/", "_").replace("\\", "_")[-120:],
            content_type=content_type,
            size=len(data),
            uploaded_by=actor,
        )
        photo.file.save("upload", ContentFile(data), save=False)
        photo.save()
    after = audit.snapshot(
        investigation, ["first_investigator", "second_investigator", "visited_on", "household_size"]
    )
    # The sensitive values stay out of the log; that they were written goes in.
    after["sensitive_fields_written"] = [
        k
        for k, v in (
            ("composition", composition),
            ("income", income),
            ("health", health),
            ("findings", findings),
        )
        if str(v).strip()
    ]
    after["photos_added"] = len(checked)
    audit.record(actor=actor, action="assistance.investigation", obj=case, before=before, after=after)
    return investigation


def investigation_reveal(*, actor, investigation: Investigation, field: str, reason: str) -> str:
    """The clear value of a sensitive finding, for someone allowed to see it, with a reason; audited."""
    if field not in Investigation.SENSITIVE_FIELDS:
        raise ValidationError({"field": _("Unknown field.")})
    case = investigation.case
    access.require(actor, A.VIEW, case.place_path)
    access.require(actor, Action.REVEAL_SENSITIVE, case.place_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for viewing this.")})
    with transaction.atomic():
        audit.record_reveal(actor=actor, obj=case, field=f"investigation.{field}", reason=reason)
    return crypto.decrypt(getattr(investigation, Investigation.SENSITIVE_FIELDS[field]))


# --- 评议 deliberation ---------------------------------------------------------------------------


@transaction.atomic
def vote_record(
    *, actor, case: Case, voter_name: str, panel_role: str, choice: str, voter=None, comment: str = ""
) -> PanelVote:
    """One panel member's vote, by name (民主评议). A panel member related to the household is recused."""
    case = _fresh(case)
    _require_act(actor, case)
    if case.step.kind != StepKind.DELIBERATE:
        raise ValidationError({"step": _("The case is not at the deliberation step.")})
    voter_name = (voter_name or "").strip() or (str(voter) if voter else "")
    if not voter_name:
        raise ValidationError({"voter_name": _("Please enter the panel member's name.")})
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": _("Choose for, against or abstain.")})
    if panel_role not in ("member", "representative"):
        raise ValidationError({"panel_role": _("Choose committee member or residents' representative.")})
    if voter is not None and is_recused(voter, case):
        raise ValidationError({"voter": _("%(name)s is recused from this case.") % {"name": voter_name}})
    household_names = set(
        case.household.members.filter(moved_out_on__isnull=True).values_list("name", flat=True)
    )
    if voter_name in household_names:
        raise ValidationError({"voter_name": _("A member of the household cannot vote on it.")})
    try:
        with transaction.atomic():
            vote = PanelVote.objects.create(
                case=case,
                voter_name=voter_name[:60],
                voter=voter,
                panel_role=panel_role,
                choice=choice,
                comment=(comment or "").strip()[:200],
                round=case.vote_round,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"voter_name": _("%(name)s has already voted.") % {"name": voter_name}}
        ) from None
    audit.record(
        actor=actor,
        action="assistance.vote",
        obj=case,
        after={"voter": voter_name, "panel_role": panel_role, "choice": choice, "round": case.vote_round},
    )
    return vote


# --- 公示 public notice and objections -----------------------------------------------------------


def notice_ends_on(starts_on: dt.date, days: int) -> tuple[dt.date, bool]:
    """The last day of a notice running ``days`` working days from ``starts_on`` (counted when it is
    a working day)."""
    first_counts = is_working_day(starts_on)
    deadline = add_working_days(starts_on, days - 1 if first_counts else days)
    return deadline.due, deadline.provisional


def notice_body(notice: Notice) -> str:
    """The public text: only the allow-listed fields (D6)."""
    amount = f"{notice.amount}元/月" if notice.amount is not None else "—"
    return "\n".join(
        [
            f"{_('Programme')}：{notice.programme_name}",
            f"{_('Assistance applicant')}：{notice.masked_name}",
            f"{_('Community')}：{notice.community_name}",
            f"{_('Monthly amount')}：{amount}",
            f"{_('Reason')}：{notice.get_reason_category_display()}",
            f"{_('Notice period')}：{notice.starts_on.isoformat()} — {notice.ends_on.isoformat()}",
        ]
    )


def _board_publish():
    try:
        from lianxin.disclosure import services as disclosure
    except ImportError:
        return None
    return getattr(disclosure, "publish", None)


@transaction.atomic
def notice_publish(*, actor, case: Case, starts_on: dt.date | None = None) -> Notice:
    """Publish the case for N working days (the programme's notice period, default 7), with only the
    masked name, community, amount and reason category; also on the disclosure board when it exists."""
    case = _fresh(case)
    _require_act(actor, case)
    if case.step.kind != StepKind.NOTICE:
        raise ValidationError({"step": _("The case is not at the public notice step.")})
    if current_notice(case) is not None:
        raise ValidationError({"notice": _("This case is already noticed.")})
    today = timezone.localdate()
    starts_on = starts_on or today
    if starts_on < today:
        raise ValidationError({"starts_on": _("A notice cannot start in the past.")})
    days = case.programme.notice_days
    ends_on, _provisional = notice_ends_on(starts_on, days)
    notice = Notice.objects.create(
        case=case,
        place=case.community,
        masked_name=mask_name(case.applicant.name),
        community_name=case.community.name,
        programme_name=case.programme.name,
        amount=case.amount,
        reason_category=case.reason_category,
        starts_on=starts_on,
        ends_on=ends_on,
        days=days,
        published_by=actor,
    )
    publish = _board_publish()
    if publish is not None:
        body = notice_body(notice) + "\n" + _("Objections: %(url)s") % {"url": notice.get_absolute_url()}
        item = publish(
            actor=actor,
            place=case.community,
            section="affairs",
            title=_("Public notice: %(programme)s, %(name)s")
            % {"programme": notice.programme_name, "name": notice.masked_name},
            body=body,
            kind="immediate",
            starts_on=starts_on,
            ends_on=ends_on,
            source=notice,
            source_key=f"assistance-notice-{notice.pk}",
        )
        url = item.get_absolute_url() if hasattr(item, "get_absolute_url") else ""
        Notice.objects.filter(pk=notice.pk).update(board_item_id=item.pk, board_item_url=url)
        notice.board_item_id, notice.board_item_url = item.pk, url
    audit.record(
        actor=actor,
        action="assistance.notice_publish",
        obj=case,
        after={
            "notice": notice.pk,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "days": days,
            "board_item": notice.board_item_id,
        },
    )
    return notice


def _withdraw_notices(actor, case: Case, why: str, running_only: bool = False) -> None:
    """Withdraw the case's notices; a board copy gets a correction saying so (the old version stays
    visible, marked corrected, as the board does)."""
    notices = case.notices.filter(withdrawn_at__isnull=True)
    if running_only:
        notices = notices.filter(ends_on__gte=timezone.localdate())
    publish = _board_publish()
    for notice in notices:
        Notice.objects.filter(pk=notice.pk).update(withdrawn_at=timezone.now())
        if notice.board_item_id and publish is not None:
            publish(
                actor=actor,
                place=case.community,
                section="affairs",
                title=_("Public notice withdrawn: %(programme)s, %(name)s")
                % {"programme": notice.programme_name, "name": notice.masked_name},
                body=notice_body(notice) + "\n" + _("This notice is withdrawn: %(why)s") % {"why": why},
                kind="immediate",
                starts_on=notice.starts_on,
                ends_on=notice.ends_on,
                source=notice,
                source_key=f"assistance-notice-{notice.pk}",
            )


def _check_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
        raise ValidationError({"phone": _("Enter a phone number of digits only.")})
    return phone


@transaction.atomic
def objection_file(
    *, notice: Notice, text: str, anonymous: bool = True, name: str = "", phone: str = ""
) -> Objection:
    """A resident's objection to a notice, from the portal (no login; anonymous allowed)."""
    notice = Notice.objects.select_for_update().select_related("case").get(pk=notice.pk)
    today = timezone.localdate()
    if notice.withdrawn_at is not None or not (notice.starts_on <= today <= notice.ends_on):
        raise ValidationError({"text": _("This notice is not open for objections.")})
    text = (text or "").strip()
    if len(text) < 5:
        raise ValidationError({"text": _("Please describe the objection (at least 5 characters).")})
    if len(text) > 2000:
        raise ValidationError({"text": _("Please keep the objection under 2,000 characters.")})
    phone = _check_phone(phone)
    name = (name or "").strip()[:60]
    if not anonymous and not name:
        raise ValidationError({"name": _("Please give your name, or file anonymously.")})
    objection = Objection.objects.create(
        notice=notice,
        place_id=notice.place_id,
        text=text,
        anonymous=bool(anonymous),
        name="" if anonymous else name,
        phone_enc=crypto.encrypt(phone),
    )
    audit.record(
        actor=None,
        action="assistance.objection_file",
        obj=objection,
        after={"notice": notice.pk, "anonymous": bool(anonymous)},
    )
    case = notice.case
    recipients = [u for u in _holders(A.HANDLE, case.community.path) if not is_recused(u, case)]
    recipients += _holders(A.SUPERVISE, case.place_path)
    notify(
        recipients=recipients,
        title=_("Objection to the notice of case %(number)s") % {"number": case.number},
        url=_case_url(case),
    )
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, answer: str, upheld: bool = False) -> Objection:
    """Answer an objection (once). A case cannot pass its notice while one is unanswered."""
    objection = Objection.objects.select_related("notice__case").get(pk=objection.pk)
    case = objection.notice.case
    access.require(actor, A.HANDLE, objection.place_path)
    if is_recused(actor, case):
        raise PermissionDenied(_("You are recused from this case."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Please write the answer.")})
    updated = Objection.objects.filter(pk=objection.pk, answered_at__isnull=True).update(
        answer=answer, upheld=bool(upheld), answered_by=actor, answered_at=timezone.now()
    )
    if not updated:
        raise ValidationError({"answer": _("This objection is already answered.")})
    objection.refresh_from_db()
    audit.record(
        actor=actor,
        action="assistance.objection_answer",
        obj=objection,
        before={"answer": ""},
        after={"answer": answer, "upheld": bool(upheld)},
    )
    return objection


# --- relatives ---------------------------------------------------------------------------------


@transaction.atomic
def relative_declare(
    *, actor, household: Household, relation: str, resident=None, note: str = ""
) -> RelativeDeclaration:
    """Staff, cadres and panel members declare their relatives' households; every open case of that
    household is flagged and the declarant recused from it (D6)."""
    access.require(actor, A.DECLARE)
    from .models import Relation

    if relation not in Relation.values:
        raise ValidationError({"relation": _("Please choose the relation.")})
    if resident is not None and resident.household_id != household.pk:
        raise ValidationError({"resident": _("This person does not live in that household.")})
    if RelativeDeclaration.objects.filter(
        declarant=actor, household=household, ended_at__isnull=True
    ).exists():
        raise ValidationError({"household": _("You have already declared this household.")})
    declaration = RelativeDeclaration.objects.create(
        declarant=actor,
        household=household,
        place=household.place,
        resident=resident,
        relation=relation,
        note=note.strip()[:200],
    )
    audit.record(
        actor=actor,
        action="assistance.relative_declare",
        obj=declaration,
        after={"household": household.pk, "relation": relation, "resident": getattr(resident, "pk", None)},
    )
    for case in Case.objects.filter(household=household, status=CaseStatus.OPEN):
        sync_conflicts(case=case, actor=actor)
    return declaration


@transaction.atomic
def relative_end(*, actor, declaration: RelativeDeclaration, reason: str) -> RelativeDeclaration:
    """End one's own declaration (moved away, divorce …). Recusals already made stay."""
    if declaration.declarant_id != actor.pk:
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    if not RelativeDeclaration.objects.filter(pk=declaration.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    ):
        raise ValidationError({"relation": _("This declaration has already ended.")})
    declaration.refresh_from_db()
    audit.record(actor=actor, action="assistance.relative_end", obj=declaration, reason=reason.strip())
    return declaration


# --- payments (发放) ----------------------------------------------------------------------------


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    from calendar import monthrange

    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def _payment_start(*, actor, case: Case) -> PaymentPlan:
    today = timezone.localdate()
    start = _month(_add_months(today, 1)) if today.day > 20 else _month(today)
    plan = PaymentPlan.objects.create(
        case=case,
        household=case.household,
        place=case.place,
        monthly_amount=case.amount,
        starts_on=start,
        review_on=_add_months(today, case.programme.review_months),
    )
    audit.record(
        actor=actor,
        action="assistance.payment_start",
        obj=plan,
        after=audit.snapshot(plan, ["monthly_amount", "starts_on", "review_on"]),
    )
    return plan


def _require_pay(actor, plan: PaymentPlan) -> None:
    access.require(actor, A.PAY, plan.place_path)
    if is_recused(actor, plan.case):
        raise PermissionDenied(_("You are recused from this case."))


@transaction.atomic
def payments_run(*, actor, month: dt.date) -> list[LedgerEntry]:
    """Record the month's payment of every active plan in the actor's scope (once per plan and month)."""
    access.require(actor, A.PAY)
    month = _month(month)
    plans = access.restrict(
        PaymentPlan.objects.filter(status=PaymentStatus.ACTIVE, starts_on__lte=month), actor, A.PAY
    )
    recused = set(Recusal.objects.filter(user=actor).values_list("case_id", flat=True))
    done = set(
        LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT, month=month).values_list("plan_id", flat=True)
    )
    made = []
    for plan in plans.select_related("case"):
        if plan.pk in done or plan.case_id in recused:
            continue
        try:
            with transaction.atomic():
                made.append(
                    LedgerEntry.objects.create(
                        plan=plan,
                        household_id=plan.household_id,
                        place_id=plan.place_id,
                        kind=LedgerKind.PAYMENT,
                        month=month,
                        amount=plan.monthly_amount,
                        recorded_by=actor,
                    )
                )
        except IntegrityError:
            continue
    if made:
        audit.record(
            actor=actor,
            action="assistance.payments_run",
            after={"month": month, "plans": [e.plan_id for e in made], "total": sum(e.amount for e in made)},
        )
    return made


def _plan_status(*, actor, plan: PaymentPlan, old: str, new: str, kind: str, reason: str) -> PaymentPlan:
    _require_pay(actor, plan)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    if not PaymentPlan.objects.filter(pk=plan.pk, status=old).update(
        status=new, status_reason=reason.strip()[:200], version=F("version") + 1
    ):
        raise ValidationError(
            {"status": _("The payments are already %(status)s.") % {"status": PaymentStatus(new).label}}
        )
    plan.refresh_from_db()
    LedgerEntry.objects.create(
        plan=plan,
        household_id=plan.household_id,
        place_id=plan.place_id,
        kind=kind,
        note=reason.strip()[:200],
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action=f"assistance.payment_{kind}",
        obj=plan,
        before={"status": old},
        after={"status": new},
        reason=reason.strip(),
    )
    return plan


@transaction.atomic
def payment_stop(*, actor, plan: PaymentPlan, reason: str) -> PaymentPlan:
    return _plan_status(
        actor=actor,
        plan=plan,
        old=PaymentStatus.ACTIVE,
        new=PaymentStatus.STOPPED,
        kind=LedgerKind.STOP,
        reason=reason,
    )


@transaction.atomic
def payment_resume(*, actor, plan: PaymentPlan, reason: str) -> PaymentPlan:
    return _plan_status(
        actor=actor,
        plan=plan,
        old=PaymentStatus.STOPPED,
        new=PaymentStatus.ACTIVE,
        kind=LedgerKind.RESUME,
        reason=reason,
    )


@transaction.atomic
def payment_review(*, actor, plan: PaymentPlan, note: str, monthly_amount=None) -> PaymentPlan:
    """The yearly review (年审): the next review date moves on; the amount may change."""
    _require_pay(actor, plan)
    if not (note or "").strip():
        raise ValidationError({"note": _("Please record the review's findings.")})
    before = audit.snapshot(plan, ["monthly_amount", "review_on"])
    amount = _amount(monthly_amount, "monthly_amount")
    if amount is not None:
        plan.monthly_amount = amount
    plan.review_on = _add_months(timezone.localdate(), plan.case.programme.review_months)
    plan.save(update_fields=["monthly_amount", "review_on"])
    LedgerEntry.objects.create(
        plan=plan,
        household_id=plan.household_id,
        place_id=plan.place_id,
        kind=LedgerKind.REVIEW,
        amount=plan.monthly_amount,
        note=note.strip()[:200],
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="assistance.payment_review",
        obj=plan,
        before=before,
        after=audit.snapshot(plan, ["monthly_amount", "review_on"]),
    )
    return plan


def payments_remind(*, today: dt.date | None = None) -> int:
    """Tick handler: remind the community's payers of yearly reviews due within 20 days (once each)."""
    today = today or timezone.localdate()
    sent = 0
    plans = PaymentPlan.objects.filter(
        status=PaymentStatus.ACTIVE, review_on__lte=today + dt.timedelta(days=REVIEW_REMIND_DAYS)
    )
    for plan in plans.select_related("case"):
        with transaction.atomic():
            sent += len(
                notify(
                    recipients=_holders(A.PAY, plan.place_path),
                    title=_("Yearly review of assistance case %(number)s is due by %(date)s")
                    % {"number": plan.case.number, "date": plan.review_on.isoformat()},
                    url=_case_url(plan.case),
                    dedupe_key=f"assistance:review:{plan.pk}:{plan.review_on.isoformat()}",
                )
            )
    return sent


# --- 一联一 pairing -------------------------------------------------------------------------------


def _require_pair(actor, household) -> None:
    access.require(actor, A.PAIR, household.place_path)


@transaction.atomic
def pairing_create(
    *, actor, member: PartyMember, household: Household, plan: str = "", started_on=None, actions=()
) -> Pairing:
    """Pair a party member with a household in difficulty (一联一), with a plan of actions and dates."""
    _require_pair(actor, household)
    if member.status != MemberStatus.ACTIVE:
        raise ValidationError({"member": _("Only an active party member can be paired.")})
    if not access.restrict(PartyMember.objects.filter(pk=member.pk), actor, A.PAIR).exists():
        raise ValidationError({"member": _("This party member is not in your community.")})
    if not household.difficulties.filter(ended_on__isnull=True).exists():
        raise ValidationError({"household": _("Only a household with a recorded difficulty is paired.")})
    if member.resident.household_id == household.pk:
        raise ValidationError({"member": _("A member cannot be paired with their own household.")})
    if Pairing.objects.filter(household=household, ended_on__isnull=True).exists():
        raise ValidationError({"household": _("This household is already paired.")})
    if Pairing.objects.filter(member=member, ended_on__isnull=True).exists():
        raise ValidationError({"member": _("This member is already paired with a household.")})
    pairing = Pairing.objects.create(
        member=member,
        household=household,
        place=household.place,
        plan=plan.strip(),
        started_on=started_on or timezone.localdate(),
        created_by=actor,
    )
    for text, due_on in actions:
        _action_add(pairing, text, due_on)
    audit.record(
        actor=actor,
        action="assistance.pairing_create",
        obj=pairing,
        after={"member": member.pk, "household": household.pk},
    )
    return pairing


def _action_add(pairing, text, due_on) -> PairingAction:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"actions": _("Each action needs a description.")})
    if due_on is None:
        raise ValidationError({"actions": _("Each action needs a date.")})
    return PairingAction.objects.create(pairing=pairing, text=text[:200], due_on=due_on)


@transaction.atomic
def pairing_action_add(*, actor, pairing: Pairing, text: str, due_on: dt.date) -> PairingAction:
    _require_pair(actor, pairing.household)
    made = _action_add(pairing, text, due_on)
    audit.record(
        actor=actor, action="assistance.pairing_action", obj=pairing, after={"action": text, "due_on": due_on}
    )
    return made


@transaction.atomic
def pairing_action_done(*, actor, action: PairingAction, done_on=None) -> PairingAction:
    pairing = action.pairing
    if not (_is_member_of(actor, pairing) or access.can(actor, A.PAIR, pairing.place_path)):
        raise PermissionDenied
    if not PairingAction.objects.filter(pk=action.pk, done_on__isnull=True).update(
        done_on=done_on or timezone.localdate()
    ):
        raise ValidationError({"done_on": _("This action is already done.")})
    action.refresh_from_db()
    audit.record(
        actor=actor,
        action="assistance.pairing_action_done",
        obj=pairing,
        after={"action": action.pk, "done_on": action.done_on},
    )
    return action


def _is_member_of(actor, pairing: Pairing) -> bool:
    person = _person_of(actor)
    return person is not None and person.pk == pairing.member.resident_id


@transaction.atomic
def pairing_note_add(*, actor, pairing: Pairing, text: str) -> PairingNote:
    """A progress note, by the paired member or the community."""
    if not (_is_member_of(actor, pairing) or access.can(actor, A.PAIR, pairing.place_path)):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Please write the progress.")})
    note = PairingNote.objects.create(pairing=pairing, text=text[:2000], author=actor)
    audit.record(actor=actor, action="assistance.pairing_note", obj=pairing, after={"note": note.pk})
    return note


@transaction.atomic
def pairing_end(*, actor, pairing: Pairing, reason: str) -> Pairing:
    _require_pair(actor, pairing.household)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    if not Pairing.objects.filter(pk=pairing.pk, ended_on__isnull=True).update(ended_on=timezone.localdate()):
        raise ValidationError({"ended_on": _("This pairing has already ended.")})
    pairing.refresh_from_db()
    audit.record(actor=actor, action="assistance.pairing_end", obj=pairing, reason=reason.strip())
    return pairing
