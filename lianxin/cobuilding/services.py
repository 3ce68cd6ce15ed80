"""Writes of D11 共驻共建. Each service checks access, validates, writes, audits, in one transaction.

Rules and their sources (../shared/DOMAIN.md D11 and the seed text):
- agreements carry each side's commitments under the six categories of 六联六共;
- rooms are booked without overlaps: the room row is locked, then the overlap is checked, then
  the booking is written, in one transaction (exactly one of concurrent bookings of a slot wins);
- fund ledgers are append-only: a mistake is undone by a reversal line; spending needs a second
  person's approval (lianxin.core.access.require_not_self); every change republishes the community's
  funds summary (财务公开) in the same transaction, so the summary always matches the ledger;
- party activity funds default to 100 yuan per member a year; operating funds to about 120,000 yuan.
"""

import datetime as dt
import random
import secrets
import time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, codes, crypto
from lianxin.places.models import Place, PlaceKind

from .actions import CobuildingAction as A
from .models import (
    HOLDING,
    Agreement,
    BookerKind,
    Booking,
    BookingStatus,
    Category,
    Commitment,
    CommitmentStatus,
    Direction,
    EntryStatus,
    Fund,
    FundKind,
    FundPublication,
    JointMeeting,
    LedgerEntry,
    Pairing,
    PairingKind,
    PairingVisit,
    Problem,
    ProblemStatus,
    ResidentUnit,
    Room,
    RoomKind,
    Side,
    UnitKind,
    Volunteer,
    VolunteerActivity,
    VolunteerHours,
    VolunteerTarget,
    Voucher,
)

PARTY_FUND_PER_MEMBER_FEN = 100 * 100
OPERATING_FUND_DEFAULT_FEN = 120_000 * 100
MAX_BOOKING_HOURS = 4
BOOK_AHEAD_DAYS = 60
MAX_VOUCHERS = 5
CODE_ALPHABET = codes.ALPHABET


def _community(place) -> Place:
    if not isinstance(place, Place):
        raise ValidationError({"place": _("Please choose a community.")})
    place = Place.objects.get(pk=place.pk)
    if place.kind != PlaceKind.COMMUNITY:
        raise ValidationError({"place": _("Please choose a community.")})
    return place


def _text(value, field, message, errors, limit=None):
    value = (value or "").strip()
    if not value:
        errors[field] = message
    elif limit and len(value) > limit:
        errors[field] = _("Please keep this under %(count)d characters.") % {"count": limit}
    return value


def _raise(errors):
    if errors:
        raise ValidationError(errors)


# --- resident units and agreements ---------------------------------------------------------------


@transaction.atomic
def unit_create(
    *,
    actor,
    place,
    name: str,
    kind: str = UnitKind.ENTERPRISE,
    address: str = "",
    contact_name: str = "",
    contact_title: str = "",
    contact_phone: str = "",
    party_members: int = 0,
) -> ResidentUnit:
    """Register a resident unit (驻区单位) of a community with its contact."""
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    errors = {}
    name = _text(name, "name", _("Please enter the unit's name."), errors, 120)
    if kind not in UnitKind.values:
        errors["kind"] = _("Please choose the kind of unit.")
    digits = "".join(ch for ch in (contact_phone or "") if ch.isdigit() or ch == "-")
    if contact_phone and not 7 <= len(digits.replace("-", "")) <= 15:
        errors["contact_phone"] = _("Enter a phone number of 7 to 15 digits.")
    if not errors and ResidentUnit.objects.filter(place=place, name=name).exists():
        errors["name"] = _("This community already has a unit of this name.")
    _raise(errors)
    unit = ResidentUnit.objects.create(
        place=place,
        name=name,
        kind=kind,
        address=(address or "").strip(),
        contact_name=(contact_name or "").strip(),
        contact_title=(contact_title or "").strip(),
        contact_phone=digits,
        party_members=party_members or 0,
    )
    audit.record(actor=actor, action="cobuilding.unit_create", obj=unit, after={"name": name, "kind": kind})
    return unit


def _commitment_errors(side, category, content, prefix=""):
    errors = {}
    if side not in Side.values:
        errors[f"{prefix}side"] = _("Please choose the side that commits.")
    if category not in Category.values:
        errors[f"{prefix}category"] = _("Please choose one of the six categories.")
    if not (content or "").strip():
        errors[f"{prefix}content"] = _("Please describe the commitment.")
    return errors


