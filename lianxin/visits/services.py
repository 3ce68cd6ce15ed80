"""Write use-cases for visits (D5): visit days, visit pairs, visits, findings turned into requests,
assistant duties, and the reminder sweep.

Each function checks access (lianxin.core.access), validates, writes and appends an audit entry in
one transaction.
"""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit
from lianxin.core.access import Action, Role
from lianxin.core.calendar import previous_working_day
from lianxin.core.notifications import notify
from lianxin.places.models import Place, PlaceKind

from . import cadence, selectors
from .models import AssistantDuty, Contact, DutyKind, Visit, VisitAssignment, VisitKind, VisitSchedule

FINDINGS_MAX = 2000
# A visit is written up the same day or soon after; older entries are most likely typing mistakes.
BACKDATE_DAYS = 92


def _fresh_place(place) -> Place:
    return Place.objects.get(pk=place.pk)


# --- visit days -----------------------------------------------------------------------------------


@transaction.atomic
def schedule_set(*, actor, community, visit_days: str, followup_days: str) -> VisitSchedule:
    """Set a community's visit days (走访日) and follow-up days (回访日), as days of the month."""
    community = _fresh_place(community)
    if community.kind != PlaceKind.COMMUNITY:
        raise ValidationError(_("Visit days are set for a community."))
    access.require(actor, Action.MANAGE_VISIT_PLANS, community)
    errors = {}
    parsed = {}
    for name, text in (("visit_days", visit_days), ("followup_days", followup_days)):
        try:
            parsed[name] = cadence.format_days(cadence.parse_days(text))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    schedule = VisitSchedule.objects.select_for_update().filter(place=community).first()
    before = audit.snapshot(schedule, ["visit_days", "followup_days"]) if schedule else None
    if schedule is None:
        try:
            with transaction.atomic():
                schedule = VisitSchedule.objects.create(place=community)
        except IntegrityError:  # created meanwhile by another request: update that one
            schedule = VisitSchedule.objects.select_for_update().get(place=community)
    schedule.visit_days, schedule.followup_days = parsed["visit_days"], parsed["followup_days"]
    schedule.updated_at, schedule.updated_by = timezone.now(), actor
    schedule.save()
    audit.record(
        actor=actor,
        action="visits.schedule",
        obj=schedule,
        before=before,
        after=audit.snapshot(schedule, ["visit_days", "followup_days"]),
    )
    return schedule


# --- visit pairs ----------------------------------------------------------------------------------


@transaction.atomic
def assignment_create(*, actor, place, first, second, households=(), note: str = "") -> VisitAssignment:
    """Give a pair of staff a grid (or building, or community), or a list of households in it
    (两人一组包百户). Both must be able to record visits there."""
    place = _fresh_place(place)
    access.require(actor, Action.MANAGE_VISIT_PLANS, place)
    if place.kind not in (PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING):
        raise ValidationError({"place": _("Choose a community, grid or building.")})
    errors = {}
    if first is None:
        errors["first"] = _("Choose the first member of the pair.")
    if second is None:
        errors["second"] = _("Choose the second member of the pair.")
    if first is not None and second is not None and first.pk == second.pk:
        errors["second"] = _("A pair is two different people.")
    for name, user in (("first", first), ("second", second)):
        if user is not None and name not in errors and not access.can(user, Action.RECORD_VISITS, place):
            errors[name] = _("%(name)s cannot record visits in %(place)s.") % {"name": user, "place": place}
    households = list(households)
    outside = [h for h in households if not h.place_path.startswith(place.path)]
    if outside:
        errors["households"] = _("These households are not in %(place)s: %(list)s") % {
            "place": place,
            "list": "、".join(str(h) for h in outside[:5]),
        }
    if errors:
        raise ValidationError(errors)
    assignment = VisitAssignment.objects.create(
        place=place, first=first, second=second, note=note.strip()[:200], created_by=actor
    )
    if households:
        assignment.households.set(households)
    audit.record(
        actor=actor,
        action="visits.pair.create",
        obj=assignment,
        after={**audit.snapshot(assignment), "households": sorted(h.pk for h in households)},
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor, assignment: VisitAssignment) -> VisitAssignment:
    access.require(actor, Action.MANAGE_VISIT_PLANS, assignment.place_path)
    today = timezone.localdate()
    if not VisitAssignment.objects.filter(pk=assignment.pk, ended_on__isnull=True).update(ended_on=today):
        raise ValidationError(_("This pair was already ended."))
    assignment.refresh_from_db()
    audit.record(actor=actor, action="visits.pair.end", obj=assignment, after={"ended_on": today})
    return assignment


# --- visits ---------------------------------------------------------------------------------------


