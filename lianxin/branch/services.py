"""Writes of branch life (D3). Each: check access → validate → write → audit, in one transaction;
notifications leave after commit (lianxin.core.notifications)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, F, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit, tree
from lianxin.core.access import ROLE_ACTIONS, Action, Role
from lianxin.core.models import Todo, TodoStatus
from lianxin.core.notifications import notify
from lianxin.core.services import todo_create
from lianxin.places.models import PartyOrganization
from lianxin.registry import services as registry_services
from lianxin.registry.models import Difficulty, DifficultyTag, MemberKind, MemberStatus, PartyMember, Resident

from . import conf
from .compliance import OPEN, _org_rows, grid_queryset, meeting_types
from .models import (
    RECRUIT_ORDER,
    RESERVE_ORDER,
    Appraisal,
    Attendance,
    Education,
    HardshipApplication,
    HardshipPayment,
    HardshipStatus,
    Meeting,
    MeetingAttachment,
    MeetingStatus,
    MeetingType,
    MemberAccount,
    Post,
    PostHolding,
    PostHoldingStatus,
    Recruit,
    RecruitEvent,
    RecruitStage,
    ReserveCadre,
    ReserveStage,
    VisitCause,
    VisitRecord,
    VisitTask,
    VisitTaskStatus,
    VisitTrigger,
)

MEETING_FIELDS = [
    "organization",
    "meeting_type",
    "status",
    "topic",
    "planned_on",
    "held_on",
    "location",
    "chair",
    "late_entry",
    "late_reason",
]


# --- who runs a branch -----------------------------------------------------------------------------


def branch_managers_by_path() -> dict[str, list]:
    """Active holders of MANAGE_BRANCH, by the path of the place they hold it at (one query)."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.MANAGE_BRANCH in actions]
    result: dict[str, list] = {}
    for assignment in (
        RoleAssignment.objects.filter(ended_at__isnull=True, role__in=roles, user__is_active=True)
        .select_related("user", "place")
        .order_by("user__username")
    ):
        result.setdefault(assignment.place.path, []).append((_rank(assignment.role), assignment.user))
    return {path: _users(pairs) for path, pairs in result.items()}


def _rank(role: str) -> int:
    return Role.values.index(role)


def _users(pairs) -> list:
    """Users by role rank (the secretary before committee members), each once."""
    users = []
    for _position, user in sorted(pairs, key=lambda pair: pair[0]):
        if user not in users:
            users.append(user)
    return users


def nearest_managers(path: str, by_path: dict[str, list] | None = None) -> list:
    """The MANAGE_BRANCH holders nearest above ``path`` (the community secretary, usually)."""
    if by_path is None:
        roles = [role for role, actions in ROLE_ACTIONS.items() if Action.MANAGE_BRANCH in actions]
        by_path = {}
        for assignment in (
            RoleAssignment.objects.filter(
                ended_at__isnull=True,
                role__in=roles,
                user__is_active=True,
                place__path__in=[*tree.ancestors_of(path), path],
            )
            .select_related("user", "place")
            .order_by("user__username")
        ):
            by_path.setdefault(assignment.place.path, []).append((_rank(assignment.role), assignment.user))
        by_path = {key: _users(pairs) for key, pairs in by_path.items()}
    for candidate in [path, *reversed(tree.ancestors_of(path))]:
        if by_path.get(candidate):
            return by_path[candidate]
    return []


# --- meetings ----------------------------------------------------------------------------------------


def _check_type(meeting_type: MeetingType, organization: PartyOrganization) -> dict:
    if organization.kind not in meeting_type.org_kinds:
        return {
            "meeting_type": _("A %(kind)s does not hold this kind of meeting.")
            % {"kind": organization.get_kind_display()}
        }
    return {}


@transaction.atomic
def meeting_plan(
    *,
    actor,
    organization: PartyOrganization,
    meeting_type: MeetingType,
    topic: str,
    planned_on: dt.date,
    location: str = "",
    chair: str = "",
) -> Meeting:
    """Put a meeting on the organization's plan (D3)."""
    organization = PartyOrganization.objects.get(pk=organization.pk)
    access.require(actor, Action.MANAGE_BRANCH, organization.place_path)
    errors = _check_type(meeting_type, organization)
    if not (topic or "").strip():
        errors["topic"] = _("Please enter the topic.")
    if planned_on is None:
        errors["planned_on"] = _("Please enter the date.")
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        organization=organization,
        place_id=organization.place_id,
        meeting_type=meeting_type,
        topic=topic.strip(),
        planned_on=planned_on,
        location=location.strip(),
        chair=chair.strip(),
        created_by=actor,
    )
    audit.record(
        actor=actor, action="meeting.plan", obj=meeting, after=audit.snapshot(meeting, MEETING_FIELDS)
    )
    return meeting


