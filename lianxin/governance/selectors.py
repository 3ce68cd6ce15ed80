"""Scoped reads of the governance module: every list goes through lianxin.core.access.restrict, every
row by id through get_for_user ("not yours" is 404)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from lianxin.branch.models import Meeting, MeetingStatus
from lianxin.branch.selectors import member_for_user
from lianxin.core import access, tree
from lianxin.core.calendar import WorkingCalendar
from lianxin.places.models import OrgKind, PartyOrganization, Place, PlaceKind, Rating
from lianxin.registry.models import Household, MemberStatus, PartyMember

from . import conf
from .actions import GovernanceAction
from .models import (
    ApplicationStatus,
    ChainLevel,
    CheckItem,
    CheckStatus,
    ContactEntry,
    ContactLink,
    Delegate,
    OpenMeeting,
    SelfCheck,
    SittingInApplication,
    UpgradeItem,
    UpgradePlan,
)
from .services import SITTING_IN_TYPES, in_term

VIEW = GovernanceAction.VIEW


def organizations(*, actor, action=VIEW):
    return access.restrict(
        PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, action
    ).order_by("path")


def organization_get(*, actor, pk, action=VIEW) -> PartyOrganization:
    return access.get_for_user(PartyOrganization.objects.all(), actor, action, pk=pk)


# --- contact chains -------------------------------------------------------------------------------


def contact_cutoff(today: dt.date | None = None) -> dt.date:
    """The day ``conf.contact_working_days()`` official working days before ``today``: a contact
    whose last entry (or assignment) is earlier has gone more than that many working days without
    contact and is overdue."""
    today = today or timezone.localdate()
    days = conf.contact_working_days()
    calendar = WorkingCalendar(range(today.year - 1 - days // 200, today.year + 1))
    day, left = today, days
    while left:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return day


def links_with_last_contact(queryset):
    return queryset.annotate(
        last_contact=Max("entries__contacted_on"),
        since=Coalesce(Max("entries__contacted_on"), F("assigned_on")),
    )


def link_list(*, actor, organization=None, level: str = "", overdue_only=False, today=None):
    qs = access.restrict(ContactLink.objects.active(), actor, VIEW)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if level:
        qs = qs.filter(level=level)
    qs = links_with_last_contact(qs).select_related(
        "organization", "contact__resident", "target_member__resident", "target_household__place"
    )
    if overdue_only:
        qs = qs.filter(since__lt=contact_cutoff(today))
    return qs.order_by("organization__path", "level", "since", "id")


def link_get(*, actor, pk) -> ContactLink:
    return access.get_for_user(
        links_with_last_contact(
            ContactLink.objects.select_related(
                "organization", "contact__resident", "target_member__resident", "target_household__place"
            )
        ),
        actor,
        VIEW,
        pk=pk,
    )


def entry_get(*, actor, pk) -> ContactEntry:
    return access.get_for_user(ContactEntry.objects.select_related("link", "request"), actor, VIEW, pk=pk)


def delegate_list(*, actor, organization=None):
    qs = access.restrict(Delegate.objects.select_related("organization", "member__resident"), actor, VIEW)
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("organization__path", "term_start", "id")


@dataclass
class Coverage:
    total: int
    covered: int

    @property
    def share(self) -> float:
        return round(self.covered * 100 / self.total, 1) if self.total else 0.0


def coverage(*, organization: PartyOrganization, today: dt.date | None = None) -> dict:
    """Coverage of the three levels of the chain in one organization: how many current delegates,
    active members (of it and the organizations below) and households (of its place) have an active
    contact, and how many active assignments are overdue."""
    return coverages(organizations=[organization], today=today)[organization.pk]


def coverages(*, organizations, today: dt.date | None = None) -> dict[int, dict]:
    """``coverage`` of several organizations at once, by organization pk: six queries whatever their
    number (the city's table lists up to 200). Members and households are counted for every
    organization in one pass over the union of their subtrees; the contacts grouped by organization."""
    orgs = list(organizations)
    if not orgs:
        return {}
    today = today or timezone.localdate()
    delegates: dict[int, set[int]] = {org.pk: set() for org in orgs}
    for org_id, member_id in in_term(Delegate.objects.filter(organization__in=orgs), today).values_list(
        "organization_id", "member_id"
    ):
        delegates[org_id].add(member_id)
    members = tree.count_under(
        PartyMember.objects.filter(status=MemberStatus.ACTIVE),
        "organization__path",
        [org.path for org in orgs],
    )
    households = tree.count_under(Household.objects.all(), "place_path", [org.place_path for org in orgs])
    links = ContactLink.objects.active().filter(organization__in=orgs)
    covered = {
        row["organization_id"]: row
        for row in links.values("organization_id")
        .annotate(
            links=Count("pk"),
            members=Count(
                "target_member",
                distinct=True,
                filter=Q(
                    level=ChainLevel.MEMBER,
                    target_member__status=MemberStatus.ACTIVE,
                    target_member__organization__path__startswith=F("organization__path"),
                ),
            ),
            households=Count(
                "target_household",
                distinct=True,
                filter=Q(
                    level=ChainLevel.HOUSEHOLD,
                    target_household__place_path__startswith=F("organization__place_path"),
                ),
            ),
        )
        .order_by()
    }
    reached: dict[int, set[int]] = {org.pk: set() for org in orgs}  # delegates with a contact
    for org_id, member_id in links.filter(level=ChainLevel.DELEGATE).values_list(
        "organization_id", "target_member_id"
    ):
        reached[org_id].add(member_id)
    overdue: dict[int, dict[str, int]] = {org.pk: {} for org in orgs}
    late = links_with_last_contact(links).filter(since__lt=contact_cutoff(today)).values("pk")
    for row in (
        ContactLink.objects.filter(pk__in=late)
        .values("organization_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        overdue[row["organization_id"]][row["level"]] = row["n"]
    result = {}
    for org in orgs:
        counts = covered.get(org.pk, {})
        result[org.pk] = {
            ChainLevel.DELEGATE: Coverage(len(delegates[org.pk]), len(reached[org.pk] & delegates[org.pk])),
            ChainLevel.MEMBER: Coverage(members[org.path], counts.get("members", 0)),
            ChainLevel.HOUSEHOLD: Coverage(households[org.place_path], counts.get("households", 0)),
            "overdue": sum(overdue[org.pk].values()),
            "overdue_by_level": {
                level: overdue[org.pk][level] for level in ChainLevel.values if level in overdue[org.pk]
            },
            "links": counts.get("links", 0),
        }
    return result


def coverage_table(*, actor, today=None) -> list[dict]:
    """Coverage and overdue contacts of each organization in scope that runs a chain (it has
    delegates or assignments), committees first."""
    orgs = list(
        organizations(actor=actor).filter(
            Q(kind=OrgKind.COMMITTEE)
            | Q(pk__in=ContactLink.objects.active().values("organization"))
            | Q(pk__in=Delegate.objects.values("organization"))
        )[:200]
    )
    figures = coverages(organizations=orgs, today=today)
    return [{"organization": org, **figures[org.pk]} for org in orgs]


# --- sitting in -----------------------------------------------------------------------------------


def open_meeting_list(*, actor):
    return (
        access.restrict(
            OpenMeeting.objects.select_related("meeting__organization", "meeting__meeting_type"), actor, VIEW
        )
        .annotate(
            approved=Count("applications", filter=Q(applications__status=ApplicationStatus.APPROVED)),
            pending=Count("applications", filter=Q(applications__status=ApplicationStatus.PENDING)),
        )
        .order_by("-meeting__planned_on", "-id")
    )


def open_meeting_get(*, actor, pk) -> OpenMeeting:
    return access.get_for_user(
        OpenMeeting.objects.select_related("meeting__organization", "meeting__meeting_type"),
        actor,
        VIEW,
        pk=pk,
    )


def openable_meetings(*, actor):
    """Planned committee meetings in the actor's scope not yet opened to members."""
    return (
        access.restrict(Meeting.objects.filter(status=MeetingStatus.PLANNED), actor, GovernanceAction.RUN)
        .filter(meeting_type__code__in=SITTING_IN_TYPES)
        .exclude(pk__in=OpenMeeting.objects.values("meeting"))
        .select_related("organization", "meeting_type")
        .order_by("planned_on")
    )


def application_get(*, actor, pk) -> SittingInApplication:
    return access.get_for_user(
        SittingInApplication.objects.select_related("member__resident", "open_meeting__meeting"),
        actor,
        VIEW,
        pk=pk,
    )


def my_governance(*, user) -> dict | None:
    """What a member sees: who contacts them, whom they contact, meetings open to them and their
    applications."""
    member = member_for_user(user)
    if member is None:
        return None
    org_path = member.organization.path
    applications = list(
        SittingInApplication.objects.filter(member=member)
        .select_related("open_meeting__meeting__meeting_type", "open_meeting__meeting__organization")
        .order_by("-applied_at")
    )
    applied = {row.open_meeting_id for row in applications}
    ancestors = [*tree.ancestors_of(org_path), org_path]
    open_meetings = (
        OpenMeeting.objects.filter(
            meeting__status=MeetingStatus.PLANNED, meeting__organization__path__in=ancestors
        )
        .exclude(pk__in=applied)
        .select_related("meeting__meeting_type", "meeting__organization")
        .order_by("meeting__planned_on")
    )
    return {
        "member": member,
        "my_contacts": list(
            ContactLink.objects.active().filter(target_member=member).select_related("contact__resident")
        ),
        "i_contact": list(
            links_with_last_contact(ContactLink.objects.active().filter(contact=member)).select_related(
                "target_member__resident", "target_household__place"
            )
        ),
        "open_meetings": list(open_meetings),
        "applications": applications,
        "cutoff": contact_cutoff(),
    }


def my_open_meeting(*, user, pk) -> OpenMeeting:
    from django.http import Http404

    mine = my_governance(user=user)
    for row in mine["open_meetings"] if mine else []:
        if row.pk == int(pk):
            return row
    raise Http404


# --- branch standards -----------------------------------------------------------------------------


def check_list(*, actor, year=None):
    qs = access.restrict(SelfCheck.objects.select_related("organization", "plan"), actor, VIEW)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "organization__path")


