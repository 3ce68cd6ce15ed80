"""Scoped reads of places and party organizations."""

from django.db.models import Count, Q

from lianxin.core import access
from lianxin.core.access import Action

from .models import PartyOrganization, Place, PlaceKind


def place_list(*, actor, kind: str | None = None, within: Place | None = None, search: str = ""):
    qs = access.restrict(Place.objects.all(), actor, Action.VIEW_PLACE)
    if kind:
        qs = qs.filter(kind=kind)
    if within is not None:
        qs = qs.subtree(within)
    if search:
        qs = qs.filter(name__icontains=search.strip())
    return qs


def place_get(*, actor, pk) -> Place:
    return access.get_for_user(Place.objects.select_related("parent"), actor, Action.VIEW_PLACE, pk=pk)


def place_roots(*, actor):
    """The topmost places the actor may see: the start of their tree."""
    roots = access.scope_paths(actor, Action.VIEW_PLACE)
    if roots == [""]:
        return Place.objects.filter(parent__isnull=True)
    return Place.objects.filter(path__in=roots)


def place_children(*, actor, place: Place):
    return (
        access.restrict(place.children.all(), actor, Action.VIEW_PLACE)
        .annotate(child_count=Count("children"))
        .order_by("name")
    )


def place_breadcrumbs(*, actor, place: Place):
    """Ancestors the actor may see, root first."""
    return access.restrict(place.ancestors(), actor, Action.VIEW_PLACE)


def org_list(*, actor, within: Place | None = None, kind: str | None = None, active_only: bool = True):
    qs = access.restrict(PartyOrganization.objects.select_related("place", "parent"), actor, Action.VIEW_ORG)
    if within is not None:
        qs = qs.under(within.path)
    if kind:
        qs = qs.filter(kind=kind)
    if active_only:
        qs = qs.filter(dissolved_on__isnull=True)
    return qs


def org_get(*, actor, pk) -> PartyOrganization:
    return access.get_for_user(
        PartyOrganization.objects.select_related("place", "parent"), actor, Action.VIEW_ORG, pk=pk
    )


def org_children(*, actor, org: PartyOrganization):
    return access.restrict(org.children.all(), actor, Action.VIEW_ORG).order_by("name")


def place_counts(*, actor) -> dict:
    """Real numbers for the home page: places by level and organizations by class in scope."""
    places = access.restrict(Place.objects.all(), actor, Action.VIEW_PLACE)
    by_kind = dict(places.values_list("kind").annotate(n=Count("id")))
    orgs = access.restrict(
        PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, Action.VIEW_ORG
    )
    ratings = orgs.aggregate(
        total=Count("id"),
        class_1=Count("id", filter=Q(rating=1)),
        class_2=Count("id", filter=Q(rating=2)),
        class_3=Count("id", filter=Q(rating=3)),
        unrated=Count("id", filter=Q(rating__isnull=True)),
    )
    return {"places": {kind: by_kind.get(kind, 0) for kind in PlaceKind.values}, "orgs": ratings}