@transaction.atomic
def agreement_create(
    *,
    actor,
    unit: ResidentUnit,
    title: str,
    signed_on: dt.date,
    ends_on: dt.date | None = None,
    commitments=(),
) -> Agreement:
    """A co-building agreement (共建协议) with its commitments: (side, category, content, due_on)."""
    unit = ResidentUnit.objects.get(pk=unit.pk)
    access.require(actor, A.MANAGE, unit.place_path)
    errors = {}
    title = _text(title, "title", _("Please enter the agreement's title."), errors, 160)
    if signed_on is None:
        errors["signed_on"] = _("Please enter the date it was signed.")
    elif ends_on is not None and ends_on < signed_on:
        errors["ends_on"] = _("The end date cannot be before the signing date.")
    for side, category, content, _due in commitments:
        errors.update(_commitment_errors(side, category, content))
    _raise(errors)
    agreement = Agreement.objects.create(
        unit=unit, place_id=unit.place_id, title=title, signed_on=signed_on, ends_on=ends_on, created_by=actor
    )
    for side, category, content, due_on in commitments:
        Commitment.objects.create(
            agreement=agreement,
            place_id=unit.place_id,
            side=side,
            category=category,
            content=content.strip(),
            due_on=due_on,
        )
    audit.record(
        actor=actor,
        action="cobuilding.agreement_create",
        obj=agreement,
        after={"unit": unit.pk, "title": title, "commitments": len(commitments)},
    )
    return agreement


@transaction.atomic
def commitment_add(
    *, actor, agreement: Agreement, side: str, category: str, content: str, due_on=None
) -> Commitment:
    agreement = Agreement.objects.get(pk=agreement.pk)
    access.require(actor, A.MANAGE, agreement.place_path)
    _raise(_commitment_errors(side, category, content))
    commitment = Commitment.objects.create(
        agreement=agreement,
        place_id=agreement.place_id,
        side=side,
        category=category,
        content=content.strip(),
        due_on=due_on,
    )
    audit.record(
        actor=actor,
        action="cobuilding.commitment_add",
        obj=commitment,
        after={"agreement": agreement.pk, "side": side, "category": category},
    )
    return commitment


@transaction.atomic
def commitment_check(*, actor, commitment: Commitment, status: str, fulfilment: str = "") -> Commitment:
    """Record how a commitment was fulfilled (履约跟踪): fulfilled or not, with what was done."""
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    access.require(actor, A.MANAGE, commitment.place_path)
    errors = {}
    if status not in CommitmentStatus.values:
        errors["status"] = _("Please choose the status.")
    fulfilment = (fulfilment or "").strip()
    if status in (CommitmentStatus.DONE, CommitmentStatus.MISSED) and not fulfilment:
        errors["fulfilment"] = _("Please say what was done, or why not.")
    _raise(errors)
    before = {"status": commitment.status, "fulfilment": commitment.fulfilment}
    commitment.status, commitment.fulfilment = status, fulfilment
    commitment.checked_on, commitment.checked_by = timezone.localdate(), actor
    commitment.save(update_fields=["status", "fulfilment", "checked_on", "checked_by"])
    audit.record(
        actor=actor,
        action="cobuilding.commitment_check",
        obj=commitment,
        before=before,
        after={"status": status, "fulfilment": fulfilment},
    )
    return commitment


@transaction.atomic
def meeting_record(
    *, actor, place, title: str, held_on: dt.date, minutes: str, decisions: str = "", units=()
) -> JointMeeting:
    """A joint meeting (联席会议) of the community and its units, with minutes."""
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    errors = {}
    title = _text(title, "title", _("Please enter the meeting's title."), errors, 160)
    minutes = _text(minutes, "minutes", _("Please enter the minutes."), errors)
    if held_on is None:
        errors["held_on"] = _("Please enter the date it was held.")
    elif held_on > timezone.localdate():
        errors["held_on"] = _("A meeting is recorded once it has been held.")
    units = list(units)
    if any(u.place_id != place.pk for u in units):
        errors["units"] = _("Choose units of this community.")
    _raise(errors)
    meeting = JointMeeting.objects.create(
        place=place,
        title=title,
        held_on=held_on,
        minutes=minutes,
        decisions=(decisions or "").strip(),
        recorded_by=actor,
    )
    meeting.units.set(units)
    audit.record(
        actor=actor,
        action="cobuilding.meeting_record",
        obj=meeting,
        after={"title": title, "held_on": held_on, "units": [u.pk for u in units]},
    )
    return meeting


# --- 联点: paired city leaders and departments ---------------------------------------------------


@transaction.atomic
def pairing_create(*, actor, place, kind: str, name: str, post: str = "", started_on: dt.date) -> Pairing:
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    errors = {}
    if kind not in PairingKind.values:
        errors["kind"] = _("Please choose a leader or a department.")
    name = _text(name, "name", _("Please enter the name."), errors, 120)
    if started_on is None:
        errors["started_on"] = _("Please enter the date the pairing began.")
    _raise(errors)
    pairing = Pairing.objects.create(
        place=place, kind=kind, name=name, post=(post or "").strip(), started_on=started_on
    )
    audit.record(
        actor=actor, action="cobuilding.pairing_create", obj=pairing, after={"kind": kind, "name": name}
    )
    return pairing


