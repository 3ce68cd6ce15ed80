"""Staff pages of the disputes module (D7). Rows come through lianxin.disputes.selectors (scoped;
"not yours" is 404); writes go through lianxin.disputes.services."""

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit, tree
from lianxin.core.spreadsheets import SheetSpec, write_workbook
from lianxin.places.models import Place, PlaceKind
from lianxin.registry import special_care
from lianxin.registry.models import Household
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .actions import DisputeAction as A
from .models import (
    DisputeStatus,
    DisputeType,
    IncidentType,
    Level,
    PatrolMember,
)

PAGE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _places(actor, action, kinds=(PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING)):
    return access.restrict(Place.objects.filter(kind__in=kinds), actor, action).order_by("path")


def _people_at(path: str):
    """Active users holding a role at or above ``path`` or below it (candidates for a team)."""
    ids = (
        RoleAssignment.objects.filter(ended_at__isnull=True)
        .filter(tree.under_q("place__path", [path]) | Q(place__path__in=tree.ancestors_of(path)))
        .values("user_id")
    )
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username")


def _errors_to_messages(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


# --- the register -------------------------------------------------------------------------------------


@staff_required
def dispute_list(request):
    user = request.user
    access.require(user, A.VIEW_DISPUTES)
    tab = request.GET.get("tab", "")
    if tab == "escalated":
        qs = selectors.escalated_to(actor=user)
    else:
        qs = selectors.dispute_list(
            actor=user,
            status=request.GET.get("status", "open"),
            level=request.GET.get("level", ""),
            dispute_type=request.GET.get("type", ""),
            q=request.GET.get("q", "").strip(),
        )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "disputes/list.html",
        {
            "page": page,
            "tab": tab,
            "status": request.GET.get("status", "open"),
            "types": DisputeType.choices,
            "levels": Level.choices,
            "today": timezone.localdate(),
            "can_create": access.can(user, A.HANDLE_DISPUTES),
            "can_receive": access.can(user, A.RECEIVE_ESCALATIONS),
        },
    )


def _initial_from_source(request) -> dict:
    """``?request=<id>`` or ``?visit=<id>``: the form starts from that request or visit finding
    (place, text, party), so nothing is typed twice. Out of scope ids are ignored."""
    from lianxin.appeals.models import Request
    from lianxin.core.access import Action
    from lianxin.visits.models import Visit

    user, initial = request.user, {}
    pk = request.GET.get("request", "")
    if pk.isdigit():
        found = access.restrict(Request.objects.all(), user, Action.VIEW_REQUESTS).filter(pk=pk).first()
        if found is not None:
            initial = {
                "source": "request",
                "source_request": found.pk,
                "place": found.place_id,
                "description": found.description,
                "title": found.description.splitlines()[0][:60] if found.description else "",
                "party1_resident": found.resident_id,
            }
    pk = request.GET.get("visit", "")
    if pk.isdigit():
        found = (
            access.restrict(Visit.objects.select_related("household"), user, Action.VIEW_VISITS)
            .filter(pk=pk)
            .first()
        )
        if found is not None:
            initial = {
                "source": "visit",
                "source_visit": found.pk,
                "place": found.household.place_id,
                "description": found.findings,
                "title": found.findings.splitlines()[0][:60] if found.findings else "",
                "party1_resident": found.household.head_id,
            }
    return initial


@staff_required
def dispute_create(request):
    user = request.user
    access.require(user, A.HANDLE_DISPUTES)
    form = forms.DisputeForm(
        request.POST or None, initial=_initial_from_source(request), places=_places(user, A.HANDLE_DISPUTES)
    )

    def save(data):
        return services.dispute_create(
            actor=user,
            place=data["place"],
            dispute_type=data["dispute_type"],
            title=data["title"],
            description=data["description"],
            location=data["location"],
            risk=data["risk"],
            source=data["source"],
            source_request=data.get("source_request"),
            source_visit=data.get("source_visit"),
            police_reference=data["police_reference"],
            reported_on=data["reported_on"],
            parties=form.parties(),
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda d: reverse("disputes_detail", args=[d.pk]),
        title=_("Register a dispute"),
        back=reverse("disputes"),
    )


