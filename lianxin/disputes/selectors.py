"""Scoped reads of the disputes module (D7). Rows come through lianxin.core.access.restrict: "not
yours" is the same 404 as "missing". Care plans follow the registry's need-to-know rule and every
read of them is audited."""

import datetime as dt
from dataclasses import dataclass, field
from statistics import median

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _

from lianxin.core import access, audit, tree
from lianxin.core.calendar import WorkingCalendar
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household

from .actions import DisputeAction as A
from .models import (
    CarePlan,
    CheckResult,
    Dispute,
    DisputeStatus,
    DisputeType,
    Incident,
    IncidentPlan,
    Level,
    Mediator,
    PatrolMember,
    PatrolShift,
    PatrolTeam,
    PatrolZone,
    ScreeningCampaign,
    ScreeningCheck,
)
from .services import _visible_records, level_place, rota_gaps


def _get(qs, actor, action, pk):
    return access.get_for_user(qs, actor, action, pk=pk)


# --- disputes -----------------------------------------------------------------------------------------


def dispute_list(*, actor, status: str = "", level: str = "", dispute_type: str = "", q: str = ""):
    qs = access.restrict(Dispute.objects.select_related("place", "leader"), actor, A.VIEW_DISPUTES)
    if status == "open":
        qs = qs.open()
    elif status == "closed":
        qs = qs.closed()
    elif status in DisputeStatus.values:
        qs = qs.filter(status=status)
    if level in Level.values:
        qs = qs.filter(level=level)
    if dispute_type in DisputeType.values:
        qs = qs.filter(dispute_type=dispute_type)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(parties__name__icontains=q)
        ).distinct()
    return qs


def escalated_to(*, actor):
    """Open disputes at the subdistrict or district level that the actor's level takes."""
    roots = access.scope_paths(actor, A.RECEIVE_ESCALATIONS)
    if not roots:
        return Dispute.objects.none()
    rows = []
    for dispute in (
        Dispute.objects.open().exclude(level=Level.COMMUNITY).filter(tree.under_q("place_path", roots))
    ):
        place = level_place(dispute)
        # The body at that level: the subdistrict's officers for the subdistrict level, the
        # district's (or the city's) for the district level.
        if place is not None and (
            place.path in roots
            or (dispute.level == Level.DISTRICT and access.can(actor, A.RECEIVE_ESCALATIONS, place))
        ):
            rows.append(dispute.pk)
    return Dispute.objects.filter(pk__in=rows).select_related("place")


def dispute_get(*, actor, pk) -> Dispute:
    return _get(Dispute.objects.select_related("place", "leader", "created_by"), actor, A.VIEW_DISPUTES, pk)


# --- metrics ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    total: int = 0
    open: int = 0
    closed: int = 0
    community: int = 0
    subdistrict: int = 0
    beyond: int = 0
    days: list = field(default_factory=list)

    def add(self, dispute: Dispute, days: int | None):
        self.total += 1
        if dispute.status in (DisputeStatus.REGISTERED, DisputeStatus.HANDLING):
            self.open += 1
            return
        self.closed += 1
        self.days.append(days)
        if dispute.status == DisputeStatus.COURT or dispute.max_level == Level.DISTRICT:
            self.beyond += 1
        elif dispute.max_level == Level.SUBDISTRICT:
            self.subdistrict += 1
        else:
            self.community += 1

    def share(self, part: int) -> float | None:
        return round(100 * part / self.closed, 1) if self.closed else None

    @property
    def community_share(self):
        return self.share(self.community)

    @property
    def subdistrict_share(self):
        return self.share(self.subdistrict)

    @property
    def beyond_share(self):
        return self.share(self.beyond)

    @property
    def within_subdistrict_share(self):
        return self.share(self.community + self.subdistrict)

    @property
    def average_days(self):
        return round(sum(self.days) / len(self.days), 1) if self.days else None

    @property
    def median_days(self):
        return median(self.days) if self.days else None


@dataclass
class Metrics:
    start: dt.date
    end: dt.date
    all: Tally
    by_type: list
    by_place: list


