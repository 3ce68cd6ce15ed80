"""Reads of the disclosure module: staff lists scoped by lianxin.core.access, the public board, the
late-disclosure report."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from lianxin.core import access, tree
from lianxin.places.models import Place, PlaceKind

from .actions import DisclosureAction as A
from .models import BoardItem, Comment, ItemStatus

# --- staff -----------------------------------------------------------------------------------------


def board_list(*, actor, section="", status="", place=None, query=""):
    """Board items in the actor's scope. Drafts only for those who may see drafts there (publishers
    and supervisors); officers see what is public."""
    qs = access.restrict(BoardItem.objects.all(), actor, A.VIEW_BOARD)
    draft_roots = access.scope_paths(actor, A.VIEW_BOARD_DRAFTS)
    if draft_roots != [""]:
        qs = qs.filter(~Q(status=ItemStatus.DRAFT) | tree.under_q("place_path", draft_roots))
    if section:
        qs = qs.filter(section=section)
    if status:
        qs = qs.filter(status=status)
    if place is not None:
        qs = qs.under(place.path)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(body__icontains=query) | Q(code=query.upper()))
    return qs.select_related("place", "published_by", "created_by").order_by("-created_at", "-id")


def board_get(*, actor, pk) -> BoardItem:
    return access.get_for_user(board_list(actor=actor), actor, A.VIEW_BOARD, pk=pk)


def publish_places(*, actor):
    """Communities (and higher places) whose board the actor may write."""
    roots = access.scope_paths(actor, A.PUBLISH_BOARD)
    if not roots:
        return Place.objects.none()
    qs = Place.objects.filter(kind=PlaceKind.COMMUNITY)
    if roots != [""]:
        qs = qs.filter(tree.under_q("path", roots))
    return qs.order_by("path")


def comment_list(*, actor, status="", place=None, query=""):
    qs = access.restrict(Comment.objects.all(), actor, A.VIEW_COMMENTS)
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if place is not None:
        qs = qs.under(place.path)
    if query:
        qs = qs.filter(Q(number__iexact=query) | Q(subject__icontains=query) | Q(text__icontains=query))
    return qs.select_related("place", "assignee")


def comment_get(*, actor, pk) -> Comment:
    return access.get_for_user(
        Comment.objects.select_related("place", "assignee"), actor, A.VIEW_COMMENTS, pk=pk
    )


# --- the late-disclosure report --------------------------------------------------------------------


@dataclass
class LateReport:
    late: list  # first versions published after their due date
    overdue: list  # drafts whose due date has passed
    per_community: list  # (community name, late count, overdue count)


def late_report(
    *, actor, date_from: dt.date | None = None, date_to: dt.date | None = None, place=None, today=None
):
    """Items published after their due date (first versions: a correction is not a new disclosure),
    with the due date in [date_from, date_to]; and items still unpublished past their due date.
    Officers get no drafts in ``board_list`` but the overdue list must show what is missing, so it reads
    with VIEW_BOARD directly."""
    today = today or timezone.localdate()
    scoped = access.restrict(BoardItem.objects.all(), actor, A.VIEW_BOARD)
    if place is not None:
        scoped = scoped.under(place.path)
    if date_from:
        scoped = scoped.filter(due_on__gte=date_from)
    if date_to:
        scoped = scoped.filter(due_on__lte=date_to)
    late = list(
        scoped.filter(previous__isnull=True, due_on__isnull=False)
        .exclude(status=ItemStatus.DRAFT)
        .annotate(published_day=TruncDate("published_at", tzinfo=timezone.get_current_timezone()))
        .filter(published_day__gt=F("due_on"))
        .select_related("place")
        .order_by("place_path", "due_on", "id")
    )
    overdue = list(
        scoped.filter(status=ItemStatus.DRAFT, due_on__lt=today)
        .select_related("place")
        .order_by("place_path", "due_on")
    )
    counts: dict[str, list] = {}
    for item in late:
        counts.setdefault(item.place.name, [0, 0])[0] += 1
    for item in overdue:
        counts.setdefault(item.place.name, [0, 0])[1] += 1
    for item in late:
        item.days_late = (item.published_day - item.due_on).days
    for item in overdue:
        item.days_overdue = (today - item.due_on).days
    return LateReport(late, overdue, [(name, a, b) for name, (a, b) in sorted(counts.items())])


# --- the public portal -----------------------------------------------------------------------------


def portal_communities():
    return Place.objects.filter(kind=PlaceKind.COMMUNITY).select_related("parent").order_by("path")


def portal_community(pk) -> Place:
    from django.http import Http404

    place = Place.objects.filter(pk=pk, kind=PlaceKind.COMMUNITY).first()
    if place is None:
        raise Http404
    return place


def portal_board(*, place, section="", topic=None, archive=False, today=None):
    """What a community's residents see: published items of the community and of the places above it
    (a district's policy shows on every community's board), within their publication window."""
    today = today or timezone.localdate()
    paths = [*tree.ancestors_of(place.path), place.path]
    qs = BoardItem.objects.filter(place_path__in=paths, status=ItemStatus.PUBLISHED)
    if not archive:
        qs = qs.visible_on(today)
    if section:
        qs = qs.filter(section=section)
    if topic is not None:
        qs = qs.filter(topic=topic)
    return qs.select_related("place").order_by("-published_at", "-id")


def portal_item(pk) -> BoardItem:
    from django.http import Http404

    item = BoardItem.objects.public().select_related("place").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def portal_answers(*, place):
    return Comment.objects.published().filter(place=place).order_by("-answered_at")
