"""Residents' requests pages (D4): the list, one intake screen for every channel, the case with its
timeline and action forms, the dashboard with its export; and the resident portal's filing and
status lookup (no login; rate-limited).

Rows come through lianxin.appeals.selectors (scoped; "not yours" is 404); writes go through
lianxin.appeals.services.
"""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.accounts.models import User
from lianxin.core import access, spreadsheets, tree
from lianxin.core.access import Action
from lianxin.core.middleware import client_ip
from lianxin.core.paging import CappedPaginator
from lianxin.places import selectors as place_selectors
from lianxin.places.models import Place, PlaceKind
from lianxin.registry import selectors as registry_selectors
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import staff_required

from . import forms, selectors, services
from .models import OPEN_STATUSES, Channel, RequestStatus

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 50_000
S = RequestStatus


def _require_view(request):
    access.require(request.user, Action.VIEW_REQUESTS)


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_required
def request_list(request):
    _require_view(request)
    form = forms.FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    place = None
    if request.GET.get("place"):
        place = place_selectors.place_get(actor=request.user, pk=request.GET["place"])
    rows = selectors.request_list(
        actor=request.user,
        status=filters.get("status", ""),
        category=filters.get("category"),
        overdue=filters.get("overdue", False),
        mine=filters.get("mine", False),
        place=place,
        q=filters.get("q", ""),
    )
    # Newest recorded first, through the primary key (a district has a million requests).
    page = CappedPaginator(rows.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appeals/list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "place": place,
            "today": timezone.localdate(),
            "can_intake": access.can(request.user, Action.HANDLE_REQUESTS),
        },
    )


@staff_required
def request_intake(request):
    """One screen for every channel: who (anonymous or found by name, pinyin or phone), what, where."""
    access.require(request.user, Action.HANDLE_REQUESTS)
    who = (request.GET.get("who") or request.POST.get("who") or "").strip()
    residents = []
    if who and access.can(request.user, Action.VIEW_PEOPLE):
        residents = list(registry_selectors.resident_list(actor=request.user, q=who)[:20])
    form = forms.IntakeForm(
        request.POST or None,
        request.FILES or None,
        places=selectors.intake_places(actor=request.user),
        residents=residents,
        initial={"channel": request.GET.get("channel") or Channel.DESK},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = None
        if data.get("resident"):
            resident = registry_selectors.resident_get(actor=request.user, pk=data["resident"])
        try:
            created = services.request_intake(
                actor=request.user,
                channel=data["channel"],
                place=data["place"],
                category=data["category"],
                description=data["description"],
                resident=resident,
                requester_name=data.get("requester_name", ""),
                requester_phone=data.get("requester_phone", ""),
                anonymous=data.get("anonymous", False),
                attachments=data.get("attachments") or (),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded as %(number)s. Answer due %(date)s.")
                % {"number": created.number, "date": created.due_on.isoformat()},
            )
            return redirect("request_detail", pk=created.pk)
    return render(
        request,
        "appeals/intake.html",
        {"form": form, "who": who, "residents": residents, "searched": bool(who)},
    )


@staff_required
@never_cache
def request_detail(request, pk):
    req = selectors.request_get(actor=request.user, pk=pk)
    can_handle = services.can_do(request.user, Action.HANDLE_REQUESTS, req)
    can_manage = services.can_do(request.user, Action.MANAGE_REQUESTS, req)
    status = req.status
    forms_shown = {}
    if can_handle:
        if req.owner_id is None:
            forms_shown["claim"] = None
        if status in OPEN_STATUSES:
            forms_shown["reply"] = forms.ReplyForm()
            forms_shown["handoff"] = forms.HandoffForm(colleagues=selectors.request_colleagues(request=req))
            forms_shown["merge"] = forms.MergeForm()
        if status in (S.ANSWERED, S.FOLLOWED_UP):
            if status == S.ANSWERED:
                forms_shown["follow_up"] = forms.FollowUpForm()
            forms_shown["rate"] = forms.RatingForm()
        if status != S.MERGED:
            forms_shown["link"] = forms.LinkForm()
    if can_manage and status in (S.ANSWERED, S.FOLLOWED_UP, S.CLOSED):
        forms_shown["reopen"] = forms.ReasonForm()
    return render(
        request,
        "appeals/detail.html",
        {
            "req": req,
            "events": selectors.request_events(request=req),
            "attachments": req.attachments.all(),
            "links": req.links.all(),
            "duplicates": req.duplicates.all(),
            "forms": forms_shown,
            "overdue": req.overdue(),
            "phone": forms.mask_phone(req.requester_phone),
        },
    )


STEPS = {
    "claim": (None, services.request_claim, gettext_lazy("You are now the first-contact owner.")),
    "reply": (forms.ReplyForm, services.request_reply, gettext_lazy("The answer is recorded.")),
    "follow_up": (forms.FollowUpForm, services.request_follow_up, gettext_lazy("The follow-up is recorded.")),
    "rate": (forms.RatingForm, services.request_rate, gettext_lazy("The rating is recorded.")),
    "reopen": (
        forms.ReasonForm,
        services.request_reopen,
        gettext_lazy("The request is open again, with a new deadline."),
    ),
    "link": (forms.LinkForm, services.request_link, gettext_lazy("Linked.")),
}


def _check(form) -> None:
    """An action form's errors as one message per field, named by its label."""
    if not form.is_valid():
        raise ValidationError(
            [f"{form.fields[name].label}：{' '.join(errors)}" for name, errors in form.errors.items()]
        )


@staff_required
@require_POST
def request_act(request, pk, step):
    """Every action form of the case page posts here; the service checks access and the move."""
    req = selectors.request_get(actor=request.user, pk=pk)
    try:
        if step == "handoff":
            form = forms.HandoffForm(request.POST, colleagues=selectors.request_colleagues(request=req))
            _check(form)
            data = form.cleaned_data
            to_user = None
            if data.get("to_user"):
                to_user = User.objects.filter(pk=data["to_user"], is_active=True).first()
            services.request_handoff(
                actor=request.user,
                request=req,
                to_kind=data["to_kind"],
                to_user=to_user,
                to_place=data.get("to_place"),
                to_label=data.get("to_label", ""),
                reason=data["reason"],
            )
            done = _("Handed off. You remain the first-contact owner.")
        elif step == "merge":
            form = forms.MergeForm(request.POST)
            _check(form)
            into = selectors.request_by_number(actor=request.user, number=form.cleaned_data["into"])
            services.request_merge(
                actor=request.user, request=req, into=into, reason=form.cleaned_data["reason"]
            )
            done = _("Merged into %(number)s.") % {"number": into.number}
        elif step in STEPS:
            form_class, service, done = STEPS[step]
            kwargs = {}
            if form_class is not None:
                form = form_class(request.POST)
                if not form.is_valid():
                    raise ValidationError(
                        "; ".join(
                            f"{form.fields[name].label}: {' '.join(errs)}"
                            for name, errs in form.errors.items()
                        )
                    )
                kwargs = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "note"}
            service(actor=request.user, request=req, **kwargs)
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("request_detail", pk=req.pk)


