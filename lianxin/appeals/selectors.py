"""Scoped reads of residents' requests (D4), and the dashboard's rates.

A request is seen by whoever may view requests at its place, and by the receiving side of a hand-off
(the community or subdistrict it was handed to). The dashboard counts only the requester's side
(``access.restrict`` on the request's place), so no case is counted twice across communities.

The rates (docs/requests.md; shown as tooltips on the dashboard), merged duplicates left out:
- response rate 响应率 = requests answered at least once / requests received;
- on-time rate 按时答复率 = first answers given by the deadline / (requests answered + requests
  still unanswered past their deadline);
- resolution rate 办结率 = requests closed (rated 满意 or 基本满意) / requests received;
- satisfaction rate 满意率 = requests whose latest rating is 满意 or 基本满意 / requests rated.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, Q
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import access, statements, tree
from lianxin.core.access import Action
from lianxin.places.models import COMMUNITY_PATH, GRID_PATH, PLACE_LEVELS, Place, PlaceKind

from .models import OPEN_STATUSES, Rating, Request, RequestStatus

SATISFIED_RATINGS = [Rating.SATISFIED, Rating.BASICALLY]


def request_list(
    *,
    actor,
    status: str = "",
    category=None,
    overdue: bool = False,
    mine: bool = False,
    place=None,
    q: str = "",
    today: dt.date | None = None,
):
    """Requests the actor may see, newest first; ``mine`` = owned or handled by the actor.

    Seen by whoever may view requests where the request was made, or where it was handed to. For a
    scope (or a place filter) of a few communities or narrower that is written as the community
    sides of ``_community_sides``, so that the prefix indexes find the rows (a page count reads a
    community's rows, not the whole table); wider scopes as ranges of both paths."""
    qs = Request.objects.select_related("category", "place", "owner", "handler", "handler_place", "resident")
    roots = access.scope_paths(actor, Action.VIEW_REQUESTS)
    sides = _community_sides(roots, place.path if place is not None else "")
    if sides is not None:
        qs = qs.filter(Q.create(sides, connector=Q.OR))
    else:
        if roots != [""]:
            qs = qs.filter(_made_or_handed_within(roots))
        if place is not None:
            qs = qs.under(place.path)
    return _filtered(
        qs, actor=actor, status=status, category=category, overdue=overdue, mine=mine, q=q, today=today
    )


def _made_or_handed_within(roots: list[str]) -> Q:
    """Requests made or handed within the subtrees ``roots``, as ranges of both paths."""
    return tree.under_q("place_path", roots) | tree.under_q("handler_place_path", roots)


def _filtered(qs, *, actor, status="", category=None, overdue=False, mine=False, q="", today=None):
    """``request_list``'s filters other than the scope and the place."""
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if category is not None:
        qs = qs.filter(category=category)
    if overdue:
        qs = qs.overdue(today or timezone.localdate())
    if mine:
        qs = qs.filter(Q(owner=actor) | Q(handler=actor))
    if q:
        q = q.strip()
        qs = qs.filter(Q(number__contains=q) | Q(description__contains=q) | Q(requester_name__contains=q))
    return qs


MAX_SIDES = 8  # two per community: a scope over more than four communities walks the primary key
PLACE_PREFIXES = (COMMUNITY_PATH, GRID_PATH)  # the indexed prefixes of place_path (models.Request)


def _community_sides(roots: list[str], place_path: str) -> list[Q] | None:
    """The requests visible from ``roots`` (made or handed there) within ``place_path`` ("" for
    anywhere) as disjoint conditions, each a community's rows on one side of a hand-off, found by the
    prefix indexes (models.Request). None when the scope is wider than a few communities (the
    primary-key walk is right for those) or empty (no sides, OR-ed, would be no condition at all)."""
    if not roots:
        return None
    if len(place_path) >= COMMUNITY_PATH:
        # One community's rows (or a grid's, a building's): its index, newest first. Visible from
        # the scope's roots on either side, unless a root already holds the whole place.
        where = tree.prefix_q("place_path", place_path, PLACE_PREFIXES)
        if roots != [""] and not any(place_path.startswith(root) for root in roots):
            where &= _made_or_handed_within(roots)
        return [where]
    if roots == [""] or any(len(root) < COMMUNITY_PATH for root in roots):
        return None
    communities = sorted({root[:COMMUNITY_PATH] for root in roots})
    if 2 * len(communities) > MAX_SIDES:
        return None

    placed = [
        Q.create(
            [
                tree.prefix_q("place_path", root, PLACE_PREFIXES)
                for root in roots
                if root.startswith(community)
            ],
            connector=Q.OR,
        )
        for community in communities
    ]
    anywhere = Q.create(placed, connector=Q.OR)
    # Requests are handed to communities and subdistricts only (models.HANDOFF_PLACE_KINDS): a root
    # below a community (a grid) never holds a handling place, so only roots that are communities
    # have a handed side.
    handed = [
        Q(handler_place_path__isnull=False)
        & tree.prefix_q("handler_place_path", community, (COMMUNITY_PATH,))
        & ~anywhere
        for community in communities
        if community in roots
    ]
    sides = placed + handed
    if place_path:  # a district or subdistrict: a condition on each side, not an index of its own
        within = tree.prefix_q("place_path", place_path, (len(place_path),))
        sides = [side & within for side in sides]
    return sides


def request_rows(
    *, actor, columns: list[str], today: dt.date | None = None, **filters
) -> statements.Prepared:
    """``request_list(actor=actor, today=today, **filters).values(*columns)`` kept as a compiled
    statement for the API's list pages (lianxin.core.statements). The key is every input
    ``request_list`` reads — the actor's scope roots for viewing requests, the actor itself only for
    ``mine``, today only for ``overdue``, the other filters' values (a category's key, a place's path)
    — so both give the same rows; the test settings check that on every use.

    Where the scope (or the place filter) is a few communities or narrower, the rows are read as the
    union of each community's two sides of a hand-off (``_community_sides``), each walking its own
    index newest first and stopping at the page: a community holds 1/250 of a city's requests, and
    the primary key walked newest first would pass 250 rows of other communities for each of its own.
    """
    today = today or timezone.localdate()
    shaped = {
        "mine": lambda mine: actor.pk if mine else None,
        "overdue": lambda overdue: today if overdue else None,
        "category": lambda category: None if category is None else category.pk,
        "place": lambda place: None if place is None else place.path,
    }
    roots = access.scope_paths(actor, Action.VIEW_REQUESTS)
    key = (
        "appeals.request_list",
        tuple(roots),
        tuple((name, shaped.get(name, str)(value)) for name, value in sorted(filters.items())),
        tuple(columns),
    )
    place = filters.pop("place", None)

    def build():  # only when the statement is compiled: not per request
        sides = _community_sides(roots, place.path if place is not None else "")
        if sides is None:
            return request_list(actor=actor, today=today, place=place, **filters).values(*columns)
        return [
            _filtered(Request.objects.filter(side), actor=actor, today=today, **filters).values(*columns)
            for side in sides
        ]

    return statements.Prepared(key, Request, build)


def request_get(*, actor, pk) -> Request:
    """One request the actor may see; "not yours" and "missing" are the same 404."""
    try:
        return request_list(actor=actor).get(pk=pk)
    except (Request.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def request_events(*, request: Request):
    """The history of a request already obtained through ``request_get``."""
    return request.events.select_related("actor")


def intake_places(*, actor, limit: int = 500) -> list[Place]:
    """The communities, grids and buildings where the actor may record requests, in tree order."""
    roots = access.scope_paths(actor, Action.HANDLE_REQUESTS)
    qs = Place.objects.filter(kind__in=[PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING])
    if roots != [""]:
        qs = qs.filter(tree.under_q("path", roots))
    return list(qs.order_by("path")[:limit])


def request_colleagues(*, request: Request):
    """Who may take a hand-off: active users holding a role that handles requests at its place."""
    from lianxin.accounts.models import User

    paths = [*tree.ancestors_of(request.place_path), request.place_path]
    roles = [role for role, actions in access.ROLE_ACTIONS.items() if Action.HANDLE_REQUESTS in actions]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__ended_at__isnull=True,
            role_assignments__role__in=roles,
            role_assignments__place__path__in=paths,
        )
        .distinct()
        .order_by("display_name", "username")
    )


