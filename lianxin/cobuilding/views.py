"""Staff pages and the resident booking portal of D11. Views parse, call one service or selector, render."""

import datetime as dt

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.core import access
from lianxin.core.middleware import client_ip
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .actions import CobuildingAction as A
from .models import BookingStatus, Category, Room


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


def _viewer(request, action=A.VIEW):
    access.require(request.user, action)


SLOT_FIELDS = {"starts_at": "start", "ends_at": "end"}


def _slot_errors(exc: ValidationError) -> ValidationError:
    """The service names the time range; the booking forms show it on the start and end fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({SLOT_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})


def _flash(request, call, done: str):
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)


# --- units, agreements, meetings -------------------------------------------------------------------


@staff_required
def overview(request):
    _viewer(request)
    return render(
        request,
        "cobuilding/overview.html",
        {
            "tab": "units",
            "units": selectors.unit_list(actor=request.user),
            "agreements": selectors.agreement_list(actor=request.user)[:50],
            "fulfilment": _fulfilment_rows(selectors.fulfilment_by_category(actor=request.user)),
            "can_manage": access.can(request.user, A.MANAGE),
        },
    )


def _fulfilment_rows(rows):
    labels = dict(Category.choices)
    return [{**row, "label": labels.get(row["category"], row["category"])} for row in rows]


@staff_required
def unit_create(request):
    access.require(request.user, A.MANAGE)
    return form_page(
        request,
        forms.UnitForm(request.POST or None, actor=request.user),
        save=lambda data: services.unit_create(actor=request.user, **data),
        done=lambda unit: reverse("cobuilding_unit", args=[unit.pk]),
        title=_("Register a resident unit"),
        back=reverse("cobuilding"),
    )


@staff_required
def unit_detail(request, pk):
    unit = selectors.unit_get(actor=request.user, pk=pk)
    return render(
        request,
        "cobuilding/unit.html",
        {
            "tab": "units",
            "unit": unit,
            "agreements": selectors.agreement_list(actor=request.user).filter(unit=unit),
            "can_manage": access.can(request.user, A.MANAGE, unit.place_path),
        },
    )


@staff_required
def agreement_create(request, pk):
    unit = selectors.unit_get(actor=request.user, pk=pk)
    access.require(request.user, A.MANAGE, unit.place_path)
    return form_page(
        request,
        forms.AgreementForm(request.POST or None),
        save=lambda data: services.agreement_create(actor=request.user, unit=unit, **data),
        done=lambda agreement: reverse("cobuilding_agreement", args=[agreement.pk]),
        title=_("Co-building agreement with %(unit)s") % {"unit": unit.name},
        back=reverse("cobuilding_unit", args=[unit.pk]),
    )


@staff_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_get(actor=request.user, pk=pk)
    return render(
        request,
        "cobuilding/agreement.html",
        {
            "tab": "units",
            "agreement": agreement,
            "commitments": agreement.commitments.select_related("checked_by"),
            "fulfilment": _fulfilment_rows(
                selectors.fulfilment_by_category(actor=request.user, agreement=agreement)
            ),
            "can_manage": access.can(request.user, A.MANAGE, agreement.place_path),
            "check_form": forms.CommitmentCheckForm(),
        },
    )


@staff_required
def commitment_add(request, pk):
    agreement = selectors.agreement_get(actor=request.user, pk=pk)
    access.require(request.user, A.MANAGE, agreement.place_path)
    return form_page(
        request,
        forms.CommitmentForm(request.POST or None),
        save=lambda data: services.commitment_add(actor=request.user, agreement=agreement, **data),
        done=lambda c: reverse("cobuilding_agreement", args=[agreement.pk]),
        title=_("Add a commitment"),
        back=reverse("cobuilding_agreement", args=[agreement.pk]),
    )


@staff_required
@require_POST
def commitment_check(request, pk):
    commitment = selectors.commitment_get(actor=request.user, pk=pk)
    form = forms.CommitmentCheckForm(request.POST)
    if form.is_valid():
        _flash(
            request,
            lambda: services.commitment_check(actor=request.user, commitment=commitment, **form.cleaned_data),
            _("Saved."),
        )
    else:
        messages.error(request, _("Please choose the status."))
    return redirect("cobuilding_agreement", pk=commitment.agreement_id)


@staff_required
def meetings(request):
    _viewer(request)
    return render(
        request,
        "cobuilding/meetings.html",
        {
            "tab": "meetings",
            "meetings": selectors.meeting_list(actor=request.user)[:100],
            "can_manage": access.can(request.user, A.MANAGE),
        },
    )


@staff_required
def meeting_create(request):
    access.require(request.user, A.MANAGE)
    return form_page(
        request,
        forms.MeetingForm(request.POST or None, actor=request.user),
        save=lambda data: services.meeting_record(actor=request.user, **data),
        done=lambda meeting: reverse("cobuilding_meeting", args=[meeting.pk]),
        title=_("Record a joint meeting"),
        back=reverse("cobuilding_meetings"),
    )


@staff_required
def meeting_detail(request, pk):
    meeting = selectors.meeting_get(actor=request.user, pk=pk)
    return render(request, "cobuilding/meeting.html", {"tab": "meetings", "meeting": meeting})


# --- pairings -----------------------------------------------------------------------------------


@staff_required
def pairings(request):
    _viewer(request)
    return render(
        request,
        "cobuilding/pairings.html",
        {
            "tab": "pairings",
            "pairings": selectors.pairing_list(actor=request.user).select_related("place"),
            "can_manage": access.can(request.user, A.MANAGE),
        },
    )


@staff_required
def pairing_create(request):
    access.require(request.user, A.MANAGE)
    return form_page(
        request,
        forms.PairingForm(request.POST or None, actor=request.user),
        save=lambda data: services.pairing_create(actor=request.user, **data),
        done=lambda pairing: reverse("cobuilding_pairing", args=[pairing.pk]),
        title=_("Add a paired leader or department"),
        back=reverse("cobuilding_pairings"),
    )


@staff_required
def pairing_detail(request, pk):
    from lianxin.visits.services import request_numbers

    pairing = selectors.pairing_get(actor=request.user, pk=pk)
    visits = list(pairing.visits.prefetch_related("problems"))
    numbers = request_numbers([p.request_id for v in visits for p in v.problems.all()])
    for visit in visits:
        for problem in visit.problems.all():
            problem.request_number = numbers.get(problem.request_id, "")
    return render(
        request,
        "cobuilding/pairing.html",
        {
            "tab": "pairings",
            "pairing": pairing,
            "visits": visits,
            "can_manage": access.can(request.user, A.MANAGE, pairing.place_path),
            "follow_form": forms.ProblemFollowForm(),
        },
    )


@staff_required
def pairing_visit(request, pk):
    pairing = selectors.pairing_get(actor=request.user, pk=pk)
    access.require(request.user, A.MANAGE, pairing.place_path)

    def save(data):
        problems = (data.pop("problems") or "").splitlines()
        return services.pairing_visit_record(actor=request.user, pairing=pairing, problems=problems, **data)

    return form_page(
        request,
        forms.PairingVisitForm(request.POST or None),
        save=save,
        done=lambda visit: reverse("cobuilding_pairing", args=[pairing.pk]),
        title=_("Record a visit of %(name)s") % {"name": pairing.name},
        back=reverse("cobuilding_pairing", args=[pairing.pk]),
    )


@staff_required
@require_POST
def problem_follow(request, pk):
    problem = selectors.problem_get(actor=request.user, pk=pk)
    form = forms.ProblemFollowForm(request.POST)
    if form.is_valid():
        _flash(
            request,
            lambda: services.problem_follow(actor=request.user, problem=problem, **form.cleaned_data),
            _("Saved."),
        )
    else:
        messages.error(request, _("Please say what was done."))
    return redirect("cobuilding_pairing", pk=problem.visit.pairing_id)


@staff_required
@require_POST
def problem_to_request(request, pk):
    problem = selectors.problem_get(actor=request.user, pk=pk)
    _flash(
        request,
        lambda: services.problem_to_request(actor=request.user, problem=problem),
        _("The problem is now a resident's request."),
    )
    return redirect("cobuilding_pairing", pk=problem.visit.pairing_id)


# --- facilities ---------------------------------------------------------------------------------


@staff_required
def facilities(request):
    _viewer(request)
    year = _year(request)
    return render(
        request,
        "cobuilding/facilities.html",
        {
            "tab": "facilities",
            "rooms": selectors.room_list(actor=request.user).select_related("place"),
            "pending": selectors.booking_list(actor=request.user, status=BookingStatus.PENDING)[:100],
            "upcoming": selectors.booking_list(actor=request.user, status=BookingStatus.APPROVED).filter(
                ends_at__gte=timezone.now()
            )[:50],
            "usage": selectors.usage_stats(actor=request.user, year=year),
            "year": year,
            "can_manage": access.can(request.user, A.MANAGE),
        },
    )


@staff_required
def room_create(request):
    access.require(request.user, A.MANAGE)

    def save(data):
        data["open_days"] = "".join(data["open_days"])
        return services.room_create(actor=request.user, **data)

    return form_page(
        request,
        forms.RoomForm(request.POST or None, actor=request.user),
        save=save,
        done=lambda room: reverse("cobuilding_room", args=[room.pk]),
        title=_("Add a room"),
        back=reverse("cobuilding_facilities"),
    )


@staff_required
def room_detail(request, pk):
    room = selectors.room_get(actor=request.user, pk=pk)
    return render(
        request,
        "cobuilding/room.html",
        {
            "tab": "facilities",
            "room": room,
            "bookings": room.bookings.filter(
                ends_at__gte=timezone.now() - dt.timedelta(days=30)
            ).select_related("unit"),
            "can_book": access.can(request.user, A.BOOK, room.place_path),
            "can_manage": access.can(request.user, A.MANAGE, room.place_path),
        },
    )


@staff_required
def booking_create(request, pk):
    room = selectors.room_get(actor=request.user, pk=pk)
    access.require(request.user, A.BOOK, room.place_path)

    def save(data):
        for key in ("day", "start", "end"):
            data.pop(key)
        try:
            return services.booking_create(actor=request.user, room=room, **data)
        except ValidationError as exc:
            raise _slot_errors(exc) from None

    form = forms.StaffBookingForm(request.POST or None, room=room, actor=request.user)
    return form_page(
        request,
        form,
        save=save,
        done=lambda booking: reverse("cobuilding_room", args=[room.pk]),
        title=_("Book %(room)s") % {"room": room.name},
        back=reverse("cobuilding_room", args=[room.pk]),
    )


@staff_required
@require_POST
def booking_decide(request, pk):
    booking = selectors.booking_get(actor=request.user, pk=pk)
    form = forms.BookingDecideForm(request.POST)
    if form.is_valid():
        _flash(
            request,
            lambda: services.booking_decide(actor=request.user, booking=booking, **form.cleaned_data),
            _("Saved."),
        )
    back = request.POST.get("back", "")
    if back == "room":
        return redirect("cobuilding_room", pk=booking.room_id)
    return redirect("cobuilding_facilities")


# --- funds --------------------------------------------------------------------------------------


@staff_required
def funds(request):
    _viewer(request, A.FUND_VIEW)
    year = _year(request)
    fund_rows = list(selectors.fund_list(actor=request.user, year=year))
    figures = {}
    for fund in fund_rows:
        if fund.place_id not in figures:
            figures[fund.place_id] = services.fund_figures(fund.place_id, year)
    rows = []
    for fund in fund_rows:
        row = next(r for r in figures[fund.place_id]["funds"] if r["kind"] == fund.kind)
        rows.append({"fund": fund, **row})
    return render(
        request,
        "cobuilding/funds.html",
        {
            "tab": "funds",
            "year": year,
            "rows": rows,
            "publications": _with_board_urls(selectors.publication_list(actor=request.user, year=year)),
            "can_record": access.can(request.user, A.FUND_RECORD),
        },
    )


def _with_board_urls(publications):
    """Each summary with the public page of its item on the disclosure board (when it is there)."""
    publications = list(publications)
    ids = [p.board_item_id for p in publications if p.board_item_id]
    urls = {}
    if ids:
        from lianxin.disclosure.models import BoardItem

        urls = {item.pk: item.get_absolute_url() for item in BoardItem.objects.filter(pk__in=ids)}
    for publication in publications:
        publication.board_url = urls.get(publication.board_item_id, "")
    return publications


@staff_required
def fund_create(request):
    access.require(request.user, A.FUND_RECORD)

    def save(data):
        budget = data.pop("budget")
        data["budget_fen"] = services.parse_yuan(budget) if (budget or "").strip() else None
        return services.fund_open(actor=request.user, **data)

    return form_page(
        request,
        forms.FundForm(request.POST or None, actor=request.user),
        save=save,
        done=lambda fund: reverse("cobuilding_fund", args=[fund.pk]),
        title=_("Open a fund"),
        back=reverse("cobuilding_funds"),
    )


@staff_required
def fund_detail(request, pk):
    fund = selectors.fund_get(actor=request.user, pk=pk)
    figures = services.fund_figures(fund.place_id, fund.year)
    row = next(r for r in figures["funds"] if r["kind"] == fund.kind)
    return render(
        request,
        "cobuilding/fund.html",
        {
            "tab": "funds",
            "fund": fund,
            "row": row,
            "entries": selectors.ledger(fund),
            "can_record": access.can(request.user, A.FUND_RECORD, fund.place_path),
            "can_approve": access.can(request.user, A.FUND_APPROVE, fund.place_path),
            "publication": selectors.publication_list(actor=request.user, year=fund.year)
            .filter(place_id=fund.place_id)
            .first(),
        },
    )


@staff_required
def entry_create(request, pk):
    fund = selectors.fund_get(actor=request.user, pk=pk)
    access.require(request.user, A.FUND_RECORD, fund.place_path)

    def save(data):
        data["amount_fen"] = services.parse_yuan(data.pop("amount"))
        return services.entry_record(actor=request.user, fund=fund, **data)

    return form_page(
        request,
        forms.EntryForm(request.POST or None, initial={"occurred_on": timezone.localdate()}),
        save=save,
        done=lambda entry: reverse("cobuilding_fund", args=[fund.pk]),
        title=_("Record a ledger line: %(fund)s") % {"fund": fund},
        back=reverse("cobuilding_fund", args=[fund.pk]),
    )


@staff_required
@require_POST
def entry_decide(request, pk):
    entry = selectors.entry_get(actor=request.user, pk=pk)
    form = forms.EntryDecideForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    _flash(
        request,
        lambda: services.entry_decide(
            actor=request.user, entry=entry, approve=bool(data.get("approve")), note=data.get("note", "")
        ),
        _("Saved."),
    )
    return redirect("cobuilding_fund", pk=entry.fund_id)


@staff_required
@require_POST
def entry_reverse(request, pk):
    entry = selectors.entry_get(actor=request.user, pk=pk)
    form = forms.ReasonForm(request.POST)
    form.is_valid()
    _flash(
        request,
        lambda: services.entry_reverse(
            actor=request.user, entry=entry, reason=form.cleaned_data.get("reason", "")
        ),
        _("The line is reversed."),
    )
    return redirect("cobuilding_fund", pk=entry.fund_id)


@staff_required
@require_POST
def voucher_add(request, pk):
    entry = selectors.entry_get(actor=request.user, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Please choose a file."))
    else:
        _flash(
            request, lambda: services.voucher_add(actor=request.user, entry=entry, upload=upload), _("Saved.")
        )
    return redirect("cobuilding_fund", pk=entry.fund_id)


@staff_required
def voucher(request, pk):
    from .models import Voucher

    item = get_object_or_404(Voucher.objects.select_related("entry"), pk=pk)
    selectors.entry_get(actor=request.user, pk=item.entry_id)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="voucher-{item.pk}{item.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def hardship_take_in(request, pk):
    fund = selectors.fund_get(actor=request.user, pk=pk)
    try:
        added = services.hardship_take_in(actor=request.user, fund=fund)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(count)d payments taken into the ledger.") % {"count": added})
    return redirect("cobuilding_fund", pk=fund.pk)


# --- volunteers ---------------------------------------------------------------------------------


@staff_required
def volunteers(request):
    _viewer(request)
    year = _year(request)
    return render(
        request,
        "cobuilding/volunteers.html",
        {
            "tab": "volunteers",
            "year": year,
            "volunteers": selectors.volunteer_list(actor=request.user).select_related("member")[:300],
            "activities": selectors.activity_list(actor=request.user)[:50],
            "targets": selectors.target_progress(actor=request.user, year=year),
            "can_manage": access.can(request.user, A.MANAGE),
        },
    )


@staff_required
def volunteer_create(request):
    access.require(request.user, A.MANAGE)
    return form_page(
        request,
        forms.VolunteerForm(request.POST or None, actor=request.user),
        save=lambda data: services.volunteer_register(actor=request.user, **data),
        done=lambda v: reverse("cobuilding_volunteers"),
        title=_("Register a volunteer"),
        back=reverse("cobuilding_volunteers"),
    )


@staff_required
def activity_create(request):
    access.require(request.user, A.MANAGE)

    def save(data):
        hours = {v: data["hours"] for v in data.pop("volunteers")}
        data.pop("hours")
        return services.activity_record(actor=request.user, hours=hours, **data)

    return form_page(
        request,
        forms.ActivityForm(request.POST or None, actor=request.user),
        save=save,
        done=lambda activity: reverse("cobuilding_activity", args=[activity.pk]),
        title=_("Record a volunteer activity"),
        back=reverse("cobuilding_volunteers"),
    )


@staff_required
def activity_detail(request, pk):
    activity = selectors.activity_get(actor=request.user, pk=pk)
    return render(
        request,
        "cobuilding/activity.html",
        {"tab": "volunteers", "activity": activity, "hours": activity.hours.select_related("volunteer")},
    )


@staff_required
def target_set(request):
    access.require(request.user, A.MANAGE)
    return form_page(
        request,
        forms.TargetForm(request.POST or None, actor=request.user),
        save=lambda data: services.target_set(actor=request.user, **data),
        done=lambda t: reverse("cobuilding_volunteers") + f"?year={t.year}",
        title=_("Party-member volunteer target"),
        back=reverse("cobuilding_volunteers"),
    )


# --- the resident portal ------------------------------------------------------------------------

PORTAL_LIMITS = {"book": (10, 3600), "status": (20, 600)}


def _over_limit(request, kind: str) -> bool:
    limit, window = PORTAL_LIMITS[kind]
    key = f"cobuilding:portal:{kind}:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


def portal_rooms(request):
    """Rooms residents may book, by community; the free and taken times of a chosen day."""
    rooms = list(selectors.public_rooms())
    return render(request, "cobuilding/portal_rooms.html", {"rooms": rooms})


@never_cache
def portal_book(request, pk):
    room = get_object_or_404(Room.objects.select_related("place"), pk=pk, active=True, public=True)
    day = timezone.localdate() + dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) or day
    except ValueError:
        pass
    form = forms.PortalBookingForm(request.POST or None, room=room, day=day)
    created, limited = None, False
    if request.method == "POST":
        if _over_limit(request, "book"):
            limited = True
        elif form.is_valid():
            data = form.cleaned_data
            day = data["day"]
            try:
                created = services.booking_create(
                    actor=None,
                    room=room,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    purpose=data["purpose"],
                    booker_kind=data["booker_kind"],
                    booker_name=data["booker_name"],
                    phone=data["phone"],
                    people=data["people"],
                    unit=data.get("unit"),
                )
            except ValidationError as exc:
                apply_service_errors(form, _slot_errors(exc))
    return render(
        request,
        "cobuilding/portal_book.html",
        {
            "room": room,
            "form": form,
            "created": created,
            "limited": limited,
            "day": day,
            "taken": selectors.room_taken(room, day),
        },
        status=429 if limited else 200,
    )


@never_cache
def portal_status(request):
    """A resident looks up a booking by its code: room, time and status, nothing personal."""
    form = forms.BookingCodeForm(request.POST or request.GET or None)
    booking, not_found, limited = None, False, False
    if form.is_bound:
        if _over_limit(request, "status"):
            limited = True
        elif form.is_valid():
            booking = selectors.booking_by_code(form.cleaned_data["code"])
            not_found = booking is None
    return render(
        request,
        "cobuilding/portal_status.html",
        {"form": form, "booking": booking, "not_found": not_found, "limited": limited},
        status=429 if limited else 200,
    )