@transaction.atomic
def pairing_visit_record(
    *, actor, pairing: Pairing, visited_on: dt.date, summary: str, problems=()
) -> PairingVisit:
    """A visit of the paired leader or department, with the problems raised (one per item)."""
    pairing = Pairing.objects.get(pk=pairing.pk)
    access.require(actor, A.MANAGE, pairing.place_path)
    errors = {}
    summary = _text(summary, "summary", _("Please summarise the visit."), errors)
    if visited_on is None:
        errors["visited_on"] = _("Please enter the date of the visit.")
    elif visited_on > timezone.localdate():
        errors["visited_on"] = _("A visit is recorded once it has taken place.")
    _raise(errors)
    visit = PairingVisit.objects.create(
        pairing=pairing, place_id=pairing.place_id, visited_on=visited_on, summary=summary, recorded_by=actor
    )
    texts = [p.strip() for p in problems if p and p.strip()]
    for text in texts:
        Problem.objects.create(visit=visit, place_id=pairing.place_id, description=text)
    audit.record(
        actor=actor,
        action="cobuilding.pairing_visit",
        obj=visit,
        after={"pairing": pairing.pk, "visited_on": visited_on, "problems": len(texts)},
    )
    return visit


PROBLEM_MOVES = {
    ProblemStatus.OPEN: {ProblemStatus.FOLLOWING, ProblemStatus.SOLVED},
    ProblemStatus.FOLLOWING: {ProblemStatus.FOLLOWING, ProblemStatus.SOLVED},
    ProblemStatus.SOLVED: set(),
}


@transaction.atomic
def problem_follow(*, actor, problem: Problem, status: str, follow_up: str) -> Problem:
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    access.require(actor, A.MANAGE, problem.place_path)
    follow_up = (follow_up or "").strip()
    if status not in PROBLEM_MOVES.get(problem.status, set()):
        raise ValidationError({"status": _("This problem is already solved.")})
    if not follow_up:
        raise ValidationError({"follow_up": _("Please say what was done.")})
    before = {"status": problem.status, "follow_up": problem.follow_up}
    stamp = timezone.localdate().isoformat()
    problem.follow_up = f"{problem.follow_up}\n{stamp} {follow_up}".strip()
    problem.status = status
    if status == ProblemStatus.SOLVED:
        problem.solved_on = timezone.localdate()
    problem.save(update_fields=["status", "follow_up", "solved_on"])
    audit.record(
        actor=actor, action="cobuilding.problem_follow", obj=problem, before=before, after={"status": status}
    )
    return problem


@transaction.atomic
def problem_to_request(*, actor, problem: Problem, category=None):
    """Turn a problem raised on a pairing visit into a resident's request (D4) with the community
    and the text filled in. Once per problem: the row is locked, a second call returns the first
    request. Returns (request id, created)."""
    from lianxin.appeals import services as appeals_services

    access.require(actor, A.MANAGE, problem.place_path)
    problem = Problem.objects.select_for_update().select_related("visit__pairing").get(pk=problem.pk)
    if problem.request_id is not None:
        return problem.request_id, False
    pairing = problem.visit.pairing
    text = _("Raised by %(name)s on the pairing visit of %(date)s: %(problem)s") % {
        "name": pairing.name,
        "date": problem.visit.visited_on.isoformat(),
        "problem": problem.description,
    }
    request = appeals_services.request_intake(
        actor=actor,
        channel="visit",
        place=Place.objects.get(pk=problem.place_id),
        category=category or "other",
        description=text,
        requester_name=pairing.name[:60],
    )
    Problem.objects.filter(pk=problem.pk, request_id__isnull=True).update(request_id=request.pk)
    audit.record(
        actor=actor,
        action="cobuilding.problem_to_request",
        obj=problem,
        before={"request_id": None},
        after={"request_id": request.pk, "number": request.number},
    )
    return request.pk, True


# --- facilities ---------------------------------------------------------------------------------


@transaction.atomic
def room_create(
    *,
    actor,
    place,
    name: str,
    kind: str,
    opens_at: dt.time,
    closes_at: dt.time,
    capacity: int = 20,
    area: int | None = None,
    open_days: str = "1234567",
    public: bool = True,
) -> Room:
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    errors = {}
    name = _text(name, "name", _("Please enter the room's name."), errors, 80)
    if kind not in RoomKind.values:
        errors["kind"] = _("Please choose the kind of room.")
    if opens_at is None or closes_at is None or opens_at >= closes_at:
        errors["closes_at"] = _("The closing time must be after the opening time.")
    days = "".join(sorted({d for d in (open_days or "") if d in "1234567"}))
    if not days:
        errors["open_days"] = _("Choose at least one day it is open.")
    if not capacity or capacity < 1:
        errors["capacity"] = _("The capacity must be at least one person.")
    if not errors and Room.objects.filter(place=place, name=name).exists():
        errors["name"] = _("This community already has a room of this name.")
    _raise(errors)
    room = Room.objects.create(
        place=place,
        name=name,
        kind=kind,
        opens_at=opens_at,
        closes_at=closes_at,
        capacity=capacity,
        area=area,
        open_days=days,
        public=public,
    )
    audit.record(actor=actor, action="cobuilding.room_create", obj=room, after={"name": name, "kind": kind})
    return room


def _new_code() -> str:
    return codes.new_code(8)


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in (phone or "") if ch.isdigit())