def request_by_number(*, actor, number: str) -> Request:
    try:
        return request_list(actor=actor).get(number=(number or "").strip())
    except (Request.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the dashboard -------------------------------------------------------------------------------------

# Shown as tooltips on the dashboard and as notes in its export; docs/requests.md says the same.
RATE_DEFINITIONS = {
    "response_rate": _("Response rate: requests answered at least once ÷ requests received."),
    "on_time_rate": _(
        "On-time rate: first answers given by the deadline ÷ (requests answered + requests still "
        "unanswered past their deadline)."
    ),
    "resolution_rate": _("Resolution rate: requests closed with 满意 or 基本满意 ÷ requests received."),
    "satisfaction_rate": _("Satisfaction rate: latest rating 满意 or 基本满意 ÷ requests rated."),
    "scope": _(
        "Duplicates merged into another request are not counted. Counted where the request was received."
    ),
}

GROUPS = ("month", "category", "owner", "place")


@dataclass
class StatsRow:
    key: object
    label: str
    received: int = 0
    answered: int = 0
    on_time: int = 0
    due: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    open: int = 0
    overdue: int = 0
    place: Place | None = None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def response_rate(self):
        return self._rate(self.answered, self.received)

    @property
    def on_time_rate(self):
        return self._rate(self.on_time, self.due)

    @property
    def resolution_rate(self):
        return self._rate(self.resolved, self.received)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)

    def as_dict(self) -> dict:
        return {
            "key": self.key if not isinstance(self.key, dt.date) else self.key.isoformat()[:7],
            "label": self.label,
            "place_id": self.place.pk if self.place else None,
            "received": self.received,
            "answered": self.answered,
            "on_time": self.on_time,
            "due": self.due,
            "resolved": self.resolved,
            "rated": self.rated,
            "satisfied": self.satisfied,
            "open": self.open,
            "overdue": self.overdue,
            "response_rate": self.response_rate,
            "on_time_rate": self.on_time_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
        }


