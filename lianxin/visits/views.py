"""Visit pages (D5), phone first: the plan, a household's visit log with the record form on the same
screen, coverage per grid with the never-visited list, visit pairs, visit days, assistant duties.

Rows come through lianxin.visits.selectors (scoped; "not yours" is 404); writes go through
lianxin.visits.services.
"""

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core import access, audit
from lianxin.core.access import Action
from lianxin.core.spreadsheets import SheetSpec, write_workbook
from lianxin.places.models import Place, PlaceKind
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import cadence, forms, selectors, services
from .models import DutyKind

PLAN_PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(request) -> tuple[int, int]:
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        dt.date(year, month, 1)
        return year, month
    except (TypeError, ValueError):
        return cadence.month_of(timezone.localdate())


def _grid(request, actor):
    pk = request.GET.get("grid", "")
    if not pk.isdigit():
        return None
    return selectors.grids_for(actor=actor).filter(pk=pk).first()


def _query_without(request, *names) -> str:
    params = request.GET.copy()
    for name in ("page", *names):
        params.pop(name, None)
    return params.urlencode()


# --- the plan -------------------------------------------------------------------------------------


@staff_required
def plan(request):
    """Today's plan: households with difficulties first, then never or least recently visited."""
    user = request.user
    access.require(user, Action.VIEW_VISITS)
    today = timezone.localdate()
    has_pair = selectors.has_assignment(user)
    mine = request.GET.get("scope", "mine" if has_pair else "all") == "mine"
    pending = request.GET.get("show", "pending") == "pending"
    grid = _grid(request, user)
    q = request.GET.get("q", "").strip()
    households = selectors.plan(actor=user, today=today, mine=mine, within=grid, pending_only=pending, q=q)
    page = Paginator(households, PLAN_PAGE_SIZE).get_page(request.GET.get("page"))
    tags = selectors.difficulties_by_household(page.object_list)
    rows = [(h, tags.get(h.pk, [])) for h in page.object_list]
    community = selectors.home_community(actor=user)
    dates = selectors.schedule_dates(community, today) if community is not None else None
    return render(
        request,
        "visits/plan.html",
        {
            "today": today,
            "rows": rows,
            "page": page,
            "query": _query_without(request),
            "mine": mine,
            "scope": "mine" if mine else "all",
            "show": "pending" if pending else "all",
            "has_pair": has_pair,
            "pending": pending,
            "q": q,
            "grid": grid,
            "grids": selectors.grids_for(actor=user)[:200],
            "dates": dates,
            "today_kind": dates.kind_of(today) if dates else "",
            "can_manage": dates is not None and access.can(user, Action.MANAGE_VISIT_PLANS, dates.community),
        },
    )


# --- one household ---------------------------------------------------------------------------------


