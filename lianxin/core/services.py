"""Core write use-cases: the official calendar, to-dos, notifications read state."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import access, audit
from .access import Action, AdminAction
from .calendar import parse_calendar_file, previous_working_day, recompute_provisional_deadlines
from .models import CalendarDay, CalendarYear, Notification, Todo, TodoStatus
from .notifications import notify


@transaction.atomic
def calendar_years_load(*, actor, text: str, source: str, replace: bool = False) -> dict:
    """Load official years from a calendar file (see calendar.parse_calendar_file).

    A year already loaded is only replaced when ``replace`` is set. Provisional deadlines are
    recomputed in the same transaction. Returns {"years": [...], "recomputed": n}.
    """
    if actor is not None:
        access.require(actor, AdminAction.MANAGE_CALENDAR)
    by_year = parse_calendar_file(text)
    existing = set(CalendarYear.objects.filter(year__in=by_year).values_list("year", flat=True))
    if existing and not replace:
        raise ValidationError(
            {
                "file": _("Already loaded: %(years)s. Tick “replace” to load them again.")
                % {"years": ", ".join(map(str, sorted(existing)))}
            }
        )
    for year, days in sorted(by_year.items()):
        before = list(CalendarDay.objects.filter(date__year=year).values_list("date", "kind"))
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarYear.objects.filter(year=year).delete()
        cal_year = CalendarYear.objects.create(
            year=year, source=source[:200], loaded_by=actor if getattr(actor, "pk", None) else None
        )
        CalendarDay.objects.bulk_create(CalendarDay(date=d, kind=k, name=n[:60]) for d, k, n in days)
        audit.record(
            actor=actor,
            action="calendar.load",
            obj=cal_year,
            before={"days": [[d, k] for d, k in before]} if before else None,
            after={"days": [[d, k] for d, k, _n in days], "source": source},
        )
    recomputed = recompute_provisional_deadlines(replaced_years=existing)
    return {"years": sorted(by_year), "recomputed": recomputed}


def calendar_seed_from_package(*, years=None) -> list[int]:
    """Load every year the ``chinese-calendar`` package knows and that is not loaded yet."""
    import chinese_calendar

    lines_by_year: dict[int, list[str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            lines_by_year.setdefault(day.year, []).append(f"{day.isoformat()},holiday,{name}")
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            lines_by_year.setdefault(day.year, []).append(f"{day.isoformat()},workday,{name}")
    wanted = set(years or lines_by_year)
    loaded = set(CalendarYear.objects.values_list("year", flat=True))
    todo = sorted(y for y in lines_by_year if y in wanted and y not in loaded)
    if todo:
        text = "\n".join(line for y in todo for line in sorted(lines_by_year[y]))
        calendar_years_load(actor=None, text=text, source=f"chinese-calendar {chinese_calendar.__version__}")
    return todo


@transaction.atomic
def todo_create(
    *,
    actor,
    assignee,
    place,
    title: str,
    days: int,
    start: dt.date | None = None,
    detail: str = "",
    url: str = "",
) -> Todo:
    """Give ``assignee`` a piece of work due ``days`` working days from ``start`` (today)."""
    # Re-read the place: a caller's copy may predate a move, and its path decides who sees the row.
    place = type(place).objects.get(pk=place.pk)
    if actor is not None:
        access.require(actor, Action.MANAGE_TODO, place)
    if not title.strip():
        raise ValidationError({"title": _("Please enter a title.")})
    if days < 0 or days > 250:
        raise ValidationError({"days": _("The number of working days must be between 0 and 250.")})
    todo = Todo(assignee=assignee, place=place, title=title.strip(), detail=detail, url=url, created_by=actor)
    todo.set_deadline(start or timezone.localdate(), days)
    todo.save()
    audit.record(actor=actor, action="todo.create", obj=todo, after=audit.snapshot(todo))
    notify(
        recipients=[assignee],
        title=_("New to-do: %(title)s") % {"title": todo.title},
        body=_("Due %(date)s.") % {"date": todo.due_on.isoformat()},
        url=url,
        dedupe_key=f"todo:{todo.pk}:new",
    )
    return todo


@transaction.atomic
def todo_close(*, actor, todo: Todo, status: str = TodoStatus.DONE) -> Todo:
    """Close a to-do. Only the assignee, or someone who may assign to-dos there, can close it."""
    if todo.assignee_id != actor.pk:
        access.require(actor, Action.MANAGE_TODO, todo.place_path)
    updated = Todo.objects.filter(pk=todo.pk, status=TodoStatus.OPEN).update(
        status=status, closed_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This to-do was already closed."))
    todo.refresh_from_db()
    audit.record(
        actor=actor,
        action="todo.close",
        obj=todo,
        before={"status": TodoStatus.OPEN},
        after={"status": status},
    )
    return todo


def notification_mark_read(*, user, ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def tick(*, today: dt.date | None = None) -> dict:
    """The periodic sweep (``lianxin tick``): reminders one working day before a deadline,
    overdue notices, and provisional deadlines made final. Idempotent: each reminder is sent once,
    guarded by a compare-and-set on the row and a dedupe key on the notification."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = {"reminded": 0, "overdue": 0, "recomputed": recompute_provisional_deadlines()}
    # A reminder is due one working day ahead; no holiday run is longer than nine days, so to-dos due
    # more than three weeks out cannot need one yet.
    horizon = today + dt.timedelta(days=21)
    for todo in (
        Todo.objects.open()
        .filter(reminded_at__isnull=True, due_on__gte=today, due_on__lte=horizon)
        .select_related("assignee")
    ):
        if previous_working_day(todo.due_on) > today:
            continue
        with transaction.atomic():
            if Todo.objects.filter(pk=todo.pk, reminded_at__isnull=True).update(reminded_at=now):
                notify(
                    recipients=[todo.assignee],
                    title=_("Due soon: %(title)s") % {"title": todo.title},
                    body=_("Due %(date)s.") % {"date": todo.due_on.isoformat()},
                    url=todo.url,
                    dedupe_key=f"todo:{todo.pk}:remind",
                )
                result["reminded"] += 1
    for todo in (
        Todo.objects.overdue(today)
        .filter(overdue_notified_at__isnull=True)
        .select_related("assignee", "created_by")
    ):
        with transaction.atomic():
            if Todo.objects.filter(pk=todo.pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=now
            ):
                notify(
                    recipients=[todo.assignee, todo.created_by],
                    title=_("Overdue: %(title)s") % {"title": todo.title},
                    body=_("It was due %(date)s.") % {"date": todo.due_on.isoformat()},
                    url=todo.url,
                    dedupe_key=f"todo:{todo.pk}:overdue",
                )
                result["overdue"] += 1
    # Module sweeps (expired transfers, overdue requests …) plug in by setting, so core never
    # imports the modules built on it. Each takes ``today`` and returns a count; each is idempotent.
    for path in settings.LIANXIN_TICK_HANDLERS:
        result[path.rsplit(".", 1)[-1]] = import_string(path)(today=today)
    return result