def mask_phone(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else ""


def booking_slot_errors(room: Room, starts_at, ends_at, *, now=None) -> dict:
    """Why a time range cannot be booked in this room (opening hours, past, too long, too far)."""
    errors = {}
    now = now or timezone.now()
    if starts_at is None or ends_at is None:
        return {"starts_at": _("Please choose the date and the time.")}
    if starts_at >= ends_at:
        return {"ends_at": _("The end time must be after the start time.")}
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if starts_at < now:
        errors["starts_at"] = _("This time has already passed.")
    elif local_start.date() > timezone.localdate(now) + dt.timedelta(days=BOOK_AHEAD_DAYS):
        errors["starts_at"] = _("Rooms can be booked at most %(days)d days ahead.") % {
            "days": BOOK_AHEAD_DAYS
        }
    if local_start.date() != local_end.date():
        errors["ends_at"] = _("A booking must start and end on the same day.")
    elif str(local_start.isoweekday()) not in room.open_days:
        errors["starts_at"] = _("The room is closed on this day.")
    elif local_start.time() < room.opens_at or local_end.time() > room.closes_at:
        errors["starts_at"] = _("The room is open from %(opens)s to %(closes)s.") % {
            "opens": room.opens_at.strftime("%H:%M"),
            "closes": room.closes_at.strftime("%H:%M"),
        }
    if (ends_at - starts_at) > dt.timedelta(hours=MAX_BOOKING_HOURS):
        errors["ends_at"] = _("A booking may last at most %(hours)d hours.") % {"hours": MAX_BOOKING_HOURS}
    return errors


def booking_create(**kwargs) -> Booking:
    """Book a room (see ``_booking_create``). On SQLite a writer that finds the database locked
    waits a moment and tries again: an in-memory database shared between threads (the test suite)
    answers "table is locked" at once instead of honouring the busy timeout. Nothing was written by
    the failed attempt (it ran in its own transaction)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return _booking_create(**kwargs)
    for attempt in range(60):
        try:
            return _booking_create(**kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 59:
                raise
            time.sleep(0.01 + random.random() * 0.05)
    raise AssertionError("unreachable")  # pragma: no cover


def _booking_create(
    *,
    actor,
    room: Room,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    purpose: str,
    booker_kind: str,
    booker_name: str = "",
    phone: str = "",
    people: int = 1,
    unit: ResidentUnit | None = None,
) -> Booking:
    """Book a room. ``actor`` None: a resident on the portal (public rooms only; name and phone
    needed, the phone stored encrypted and masked). Staff bookings are approved at once, others wait
    for staff. Concurrent bookings of one slot: the room row is locked first (select_for_update; on
    SQLite the IMMEDIATE transaction holds the database write lock), then overlaps are checked, so
    exactly one succeeds and the others get a clear message."""
    room = Room.objects.get(pk=room.pk)
    if actor is not None:
        access.require(actor, A.BOOK, room.place_path)
    errors = {}
    if not room.active or (actor is None and not room.public):
        raise ValidationError({"room": _("This room cannot be booked.")})
    if booker_kind not in BookerKind.values or (actor is None and booker_kind == BookerKind.STAFF):
        errors["booker_kind"] = _("Please say who is booking.")
    purpose = _text(purpose, "purpose", _("Please say what the room is for."), errors, 200)
    if actor is not None and booker_kind == BookerKind.STAFF:
        booker_name = booker_name or actor.display_name or actor.username
    booker_name = _text(booker_name, "booker_name", _("Please enter your name."), errors, 60)
    digits = phone_digits(phone)
    if actor is None and not 7 <= len(digits) <= 15:
        errors["phone"] = _("Enter a phone number of 7 to 15 digits.")
    if booker_kind == BookerKind.UNIT and (unit is None or unit.place_id != room.place_id):
        errors["unit"] = _("Please choose a resident unit of this community.")
    if not people or people < 1:
        errors["people"] = _("At least one person.")
    elif people > room.capacity:
        errors["people"] = _("The room holds at most %(count)d people.") % {"count": room.capacity}
    errors.update(booking_slot_errors(room, starts_at, ends_at))
    _raise(errors)
    staff_booking = actor is not None and booker_kind == BookerKind.STAFF
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # The per-room lock: every booking of this room queues here.
                Room.objects.select_for_update().get(pk=room.pk)
                clash = (
                    Booking.objects.filter(
                        room_id=room.pk, status__in=HOLDING, starts_at__lt=ends_at, ends_at__gt=starts_at
                    )
                    .order_by("starts_at")
                    .first()
                )
                if clash is not None:
                    raise ValidationError(
                        {
                            "starts_at": _(
                                "This time is already booked (%(start)s–%(end)s). Please choose another time."
                            )
                            % {
                                "start": timezone.localtime(clash.starts_at).strftime("%H:%M"),
                                "end": timezone.localtime(clash.ends_at).strftime("%H:%M"),
                            }
                        }
                    )
                booking = Booking.objects.create(
                    room=room,
                    place_id=room.place_id,
                    code=_new_code(),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    purpose=purpose,
                    people=people,
                    booker_kind=booker_kind,
                    booker_name=booker_name,
                    unit=unit if booker_kind == BookerKind.UNIT else None,
                    phone_encrypted=crypto.encrypt(digits),
                    phone_masked=mask_phone(digits),
                    status=BookingStatus.APPROVED if staff_booking else BookingStatus.PENDING,
                    created_by=actor,
                    decided_by=actor if staff_booking else None,
                    decided_at=timezone.now() if staff_booking else None,
                )
                audit.record(
                    actor=actor,
                    action="cobuilding.booking_create",
                    obj=booking,
                    after={
                        "room": room.pk,
                        "starts_at": starts_at.isoformat(),
                        "ends_at": ends_at.isoformat(),
                        "booker_kind": booker_kind,
                        "status": booking.status,
                    },
                )
                return booking
        except IntegrityError:
            continue  # the random code collided: draw another
    raise ValidationError(_("Please try again."))  # pragma: no cover


BOOKING_MOVES = {
    BookingStatus.PENDING: {BookingStatus.APPROVED, BookingStatus.REJECTED, BookingStatus.CANCELLED},
    BookingStatus.APPROVED: {BookingStatus.CANCELLED},
    BookingStatus.REJECTED: set(),
    BookingStatus.CANCELLED: set(),
}


@transaction.atomic
def booking_decide(*, actor, booking: Booking, status: str, note: str = "") -> Booking:
    """Staff approve, reject or cancel a booking (compare-and-set on the status)."""
    booking = Booking.objects.get(pk=booking.pk)
    access.require(actor, A.MANAGE, booking.place_path)
    if status not in BOOKING_MOVES.get(booking.status, set()):
        raise ValidationError(_("This booking has already been decided."))
    note = (note or "").strip()[:200]
    if status == BookingStatus.REJECTED and not note:
        raise ValidationError({"note": _("Please give the reason, the resident will see it.")})
    if not Booking.objects.filter(pk=booking.pk, status=booking.status).update(
        status=status, decided_by=actor, decided_at=timezone.now(), decision_note=note
    ):
        raise ValidationError(_("This booking has already been decided."))
    before = {"status": booking.status}
    booking.refresh_from_db()
    audit.record(
        actor=actor, action="cobuilding.booking_decide", obj=booking, before=before, after={"status": status}
    )
    return booking


# --- funds --------------------------------------------------------------------------------------


def party_fund_default_fen(place: Place) -> int:
    """100 yuan per active party member of the community a year (D11)."""
    from lianxin.registry.models import MemberStatus, PartyMember

    return (
        PartyMember.objects.under(place.path).filter(status=MemberStatus.ACTIVE).count()
        * PARTY_FUND_PER_MEMBER_FEN
    )


def parse_yuan(text) -> int:
    """Fen from a yuan amount as typed ("1,200.50"); never through float."""
    try:
        value = Decimal(str(text).replace(",", "").replace("，", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter an amount in yuan, e.g. 1200.50.")}) from None
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount in yuan with at most two decimals.")})
    return int(value * 100)


def _publication_lock(place_id: int, year: int) -> FundPublication:
    """Every ledger write of a community and year takes this row's lock first: writes queue, and the
    summary each one publishes is computed from a ledger no one else is changing."""
    publication, _created = FundPublication.objects.get_or_create(
        place_id=place_id, year=year, defaults={"figures": {}, "title": "", "body": ""}
    )
    return FundPublication.objects.select_for_update().get(pk=publication.pk)


@transaction.atomic
def fund_open(*, actor, place, kind: str, year: int, budget_fen: int | None = None, note: str = "") -> Fund:
    place = _community(place)
    access.require(actor, A.FUND_RECORD, place)
    if kind not in FundKind.values:
        raise ValidationError({"kind": _("Please choose the fund.")})
    if budget_fen is None:
        budget_fen = {
            FundKind.PARTY: party_fund_default_fen(place),
            FundKind.OPERATING: OPERATING_FUND_DEFAULT_FEN,
        }.get(kind, 0)
    if budget_fen < 0:
        raise ValidationError({"budget": _("The budget cannot be negative.")})
    if not year or not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Please enter the year.")})
    _publication_lock(place.pk, year)
    if Fund.objects.filter(place=place, kind=kind, year=year).exists():
        raise ValidationError({"kind": _("This fund is already open for that year.")})
    fund = Fund.objects.create(
        place=place, kind=kind, year=year, budget_fen=budget_fen, note=(note or "").strip()
    )
    audit.record(
        actor=actor,
        action="cobuilding.fund_open",
        obj=fund,
        after={"kind": kind, "year": year, "budget_fen": budget_fen},
    )
    funds_publish(actor=actor, place=place, year=year)
    return fund


@transaction.atomic
def fund_budget_set(*, actor, fund: Fund, budget_fen: int, reason: str) -> Fund:
    """Change a fund's budget (e.g. the district's allocation changed); needs a reason."""
    access.require(actor, A.FUND_APPROVE, fund.place_path)
    _publication_lock(fund.place_id, fund.year)
    fund = Fund.objects.get(pk=fund.pk)
    if budget_fen is None or budget_fen < 0:
        raise ValidationError({"budget": _("The budget cannot be negative.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    before = {"budget_fen": fund.budget_fen}
    fund.budget_fen = budget_fen
    fund.save(update_fields=["budget_fen"])
    audit.record(
        actor=actor,
        action="cobuilding.fund_budget",
        obj=fund,
        before=before,
        after={"budget_fen": budget_fen},
        reason=reason.strip(),
    )
    funds_publish(actor=actor, place=fund.place, year=fund.year)
    return fund


@transaction.atomic
def entry_record(
    *,
    actor,
    fund: Fund,
    direction: str,
    amount_fen: int,
    occurred_on: dt.date,
    purpose: str,
    payee: str = "",
) -> LedgerEntry:
    """A ledger line. Income is in the ledger at once; spending waits for a second person's approval."""
    access.require(actor, A.FUND_RECORD, fund.place_path)
    _publication_lock(fund.place_id, fund.year)
    fund = Fund.objects.get(pk=fund.pk)
    errors = {}
    if direction not in Direction.values:
        errors["direction"] = _("Please choose income or spending.")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount"] = _("The amount must be more than zero.")
    purpose = _text(purpose, "purpose", _("Please say what the money was for."), errors, 200)
    if occurred_on is None or occurred_on > timezone.localdate():
        errors["occurred_on"] = _("Please enter the date (not in the future).")
    elif occurred_on.year != fund.year:
        errors["occurred_on"] = _("The date must fall in the fund's year %(year)d.") % {"year": fund.year}
    _raise(errors)
    income = direction == Direction.INCOME
    entry = LedgerEntry.objects.create(
        fund=fund,
        place_id=fund.place_id,
        direction=direction,
        amount_fen=amount_fen,
        occurred_on=occurred_on,
        purpose=purpose,
        payee=(payee or "").strip()[:120],
        status=EntryStatus.APPROVED if income else EntryStatus.PENDING,
        recorded_by=actor,
        approved_by=None,
        approved_at=timezone.now() if income else None,
    )
    audit.record(
        actor=actor,
        action="cobuilding.entry_record",
        obj=entry,
        after={"fund": fund.pk, "direction": direction, "amount_fen": amount_fen, "status": entry.status},
    )
    funds_publish(actor=actor, place=fund.place, year=fund.year)
    return entry