def dispute_metrics(*, actor, start: dt.date, end: dt.date, within: Place | None = None) -> Metrics:
    """Disputes reported in [start, end] in the actor's scope (D7: "小事不出区、大事不出街、矛盾不上交").

    Of the closed ones: resolved in the community (never left it), in the subdistrict (went no
    higher), and beyond (reached the district, or referred to court). Time to resolution is in
    official working days from the report to the close. Counted by type and by community.
    """
    qs = access.restrict(Dispute.objects.all(), actor, A.VIEW_DISPUTES).filter(
        reported_on__gte=start, reported_on__lte=end
    )
    if within is not None:
        qs = qs.filter(tree.under_q("place_path", [within.path]))
    rows = list(
        qs.only("pk", "status", "max_level", "dispute_type", "place_path", "reported_on", "closed_on")
    )
    last = max([r.closed_on for r in rows if r.closed_on] + [end])
    calendar = WorkingCalendar(range(start.year, last.year + 1))
    communities = {
        p.path: p
        for p in Place.objects.filter(kind=PlaceKind.COMMUNITY, path__in={r.place_path[:32] for r in rows})
    }
    total, types, places = Tally(), {}, {}
    for row in rows:
        days = calendar.between(row.reported_on, row.closed_on) if row.closed_on else None
        total.add(row, days)
        types.setdefault(row.dispute_type, Tally()).add(row, days)
        places.setdefault(row.place_path[:32], Tally()).add(row, days)
    by_type = [(DisputeType(t).label, t, tally) for t, tally in sorted(types.items())]
    by_place = [
        (communities[p].name if p in communities else "—", p, tally) for p, tally in sorted(places.items())
    ]
    return Metrics(start, end, total, by_type, by_place)


# --- mediators and screenings -----------------------------------------------------------------------------


def mediator_list(*, actor):
    return (
        access.restrict(Mediator.objects.select_related("place"), actor, A.VIEW_DISPUTES)
        .annotate(cases=Count("disputes", distinct=True))
        .order_by("place_path", "-term_end", "name")
    )


def screening_list(*, actor):
    """Campaigns in the actor's scope, and those the actor screens for (a grid worker on a
    community-wide campaign)."""
    roots = access.scope_paths(actor, A.VIEW_DISPUTES)
    if not roots:
        return ScreeningCampaign.objects.none()
    in_scope = Q() if roots == [""] else tree.under_q("place_path", roots)
    ids = ScreeningCampaign.objects.filter(in_scope | Q(screeners__user=actor)).values("pk")
    return ScreeningCampaign.objects.filter(pk__in=ids).select_related("place")