@staff_required
def household(request, pk):
    """A household's visit log and, for those who visit, the form to record a visit (one screen)."""
    user = request.user
    target = selectors.household_get(actor=user, pk=pk)
    can_record = access.can(user, Action.RECORD_VISITS, target.place_path)
    form = None
    if can_record:
        companions = selectors.companions_for(actor=user, household=target)
        form = forms.VisitForm(request.POST or None, companions=companions)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit, created = services.visit_record(actor=user, household=target, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if created:
                    messages.success(request, _("Visit recorded."))
                else:
                    messages.info(request, _("This visit was already recorded."))
                return redirect(reverse("visit_household", args=[target.pk]) + f"#visit-{visit.pk}")
    visits = list(selectors.visit_list(actor=user, household=target)[:50])
    request_url = _request_url()
    numbers = services.request_numbers([visit.request_id for visit in visits])
    for visit in visits:
        visit.request_link = request_url.format(visit.request_id) if request_url and visit.request_id else ""
        visit.request_number = numbers.get(visit.request_id, visit.request_id)
    can_request = can_record and services.request_intake_available()
    return render(
        request,
        "visits/household.html",
        {
            "household": target,
            "difficulties": selectors.difficulties_by_household([target]).get(target.pk, []),
            "visits": visits,
            "form": form,
            "can_request": can_request,
            "categories": services.request_categories() if can_request else [],
        },
    )


def _request_url():
    """The request detail page's URL pattern, when the requests module names one."""
    from django.urls import NoReverseMatch

    try:
        return reverse("request_detail", args=[0]).replace("/0/", "/{}/")
    except NoReverseMatch:
        return ""


@staff_required
@require_POST
def to_request(request, pk):
    """One tap: the visit's finding becomes a resident's request, with the household filled in."""
    user = request.user
    visit = selectors.visit_get(actor=user, pk=pk)
    access.require(user, Action.RECORD_VISITS, visit.place_path)
    if not services.request_intake_available():
        raise PermissionDenied
    try:
        request_id, created = services.visit_to_request(
            actor=user, visit=visit, category=request.POST.get("category") or None
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        number = services.request_numbers([request_id]).get(request_id, request_id)
        if created:
            messages.success(request, _("Request no. %(id)s created from this visit.") % {"id": number})
        else:
            messages.info(request, _("This finding is already request no. %(id)s.") % {"id": number})
    return redirect(reverse("visit_household", args=[visit.household_id]) + f"#visit-{visit.pk}")


# --- coverage -------------------------------------------------------------------------------------


@staff_required
def coverage(request):
    user = request.user
    access.require(user, Action.VIEW_VISITS)
    year, month = _month(request)
    grid = _grid(request, user)
    rows = selectors.coverage(actor=user, year=year, month=month, within=grid)
    never = selectors.never_visited(actor=user, year=year, month=month, within=grid)
    page = Paginator(never, 50).get_page(request.GET.get("page"))
    totals = {
        "households": sum(r.households for r in rows),
        "visited": sum(r.visited for r in rows),
        "never_visited": sum(r.never_visited for r in rows),
    }
    totals["percent"] = round(100 * totals["visited"] / totals["households"]) if totals["households"] else 0
    previous, following = cadence.previous_month(year, month), cadence.next_month(year, month)
    return render(
        request,
        "visits/coverage.html",
        {
            "year": year,
            "month": month,
            "month_value": f"{year:04d}-{month:02d}",
            "previous": f"{previous[0]:04d}-{previous[1]:02d}",
            "following": f"{following[0]:04d}-{following[1]:02d}",
            "rows": rows,
            "totals": totals,
            "page": page,
            "grid": grid,
            "grids": selectors.grids_for(actor=user)[:200],
            "query": _query_without(request),
            "can_export": access.can(user, Action.EXPORT_PEOPLE),
        },
    )


@staff_required
@require_POST
def coverage_export(request):
    """Coverage per grid and the never-visited list as .xlsx (every cell text; audited)."""
    user = request.user
    access.require(user, Action.VIEW_VISITS)
    access.require(user, Action.EXPORT_PEOPLE)
    year, month = _month(request)
    grid = _grid(request, user)
    rows = selectors.coverage(actor=user, year=year, month=month, within=grid)
    never = list(selectors.never_visited(actor=user, year=year, month=month, within=grid)[:20000])
    data = write_workbook(
        [
            SheetSpec(
                name=str(_("Coverage")),
                headers=[
                    _("Community"),
                    _("Grid"),
                    _("Households"),
                    _("Visited this month"),
                    _("Coverage %"),
                    _("Never visited"),
                ],
                rows=[
                    (
                        r.grid.parent.name if r.grid.parent else "",
                        r.grid.name,
                        r.households,
                        r.visited,
                        r.percent,
                        r.never_visited,
                    )
                    for r in rows
                ],
                widths={0: 16, 1: 12},
            ),
            SheetSpec(
                name=str(_("Never visited")),
                headers=[_("Address"), _("Head of household")],
                rows=[(h.address_label(), h.head.name if h.head else "") for h in never],
                widths={0: 40, 1: 14},
            ),
        ]
    )
    with transaction.atomic():
        audit.record(
            actor=user,
            action="export.visit_coverage",
            place=grid,
            after={"month": f"{year:04d}-{month:02d}", "grids": len(rows), "never_visited": len(never)},
        )
    filename = f"走访覆盖-{year:04d}{month:02d}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"visits-{year:04d}{month:02d}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response


# --- pairs and visit days --------------------------------------------------------------------------


@staff_required
def assignments(request):
    user = request.user
    access.require(user, Action.VIEW_VISITS)
    pairs = selectors.assignment_list(actor=user)
    return render(
        request,
        "visits/assignments.html",
        {
            "pairs": pairs,
            "target": selectors.PAIR_TARGET,
            "warn_above": selectors.pair_warn_above(),
            "overloaded": [p for p in pairs if p.overloaded],
            "can_manage": access.can(user, Action.MANAGE_VISIT_PLANS),
            "communities": selectors.communities_for(actor=user, action=Action.MANAGE_VISIT_PLANS)[:50],
        },
    )


@staff_required
def assignment_create(request):
    user = request.user
    access.require(user, Action.MANAGE_VISIT_PLANS)
    places = list(
        access.restrict(
            Place.objects.filter(kind__in=[PlaceKind.GRID, PlaceKind.BUILDING]),
            user,
            Action.MANAGE_VISIT_PLANS,
        )
        .select_related("parent")
        .order_by("path")[:500]
    )
    communities = list(selectors.communities_for(actor=user, action=Action.MANAGE_VISIT_PLANS)[:20])
    grids = [place for place in places if place.kind == PlaceKind.GRID]
    people = selectors.pair_candidates(actor=user, places=[*communities, *grids])
    by_pk = {u.pk: u for u in people}
    places_by_pk = {p.pk: p for p in places}

    def save(data):
        return services.assignment_create(
            actor=user,
            place=places_by_pk[data["place"]],
            first=by_pk.get(data["first"]),
            second=by_pk.get(data["second"]),
            note=data["note"],
        )

    return form_page(
        request,
        forms.AssignmentForm(request.POST or None, places=places, people=people),
        save=save,
        done=lambda assignment: reverse("visit_assignments"),
        title=_("Add a visit pair"),
        back=reverse("visit_assignments"),
    )


@staff_required
@require_POST
def assignment_end(request, pk):
    assignment = selectors.assignment_get(actor=request.user, pk=pk)
    try:
        services.assignment_end(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("The pair was ended."))
    return redirect("visit_assignments")


@staff_required
def schedule(request, pk):
    community = selectors.community_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_VISIT_PLANS, community)
    current = selectors.schedule_for(community)
    return form_page(
        request,
        forms.ScheduleForm(
            request.POST or None,
            initial={"visit_days": current.visit_days, "followup_days": current.followup_days},
        ),
        save=lambda data: services.schedule_set(actor=request.user, community=community, **data),
        done=lambda s: reverse("visits"),
        title=_("Visit days of %(community)s") % {"community": community},
        back=reverse("visits"),
    )


# --- assistant duties -------------------------------------------------------------------------------


def _require_duties_page(user):
    if not (access.can(user, Action.RECORD_DUTIES) or access.can(user, Action.VIEW_VISITS)):
        raise PermissionDenied


@staff_required
def duties(request):
    """The 协理员 cadence: per assistant, this period's call, meeting and summary, and what is overdue."""
    user = request.user
    _require_duties_page(user)
    today = timezone.localdate()
    entries = selectors.assistant_duties(actor=user, today=today)
    can_record = {
        entry.assignment.pk: entry.assistant.pk == user.pk
        and access.can(user, Action.RECORD_DUTIES, entry.assignment.place)
        or access.can(user, Action.MANAGE_VISIT_PLANS, entry.assignment.place)
        for entry in entries
    }
    return render(
        request,
        "visits/duties.html",
        {
            "today": today,
            "entries": [(entry, can_record[entry.assignment.pk]) for entry in entries],
            "history": selectors.duty_history(actor=user, limit=30),
        },
    )


@staff_required
def duty_record(request, pk):
    """Record a call, meeting or summary as done (pk: the assistant's user id)."""
    user = request.user
    _require_duties_page(user)
    assignments = [a for a in selectors.assistant_assignments(actor=user) if a.user_id == pk]
    if not assignments:
        from django.http import Http404

        raise Http404
    assistant = assignments[0].user
    if not (
        (assistant.pk == user.pk and access.can(user, Action.RECORD_DUTIES, assignments[0].place))
        or access.can(user, Action.MANAGE_VISIT_PLANS, assignments[0].place)
    ):
        raise PermissionDenied
    initial = {"done_on": timezone.localdate()}
    if request.GET.get("kind") in DutyKind.values:
        initial["kind"] = request.GET["kind"]
    return form_page(
        request,
        forms.DutyForm(request.POST or None, initial=initial),
        save=lambda data: services.duty_record(actor=user, assistant=assistant, **data),
        done=lambda duty: reverse("visit_duties"),
        title=_("Record a duty of %(name)s") % {"name": assistant},
        back=reverse("visit_duties"),
        message=_("Recorded as done."),
    )
