"""Scoped reads of assistance and benefits (D6). "Not yours" and "missing" are the same 404."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from lianxin.core import access, tree
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import DifficultyTag, Household

from .actions import AssistanceAction as A
from .models import (
    Case,
    CaseStatus,
    LedgerEntry,
    LedgerKind,
    Notice,
    Objection,
    Pairing,
    PaymentPlan,
    Programme,
    RelativeDeclaration,
)

AGE_BUCKETS = ((0, 5), (6, 10), (11, 20), (21, None))


def programme_list():
    return Programme.objects.prefetch_related("steps").order_by("id")


def case_list(*, actor, programme=None, step_code="", status="", flagged=None, overdue=False, household=None):
    qs = access.restrict(Case.objects.all(), actor, A.VIEW).select_related(
        "programme", "step", "applicant", "household__place", "community"
    )
    if programme is not None:
        qs = qs.filter(programme=programme)
    if step_code:
        qs = qs.filter(step__code=step_code)
    if status:
        qs = qs.filter(status=status)
    if flagged is not None:
        qs = qs.filter(flagged=flagged)
    if overdue:
        qs = qs.overdue(timezone.localdate())
    if household is not None:
        qs = qs.filter(household=household)
    return qs


def case_get(*, actor, pk) -> Case:
    return access.get_for_user(case_list(actor=actor), actor, A.VIEW, pk=pk)


def flagged_list(*, actor):
    """Cases related to someone acting on them, for the supervisors (居务监督委员会)."""
    access.require(actor, A.SUPERVISE)
    return (
        access.restrict(Case.objects.filter(flagged=True), actor, A.SUPERVISE)
        .select_related("programme", "step", "community", "applicant")
        .prefetch_related("recusals__user")
    )


def household_choices(*, actor, action=A.HANDLE):
    return access.restrict(Household.objects.all(), actor, action).select_related("place", "head")


def objection_list(*, actor, unanswered=False):
    qs = access.restrict(Objection.objects.all(), actor, A.VIEW).select_related("notice__case")
    if unanswered:
        qs = qs.filter(answered_at__isnull=True)
    return qs


def objection_get(*, actor, pk) -> Objection:
    return access.get_for_user(objection_list(actor=actor), actor, A.VIEW, pk=pk)


def relative_list(*, actor):
    """One's own declarations; supervisors also see those under their scope."""
    own = Q(declarant=actor)
    if access.can(actor, A.SUPERVISE):
        return (
            RelativeDeclaration.objects.filter(
                own | tree.under_q("place_path", access.scope_paths(actor, A.SUPERVISE))
            )
            .select_related("declarant", "household__place", "resident")
            .distinct()
        )
    return RelativeDeclaration.objects.filter(own).select_related("declarant", "household__place", "resident")


def relative_get(*, actor, pk) -> RelativeDeclaration:
    try:
        return relative_list(actor=actor).get(pk=pk)
    except (RelativeDeclaration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pairing_list(*, actor, active=True):
    qs = access.restrict(Pairing.objects.all(), actor, A.VIEW).select_related(
        "member__resident", "household__place", "household__head"
    )
    return qs.filter(ended_on__isnull=True) if active else qs


def pairing_get(*, actor, pk) -> Pairing:
    return access.get_for_user(pairing_list(actor=actor, active=False), actor, A.VIEW, pk=pk)


def plan_list(*, actor):
    return access.restrict(PaymentPlan.objects.all(), actor, A.VIEW).select_related(
        "case", "household__place"
    )


def plan_get(*, actor, pk) -> PaymentPlan:
    return access.get_for_user(plan_list(actor=actor), actor, A.VIEW, pk=pk)


def ledger(*, actor, household):
    return access.restrict(LedgerEntry.objects.filter(household=household), actor, A.VIEW).select_related(
        "plan__case", "recorded_by"
    )


# --- public (portal) --------------------------------------------------------------------------


def public_notices(today: dt.date | None = None):
    """Notices running today: only the allow-listed fields are ever read for the portal."""
    today = today or timezone.localdate()
    return Notice.objects.running(today).only(
        *Notice.PUBLIC_FIELDS, "starts_on", "ends_on", "days", "place_id"
    )


def public_notice_get(pk) -> Notice:
    try:
        return public_notices().get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- reports ------------------------------------------------------------------------------------


def cases_by_step(*, actor, today: dt.date | None = None) -> list[dict]:
    """Open cases per programme and step, by how long they have been at the step (calendar days)."""
    today = today or timezone.localdate()
    rows = defaultdict(lambda: {"total": 0, "overdue": 0, "buckets": [0] * len(AGE_BUCKETS)})
    qs = case_list(actor=actor, status=CaseStatus.OPEN).values_list(
        "programme__name", "step__order", "step__name", "step_started_on", "due_on"
    )
    for programme, order, step, started, due in qs:
        row = rows[(programme, order, step)]
        row["total"] += 1
        row["overdue"] += due < today
        age = (today - started).days
        for index, (low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                row["buckets"][index] += 1
    return [
        {"programme": key[0], "order": key[1], "step": key[2], **value} for key, value in sorted(rows.items())
    ]


def payments_per_month(*, actor, year: int) -> list[dict]:
    qs = (
        access.restrict(LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT, month__year=year), actor, A.VIEW)
        .values("month")
        .annotate(total=Sum("amount"), households=Count("household", distinct=True))
        .order_by("month")
    )
    return list(qs)


def pairing_coverage(*, actor) -> list[dict]:
    """Per community: households with an active difficulty, how many are paired (一联一 coverage)."""
    communities = access.restrict(
        Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, A.VIEW, path_field="path"
    ).order_by("path")
    paired = Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    in_difficulty = DifficultyTag.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    stats = {}
    # One grouped query per community depth (one in a regular tree): households by path prefix.
    for length in sorted({len(c.path) for c in communities}):
        for row in (
            access.restrict(Household.objects.all(), actor, A.VIEW)
            .filter(Exists(in_difficulty))
            .annotate(prefix=Substr("place_path", 1, length), is_paired=Exists(paired))
            .values("prefix")
            .annotate(total=Count("pk"), paired=Count("pk", filter=Q(is_paired=True)))
        ):
            stats[row["prefix"]] = row
    result = []
    for community in communities:
        row = stats.get(community.path, {"total": 0, "paired": 0})
        total, done = row["total"], row["paired"]
        result.append(
            {
                "community": community,
                "total": total,
                "paired": done,
                "percent": round(done * 100 / total) if total else 100,
            }
        )
    return result
