"""Scoped reads of the decisions module: rows outside the actor's subtree answer like missing ones."""

from django.db.models import Count, Q

from lianxin.core import access

from .actions import DecisionAction
from .models import (
    AgendaItem,
    AgendaStatus,
    Charter,
    DeliberationDay,
    DepartureAudit,
    FollowUp,
    FollowUpStatus,
    Matter,
    MatterStatus,
    Representative,
)

VIEW = DecisionAction.VIEW


def matter_list(*, actor, status: str = "", category=None, q: str = ""):
    qs = access.restrict(Matter.objects.select_related("category", "place"), actor, VIEW)
    if status == "open":
        qs = qs.exclude(status__in=[MatterStatus.IMPLEMENTED, MatterStatus.REJECTED, MatterStatus.WITHDRAWN])
    elif status:
        qs = qs.filter(status=status)
    if category is not None:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs


def matter_get(*, actor, pk) -> Matter:
    return access.get_for_user(Matter.objects.select_related("category", "place"), actor, VIEW, pk=pk)


def representative_list(*, actor, place=None):
    qs = access.restrict(Representative.objects.select_related("place"), actor, VIEW)
    if place is not None:
        qs = qs.filter(place=place)
    return qs.filter(ended_on__isnull=True).annotate(household_count=Count("links"))


def representative_get(*, actor, pk) -> Representative:
    return access.get_for_user(Representative.objects.all(), actor, VIEW, pk=pk)


def day_list(*, actor):
    return (
        access.restrict(DeliberationDay.objects.select_related("place"), actor, VIEW)
        .annotate(
            item_count=Count("items", distinct=True),
            open_follow_ups=Count(
                "follow_ups", filter=Q(follow_ups__status=FollowUpStatus.OPEN), distinct=True
            ),
        )
        .order_by("-held_on", "-id")
    )


def day_get(*, actor, pk) -> DeliberationDay:
    return access.get_for_user(DeliberationDay.objects.select_related("place"), actor, VIEW, pk=pk)


def agenda_waiting(*, actor):
    return access.restrict(AgendaItem.objects.filter(status=AgendaStatus.NEW), actor, VIEW)


def agenda_item_get(*, actor, pk) -> AgendaItem:
    return access.get_for_user(AgendaItem.objects.all(), actor, VIEW, pk=pk)


def follow_up_get(*, actor, pk) -> FollowUp:
    return access.get_for_user(FollowUp.objects.select_related("owner"), actor, VIEW, pk=pk)


def departure_audit_list(*, actor):
    return access.restrict(DepartureAudit.objects.select_related("place"), actor, VIEW)


def departure_audit_get(*, actor, pk) -> DepartureAudit:
    return access.get_for_user(DepartureAudit.objects.select_related("place"), actor, VIEW, pk=pk)


def charter_list(*, actor):
    return access.restrict(Charter.objects.select_related("place"), actor, VIEW)


def charter_get(*, actor, pk) -> Charter:
    return access.get_for_user(Charter.objects.select_related("place"), actor, VIEW, pk=pk)


def communities(*, actor, action=VIEW):
    from lianxin.places.models import Place, PlaceKind

    return access.restrict(Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, action, "path").order_by(
        "path"
    )