def _key(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({"idempotency_key": _("This form is damaged; please open it again.")}) from None


@transaction.atomic
def visit_record(
    *,
    actor,
    household,
    visited_on: dt.date | None = None,
    findings: str = "",
    needs_followup: bool = False,
    contact: str = Contact.MET,
    kind: str = VisitKind.VISIT,
    companion=None,
    idempotency_key=None,
) -> tuple[Visit, bool]:
    """Record a visit to a household (走访/回访): who went, when, what they found, and whether
    someone must come back. Returns (visit, created).

    The same form submitted twice (a double tap, a resent request) carries the same idempotency
    key: the second call returns the first visit and writes nothing.
    """
    access.require(actor, Action.RECORD_VISITS, household.place_path)
    key = _key(idempotency_key)
    if key is not None:
        existing = Visit.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_submission(existing, actor, household), False
    today = timezone.localdate()
    visited_on = visited_on or today
    errors = {}
    if visited_on > today:
        errors["visited_on"] = _("A visit cannot be in the future.")
    elif visited_on < today - dt.timedelta(days=BACKDATE_DAYS):
        errors["visited_on"] = _("Visits older than %(days)d days cannot be entered.") % {
            "days": BACKDATE_DAYS
        }
    if contact not in Contact.values:
        errors["contact"] = _("Choose how you met the household.")
    if kind not in VisitKind.values:
        errors["kind"] = _("Choose visit or follow-up visit.")
    findings = (findings or "").strip()
    if len(findings) > FINDINGS_MAX:
        errors["findings"] = _("At most %(n)d characters.") % {"n": FINDINGS_MAX}
    if contact == Contact.MET and not findings:
        errors["findings"] = _("Write down what you found (or “all well”).")
    if companion is not None:
        if companion.pk == actor.pk:
            errors["companion"] = _("The companion is someone other than you.")
        elif not access.can(companion, Action.RECORD_VISITS, household.place_path):
            errors["companion"] = _("%(name)s does not visit households here.") % {"name": companion}
    if errors:
        raise ValidationError(errors)
    visit = Visit(
        household=household,
        place_id=household.place_id,
        kind=kind,
        visited_on=visited_on,
        visitor=actor,
        companion=companion,
        contact=contact,
        findings=findings,
        needs_followup=bool(needs_followup),
        recorded_by=actor,
        idempotency_key=key or uuid.uuid4(),
    )
    try:
        with transaction.atomic():
            visit.save(force_insert=True)
    except IntegrityError:
        # The same form won a race in another request: that visit stands, this one is dropped.
        existing = Visit.objects.filter(idempotency_key=visit.idempotency_key).first()
        if existing is None:
            raise
        return _same_submission(existing, actor, household), False
    audit.record(actor=actor, action="visits.record", obj=visit, after=audit.snapshot(visit))
    return visit, True


def _same_submission(existing: Visit, actor, household) -> Visit:
    if existing.household_id != household.pk or existing.recorded_by_id != actor.pk:
        raise ValidationError({"idempotency_key": _("This form is damaged; please open it again.")})
    return existing


def request_intake_available() -> bool:
    """Whether the requests module offers request_intake (findings can become requests)."""
    try:
        from lianxin.appeals import services as appeals_services
    except ImportError:
        return False
    return callable(getattr(appeals_services, "request_intake", None))


def request_categories() -> list[tuple[str, str]]:
    """(code, name) of the request categories in use, for the one-tap form."""
    from lianxin.appeals.models import RequestCategory

    return list(
        RequestCategory.objects.filter(active=True).order_by("sort", "code").values_list("code", "name")
    )


def request_numbers(ids) -> dict[int, str]:
    """Case numbers of the requests made from visits, for the visit log."""
    ids = [i for i in ids if i]
    if not ids or not request_intake_available():
        return {}
    from lianxin.appeals.models import Request

    return dict(Request.objects.filter(pk__in=ids).values_list("pk", "number"))


@transaction.atomic
def visit_to_request(*, actor, visit: Visit, category=None, description: str = ""):
    """Turn a visit's finding into a resident's request (D4) with the household, its head and the
    place filled in, channel "visit". Once per visit: a second tap returns the request made by the
    first (the visit row is locked while the request is made). Returns (request id, created)."""
    from lianxin.appeals import services as appeals_services

    access.require(actor, Action.RECORD_VISITS, visit.place_path)
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("household__place", "household__head")
        .get(pk=visit.pk)
    )
    if visit.request_id is not None:
        return visit.request_id, False
    text = (description or visit.findings).strip()
    if not text:
        raise ValidationError({"description": _("This visit has no finding to pass on.")})
    household = visit.household
    requester = household.head or household.members.filter(moved_out_on__isnull=True).order_by("pk").first()
    request = appeals_services.request_intake(
        actor=actor,
        channel="visit",
        place=household.place,
        category=category,
        description=text,
        resident=requester,
        household=household,
        source_visit_id=visit.pk,
    )
    Visit.objects.filter(pk=visit.pk, request_id__isnull=True).update(request_id=request.pk)
    audit.record(
        actor=actor,
        action="visits.to_request",
        obj=visit,
        before={"request_id": None},
        after={"request_id": request.pk, "number": request.number},
    )
    return request.pk, True