def check_get(*, actor, pk) -> SelfCheck:
    return access.get_for_user(
        SelfCheck.objects.select_related("organization", "reviewed_by"), actor, VIEW, pk=pk
    )


def check_item_get(*, actor, pk, action=VIEW) -> CheckItem:
    item = CheckItem.objects.select_related("item", "self_check__organization").filter(pk=pk).first()
    if item is None or not access.can(actor, VIEW, item.self_check.place_path):
        from django.http import Http404

        raise Http404
    return item


def plan_get(*, actor, pk) -> UpgradePlan:
    return access.get_for_user(
        UpgradePlan.objects.select_related("organization", "self_check"), actor, VIEW, pk=pk
    )


def upgrade_item_get(*, actor, pk) -> UpgradeItem:
    item = UpgradeItem.objects.select_related("plan").filter(pk=pk).first()
    if item is None or not access.can(actor, VIEW, item.plan.place_path):
        from django.http import Http404

        raise Http404
    return item


def orgs_to_check(*, actor):
    return organizations(actor=actor, action=GovernanceAction.RUN).exclude(kind=OrgKind.GROUP)


def rollup(*, actor, year: int) -> dict:
    """Ratings (PartyOrganization.rating) and self-checks of the year per subdistrict and per district
    in the actor's scope: one grouped query each, keyed by the path prefix of the level."""
    out = {}
    orgs = organizations(actor=actor).exclude(kind=OrgKind.GROUP)
    checks = check_list(actor=actor, year=year)
    for level, depth in (("subdistrict", 3), ("district", 2)):
        length = depth * tree.SEGMENT
        rows: dict[str, dict] = {}
        for prefix, rating, n in (
            orgs.annotate(prefix=Substr("place_path", 1, length))
            .values_list("prefix", "rating")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = rows.setdefault(
                prefix, {"orgs": 0, 1: 0, 2: 0, 3: 0, "unrated": 0, **dict.fromkeys(CheckStatus.values, 0)}
            )
            row["orgs"] += n
            row[rating if rating in Rating.values else "unrated"] += n
        for prefix, status, n in (
            checks.annotate(prefix=Substr("place_path", 1, length))
            .values_list("prefix", "status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = rows.setdefault(
                prefix, {"orgs": 0, 1: 0, 2: 0, 3: 0, "unrated": 0, **dict.fromkeys(CheckStatus.values, 0)}
            )
            row[status] += n
        kind = PlaceKind.SUBDISTRICT if level == "subdistrict" else PlaceKind.DISTRICT
        names = dict(Place.objects.filter(kind=kind, path__in=list(rows)).values_list("path", "name"))
        out[level] = [
            {"name": names[prefix], "path": prefix, **row}
            for prefix, row in sorted(rows.items())
            if prefix in names
        ]
    return out