@dataclass
class Stats:
    within: Place | None
    group: str
    rows: list[StatsRow]
    total: StatsRow = field(default_factory=lambda: StatsRow(None, ""))
    child_kind: str = ""


def stat_aggregates(today: dt.date) -> dict:
    """The counts behind the four rates, as conditional aggregates (see the module docstring)."""
    return {
        "received": Count("id"),
        "answered": Count("id", filter=Q(first_answered_at__isnull=False)),
        "on_time": Count("id", filter=Q(first_answer_on_time=True)),
        "due": Count(
            "id",
            filter=Q(first_answered_at__isnull=False) | Q(first_answered_at__isnull=True, due_on__lt=today),
        ),
        "resolved": Count("id", filter=Q(status=RequestStatus.CLOSED)),
        "rated": Count("id", filter=~Q(rating="")),
        "satisfied": Count("id", filter=Q(rating__in=SATISFIED_RATINGS)),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        "overdue": Count("id", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
    }


def dashboard_root(actor) -> Place | None:
    """The widest place where the actor may view requests (where their dashboard starts)."""
    roots = access.scope_paths(actor, Action.VIEW_REQUESTS)
    if not roots or roots == [""]:
        return Place.objects.filter(parent__isnull=True).order_by("path").first() if roots else None
    return Place.objects.filter(path=roots[0]).first()


def child_level(place: Place) -> str:
    """The level the dashboard drills down to under ``place``: communities, then their grids."""
    index = PLACE_LEVELS.index(place.kind)
    if index < PLACE_LEVELS.index(PlaceKind.COMMUNITY):
        return PlaceKind.COMMUNITY
    return PLACE_LEVELS[min(index + 1, len(PLACE_LEVELS) - 1)]


def request_stats(
    *,
    actor,
    group: str = "place",
    within: Place | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    category=None,
    today: dt.date | None = None,
    root: Place | None = None,
) -> Stats:
    """The dashboard: the four rates per month, category, owner or place below ``within``
    (``root``: ``dashboard_root(actor)`` when the caller has read it already).

    One grouped query over the requests the actor may view (access.restrict) under ``within``.
    Grouping by place cuts each request's path at the depth of the level below ``within``
    (district → its communities, community → its grids): a prefix of the path, so moves are honoured.
    """
    if group not in GROUPS:
        raise ValueError(group)
    today = today or timezone.localdate()
    qs = access.restrict(Request.objects.live(), actor, Action.VIEW_REQUESTS)
    if within is not None:
        qs = qs.under(within.path)
    if date_from:
        qs = qs.filter(received_on__gte=date_from)
    if date_to:
        qs = qs.filter(received_on__lte=date_to)
    if category is not None:
        qs = qs.filter(category=category)
    child_kind = ""
    keys = ["g"]
    if group == "month":
        qs = qs.annotate(g=TruncMonth("received_on"))
    elif group == "category":
        qs, keys = qs.annotate(g=F("category_id")), ["g", "category__name"]
    elif group == "owner":
        qs, keys = qs.annotate(g=F("owner_id")), ["g", "owner__display_name", "owner__username"]
    else:
        start = within or root or dashboard_root(actor)
        if start is None:
            return Stats(within, group, [])
        child_kind = child_level(start)
        depth = start.depth + PLACE_LEVELS.index(child_kind) - PLACE_LEVELS.index(start.kind)
        qs = qs.annotate(g=Substr("place_path", 1, depth * tree.SEGMENT, output_field=CharField()))
    rows = list(qs.values(*keys).annotate(**stat_aggregates(today)).order_by(*keys))
    result = []
    places = {}
    if group == "place":
        places = {p.path: p for p in Place.objects.filter(path__in=[r["g"] for r in rows])}
    for row in rows:
        key = row["g"]
        if group == "month":
            label = key.strftime("%Y-%m") if key else "—"
        elif group == "owner":
            label = row["owner__display_name"] or row["owner__username"] or "—"
        elif group == "place":
            place = places.get(key)
            label = place.name if place else "—"
        else:
            label = row["category__name"]
        counts = {name: row[name] for name in stat_aggregates(today)}
        result.append(StatsRow(key, label, place=places.get(key) if group == "place" else None, **counts))
    total = StatsRow(None, "")
    for row in result:
        for name in stat_aggregates(today):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return Stats(within, group, result, total, child_kind)


def request_export_rows(*, actor, within=None, date_from=None, date_to=None, category=None):
    """The cases behind the dashboard (same scope and filters), for the export."""
    qs = access.restrict(
        Request.objects.live().select_related("category", "place", "owner"), actor, Action.VIEW_REQUESTS
    )
    if within is not None:
        qs = qs.under(within.path)
    if date_from:
        qs = qs.filter(received_on__gte=date_from)
    if date_to:
        qs = qs.filter(received_on__lte=date_to)
    if category is not None:
        qs = qs.filter(category=category)
    return qs.order_by("received_on", "id")