@staff_required
def dispute_detail(request, pk):
    user = request.user
    dispute = selectors.dispute_get(actor=user, pk=pk)
    can_act = services.can_act(user, dispute)
    can_follow = dispute.status == DisputeStatus.AGREEMENT and access.can(
        user, A.HANDLE_DISPUTES, dispute.place_path
    )
    return render(
        request,
        "disputes/detail.html",
        {
            "dispute": dispute,
            "parties": dispute.parties.select_related("resident"),
            "events": dispute.events.select_related("actor"),
            "team": dispute.team.all(),
            "mediators": dispute.mediators.all(),
            "follow_ups": dispute.follow_ups.select_related("visitor"),
            "can_act": can_act and dispute.is_open,
            "can_escalate": can_act and dispute.is_open and dispute.level != Level.DISTRICT,
            "can_hand_back": can_act and dispute.is_open and dispute.level != Level.COMMUNITY,
            "can_follow": can_follow,
            "reason_form": forms.ReasonForm(),
            "follow_form": forms.FollowUpForm() if can_follow else None,
            "overdue": dispute.is_open and dispute.is_overdue(),
        },
    )


@staff_required
def dispute_arrange(request, pk):
    user = request.user
    dispute = selectors.dispute_get(actor=user, pk=pk)
    if not services.can_act(user, dispute):
        raise PermissionDenied
    community = services.ancestor_of_kind(dispute.place_path, PlaceKind.COMMUNITY)
    initial = {}
    if dispute.leader_id:
        initial = {
            "mode": dispute.mode,
            "mediation_type": dispute.mediation_type,
            "leader": dispute.leader_id,
            "plan": dispute.plan,
        }
    form = forms.ArrangeForm(
        request.POST or None,
        initial=initial,
        people=_people_at(dispute.place_path),
        mediators=selectors.mediator_list(actor=user).filter(place_path__startswith=community.path),
    )
    return form_page(
        request,
        form,
        save=lambda data: services.dispute_arrange(actor=user, dispute=dispute, **data),
        done=lambda d: reverse("disputes_detail", args=[d.pk]),
        title=_("Leader, team, plan and deadline"),
        back=reverse("disputes_detail", args=[dispute.pk]),
    )


def _reason_post(request, pk, service, done_message):
    user = request.user
    dispute = selectors.dispute_get(actor=user, pk=pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the reason."))
        return redirect("disputes_detail", pk=dispute.pk)
    try:
        service(actor=user, dispute=dispute, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, done_message)
    if services.can_act(user, selectors.dispute_get(actor=user, pk=pk)):
        return redirect("disputes_detail", pk=dispute.pk)
    return redirect("disputes")


@staff_required
@require_POST
def dispute_escalate(request, pk):
    return _reason_post(request, pk, services.dispute_escalate, _("Escalated."))


@staff_required
@require_POST
def dispute_hand_back(request, pk):
    return _reason_post(request, pk, services.dispute_hand_back, _("Handed back."))


@staff_required
def dispute_close(request, pk):
    user = request.user
    dispute = selectors.dispute_get(actor=user, pk=pk)
    if not services.can_act(user, dispute):
        raise PermissionDenied
    form = forms.CloseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dispute_close(
                actor=user,
                dispute=dispute,
                outcome=data["outcome"],
                note=data["note"],
                document=data.get("document"),
                closed_on=data["closed_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Closed."))
            return redirect("disputes_detail", pk=dispute.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("Close the dispute"),
            "back": reverse("disputes_detail", args=[dispute.pk]),
            "multipart": True,
        },
    )