# --- assistant duties -----------------------------------------------------------------------------


def _assistant_assignment(assistant, place=None) -> RoleAssignment | None:
    qs = RoleAssignment.objects.filter(
        user=assistant, role=Role.ASSISTANT, ended_at__isnull=True
    ).select_related("place")
    if place is not None:
        qs = qs.filter(place=place)
    return qs.order_by("place__path").first()


@transaction.atomic
def duty_record(
    *, actor, assistant, kind: str, done_on: dt.date | None = None, period_start=None, note: str = ""
) -> AssistantDuty:
    """Record an assistant's call, meeting or summary as done for its period (the period holding
    ``done_on`` unless named). The assistant records their own; the secretary may record for them."""
    assignment = _assistant_assignment(assistant)
    if assignment is None:
        raise ValidationError({"assistant": _("%(name)s is not an assistant.") % {"name": assistant}})
    place = assignment.place
    if actor.pk == assistant.pk:
        access.require(actor, Action.RECORD_DUTIES, place)
    elif not access.can(actor, Action.MANAGE_VISIT_PLANS, place):
        raise PermissionDenied
    if kind not in DutyKind.values:
        raise ValidationError({"kind": _("Choose what was done.")})
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today:
        raise ValidationError({"done_on": _("This date is in the future.")})
    start = cadence.period_of(kind, period_start or done_on)[0]
    if start > today:
        raise ValidationError({"period_start": _("This period has not begun.")})
    try:
        with transaction.atomic():
            duty = AssistantDuty.objects.create(
                place=place,
                assistant=assistant,
                kind=kind,
                period_start=start,
                done_on=done_on,
                note=(note or "").strip(),
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"kind": _("Already recorded for the period from %(date)s.") % {"date": start.isoformat()}}
        ) from None
    audit.record(actor=actor, action="visits.duty", obj=duty, after=audit.snapshot(duty))
    return duty


# --- the periodic sweep ----------------------------------------------------------------------------


def visits_remind(*, today: dt.date) -> int:
    """Tick handler (settings.LIANXIN_TICK_HANDLERS): remind assistants of a call, meeting or summary
    due within one working day, tell them once when one went overdue, and tell visit pairs on their
    community's visit and follow-up days. Every message has a dedupe key: never sent twice."""
    sent = 0
    for assignment in RoleAssignment.objects.filter(
        role=Role.ASSISTANT, ended_at__isnull=True, user__is_active=True
    ).select_related("user", "place"):
        user = assignment.user
        done = set(
            AssistantDuty.objects.filter(assistant=user, place=assignment.place).values_list(
                "kind", "period_start"
            )
        )
        for kind in DutyKind.values:
            start, _end = cadence.period_of(kind, today)
            due = cadence.due_on(kind, start)
            label = DutyKind(kind).label
            if (kind, start) not in done and previous_working_day(due) <= today <= due:
                sent += _notify_once(
                    user,
                    _("Due soon: %(duty)s") % {"duty": label},
                    _("Due %(date)s.") % {"date": due.isoformat()},
                    f"visits:duty:{user.pk}:{kind}:{start.isoformat()}:remind",
                )
            previous_start = cadence.period_of(kind, start - dt.timedelta(days=1))[0]
            # Only periods that ended after the role was granted can be owed.
            owed = (
                cadence.period_of(kind, previous_start)[1] >= timezone.localtime(assignment.granted_at).date()
            )
            if (kind, previous_start) not in done and owed:
                previous_due = cadence.due_on(kind, previous_start)
                if previous_due < today:
                    sent += _notify_once(
                        user,
                        _("Overdue: %(duty)s") % {"duty": label},
                        _("It was due %(date)s.") % {"date": previous_due.isoformat()},
                        f"visits:duty:{user.pk}:{kind}:{previous_start.isoformat()}:overdue",
                    )
    sent += _visit_day_reminders(today)
    return sent


def _visit_day_reminders(today: dt.date) -> int:
    sent = 0
    by_community: dict[int, list[VisitAssignment]] = {}
    for assignment in VisitAssignment.objects.active().select_related("first", "second", "place"):
        community = selectors.community_of(assignment.place_path)
        if community is not None:
            by_community.setdefault(community.pk, []).append(assignment)
    for community in Place.objects.filter(pk__in=by_community):
        kind = selectors.schedule_dates(community, today).kind_of(today)
        if not kind:
            continue
        title = _("Today is a visit day") if kind == "visit" else _("Today is a follow-up day")
        for assignment in by_community[community.pk]:
            for user in (assignment.first, assignment.second):
                sent += _notify_once(
                    user,
                    title,
                    _("Your visit plan is ready."),
                    f"visits:day:{user.pk}:{today.isoformat()}",
                    url="/visits/",
                )
    return sent


def _notify_once(user, title, body, key, url: str = "/visits/duties/") -> int:
    with transaction.atomic():
        return len(notify(recipients=[user], title=str(title), body=str(body), url=url, dedupe_key=key))