@staff_required
def request_attachment(request, pk, file_pk):
    req = selectors.request_get(actor=request.user, pk=pk)
    attachment = req.attachments.filter(pk=file_pk).first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f'inline; filename="attachment-{attachment.pk}{attachment.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the dashboard ------------------------------------------------------------------------------------


def _dashboard_query(request, source):
    form = forms.DashboardForm(source or None)
    data = form.cleaned_data if form.is_valid() else {}
    within = None
    if data.get("within"):
        within = place_selectors.place_get(actor=request.user, pk=data["within"])
    return form, data, within


def _breadcrumbs(root, within):
    if within is None:
        return []
    root_path = root.path if root else ""
    paths = [p for p in [*tree.ancestors_of(within.path), within.path] if p.startswith(root_path)]
    return list(Place.objects.filter(path__in=paths).order_by("path"))


@staff_required
def request_dashboard(request):
    _require_view(request)
    form, data, within = _dashboard_query(request, request.GET)
    group = data.get("group") or "place"
    root = selectors.dashboard_root(request.user)  # read once: the stats, the start, the breadcrumbs
    stats = selectors.request_stats(
        actor=request.user,
        group=group,
        within=within,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        category=data.get("category"),
        root=root,
    )
    start = within or root
    return render(
        request,
        "appeals/dashboard.html",
        {
            "form": form,
            "stats": stats,
            "group": group,
            "start": start,
            "breadcrumbs": _breadcrumbs(root, start),
            "drill_deeper": stats.child_kind == PlaceKind.COMMUNITY,
            "query": request.GET.urlencode(),
            "can_export": access.can(request.user, Action.EXPORT_REQUESTS),
        },
    )


def _rate_text(value) -> str:
    return "" if value is None else f"{value:.1f}%"


