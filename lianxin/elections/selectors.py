"""Scoped reads of the elections module: rows outside the actor's subtree answer like missing ones."""

import datetime as dt

from django.http import Http404

from lianxin.branch.services import add_months
from lianxin.core import access
from lianxin.places.models import PartyOrganization

from .actions import ElectionAction
from .models import Candidate, Election, Round, Term, TermStatus

VIEW = ElectionAction.VIEW


def election_list(*, actor, status: str = ""):
    qs = access.restrict(Election.objects.select_related("organization", "place"), actor, VIEW)
    if status:
        qs = qs.filter(status=status)
    return qs


def election_get(*, actor, pk) -> Election:
    return access.get_for_user(Election.objects.select_related("organization", "place"), actor, VIEW, pk=pk)


def round_get(*, actor, pk) -> Round:
    rnd = Round.objects.select_related("election", "election__organization").filter(pk=pk).first()
    if rnd is None:
        raise Http404
    election_get(actor=actor, pk=rnd.election_id)
    return rnd


def candidate_get(*, actor, pk) -> Candidate:
    candidate = Candidate.objects.select_related("election").filter(pk=pk).first()
    if candidate is None:
        raise Http404
    election_get(actor=actor, pk=candidate.election_id)
    return candidate


def term_list(*, actor, due_within_months: int | None = None, today: dt.date | None = None):
    """Current terms in the actor's subtree, the soonest due first; with ``due_within_months`` only
    those due by then (overdue ones included)."""
    qs = access.restrict(
        Term.objects.filter(status=TermStatus.CURRENT).select_related("organization", "place"), actor, VIEW
    )
    if due_within_months is not None:
        qs = qs.filter(due_on__lte=add_months(today or dt.date.today(), due_within_months))
    return qs.order_by("due_on", "id")


def organizations(*, actor, action=ElectionAction.RUN):
    """Active party organizations where the actor may ``action``."""
    return access.restrict(
        PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, action
    ).order_by("path")
