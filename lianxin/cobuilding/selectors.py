"""Scoped reads of D11. Every list goes through lianxin.core.access.restrict; "not yours" is 404."""

import datetime as dt

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from lianxin.core import access
from lianxin.places.models import Place, PlaceKind

from .actions import CobuildingAction as A
from .models import (
    HOLDING,
    Agreement,
    Booking,
    BookingStatus,
    Commitment,
    CommitmentStatus,
    Direction,
    EntryStatus,
    Fund,
    FundPublication,
    JointMeeting,
    LedgerEntry,
    Pairing,
    Problem,
    ResidentUnit,
    Room,
    Volunteer,
    VolunteerActivity,
    VolunteerTarget,
)


def communities(*, actor, action: str = A.MANAGE):
    """The communities where ``actor`` may do ``action``."""
    return access.restrict(Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, action, "path").order_by(
        "path"
    )


def unit_list(*, actor):
    return (
        access.restrict(ResidentUnit.objects.all(), actor, A.VIEW)
        .annotate(agreement_count=Count("agreements", distinct=True))
        .order_by("name", "pk")
    )


def unit_get(*, actor, pk) -> ResidentUnit:
    return access.get_for_user(ResidentUnit.objects.all(), actor, A.VIEW, pk=pk)


def agreement_list(*, actor):
    return (
        access.restrict(Agreement.objects.select_related("unit"), actor, A.VIEW)
        .annotate(
            commitment_count=Count("commitments"),
            done_count=Count("commitments", filter=Q(commitments__status=CommitmentStatus.DONE)),
        )
        .order_by("-signed_on", "-pk")
    )


def agreement_get(*, actor, pk) -> Agreement:
    return access.get_for_user(Agreement.objects.select_related("unit"), actor, A.VIEW, pk=pk)


def commitment_get(*, actor, pk) -> Commitment:
    return access.get_for_user(Commitment.objects.select_related("agreement"), actor, A.VIEW, pk=pk)


def fulfilment_by_category(*, actor, agreement=None) -> list[dict]:
    """Commitments per category and side, and how many are fulfilled (履约跟踪)."""
    qs = access.restrict(Commitment.objects.all(), actor, A.VIEW)
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    return list(
        qs.values("category", "side")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=CommitmentStatus.DONE)),
            missed=Count("pk", filter=Q(status=CommitmentStatus.MISSED)),
        )
        .order_by("category", "side")
    )


def meeting_list(*, actor):
    return access.restrict(JointMeeting.objects.prefetch_related("units"), actor, A.VIEW)


def meeting_get(*, actor, pk) -> JointMeeting:
    return access.get_for_user(JointMeeting.objects.prefetch_related("units"), actor, A.VIEW, pk=pk)


def pairing_list(*, actor):
    return (
        access.restrict(Pairing.objects.all(), actor, A.VIEW)
        .annotate(
            visit_count=Count("visits", distinct=True),
            open_problems=Count(
                "visits__problems", filter=~Q(visits__problems__status="solved"), distinct=True
            ),
        )
        .order_by("kind", "name", "pk")
    )


def pairing_get(*, actor, pk) -> Pairing:
    return access.get_for_user(Pairing.objects.all(), actor, A.VIEW, pk=pk)


def problem_get(*, actor, pk) -> Problem:
    return access.get_for_user(Problem.objects.select_related("visit__pairing"), actor, A.VIEW, pk=pk)


def room_list(*, actor):
    return access.restrict(Room.objects.all(), actor, A.VIEW)


def room_get(*, actor, pk) -> Room:
    return access.get_for_user(Room.objects.all(), actor, A.VIEW, pk=pk)


def booking_list(*, actor, status: str = ""):
    qs = access.restrict(Booking.objects.select_related("room", "unit"), actor, A.VIEW)
    if status:
        qs = qs.filter(status=status)
    return qs


def booking_get(*, actor, pk) -> Booking:
    return access.get_for_user(Booking.objects.select_related("room", "unit"), actor, A.VIEW, pk=pk)


def public_rooms(*, community=None):
    qs = Room.objects.filter(active=True, public=True).select_related("place")
    if community is not None:
        qs = qs.filter(place=community)
    return qs.order_by("place_path", "name")