@staff_required
@require_POST
def request_export(request):
    """The dashboard table and its cases as .xlsx (strings only; no names or phone numbers)."""
    access.require(request.user, Action.EXPORT_REQUESTS)
    _form, data, within = _dashboard_query(request, request.POST)
    group = data.get("group") or "place"
    stats = selectors.request_stats(
        actor=request.user,
        group=group,
        within=within,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        category=data.get("category"),
    )
    headers = [
        _("Grouped by"),
        _("Requests received"),
        _("Answered"),
        _("Answered on time"),
        _("Answers due"),
        _("Closed"),
        _("Rated"),
        _("Satisfied or basically satisfied"),
        _("Response rate"),
        _("On-time rate"),
        _("Resolution rate"),
        _("Satisfaction rate"),
    ]

    def stat_row(row, label):
        return [
            label,
            row.received,
            row.answered,
            row.on_time,
            row.due,
            row.resolved,
            row.rated,
            row.satisfied,
            _rate_text(row.response_rate),
            _rate_text(row.on_time_rate),
            _rate_text(row.resolution_rate),
            _rate_text(row.satisfaction_rate),
        ]

    stat_rows = [stat_row(row, row.label) for row in stats.rows] + [stat_row(stats.total, _("Total"))]
    cases = selectors.request_export_rows(
        actor=request.user,
        within=within,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        category=data.get("category"),
    )[:EXPORT_MAX_ROWS]
    today = timezone.localdate()
    case_rows = (
        [
            r.number,
            r.received_on.isoformat(),
            r.get_channel_display(),
            r.category.name,
            r.place.name,
            r.get_status_display(),
            (r.owner.get_full_name() or r.owner.get_username()) if r.owner else "",
            r.due_on.isoformat() + (" *" if r.due_provisional else ""),
            _("yes") if r.overdue(today) else "",
            r.first_answered_at and timezone.localtime(r.first_answered_at).date().isoformat(),
            {True: _("yes"), False: _("no"), None: ""}[r.first_answer_on_time],
            r.get_rating_display(),
            r.reopen_count,
        ]
        for r in cases
    )
    book = spreadsheets.write_workbook(
        [
            spreadsheets.SheetSpec(_("Rates"), headers, stat_rows, widths={0: 24}),
            spreadsheets.SheetSpec(
                _("Cases"),
                [
                    _("Case number"),
                    _("Received on"),
                    _("Channel"),
                    _("Category"),
                    _("Place"),
                    _("Status"),
                    _("First-contact owner"),
                    _("Due on"),
                    _("Overdue"),
                    _("First answered on"),
                    _("On time"),
                    _("Rating"),
                    _("Times reopened"),
                ],
                case_rows,
                notes=[str(line) for line in selectors.RATE_DEFINITIONS.values()],
            ),
        ]
    )
    response = HttpResponse(
        book, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="requests-{today.isoformat()}.xlsx"'
    return response


# --- the resident portal ------------------------------------------------------------------------------

PORTAL_LIMITS = {"status": (10, 600), "file": (5, 3600)}


def _over_limit(request, kind: str) -> bool:
    """A fixed window per client address: the status lookup may not be used to guess numbers."""
    limit, window = PORTAL_LIMITS[kind]
    key = f"appeals:portal:{kind}:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


@never_cache
def portal_status(request):
    """A resident checks a request with its case number and phone: no login, the same answer for a
    wrong number and a wrong phone, nothing personal shown."""
    form = forms.PortalStatusForm(request.POST or None)
    result, not_found, limited = None, False, False
    if request.method == "POST":
        if _over_limit(request, "status"):
            limited = True
        elif form.is_valid():
            result = services.portal_status(
                number=form.cleaned_data["number"], phone=form.cleaned_data["phone"]
            )
            not_found = result is None
    response = render(
        request,
        "appeals/portal_status.html",
        {"form": form, "result": result, "not_found": not_found, "limited": limited},
        status=429 if limited else 200,
    )
    return response


@never_cache
def portal_file(request):
    """A resident files a request on the portal; the community takes it up (its owner is whoever claims it)."""
    form = forms.PortalFileForm(request.POST or None)
    created, limited = None, False
    if request.method == "POST":
        if _over_limit(request, "file"):
            limited = True
        elif form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_intake(
                    actor=None,
                    channel=Channel.PORTAL,
                    place=data["place"],
                    category=data["category"],
                    description=data["description"],
                    requester_name=data["requester_name"],
                    requester_phone=data["requester_phone"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(
        request,
        "appeals/portal_file.html",
        {"form": form, "created": created, "limited": limited},
        status=429 if limited else 200,
    )


def portal_home(request):
    return redirect(reverse("portal_status"))