@transaction.atomic
def entry_decide(*, actor, entry: LedgerEntry, approve: bool, note: str = "") -> LedgerEntry:
    """Approve or refuse a spending line: never one's own (four eyes)."""
    access.require(actor, A.FUND_APPROVE, entry.place_path)
    _publication_lock(entry.place_id, entry.fund.year)
    entry = LedgerEntry.objects.select_related("fund").get(pk=entry.pk)
    access.require_not_self(
        actor, entry.recorded_by_id, _("You cannot approve spending you recorded yourself.")
    )
    status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("Please give the reason.")})
    if not LedgerEntry.objects.filter(pk=entry.pk, status=EntryStatus.PENDING).update(
        status=status, approved_by=actor, approved_at=timezone.now(), reason=(note or "").strip()[:200]
    ):
        raise ValidationError(_("This line has already been decided."))
    entry.refresh_from_db()
    audit.record(
        actor=actor,
        action="cobuilding.entry_decide",
        obj=entry,
        before={"status": EntryStatus.PENDING},
        after={"status": status},
        reason=(note or "").strip(),
    )
    funds_publish(actor=actor, place=entry.fund.place, year=entry.fund.year)
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Undo a line in the ledger by a new line with the opposite amount (never a deletion). A line
    is reversed once; a reversal is not reversed (record the line again instead)."""
    access.require(actor, A.FUND_APPROVE, entry.place_path)
    _publication_lock(entry.place_id, entry.fund.year)
    entry = LedgerEntry.objects.select_related("fund").get(pk=entry.pk)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    if entry.status != EntryStatus.APPROVED:
        raise ValidationError(_("Only a line in the ledger can be reversed."))
    if entry.is_reversal:
        raise ValidationError(_("A reversal cannot be reversed; record the line again."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This line has already been reversed."))
    try:
        with transaction.atomic():
            reversal = LedgerEntry.objects.create(
                fund=entry.fund,
                place_id=entry.place_id,
                direction=entry.direction,
                amount_fen=-entry.amount_fen,
                occurred_on=timezone.localdate()
                if timezone.localdate().year == entry.fund.year
                else entry.occurred_on,
                purpose=(_("Reversal of: %(purpose)s") % {"purpose": entry.purpose})[:200],
                payee=entry.payee,
                status=EntryStatus.APPROVED,
                reverses=entry,
                reason=reason.strip()[:200],
                recorded_by=actor,
                approved_by=actor,
                approved_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(_("This line has already been reversed.")) from None
    audit.record(
        actor=actor,
        action="cobuilding.entry_reverse",
        obj=reversal,
        before={"entry": entry.pk, "amount_fen": entry.amount_fen},
        after={"reversal": reversal.pk, "amount_fen": reversal.amount_fen},
        reason=reason.strip(),
    )
    funds_publish(actor=actor, place=entry.fund.place, year=entry.fund.year)
    return reversal


@transaction.atomic
def entry_correct(*, actor, entry: LedgerEntry, amount_fen: int, purpose: str, reason: str) -> LedgerEntry:
    """An edit of a line in the ledger: the line is reversed and the corrected line recorded anew
    (spending again waits for approval by someone other than its recorder)."""
    reversal = entry_reverse(actor=actor, entry=entry, reason=reason)
    original = reversal.reverses
    return entry_record(
        actor=actor,
        fund=original.fund,
        direction=original.direction,
        amount_fen=amount_fen,
        occurred_on=original.occurred_on,
        purpose=purpose or original.purpose,
        payee=original.payee,
    )


@transaction.atomic
def hardship_take_in(*, actor, fund: Fund) -> int:
    """Take the hardship-fund payments recorded in branch life (lianxin.branch HardshipPayment) into
    this hardship fund's ledger as approved spending, once each (最多报一次: never typed twice; they
    were decided by a second person there). Returns how many lines were added."""
    from lianxin.branch.models import HardshipPayment

    access.require(actor, A.FUND_RECORD, fund.place_path)
    _publication_lock(fund.place_id, fund.year)
    fund = Fund.objects.get(pk=fund.pk)
    if fund.kind != FundKind.HARDSHIP:
        raise ValidationError(_("Only a hardship fund takes in hardship payments."))
    payments = (
        HardshipPayment.objects.under(fund.place_path)
        .filter(paid_on__year=fund.year)
        .exclude(
            pk__in=LedgerEntry.objects.filter(hardship_payment__isnull=False).values("hardship_payment_id")
        )
        .select_related("application")
        .order_by("paid_on", "pk")
    )
    added = 0
    for payment in payments:
        approver = payment.application.decided_by_id
        LedgerEntry.objects.create(
            fund=fund,
            place_id=fund.place_id,
            direction=Direction.EXPENSE,
            amount_fen=int(payment.amount * 100),
            occurred_on=payment.paid_on,
            purpose=_("Hardship help, application %(number)d") % {"number": payment.application_id},
            status=EntryStatus.APPROVED,
            hardship_payment=payment,
            recorded_by_id=payment.paid_by_id,
            approved_by_id=approver,
            approved_at=payment.application.decided_at,
        )
        added += 1
    if added:
        audit.record(actor=actor, action="cobuilding.hardship_take_in", obj=fund, after={"lines": added})
        funds_publish(actor=actor, place=fund.place, year=fund.year)
    return added


@transaction.atomic
def voucher_add(*, actor, entry: LedgerEntry, upload) -> Voucher:
    """Attach a scanned receipt to a ledger line (checked like request attachments: by content)."""
    from lianxin.appeals.services import _read_upload, check_upload

    entry = LedgerEntry.objects.select_related("fund").get(pk=entry.pk)
    access.require(actor, A.FUND_RECORD, entry.place_path)
    if entry.vouchers.count() >= MAX_VOUCHERS:
        raise ValidationError({"attachments": _("Attach at most %(count)d files.") % {"count": MAX_VOUCHERS}})
    name, data = _read_upload(upload)
    content_type, extension = check_upload(name, data)
    voucher = Voucher(
        entry=entry,
        token=secrets.token_hex(16),
        extension=extension,
        original_name=name.replace("/", "_").replace("\\", "_")[-120:],
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    voucher.file.save("voucher", ContentFile(data), save=False)
    voucher.save()
    audit.record(
        actor=actor,
        action="cobuilding.voucher_add",
        obj=entry,
        after={"voucher": voucher.pk, "type": content_type, "size": len(data)},
    )
    return voucher


def fund_figures(place_id: int, year: int) -> dict:
    """The community's funds of a year, summed from the ledger (fen): lines in the ledger only."""
    funds = list(Fund.objects.filter(place_id=place_id, year=year).order_by("kind", "pk"))
    sums = {
        (row["fund_id"], row["direction"]): row["total"]
        for row in LedgerEntry.objects.filter(fund__in=funds, status=EntryStatus.APPROVED)
        .values("fund_id", "direction")
        .annotate(total=Sum("amount_fen"))
    }
    figures = {"year": year, "funds": [], "total": {"budget": 0, "income": 0, "spent": 0, "balance": 0}}
    for fund in funds:
        income = sums.get((fund.pk, Direction.INCOME)) or 0
        spent = sums.get((fund.pk, Direction.EXPENSE)) or 0
        row = {
            "kind": fund.kind,
            "budget": fund.budget_fen,
            "income": income,
            "spent": spent,
            "balance": income - spent,
        }
        figures["funds"].append(row)
        for key in ("budget", "income", "spent", "balance"):
            figures["total"][key] += row[key]
    return figures


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def _summary_text(place: Place, figures: dict) -> tuple[str, str]:
    title = _("%(year)d funds of %(community)s: income and spending") % {
        "year": figures["year"],
        "community": place.name,
    }
    lines = []
    for row in figures["funds"]:
        lines.append(
            _(
                "%(fund)s: budget %(budget)s yuan, received %(income)s yuan, spent %(spent)s yuan, balance %(balance)s yuan."
            )
            % {
                "fund": FundKind(row["kind"]).label,
                "budget": yuan(row["budget"]),
                "income": yuan(row["income"]),
                "spent": yuan(row["spent"]),
                "balance": yuan(row["balance"]),
            }
        )
    total = figures["total"]
    lines.append(
        _(
            "In total: budget %(budget)s yuan, received %(income)s yuan, spent %(spent)s yuan, balance %(balance)s yuan."
        )
        % {k: yuan(v) for k, v in total.items()}
    )
    lines.append(_("Computed from the community's ledgers; republished whenever a ledger changes."))
    return title, "\n".join(lines)