def room_taken(room: Room, day: dt.date) -> list[tuple[str, str]]:
    """The held time ranges of a room on a day, for residents to see what is free (no names)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    return [
        (timezone.localtime(s).strftime("%H:%M"), timezone.localtime(e).strftime("%H:%M"))
        for s, e in Booking.objects.filter(
            room=room, status__in=HOLDING, starts_at__lt=end, ends_at__gt=start
        ).values_list("starts_at", "ends_at")
    ]


def booking_by_code(code: str) -> Booking | None:
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(code) != 8:
        return None
    return Booking.objects.select_related("room", "room__place").filter(code=code).first()


def usage_stats(*, actor, year: int) -> list[dict]:
    """Per room: approved bookings and hours in a year, by kind of booker."""
    duration = ExpressionWrapper(
        F("bookings__ends_at") - F("bookings__starts_at"), output_field=DurationField()
    )
    approved = Q(bookings__status=BookingStatus.APPROVED, bookings__starts_at__year=year)
    rows = room_list(actor=actor).annotate(
        approved=Count("bookings", filter=approved),
        residents=Count("bookings", filter=approved & Q(bookings__booker_kind="resident")),
        units=Count("bookings", filter=approved & Q(bookings__booker_kind="unit")),
        staff=Count("bookings", filter=approved & Q(bookings__booker_kind="staff")),
        duration=Sum(duration, filter=approved),
        people=Sum("bookings__people", filter=approved),
    )
    result = []
    for room in rows.select_related("place"):
        hours = room.duration.total_seconds() / 3600 if room.duration else 0
        result.append({"room": room, "hours": round(hours, 1), "people": room.people or 0})
    return result


def fund_list(*, actor, year: int | None = None):
    qs = access.restrict(Fund.objects.select_related("place"), actor, A.FUND_VIEW)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("place_path", "-year", "kind")


def with_approved_sums(funds):
    """Funds annotated with their approved income and spending (fen; None when there is none), as
    services.fund_figures sums them, for a list of funds in one query."""
    approved = LedgerEntry.objects.filter(fund=OuterRef("pk"), status=EntryStatus.APPROVED)

    def total(direction):
        return Subquery(
            approved.filter(direction=direction)
            .order_by()
            .values("fund")
            .annotate(total=Sum("amount_fen"))
            .values("total")[:1]
        )

    return funds.annotate(
        approved_income_fen=total(Direction.INCOME), approved_spent_fen=total(Direction.EXPENSE)
    )


def fund_get(*, actor, pk) -> Fund:
    return access.get_for_user(Fund.objects.select_related("place"), actor, A.FUND_VIEW, pk=pk)


def entry_get(*, actor, pk) -> LedgerEntry:
    return access.get_for_user(LedgerEntry.objects.select_related("fund"), actor, A.FUND_VIEW, pk=pk)


def ledger(fund: Fund):
    return fund.entries.select_related("recorded_by", "approved_by", "reverses").prefetch_related(
        "vouchers", "reversed_by"
    )


def publication_list(*, actor, year: int | None = None):
    qs = access.restrict(FundPublication.objects.select_related("place"), actor, A.FUND_VIEW).exclude(
        title=""
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("place_path", "-year")


def volunteer_list(*, actor):
    return (
        access.restrict(Volunteer.objects.all(), actor, A.VIEW)
        .annotate(total_hours=Sum("hours__hours"))
        .order_by("name", "pk")
    )


def volunteer_get(*, actor, pk) -> Volunteer:
    return access.get_for_user(Volunteer.objects.all(), actor, A.VIEW, pk=pk)


def activity_list(*, actor):
    return (
        access.restrict(VolunteerActivity.objects.all(), actor, A.VIEW)
        .annotate(volunteers=Count("hours"), total_hours=Sum("hours__hours"))
        .order_by("-held_on", "-pk")
    )


def activity_get(*, actor, pk) -> VolunteerActivity:
    return access.get_for_user(VolunteerActivity.objects.all(), actor, A.VIEW, pk=pk)


def target_progress(*, actor, year: int) -> list[dict]:
    """Per community in scope: the party-member volunteer target and how many are registered."""
    targets = {
        t.place_id: t.party_members
        for t in access.restrict(VolunteerTarget.objects.filter(year=year), actor, A.VIEW)
    }
    counts = dict(
        access.restrict(Volunteer.objects.filter(active=True, member__isnull=False), actor, A.VIEW)
        .values("place_id")
        .annotate(n=Count("pk"))
        .values_list("place_id", "n")
    )
    rows = []
    for place in communities(actor=actor, action=A.VIEW):
        target = targets.get(place.pk)
        have = counts.get(place.pk, 0)
        if target is None and not have:
            continue
        rows.append(
            {
                "place": place,
                "target": target,
                "have": have,
                "percent": round(100 * have / target) if target else None,
            }
        )
    return rows