@staff_required
@require_POST
def dispute_follow_up(request, pk):
    user = request.user
    dispute = selectors.dispute_get(actor=user, pk=pk)
    form = forms.FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.dispute_follow_up(actor=user, dispute=dispute, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Follow-up visit recorded."))
    else:
        messages.error(request, _("Please check the date."))
    return redirect("disputes_detail", pk=dispute.pk)


@staff_required
def dispute_agreement(request, pk):
    dispute = selectors.dispute_get(actor=request.user, pk=pk)
    if not dispute.agreement_file:
        raise Http404
    content_type = (
        "application/pdf"
        if dispute.agreement_extension == ".pdf"
        else "image/"
        + {
            ".jpg": "jpeg",
            ".png": "png",
            ".gif": "gif",
            ".webp": "webp",
        }.get(dispute.agreement_extension, "jpeg")
    )
    response = FileResponse(dispute.agreement_file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = (
        f'inline; filename="agreement-{dispute.pk}{dispute.agreement_extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- metrics -------------------------------------------------------------------------------------------


def _period(request) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("start") or request.POST.get("start") or "")
    except ValueError:
        start = today.replace(month=1, day=1)
    try:
        end = dt.date.fromisoformat(request.GET.get("end") or request.POST.get("end") or "")
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


@staff_required
def metrics(request):
    user = request.user
    access.require(user, A.VIEW_DISPUTES)
    start, end = _period(request)
    return render(
        request,
        "disputes/metrics.html",
        {
            "m": selectors.dispute_metrics(actor=user, start=start, end=end),
            "can_export": access.can(user, A.EXPORT_DISPUTES),
        },
    )


def _tally_row(label, t):
    return (
        label,
        t.total,
        t.closed,
        t.community,
        t.community_share if t.community_share is not None else "",
        t.subdistrict,
        t.subdistrict_share if t.subdistrict_share is not None else "",
        t.beyond,
        t.beyond_share if t.beyond_share is not None else "",
        t.average_days if t.average_days is not None else "",
    )


@staff_required
@require_POST
def metrics_export(request):
    """The metrics as .xlsx (every cell text; audited)."""
    user = request.user
    access.require(user, A.EXPORT_DISPUTES)
    start, end = _period(request)
    m = selectors.dispute_metrics(actor=user, start=start, end=end)
    headers = [
        _("Group"),
        _("Registered"),
        _("Closed"),
        _("Resolved in the community"),
        _("Community share") + " %",
        _("Resolved in the subdistrict"),
        _("Subdistrict share") + " %",
        _("Beyond the subdistrict"),
        _("Beyond share") + " %",
        _("Average working days to resolution"),
    ]
    data = write_workbook(
        [
            SheetSpec(name=str(_("Overall")), headers=headers, rows=[_tally_row(_("All"), m.all)]),
            SheetSpec(
                name=str(_("By type")),
                headers=headers,
                rows=[_tally_row(label, t) for label, _c, t in m.by_type],
            ),
            SheetSpec(
                name=str(_("By community")),
                headers=headers,
                rows=[_tally_row(label, t) for label, _c, t in m.by_place],
            ),
        ],
        watermark=f"{user.get_username()} {timezone.localtime():%Y-%m-%d %H:%M}",
        author=user.get_username(),
    )
    with transaction.atomic():
        audit.record(
            actor=user,
            action="export.dispute_metrics",
            after={"start": start, "end": end, "total": m.all.total},
        )
    filename = f"矛盾纠纷统计-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"disputes-{start:%Y%m%d}-{end:%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response


# --- mediators --------------------------------------------------------------------------------------------


@staff_required
def mediators(request):
    user = request.user
    access.require(user, A.VIEW_DISPUTES)
    return render(
        request,
        "disputes/mediators.html",
        {
            "mediators": selectors.mediator_list(actor=user),
            "today": timezone.localdate(),
            "can_manage": access.can(user, A.MANAGE_SAFETY),
        },
    )


@staff_required
def mediator_create(request):
    user = request.user
    access.require(user, A.MANAGE_SAFETY)
    form = forms.MediatorForm(
        request.POST or None, places=_places(user, A.MANAGE_SAFETY, kinds=[PlaceKind.COMMUNITY])
    )
    return form_page(
        request,
        form,
        save=lambda data: services.mediator_create(actor=user, **data),
        done=lambda m: reverse("disputes_mediators"),
        title=_("Add a mediator"),
        back=reverse("disputes_mediators"),
    )


# --- screenings -----------------------------------------------------------------------------------------------


@staff_required
def screenings(request):
    user = request.user
    access.require(user, A.VIEW_DISPUTES)
    campaigns = list(selectors.screening_list(actor=user)[:50])
    coverage = selectors.screening_coverages(campaigns)
    rows = [(c, coverage[c.pk]) for c in campaigns]
    return render(
        request,
        "disputes/screenings.html",
        {"rows": rows, "can_manage": access.can(user, A.MANAGE_SAFETY)},
    )


@staff_required
def screening_create(request):
    user = request.user
    access.require(user, A.MANAGE_SAFETY)
    places = _places(user, A.MANAGE_SAFETY, kinds=[PlaceKind.COMMUNITY, PlaceKind.GRID])
    first = places.first()
    people = _people_at(first.path) if first else get_user_model().objects.none()
    form = forms.ScreeningForm(request.POST or None, places=places, people=people)

    def save(data):
        pairs = []
        for person in data["screeners"]:
            grid = next(
                (p for p in _places(person, A.HANDLE_DISPUTES) if p.path.startswith(data["place"].path)),
                None,
            )
            pairs.append((person, grid or data["place"]))
        return services.screening_create(
            actor=user,
            place=data["place"],
            title=data["title"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            units=data["units"],
            screeners=pairs,
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda c: reverse("disputes_screening", args=[c.pk]),
        title=_("New screening campaign"),
        back=reverse("disputes_screenings"),
    )


@staff_required
def screening(request, pk):
    user = request.user
    campaign = selectors.screening_get(actor=user, pk=pk)
    can_record = access.can(user, A.HANDLE_DISPUTES)
    form = forms.CheckForm(request.POST or None)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            household = None
            if data.get("household"):
                household = access.get_for_user(
                    Household.objects.all(), user, A.HANDLE_DISPUTES, pk=data["household"]
                )
            try:
                services.screening_record(
                    actor=user,
                    campaign=campaign,
                    household=household,
                    unit_name=data["unit_name"],
                    result=data["result"],
                    finding=data["finding"],
                    dispute_type=data["dispute_type"],
                    risk=data["risk"],
                )
            except ValidationError as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("disputes_screening", pk=campaign.pk)
        else:
            messages.error(request, _("Please choose the result."))
    checks = campaign.checks.select_related("household__place", "checked_by", "dispute")[:100]
    return render(
        request,
        "disputes/screening.html",
        {
            "campaign": campaign,
            "coverage": selectors.screening_coverage(campaign),
            "screeners": campaign.screeners.select_related("user", "place"),
            "checks": checks,
            "todo": selectors.unscreened_households(actor=user, campaign=campaign) if can_record else [],
            "can_record": can_record and campaign.status == "open",
            "form": forms.CheckForm(),
        },
    )


# --- incidents ---------------------------------------------------------------------------------------------------


@staff_required
def incidents(request):
    user = request.user
    if not (access.can(user, A.VIEW_DISPUTES) or access.can(user, A.REPORT_INCIDENTS)):
        raise PermissionDenied
    qs = selectors.incident_list(actor=user)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "disputes/incidents.html",
        {"page": page, "can_report": access.can(user, A.REPORT_INCIDENTS)},
    )


@staff_required
def incident_report(request):
    """One screen, phone first: type, severity, place, people affected, what happened, photos."""
    user = request.user
    access.require(user, A.REPORT_INCIDENTS)
    form = forms.IncidentForm(
        request.POST or None, request.FILES or None, places=_places(user, A.REPORT_INCIDENTS)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_report(
                actor=user,
                place=data["place"],
                incident_type=data["incident_type"],
                severity=data["severity"],
                location=data["location"],
                people_affected=data["people_affected"],
                description=data["description"],
                photos=data["photos"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Reported. Your superiors have been notified."))
            return redirect("disputes_incident", pk=incident.pk)
    return render(request, "disputes/incident_report.html", {"form": form})


@staff_required
def incident(request, pk):
    user = request.user
    found = selectors.incident_get(actor=user, pk=pk)
    can_log = access.can(user, A.HANDLE_INCIDENTS, found.place_path) or found.reported_by_id == user.pk
    form = forms.LogForm(request.POST or None)
    if request.method == "POST":
        if not can_log:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.incident_log_add(actor=user, incident=found, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("disputes_incident", pk=found.pk)
    return render(
        request,
        "disputes/incident.html",
        {
            "incident": found,
            "photos": found.photos.all(),
            "log": found.log.select_related("actor"),
            "plans": services.plans_for(found),
            "can_log": can_log and found.status == "open",
            "can_close": access.can(user, A.HANDLE_INCIDENTS, found.place_path),
            "form": form,
        },
    )


@staff_required
def incident_photo(request, pk, photo_pk):
    found = selectors.incident_get(actor=request.user, pk=pk)
    photo = found.photos.filter(pk=photo_pk).first()
    if photo is None:
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="incident-{found.pk}-{photo.pk}{photo.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def plans(request):
    user = request.user
    if not (access.can(user, A.VIEW_DISPUTES) or access.can(user, A.REPORT_INCIDENTS)):
        raise PermissionDenied
    kind = request.GET.get("type", "")
    qs = selectors.plan_list(actor=user)
    if kind in IncidentType.values:
        qs = qs.filter(incident_type=kind)
    return render(
        request,
        "disputes/plans.html",
        {
            "plans": qs,
            "types": IncidentType.choices,
            "kind": kind,
            "can_manage": access.can(user, A.MANAGE_SAFETY),
        },
    )


@staff_required
def plan_create(request):
    user = request.user
    access.require(user, A.MANAGE_SAFETY)
    form = forms.PlanForm(request.POST or None, places=_places(user, A.MANAGE_SAFETY))
    return form_page(
        request,
        form,
        save=lambda data: services.plan_create(actor=user, **data),
        done=lambda p: reverse("disputes_plans"),
        title=_("Add a prepared plan"),
        back=reverse("disputes_plans"),
    )


# --- patrols -------------------------------------------------------------------------------------------------------


def _week(request) -> list[dt.date]:
    try:
        start = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = timezone.localdate()
    return [start + dt.timedelta(days=i) for i in range(7)]


@staff_required
def patrols(request):
    user = request.user
    access.require(user, A.VIEW_DISPUTES)
    today = timezone.localdate()
    zones = list(selectors.zone_list(actor=user)[:100])
    rota = {pk: days[0] for pk, days in selectors.rotas(zones, [today]).items()}
    return render(
        request,
        "disputes/patrols.html",
        {
            "teams": selectors.team_list(actor=user),
            "zones": [(z, rota[z.pk]) for z in zones],
            "today": today,
            "can_manage": access.can(user, A.MANAGE_SAFETY),
        },
    )


@staff_required
def team_create(request):
    user = request.user
    access.require(user, A.MANAGE_SAFETY)
    form = forms.TeamForm(
        request.POST or None, places=_places(user, A.MANAGE_SAFETY, kinds=[PlaceKind.COMMUNITY])
    )
    return form_page(
        request,
        form,
        save=lambda data: services.team_create(
            actor=user, place=data["place"], name=data["name"], kind=data["kind"], members=form.member_rows()
        ),
        done=lambda t: reverse("disputes_patrols"),
        title=_("Add a team"),
        back=reverse("disputes_patrols"),
    )


@staff_required
def zone(request, pk):
    """A zone's 24-hour rota for a week, gaps flagged; the shift and patrol-log forms."""
    user = request.user
    found = selectors.zone_get(actor=user, pk=pk)
    can_record = access.can(user, A.RECORD_PATROLS, found.place_path)
    members = PatrolMember.objects.filter(team=found.team, active=True)
    shift_form = forms.ShiftForm(
        request.POST if request.POST.get("form") == "shift" else None, members=members
    )
    log_form = forms.PatrolLogForm(request.POST if request.POST.get("form") == "log" else None)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        form = shift_form if request.POST.get("form") == "shift" else log_form
        if form.is_valid():
            try:
                if form is shift_form:
                    services.shift_set(actor=user, zone=found, **form.cleaned_data)
                else:
                    services.patrol_log_record(actor=user, zone=found, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("disputes_zone", pk=found.pk)
    days = _week(request)
    return render(
        request,
        "disputes/zone.html",
        {
            "zone": found,
            "rota": selectors.rota(found, days),
            "logs": found.logs.select_related("recorded_by")[:20],
            "can_record": can_record,
            "shift_form": shift_form,
            "log_form": log_form,
            "prev": days[0] - dt.timedelta(days=7),
            "next": days[0] + dt.timedelta(days=7),
        },
    )


# --- care of special groups ---------------------------------------------------------------------------------------


@staff_required
def care_plans(request):
    """Care plans of the records the user is assigned to. Only a holder of an assignment reads
    anything, and that read is audited."""
    user = request.user
    rows, records = [], []
    assignments = special_care.active_assignments(user)  # read once for both lists
    if assignments:
        rows = selectors.care_plan_list(actor=user, purpose=_("Care plans page"), assignments=assignments)
        planned = {p.record_id for p in rows if p.status == "active"}
        records = [
            r
            for r in special_care.special_care_list(
                actor=user, purpose=_("Care plans page"), limit=100, assignments=assignments
            )
            if r.pk not in planned
        ]
    return render(request, "disputes/care_plans.html", {"plans": rows, "records": records})


@staff_required
def care_plan_create(request, record_pk):
    user = request.user
    record = special_care.special_care_get(actor=user, pk=record_pk, purpose=_("New care plan page"))
    people = _people_at(record.place_path)
    form = forms.CarePlanForm(request.POST or None, people=people)
    return form_page(
        request,
        form,
        save=lambda data: services.care_plan_create(actor=user, record=record, **data),
        done=lambda p: reverse("disputes_care_plan", args=[p.pk]),
        title=_("New care plan"),
        back=reverse("disputes_care"),
    )


@staff_required
@never_cache
def care_plan(request, pk):
    user = request.user
    plan = selectors.care_plan_get(actor=user, pk=pk, purpose=_("Care plan page"))
    form = forms.ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_contact_add(actor=user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("disputes_care_plan", pk=plan.pk)
    return render(
        request,
        "disputes/care_plan.html",
        {
            "plan": plan,
            "helpers": plan.helpers.all(),
            "contacts": plan.contacts.select_related("by"),
            "form": form,
        },
    )