def _attendance_rows(organization: PartyOrganization, attendance) -> list[tuple[PartyMember, bool, str]]:
    """Validate ``attendance`` — {member id: (present, reason)} — against the organization's members."""
    if not attendance:
        return []
    members = {
        m.pk: m
        for m in PartyMember.objects.filter(
            pk__in=list(attendance), organization__path__startswith=organization.path
        ).select_related("resident")
    }
    unknown = [pk for pk in attendance if int(pk) not in members]
    if unknown:
        raise ValidationError({"attendance": _("Only members of this organization can be listed.")})
    rows = []
    for pk, (present, reason) in attendance.items():
        rows.append((members[int(pk)], bool(present), "" if present else (reason or "").strip()[:200]))
    return rows


@transaction.atomic
def meeting_record(
    *,
    actor,
    meeting_type: MeetingType,
    held_on: dt.date,
    topic: str,
    organization: PartyOrganization | None = None,
    meeting: Meeting | None = None,
    location: str = "",
    chair: str = "",
    minutes: str = "",
    decisions: str = "",
    attendance: dict | None = None,
    late_reason: str = "",
) -> Meeting:
    """Record a meeting as held, with its attendance (who was absent and why), minutes and decisions.

    Either a planned ``meeting`` is recorded (compare-and-set: recorded once) or a new one is made for
    ``organization``. A meeting held more than ``conf.late_entry_days()`` days ago needs a reason and
    is marked as entered late (D3: no silent back-filling). Members absent from
    ``conf.absence_streak()`` meetings in a row get a visit task (五个必访).
    """
    today = timezone.localdate()
    if meeting is not None:
        meeting = Meeting.objects.select_related("organization").get(pk=meeting.pk)
        organization = meeting.organization
    organization = PartyOrganization.objects.get(pk=organization.pk)
    access.require(actor, Action.MANAGE_BRANCH, organization.place_path)
    errors = _check_type(meeting_type, organization)
    if not (topic or "").strip():
        errors["topic"] = _("Please enter the topic.")
    late_reason = (late_reason or "").strip()
    late = False
    if held_on is None:
        errors["held_on"] = _("Please enter the date the meeting was held.")
    elif held_on > today:
        errors["held_on"] = _("A meeting is recorded once it has been held; this date is in the future.")
    else:
        if (today - held_on).days > conf.late_entry_days():
            late = True
            if not late_reason:
                errors["late_reason"] = _(
                    "This meeting was held more than %(days)d days ago: please give the reason for entering it late."
                ) % {"days": conf.late_entry_days()}
        if (organization.founded_on and held_on < organization.founded_on) or (
            organization.dissolved_on and held_on >= organization.dissolved_on
        ):
            errors["held_on"] = _("The organization did not exist on this date.")
    try:
        rows = _attendance_rows(organization, attendance)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        rows = []
    if errors:
        raise ValidationError(errors)
    values = {
        "meeting_type": meeting_type,
        "status": MeetingStatus.HELD,
        "topic": topic.strip(),
        "held_on": held_on,
        "location": location.strip(),
        "chair": chair.strip(),
        "minutes": minutes.strip(),
        "decisions": decisions.strip(),
        "late_entry": late,
        "late_reason": late_reason if late else "",
        "recorded_by": actor,
        "recorded_at": timezone.now(),
    }
    if meeting is not None:
        before = audit.snapshot(meeting, MEETING_FIELDS)
        if not Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.PLANNED).update(**values):
            raise ValidationError(_("This meeting has already been recorded or cancelled."))
        meeting.refresh_from_db()
    else:
        before = None
        meeting = Meeting.objects.create(
            organization=organization, place_id=organization.place_id, created_by=actor, **values
        )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member=member, present=present, absence_reason=reason)
        for member, present, reason in rows
    )
    after = audit.snapshot(meeting, MEETING_FIELDS)
    after["attendance"] = {
        "present": sum(1 for r in rows if r[1]),
        "absent": sum(1 for r in rows if not r[1]),
    }
    audit.record(
        actor=actor,
        action="meeting.record",
        obj=meeting,
        before=before,
        after=after,
        reason=late_reason if late else "",
    )
    for member, present, _reason in rows:
        if not present:
            _check_absence_streak(member)
    return meeting