def screening_get(*, actor, pk) -> ScreeningCampaign:
    try:
        return screening_list(actor=actor).get(pk=pk)
    except (ScreeningCampaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class Coverage:
    households: int
    households_checked: int
    units: int
    units_checked: int
    findings: int

    @property
    def share(self):
        return round(100 * self.households_checked / self.households, 1) if self.households else None


def screening_coverage(campaign: ScreeningCampaign) -> Coverage:
    return screening_coverages([campaign])[campaign.pk]


def screening_coverages(campaigns) -> dict[int, Coverage]:
    """``screening_coverage`` of several campaigns at once, by campaign pk: three queries whatever
    their number (the households of each campaign's area counted in one pass over their union, the
    checks counted per campaign, the units screened)."""
    campaigns = list(campaigns)
    if not campaigns:
        return {}
    in_area = tree.count_under(Household.objects.all(), "place_path", [c.place_path for c in campaigns])
    checks = {
        row["campaign_id"]: row
        for row in ScreeningCheck.objects.filter(campaign__in=campaigns)
        .values("campaign_id")
        .annotate(
            households_checked=Count("pk", filter=Q(household__isnull=False)),
            findings=Count("pk", filter=Q(result=CheckResult.FOUND)),
        )
        .order_by()
    }
    units: dict[int, set] = {}
    for campaign_id, unit_name in (
        ScreeningCheck.objects.filter(campaign__in=campaigns, household__isnull=True)
        .values_list("campaign_id", "unit_name")
        .order_by()
    ):
        units.setdefault(campaign_id, set()).add(unit_name)
    return {
        c.pk: Coverage(
            households=in_area[c.place_path],
            households_checked=checks.get(c.pk, {}).get("households_checked", 0),
            units=len(c.unit_list),
            units_checked=len(units.get(c.pk, set()) & set(c.unit_list)),
            findings=checks.get(c.pk, {}).get("findings", 0),
        )
        for c in campaigns
    }


def unscreened_households(*, actor, campaign: ScreeningCampaign, limit: int = 50):
    """Households of the campaign's area the actor may screen and that nobody has screened yet."""
    done = ScreeningCheck.objects.filter(campaign=campaign, household__isnull=False).values("household_id")
    qs = access.restrict(
        Household.objects.filter(tree.under_q("place_path", [campaign.place_path])), actor, A.HANDLE_DISPUTES
    )
    return qs.exclude(pk__in=done).select_related("place", "head")[:limit]


# --- incidents ------------------------------------------------------------------------------------------------


def incident_list(*, actor):
    return access.restrict(Incident.objects.select_related("place", "reported_by"), actor, A.VIEW_DISPUTES)


def incident_get(*, actor, pk) -> Incident:
    """In scope, or reported by the actor (a reporter always sees what they sent)."""
    try:
        incident = Incident.objects.select_related("place", "reported_by").get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if incident.reported_by_id == actor.pk or access.can(actor, A.VIEW_DISPUTES, incident.place_path):
        return incident
    raise Http404


def plan_list(*, actor):
    """Prepared plans kept in the actor's scope or above it (a district's plans serve its communities)."""
    roots = access.scope_paths(actor, A.VIEW_DISPUTES) + access.scope_paths(actor, A.REPORT_INCIDENTS)
    if roots == [""] or "" in roots:
        return IncidentPlan.objects.all()
    paths = set()
    for root in roots:
        paths.update([*tree.ancestors_of(root), root])
    return IncidentPlan.objects.filter(Q(place_path__in=paths) | tree.under_q("place_path", roots))


# --- patrols --------------------------------------------------------------------------------------------------


def team_list(*, actor):
    members = Prefetch("members", queryset=PatrolMember.objects.select_related("building"))
    return access.restrict(PatrolTeam.objects.prefetch_related(members, "zones"), actor, A.VIEW_DISPUTES)


def zone_list(*, actor):
    return access.restrict(PatrolZone.objects.select_related("team", "place"), actor, A.VIEW_DISPUTES)


def zone_get(*, actor, pk) -> PatrolZone:
    return _get(PatrolZone.objects.select_related("team", "place"), actor, A.VIEW_DISPUTES, pk)


def rota(zone: PatrolZone, days: list[dt.date]) -> list[dict]:
    """Each day's shifts and its gaps, for the rota page: [{"day", "shifts", "gaps"}]."""
    return rotas([zone], days)[zone.pk]


def rotas(zones: list[PatrolZone], days: list[dt.date]) -> dict[int, list[dict]]:
    """``rota`` of several zones at once (two queries whatever the number of zones), by zone pk."""
    shifts = (
        PatrolShift.objects.filter(zone__in=zones, day__in=days)
        .prefetch_related("members")
        .order_by("day", "start_hour")
    )
    by_zone_day: dict = {}
    for shift in shifts:
        by_zone_day.setdefault((shift.zone_id, shift.day), []).append(shift)
    return {
        zone.pk: [
            {
                "day": d,
                "shifts": by_zone_day.get((zone.pk, d), []),
                "gaps": rota_gaps(zone, d, by_zone_day.get((zone.pk, d), [])),
            }
            for d in days
        ]
        for zone in zones
    }


# --- care plans (need-to-know, every read audited) -----------------------------------------------------------


def _purpose(purpose: str) -> str:
    from django.core.exceptions import ValidationError

    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": _("Please state why these records are being read.")})
    return purpose


def care_plan_list(*, actor, purpose: str, limit: int = 100, assignments=None) -> list[CarePlan]:
    """The care plans of the records the actor is assigned to; the read is audited with the ids shown.
    ``assignments``: ``special_care.active_assignments(actor)`` when the caller has read them already."""
    purpose = _purpose(purpose)
    rows = list(
        CarePlan.objects.select_related("record__resident", "place", "leader").filter(
            record__in=_visible_records(actor, assignments)
        )[:limit]
    )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="care_plan.list",
            after={"plans": [row.pk for row in rows], "count": len(rows)},
            reason=purpose,
        )
    return rows


def care_plan_get(*, actor, pk, purpose: str) -> CarePlan:
    """One care plan of a record the actor is assigned to, audited; otherwise 404 like a missing one."""
    purpose = _purpose(purpose)
    try:
        plan = CarePlan.objects.select_related("record__resident", "place", "leader").get(
            pk=pk, record__in=_visible_records(actor)
        )
    except (CarePlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    with transaction.atomic():
        audit.record(actor=actor, action="care_plan.view", obj=plan, reason=purpose)
    return plan