def disclosure_publish():
    """lianxin.disclosure.services.publish when the disclosure board offers it, else None."""
    try:
        from lianxin.disclosure import services as disclosure_services
    except ImportError:
        return None
    return getattr(disclosure_services, "publish", None)


def funds_publish(*, actor, place, year: int) -> FundPublication:
    """Republish the funds summary of a community and year from the ledger, in the caller's
    transaction (the ledger change and its summary commit together or not at all). Callers hold the
    publication lock (``_publication_lock``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("funds_publish must run inside the ledger write's transaction")
    place = Place.objects.get(pk=place.pk)
    publication = _publication_lock(place.pk, year)
    figures = fund_figures(place.pk, year)
    title, body = _summary_text(place, figures)
    if publication.figures == figures and publication.body == body and publication.board_item_id:
        return publication
    publication.figures, publication.title, publication.body = figures, title, body
    publication.published_at = timezone.now()
    publish = disclosure_publish()
    if publish is not None:
        item = publish(
            actor=actor,
            place=place,
            section="finance",
            title=title,
            body=body,
            kind="periodic",
            source=publication,
            source_key=f"cobuilding:funds:{year}",
        )
        publication.board_item_id = item.pk
    publication.save()
    return publication


# --- volunteers ---------------------------------------------------------------------------------


@transaction.atomic
def volunteer_register(
    *, actor, place, name: str = "", resident=None, member=None, skills: str = ""
) -> Volunteer:
    """Register a volunteer; a resident or party member of the registry is linked, not retyped."""
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    if member is not None:
        resident = member.resident
    if resident is not None:
        if not resident.place_path.startswith(place.path):
            raise ValidationError({"resident": _("This person does not live in this community.")})
        name = resident.name
        if member is None:
            member = getattr(resident, "membership", None)
    errors = {}
    name = _text(name, "name", _("Please enter the name."), errors, 60)
    if member is not None and Volunteer.objects.filter(member=member).exists():
        errors["member"] = _("This party member is already registered as a volunteer.")
    _raise(errors)
    volunteer = Volunteer.objects.create(
        place=place, name=name, resident=resident, member=member, skills=(skills or "").strip()[:200]
    )
    audit.record(
        actor=actor,
        action="cobuilding.volunteer_register",
        obj=volunteer,
        after={"resident": getattr(resident, "pk", None), "member": getattr(member, "pk", None)},
    )
    return volunteer


@transaction.atomic
def activity_record(
    *, actor, place, title: str, held_on: dt.date, hours: dict, category: str = "", description: str = ""
) -> VolunteerActivity:
    """A volunteer activity and the hours each volunteer gave ({volunteer: hours})."""
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    errors = {}
    title = _text(title, "title", _("Please enter the activity's title."), errors, 160)
    if held_on is None or held_on > timezone.localdate():
        errors["held_on"] = _("Please enter the date (not in the future).")
    if category and category not in Category.values:
        errors["category"] = _("Please choose one of the six categories.")
    clean = {}
    for volunteer, value in hours.items():
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            amount = Decimal(0)
        if amount <= 0 or amount > 24:
            errors["hours"] = _("Hours must be between 0.1 and 24 for %(name)s.") % {"name": volunteer.name}
        if volunteer.place_id != place.pk:
            errors["hours"] = _("%(name)s is not a volunteer of this community.") % {"name": volunteer.name}
        clean[volunteer] = amount
    if not clean:
        errors["hours"] = _("Enter the hours of at least one volunteer.")
    _raise(errors)
    activity = VolunteerActivity.objects.create(
        place=place,
        title=title,
        held_on=held_on,
        category=category,
        description=(description or "").strip(),
        recorded_by=actor,
    )
    VolunteerHours.objects.bulk_create(
        [VolunteerHours(activity=activity, volunteer=v, hours=h) for v, h in clean.items()]
    )
    audit.record(
        actor=actor,
        action="cobuilding.activity_record",
        obj=activity,
        after={"title": title, "volunteers": len(clean), "hours": str(sum(clean.values()))},
    )
    return activity


@transaction.atomic
def target_set(*, actor, place, year: int, party_members: int) -> VolunteerTarget:
    place = _community(place)
    access.require(actor, A.MANAGE, place)
    if party_members is None or party_members < 0:
        raise ValidationError({"party_members": _("The target cannot be negative.")})
    target, created = VolunteerTarget.objects.get_or_create(
        place=place, year=year, defaults={"party_members": party_members}
    )
    before = None if created else {"party_members": target.party_members}
    if not created:
        target.party_members = party_members
        target.save(update_fields=["party_members"])
    audit.record(
        actor=actor,
        action="cobuilding.target_set",
        obj=target,
        before=before,
        after={"party_members": party_members},
    )
    return target