@transaction.atomic
def meeting_attach(*, actor, meeting: Meeting, file) -> MeetingAttachment:
    """Attach a file (sign-in sheet, photo, minutes scan) to a meeting."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    access.require(actor, Action.MANAGE_BRANCH, meeting.place_path)
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1][:200]
    if not name:
        raise ValidationError({"file": _("Please choose a file.")})
    if file.size > 20 * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    attachment = MeetingAttachment.objects.create(meeting=meeting, file=file, name=name, uploaded_by=actor)
    audit.record(actor=actor, action="meeting.attach", obj=meeting, after={"attachment": name})
    return attachment


# --- 五个必访: visit tasks ------------------------------------------------------------------------


def _trigger(
    *, actor, member: PartyMember, cause: str, source_kind: str = "", source_id="", note: str = ""
) -> tuple[VisitTask | None, bool]:
    """Record an occasion that calls for visiting ``member``; open a task unless one is open for the
    same cause. Returns (task, opened). A source that already triggered returns (None, False)."""
    source_id = str(source_id or "")
    if (
        source_id
        and VisitTrigger.objects.filter(
            member=member, cause=cause, source_kind=source_kind, source_id=source_id
        ).exists()
    ):
        return None, False
    opened = False
    task = (
        VisitTask.objects.select_for_update()
        .filter(member=member, cause=cause, status=VisitTaskStatus.OPEN)
        .first()
    )
    if task is None:
        owners = nearest_managers(member.place_path)
        task = VisitTask(
            member=member,
            place_id=member.place_id,
            cause=cause,
            owner=owners[0] if owners else None,
            note=note.strip(),
            opened_by=actor if getattr(actor, "pk", None) else None,
        )
        task.set_deadline(timezone.localdate(), conf.visit_days(cause))
        try:
            with transaction.atomic():
                task.save()
            opened = True
        except IntegrityError:  # opened by a concurrent call: join it
            task = VisitTask.objects.get(member=member, cause=cause, status=VisitTaskStatus.OPEN)
    try:
        with transaction.atomic():
            VisitTrigger.objects.create(
                task=task,
                member=member,
                cause=cause,
                source_kind=source_kind,
                source_id=source_id,
                note=note.strip(),
                actor=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        return None, False
    if opened:
        name = member.resident.name
        title = _("Visit %(name)s (%(cause)s)") % {"name": name, "cause": VisitCause(cause).label}
        if task.owner is not None:
            task.todo = todo_create(
                actor=None,
                assignee=task.owner,
                place=member.place,
                title=title,
                days=conf.visit_days(cause),
                detail=note.strip(),
                url=f"/branch/visits/{task.pk}/",
            )
            task.save(update_fields=["todo"])
        audit.record(
            actor=actor,
            action="visit_task.open",
            obj=task,
            after={**audit.snapshot(task, ["member", "cause", "owner", "due_on"]), "source": source_kind},
        )
    else:
        audit.record(
            actor=actor,
            action="visit_task.trigger",
            obj=task,
            after={"cause": cause, "source": source_kind, "source_id": source_id},
        )
    return task, opened


def _check_absence_streak(member: PartyMember) -> None:
    """Open an "absent" visit when the member's latest ``absence_streak()`` meetings were all missed.
    The run of absences is identified by its first meeting, so one run opens one task."""
    need = conf.absence_streak()
    rows = list(
        Attendance.objects.filter(member=member, meeting__status=MeetingStatus.HELD)
        .order_by("-meeting__held_on", "-meeting_id")
        .values_list("meeting_id", "present")[:200]
    )
    run = []
    for meeting_id, present in rows:
        if present:
            break
        run.append(meeting_id)
    if len(run) >= need:
        _trigger(
            actor=None,
            member=member,
            cause=VisitCause.ABSENT,
            source_kind="absence_run",
            source_id=run[-1],
            note=_("Absent from %(count)d meetings in a row.") % {"count": len(run)},
        )


@transaction.atomic
def member_criticised(*, actor, member: PartyMember, source_kind: str, source_id, note: str = ""):
    """A residents' request or comment criticises ``member`` (D3 五个必访: 群众有意见必访).

    Called by the requests module. The caller must work at the member's place (staff area); the
    same request or comment opens at most one task, and while a criticism visit is open further
    criticisms are added to it. Returns (task, opened).
    """
    member = PartyMember.objects.select_related("resident", "place").get(pk=member.pk)
    access.require(actor, Action.STAFF_AREA, member.place_path)
    if not source_kind or source_id in (None, ""):
        raise ValidationError({"source_id": _("Name the request or comment that criticises the member.")})
    return _trigger(
        actor=actor,
        member=member,
        cause=VisitCause.CRITICISED,
        source_kind=source_kind,
        source_id=source_id,
        note=note,
    )


@transaction.atomic
def member_condition_report(*, actor, member: PartyMember, cause: str, note: str = ""):
    """The branch learns a member is ill, in difficulty or has died: a visit is due (五个必访).
    A second report while that visit is open adds to it. Returns (task, opened)."""
    member = PartyMember.objects.select_related("resident", "place").get(pk=member.pk)
    access.require(actor, Action.MANAGE_BRANCH, member.place_path)
    if cause not in (VisitCause.ILL, VisitCause.DIFFICULTY, VisitCause.DECEASED):
        raise ValidationError({"cause": _("Choose illness, difficulty or death.")})
    if not (note or "").strip():
        raise ValidationError({"note": _("Please say what happened.")})
    return _trigger(actor=actor, member=member, cause=cause, source_kind="report", note=note)


def visit_tasks_sweep(*, today: dt.date) -> int:
    """Tick handler: open visits for what the registry records — an active difficulty of a member's
    household (illness → "ill", any other → "in difficulty") and a member recorded as deceased.
    Each record triggers once (VisitTrigger's unique source). Returns how many tasks were opened."""
    opened = 0
    already = VisitTrigger.objects.filter(
        source_kind="difficulty",
        source_id=Cast(OuterRef("pk"), CharField()),
        member_id=OuterRef("member_id"),
    )
    rows = (
        DifficultyTag.objects.filter(
            ended_on__isnull=True, household__members__membership__status=MemberStatus.ACTIVE
        )
        .annotate(member_id=F("household__members__membership__id"))
        .filter(~Exists(already))
        .values_list("pk", "kind", "member_id")
    )
    for tag_pk, kind, member_pk in list(rows):
        cause = VisitCause.ILL if kind == Difficulty.ILL else VisitCause.DIFFICULTY
        with transaction.atomic():
            member = PartyMember.objects.select_related("resident", "place").get(pk=member_pk)
            _task, was_opened = _trigger(
                actor=None,
                member=member,
                cause=cause,
                source_kind="difficulty",
                source_id=tag_pk,
                note=Difficulty(kind).label,
            )
            opened += was_opened
    dead = PartyMember.objects.filter(status=MemberStatus.DECEASED).exclude(
        pk__in=VisitTrigger.objects.filter(cause=VisitCause.DECEASED, source_kind="member").values(
            "member_id"
        )
    )
    for member in dead.select_related("resident", "place"):
        with transaction.atomic():
            _task, was_opened = _trigger(
                actor=None,
                member=member,
                cause=VisitCause.DECEASED,
                source_kind="member",
                source_id=member.pk,
            )
            opened += was_opened
    return opened


@transaction.atomic
def visit_task_close(
    *, actor, task: VisitTask, visited_on: dt.date, visitors: str, findings: str, follow_up: str = ""
) -> VisitTask:
    """Close a visit task with its record: when, who went, what they found (required)."""
    task = VisitTask.objects.select_related("member__resident").get(pk=task.pk)
    if task.owner_id != getattr(actor, "pk", None):
        access.require(actor, Action.MANAGE_BRANCH, task.place_path)
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("Please enter the date of the visit.")
    elif visited_on > timezone.localdate():
        errors["visited_on"] = _("The date cannot be in the future.")
    elif visited_on < task.opened_at.astimezone(timezone.get_current_timezone()).date():
        errors["visited_on"] = _("The visit cannot be before the task was opened.")
    if not (visitors or "").strip():
        errors["visitors"] = _("Please say who made the visit.")
    if not (findings or "").strip():
        errors["findings"] = _("Please write down what the visit found.")
    if errors:
        raise ValidationError(errors)
    if not VisitTask.objects.filter(pk=task.pk, status=VisitTaskStatus.OPEN).update(
        status=VisitTaskStatus.DONE, closed_at=timezone.now(), closed_by=actor
    ):
        raise ValidationError(_("This visit task is already closed."))
    VisitRecord.objects.create(
        task=task,
        visited_on=visited_on,
        visitors=visitors.strip(),
        findings=findings.strip(),
        follow_up=(follow_up or "").strip(),
        recorded_by=actor,
    )
    if task.todo_id:
        Todo.objects.filter(pk=task.todo_id, status=TodoStatus.OPEN).update(
            status=TodoStatus.DONE, closed_at=timezone.now()
        )
    task.refresh_from_db()
    audit.record(
        actor=actor,
        action="visit_task.close",
        obj=task,
        before={"status": VisitTaskStatus.OPEN},
        after={"status": task.status, "visited_on": visited_on, "visitors": visitors.strip()},
    )
    return task


# --- compliance reminders --------------------------------------------------------------------------


def compliance_remind(*, today: dt.date) -> int:
    """Tick handler: remind an organization's branch managers of a meeting still due in a period that
    ends within ``conf.reminder_days()`` days. The dedupe key makes each reminder go out once."""
    types = meeting_types()
    orgs = PartyOrganization.objects.filter(dissolved_on__isnull=True)
    rows = _org_rows(
        grid_queryset(orgs, year=today.year, types=types, as_of=today),
        year=today.year,
        types=types,
        as_of=today,
    )
    managers = None
    sent = 0
    horizon = today + dt.timedelta(days=conf.reminder_days())
    for row in rows:
        for type_row in row.types:
            for cell in type_row.cells:
                if cell.state != OPEN or not (today <= cell.period.end <= horizon):
                    continue
                if managers is None:
                    managers = branch_managers_by_path()
                recipients = nearest_managers(row.place_path, managers)
                created = notify(
                    recipients=recipients,
                    title=_("%(meeting)s not yet held: %(org)s")
                    % {"meeting": type_row.meeting_type.name, "org": row.name},
                    body=_("The period %(period)s ends on %(date)s.")
                    % {"period": cell.label, "date": cell.period.end.isoformat()},
                    url=f"/branch/compliance/{row.id}/?year={today.year}",
                    dedupe_key=f"branch:due:{row.id}:{type_row.meeting_type.pk}:{cell.period.start.isoformat()}",
                )
                sent += len(created)
    return sent


# --- 发展党员: recruitment -----------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


STAGE_FIELD = {
    RecruitStage.ACTIVIST: "activist_on",
    RecruitStage.TARGET: "target_on",
    RecruitStage.PROBATIONARY: "probationary_on",
    RecruitStage.FULL: "full_on",
}


@transaction.atomic
def recruit_create(
    *, actor, resident: Resident, organization: PartyOrganization, applied_on: dt.date
) -> Recruit:
    """A resident applies to join the party (入党申请, D3)."""
    organization = PartyOrganization.objects.get(pk=organization.pk)
    access.require(actor, Action.MANAGE_BRANCH, organization.place_path)
    access.require(actor, Action.VIEW_PEOPLE, resident.place_path)
    errors = {}
    if PartyMember.objects.filter(resident=resident).exists():
        errors["resident"] = _("This person is already a party member.")
    if applied_on is None or applied_on > timezone.localdate():
        errors["applied_on"] = _("Please enter the date of the application (not in the future).")
    if errors:
        raise ValidationError(errors)
    recruit = Recruit(
        resident=resident,
        organization=organization,
        place_id=organization.place_id,
        applied_on=applied_on,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            recruit.save()
    except IntegrityError:
        raise ValidationError({"resident": _("This person is already on the way to membership.")}) from None
    RecruitEvent.objects.create(recruit=recruit, to_stage=RecruitStage.APPLICANT, on=applied_on, actor=actor)
    audit.record(
        actor=actor,
        action="recruit.create",
        obj=recruit,
        after={"stage": recruit.stage, "applied_on": applied_on},
    )
    return recruit


def recruit_missing_documents(recruit: Recruit) -> list[str]:
    have = set(recruit.documents.get(recruit.stage, {}))
    return [name for name in conf.documents(recruit.stage) if name not in have]


def recruit_earliest_next(recruit: Recruit) -> dt.date | None:
    started = recruit.stage_started_on()
    return add_months(started, conf.min_months(recruit.stage)) if started else None


@transaction.atomic
def recruit_document(*, actor, recruit: Recruit, name: str, received_on: dt.date) -> Recruit:
    """Tick a document of the recruit's current stage as received."""
    recruit = Recruit.objects.select_for_update().get(pk=recruit.pk)
    access.require(actor, Action.MANAGE_BRANCH, recruit.place_path)
    if name not in conf.documents(recruit.stage):
        raise ValidationError({"name": _("This document is not on the checklist of the current stage.")})
    if received_on is None or received_on > timezone.localdate():
        raise ValidationError({"received_on": _("Please enter the date received (not in the future).")})
    recruit.documents = {
        **recruit.documents,
        recruit.stage: {**recruit.documents.get(recruit.stage, {}), name: received_on.isoformat()},
    }
    recruit.save(update_fields=["documents"])
    audit.record(
        actor=actor, action="recruit.document", obj=recruit, after={"stage": recruit.stage, "document": name}
    )
    return recruit


@transaction.atomic
def recruit_advance(
    *, actor, recruit: Recruit, on: dt.date, note: str = "", member_kind: str = ""
) -> Recruit:
    """Move a recruit to the next stage on ``on``: applicant → activist → development target →
    probationary → full member (D3). Refused, with the earliest allowed date, when the current stage
    began less than its minimum time ago (an activist trains ≥ 1 year; probation lasts 1 year), and
    when a document of the checklist is missing. Becoming probationary records the party member
    (lianxin.registry); becoming a full member ends the probation."""
    recruit = (
        Recruit.objects.select_for_update().select_related("resident", "organization").get(pk=recruit.pk)
    )
    access.require(actor, Action.MANAGE_BRANCH, recruit.place_path)
    if recruit.stage not in RECRUIT_ORDER or recruit.stage == RecruitStage.FULL:
        raise ValidationError(_("This recruitment is finished."))
    current = RecruitStage(recruit.stage)
    target = RECRUIT_ORDER[RECRUIT_ORDER.index(current) + 1]
    started = recruit.stage_started_on()
    earliest = recruit_earliest_next(recruit)
    if on is None or on > timezone.localdate():
        raise ValidationError({"on": _("Please enter the date (not in the future).")})
    if on < started:
        raise ValidationError(
            {
                "on": _("The date is before the current stage began (%(date)s).")
                % {"date": started.isoformat()}
            }
        )
    if earliest and on < earliest:
        raise ValidationError(
            {
                "on": _(
                    "Too early: %(name)s has been %(stage)s only since %(since)s; at least %(months)d months "
                    "are required, so %(next)s is possible on or after %(date)s."
                )
                % {
                    "name": recruit.resident.name,
                    "stage": current.label,
                    "since": started.isoformat(),
                    "months": conf.min_months(current),
                    "next": RecruitStage(target).label,
                    "date": earliest.isoformat(),
                }
            }
        )
    missing = recruit_missing_documents(recruit)
    if missing:
        raise ValidationError(
            {"documents": _("Documents still missing: %(names)s.") % {"names": "、".join(missing)}}
        )
    if target == RecruitStage.FULL and member_kind not in set(MemberKind.values) - {MemberKind.PROBATIONARY}:
        raise ValidationError(
            {"member_kind": _("Choose the member's kind now that they become a full member.")}
        )
    if target == RecruitStage.PROBATIONARY:
        recruit.member = registry_services.member_create(
            actor=actor,
            resident=recruit.resident,
            organization=recruit.organization,
            kind=MemberKind.PROBATIONARY,
            joined_on=on,
            probation_ends_on=add_months(on, conf.min_months(RecruitStage.PROBATIONARY)),
        )
    elif target == RecruitStage.FULL:
        registry_services.member_update(actor=actor, member=recruit.member, kind=member_kind)
    setattr(recruit, STAGE_FIELD[target], on)
    recruit.stage = target
    recruit.save()
    RecruitEvent.objects.create(
        recruit=recruit, from_stage=current, to_stage=target, on=on, actor=actor, note=note.strip()
    )
    audit.record(
        actor=actor,
        action="recruit.advance",
        obj=recruit,
        before={"stage": current},
        after={"stage": target, "on": on},
    )
    return recruit


@transaction.atomic
def recruit_stop(*, actor, recruit: Recruit, reason: str, on: dt.date | None = None) -> Recruit:
    recruit = Recruit.objects.select_for_update().get(pk=recruit.pk)
    access.require(actor, Action.MANAGE_BRANCH, recruit.place_path)
    if recruit.stage in (RecruitStage.FULL, RecruitStage.STOPPED):
        raise ValidationError(_("This recruitment is finished."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    before = recruit.stage
    recruit.stage, recruit.stopped_on, recruit.stop_reason = (
        RecruitStage.STOPPED,
        on or timezone.localdate(),
        reason.strip(),
    )
    recruit.save()
    RecruitEvent.objects.create(
        recruit=recruit,
        from_stage=before,
        to_stage=RecruitStage.STOPPED,
        on=recruit.stopped_on,
        actor=actor,
        note=reason.strip(),
    )
    audit.record(
        actor=actor,
        action="recruit.stop",
        obj=recruit,
        before={"stage": before},
        after={"stage": recruit.stage},
        reason=reason.strip(),
    )
    return recruit


# --- a party member's own account -----------------------------------------------------------------


@transaction.atomic
def member_account_link(*, actor, user, resident: Resident) -> MemberAccount:
    """Link a user account to the registry person it belongs to, so a party member sees their own
    meetings, visits and transfer. Needs MANAGE_MEMBERS where the person lives."""
    resident = Resident.objects.get(pk=resident.pk)
    if actor is not None:
        access.require(actor, Action.MANAGE_MEMBERS, resident.place_path)
    try:
        with transaction.atomic():
            link = MemberAccount.objects.create(
                user=user, resident=resident, linked_by=actor if getattr(actor, "pk", None) else None
            )
    except IntegrityError:
        raise ValidationError({"user": _("This account or this person is already linked.")}) from None
    audit.record(actor=actor, action="member_account.link", obj=resident, after={"user": user.pk})
    return link


# --- 设岗定责: posts, in five steps ---------------------------------------------------------------


@transaction.atomic
def post_define(*, actor, organization: PartyOrganization, year: int, title: str, duties: str) -> Post:
    """Step 1, 科学设岗: the branch defines a post with its duties for the year."""
    organization = PartyOrganization.objects.get(pk=organization.pk)
    access.require(actor, Action.MANAGE_BRANCH, organization.place_path)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Please name the post.")
    if not (duties or "").strip():
        errors["duties"] = _("Please describe the duties.")
    if errors:
        raise ValidationError(errors)
    post = Post(
        organization=organization,
        place_id=organization.place_id,
        year=year,
        title=title.strip(),
        duties=duties.strip(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError:
        raise ValidationError({"title": _("This post already exists for the year.")}) from None
    audit.record(
        actor=actor,
        action="post.define",
        obj=post,
        after=audit.snapshot(post, ["organization", "year", "title"]),
    )
    return post


@transaction.atomic
def post_volunteer(*, actor, post: Post, member: PartyMember, on: dt.date | None = None) -> PostHolding:
    """Step 2, 自愿认岗: a member volunteers — themselves (their linked account) or recorded by the branch."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    member = PartyMember.objects.select_related("resident").get(pk=member.pk)
    own = MemberAccount.objects.filter(
        user_id=getattr(actor, "pk", None), resident_id=member.resident_id
    ).exists()
    if not own:
        access.require(actor, Action.MANAGE_BRANCH, post.place_path)
    if (
        not member.organization.path.startswith(post.organization.path)
        or member.status != MemberStatus.ACTIVE
    ):
        raise ValidationError({"member": _("Only an active member of this organization can take this post.")})
    try:
        with transaction.atomic():
            holding = PostHolding.objects.create(
                post=post, member=member, volunteered_on=on or timezone.localdate()
            )
    except IntegrityError:
        raise ValidationError({"member": _("This member has already volunteered for this post.")}) from None
    audit.record(actor=actor, action="post.volunteer", obj=post, after={"member": member.pk})
    return holding


@transaction.atomic
def post_assign(
    *, actor, holding: PostHolding, assign: bool = True, on: dt.date | None = None
) -> PostHolding:
    """Step 3, 组织定岗: the branch assigns (or does not assign) a volunteer to the post."""
    holding = PostHolding.objects.select_related("post").get(pk=holding.pk)
    access.require(actor, Action.MANAGE_BRANCH, holding.post.place_path)
    status = PostHoldingStatus.ASSIGNED if assign else PostHoldingStatus.DECLINED
    if not PostHolding.objects.filter(pk=holding.pk, status=PostHoldingStatus.VOLUNTEERED).update(
        status=status, assigned_on=(on or timezone.localdate()) if assign else None
    ):
        raise ValidationError(_("This has already been decided."))
    holding.refresh_from_db()
    audit.record(
        actor=actor,
        action="post.assign",
        obj=holding.post,
        after={"member": holding.member_id, "status": status},
    )
    return holding


@transaction.atomic
def posts_publish(*, actor, organization: PartyOrganization, year: int) -> int:
    """Step 4, 公示明岗: publish the year's posts that have an assigned holder (the notice board reads
    the published ones). Returns how many were published now."""
    organization = PartyOrganization.objects.get(pk=organization.pk)
    access.require(actor, Action.MANAGE_BRANCH, organization.place_path)
    ready = Post.objects.filter(
        organization=organization,
        year=year,
        published_at__isnull=True,
        holdings__status=PostHoldingStatus.ASSIGNED,
    ).distinct()
    ids = list(ready.values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("No post with an assigned member is waiting to be published."))
    Post.objects.filter(pk__in=ids).update(published_at=timezone.now())
    audit.record(actor=actor, action="post.publish", obj=organization, after={"year": year, "posts": ids})
    return len(ids)


@transaction.atomic
def post_appraise(
    *, actor, holding: PostHolding, appraisal: str, note: str = "", on: dt.date | None = None
) -> PostHolding:
    """Step 5, 考核评岗: the year-end appraisal of an assigned, published post holder."""
    holding = PostHolding.objects.select_related("post").get(pk=holding.pk)
    access.require(actor, Action.MANAGE_BRANCH, holding.post.place_path)
    if holding.status != PostHoldingStatus.ASSIGNED or not holding.post.published:
        raise ValidationError(_("Only a member assigned to a published post can be appraised."))
    if appraisal not in Appraisal.values:
        raise ValidationError({"appraisal": _("Choose an appraisal.")})
    on = on or timezone.localdate()
    if on < dt.date(holding.post.year, 12, 1):
        raise ValidationError({"on": _("Posts are appraised at the end of the year, from 1 December.")})
    holding.appraisal, holding.appraisal_note, holding.appraised_on = appraisal, (note or "").strip(), on
    holding.save()
    audit.record(
        actor=actor,
        action="post.appraise",
        obj=holding.post,
        after={"member": holding.member_id, "appraisal": appraisal},
    )
    return holding


# --- 后备干部: reserve cadres ----------------------------------------------------------------------


@transaction.atomic
def reserve_signup(
    *, actor, resident: Resident, community, education: str, on: dt.date | None = None
) -> ReserveCadre:
    """报名: a person signs up as a reserve cadre of a community."""
    resident = Resident.objects.get(pk=resident.pk)
    access.require(actor, Action.MANAGE_BRANCH, community.path)
    if not resident.place_path.startswith(community.path):
        raise ValidationError({"resident": _("The person must live in this community.")})
    if education not in Education.values:
        raise ValidationError({"education": _("Choose the education.")})
    cadre = ReserveCadre(
        resident=resident,
        place=community,
        education=education,
        signed_up_on=on or timezone.localdate(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError:
        raise ValidationError({"resident": _("This person has already signed up.")}) from None
    audit.record(actor=actor, action="reserve.signup", obj=cadre, after={"stage": cadre.stage})
    return cadre


@transaction.atomic
def reserve_advance(
    *, actor, cadre: ReserveCadre, passed: bool = True, score=None, note: str = ""
) -> ReserveCadre:
    """One step: eligibility review → written test (score) → interview (score) → inspection.
    ``passed=False`` ends the path."""
    cadre = ReserveCadre.objects.select_for_update().get(pk=cadre.pk)
    access.require(actor, Action.MANAGE_BRANCH, cadre.place_path)
    if cadre.stage not in RESERVE_ORDER[:-1]:
        raise ValidationError(_("This sign-up is finished."))
    current = cadre.stage
    target = RESERVE_ORDER[RESERVE_ORDER.index(current) + 1]
    if target in (ReserveStage.TESTED, ReserveStage.INTERVIEWED):
        if score is None or not 0 <= float(score) <= 100:
            raise ValidationError({"score": _("Please enter the score (0–100).")})
        setattr(cadre, "written_score" if target == ReserveStage.TESTED else "interview_score", score)
    cadre.stage = target if passed else ReserveStage.REJECTED
    if note:
        cadre.note = f"{cadre.note}\n{note.strip()}".strip()
    cadre.save()
    audit.record(
        actor=actor,
        action="reserve.advance",
        obj=cadre,
        before={"stage": current},
        after={"stage": cadre.stage, "score": score},
    )
    return cadre


# --- 特困党员帮扶: the hardship fund --------------------------------------------------------------


def _is_self(actor, member: PartyMember) -> bool:
    return MemberAccount.objects.filter(
        user_id=getattr(actor, "pk", None), resident_id=member.resident_id
    ).exists()


@transaction.atomic
def hardship_apply(*, actor, member: PartyMember, amount, reason: str) -> HardshipApplication:
    """An application to the fund for a member in extreme hardship (by the member or for them)."""
    member = PartyMember.objects.get(pk=member.pk)
    if not _is_self(actor, member):
        access.require(actor, Action.MANAGE_BRANCH, member.place_path)
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("The amount must be more than zero.")
    if not (reason or "").strip():
        errors["reason"] = _("Please give the reason.")
    if errors:
        raise ValidationError(errors)
    application = HardshipApplication.objects.create(
        member=member, place_id=member.place_id, amount=amount, reason=reason.strip(), applied_by=actor
    )
    audit.record(
        actor=actor, action="hardship.apply", obj=application, after={"member": member.pk, "amount": amount}
    )
    return application


@transaction.atomic
def hardship_decide(
    *, actor, application: HardshipApplication, approve: bool, amount=None, note: str = ""
) -> HardshipApplication:
    """Approve or reject. Nobody decides an application they made or one for themselves."""
    application = HardshipApplication.objects.select_related("member").get(pk=application.pk)
    access.require(actor, Action.MANAGE_BRANCH, application.place_path)
    if application.applied_by_id == getattr(actor, "pk", None) or _is_self(actor, application.member):
        raise ValidationError(_("You cannot decide an application you made or one for yourself."))
    approved = amount if amount is not None else application.amount
    if approve and (approved <= 0 or approved > application.amount):
        raise ValidationError(
            {"amount": _("The amount approved must be between zero and the amount requested.")}
        )
    status = HardshipStatus.APPROVED if approve else HardshipStatus.REJECTED
    if not HardshipApplication.objects.filter(pk=application.pk, status=HardshipStatus.SUBMITTED).update(
        status=status,
        decided_by=actor,
        decided_at=timezone.now(),
        approved_amount=approved if approve else None,
        decision_note=(note or "").strip(),
    ):
        raise ValidationError(_("This application has already been decided."))
    application.refresh_from_db()
    audit.record(
        actor=actor,
        action="hardship.decide",
        obj=application,
        after={"status": status, "amount": approved if approve else None},
    )
    return application


@transaction.atomic
def hardship_pay(*, actor, application: HardshipApplication, amount, paid_on: dt.date) -> HardshipPayment:
    """Record a payment (the ledger); payments never exceed the approved amount."""
    application = HardshipApplication.objects.select_for_update().get(pk=application.pk)
    access.require(actor, Action.MANAGE_BRANCH, application.place_path)
    if application.status != HardshipStatus.APPROVED:
        raise ValidationError(_("Only an approved application can be paid."))
    paid = sum(p.amount for p in application.payments.all())
    if amount is None or amount <= 0 or paid + amount > application.approved_amount:
        raise ValidationError({"amount": _("Payments cannot exceed the amount approved.")})
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("Please enter the date (not in the future).")})
    payment = HardshipPayment.objects.create(
        application=application, place_id=application.place_id, amount=amount, paid_on=paid_on, paid_by=actor
    )
    audit.record(
        actor=actor, action="hardship.pay", obj=application, after={"amount": amount, "paid_on": paid_on}
    )
    return payment
