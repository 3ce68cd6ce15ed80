"""Scoped reads of branch life: every list goes through lianxin.core.access (VIEW_BRANCH), except a
party member's own records, which are theirs through their linked account."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear
from django.shortcuts import get_object_or_404
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access
from lianxin.core.access import Action, Role
from lianxin.places.models import PartyOrganization, Place, PlaceKind
from lianxin.registry.models import MemberKind, MemberStatus, PartyMember

from .models import (
    Attendance,
    Education,
    HardshipApplication,
    HardshipPayment,
    Meeting,
    MeetingStatus,
    MemberAccount,
    Post,
    PostHolding,
    PostHoldingStatus,
    Recruit,
    RecruitStage,
    ReserveCadre,
    ReserveStage,
    VisitTask,
    VisitTaskStatus,
)


def organization_list(*, actor, action=Action.VIEW_BRANCH):
    return access.restrict(
        PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, action
    ).order_by("path")


def organization_get(*, actor, pk) -> PartyOrganization:
    return access.get_for_user(PartyOrganization.objects.all(), actor, Action.VIEW_BRANCH, pk=pk)


def meeting_list(*, actor, organization=None, status: str = "", year: int | None = None):
    qs = access.restrict(
        Meeting.objects.select_related("organization", "meeting_type"), actor, Action.VIEW_BRANCH
    ).annotate(
        present_count=Count("attendance", filter=Q(attendance__present=True)),
        absent_count=Count("attendance", filter=Q(attendance__present=False)),
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year))
    return qs.order_by("-held_on", "-planned_on", "-id")


def meeting_get(*, actor, pk) -> Meeting:
    return access.get_for_user(
        Meeting.objects.select_related("organization", "meeting_type", "recorded_by"),
        actor,
        Action.VIEW_BRANCH,
        pk=pk,
    )


def meeting_attendance(*, meeting: Meeting):
    """The attendance of a meeting already obtained through ``meeting_get``."""
    return meeting.attendance.select_related("member__resident").order_by(
        "-present", "member__resident__name"
    )


def organization_members(*, organization: PartyOrganization):
    """Active members of ``organization`` and the organizations under it (for the attendance list)."""
    return (
        PartyMember.objects.filter(
            status=MemberStatus.ACTIVE, organization__path__startswith=organization.path
        )
        .select_related("resident")
        .order_by("resident__name_pinyin", "pk")
    )


def visit_task_list(*, actor, status: str = VisitTaskStatus.OPEN, member=None):
    qs = access.restrict(
        VisitTask.objects.select_related("member__resident", "owner", "member__organization"),
        actor,
        Action.VIEW_BRANCH,
    )
    if status:
        qs = qs.filter(status=status)
    if member is not None:
        qs = qs.filter(member=member)
    return qs.order_by("due_on", "id")


def visit_task_get(*, actor, pk) -> VisitTask:
    return access.get_for_user(
        VisitTask.objects.select_related("member__resident", "member__organization", "owner"),
        actor,
        Action.VIEW_BRANCH,
        pk=pk,
    )


def recruit_list(*, actor, stage: str = "", active_only: bool = True):
    qs = access.restrict(
        Recruit.objects.select_related("resident", "organization"), actor, Action.VIEW_BRANCH
    )
    if stage:
        qs = qs.filter(stage=stage)
    elif active_only:
        qs = qs.exclude(stage__in=[RecruitStage.FULL, RecruitStage.STOPPED])
    return qs


def recruit_get(*, actor, pk) -> Recruit:
    return access.get_for_user(
        Recruit.objects.select_related("resident", "organization", "member"), actor, Action.VIEW_BRANCH, pk=pk
    )


# --- a party member's own view ------------------------------------------------------------------


def member_for_user(user) -> PartyMember | None:
    """The party member a signed-in user is, through their linked registry person; else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    link = (
        MemberAccount.objects.filter(user=user)
        .select_related("resident__membership__organization", "resident__membership__resident")
        .first()
    )
    if link is None:
        return None
    return getattr(link.resident, "membership", None)


def my_branch_life(*, user) -> dict | None:
    """What a member sees of their own branch life: meetings (with their attendance), visits, transfer."""
    member = member_for_user(user)
    if member is None:
        return None
    attendance = (
        Attendance.objects.filter(member=member, meeting__status=MeetingStatus.HELD)
        .select_related("meeting__meeting_type", "meeting__organization")
        .order_by("-meeting__held_on", "-meeting_id")
    )
    upcoming = Meeting.objects.filter(
        status=MeetingStatus.PLANNED, organization__in=_own_organizations(member)
    ).select_related("meeting_type", "organization")
    rows = list(attendance[:100])
    return {
        "member": member,
        "attendance": rows,
        "present": sum(1 for row in rows if row.present),
        "absent": sum(1 for row in rows if not row.present),
        "upcoming": list(upcoming.order_by("planned_on")[:20]),
        "visits": list(member.visit_tasks.select_related("record").order_by("-opened_at")[:20]),
        "transfers": list(
            member.transfers.select_related("from_organization", "to_organization").order_by("-requested_at")[
                :5
            ]
        ),
    }


def _own_organizations(member: PartyMember):
    """The member's organization and the one above it (a group's members attend the branch's meetings)."""
    org = member.organization
    return PartyOrganization.objects.filter(pk__in=[org.pk, org.parent_id] if org.parent_id else [org.pk])


# --- posts, reserve cadres, hardship fund ----------------------------------------------------------


def post_list(*, actor, year: int | None = None, organization=None, published_only: bool = False):
    qs = access.restrict(
        Post.objects.select_related("organization"), actor, Action.VIEW_BRANCH
    ).prefetch_related("holdings__member__resident")
    if year:
        qs = qs.filter(year=year)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if published_only:
        qs = qs.filter(published_at__isnull=False)
    return qs


def post_get(*, actor, pk) -> Post:
    return access.get_for_user(Post.objects.select_related("organization"), actor, Action.VIEW_BRANCH, pk=pk)


def post_holding_get(*, actor, pk) -> PostHolding:
    holding = get_object_or_404(PostHolding.objects.select_related("post", "member__resident"), pk=pk)
    post_get(actor=actor, pk=holding.post_id)  # "not yours" is 404 too
    return holding


def post_coverage(*, actor, year: int) -> dict:
    """Members without posts (无职党员) who hold an assigned post this year, per organization and in
    all (the source: "61 of 61"). One grouped query."""
    holds = PostHolding.objects.filter(
        member=OuterRef("pk"), status=PostHoldingStatus.ASSIGNED, post__year=year
    )
    members = access.restrict(
        PartyMember.objects.filter(status=MemberStatus.ACTIVE, kind=MemberKind.WITHOUT_POST),
        actor,
        Action.VIEW_BRANCH,
    ).annotate(has_post=Exists(holds))
    rows = list(
        members.values("organization_id", "organization__name")
        .annotate(total=Count("id"), covered=Count("id", filter=Q(has_post=True)))
        .order_by("organization__name")
    )
    return {
        "organizations": rows,
        "total": sum(r["total"] for r in rows),
        "covered": sum(r["covered"] for r in rows),
    }


def reserve_list(*, actor, stage: str = ""):
    qs = access.restrict(ReserveCadre.objects.select_related("resident", "place"), actor, Action.VIEW_BRANCH)
    return qs.filter(stage=stage) if stage else qs


def reserve_get(*, actor, pk) -> ReserveCadre:
    return access.get_for_user(
        ReserveCadre.objects.select_related("resident", "place"), actor, Action.VIEW_BRANCH, pk=pk
    )


YOUNG_AGE = (25, 35)  # "around 30"
COLLEGE = [Education.COLLEGE, Education.BACHELOR, Education.POSTGRADUATE]


def reserve_check(*, actor, today=None) -> list[dict]:
    """Per community: reserve cadres against committee cadres (the 1:1 target) and whether at least one
    reserve is around 30 (25–35) with a college education."""
    today = today or timezone.localdate()
    young_from = today.replace(year=today.year - YOUNG_AGE[1] - 1)
    young_to = today.replace(year=today.year - YOUNG_AGE[0])
    communities = access.restrict(
        Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, Action.VIEW_BRANCH, path_field="path"
    ).order_by("path")
    reserves = {
        row["place_id"]: row
        for row in access.restrict(
            ReserveCadre.objects.filter(stage=ReserveStage.RESERVE), actor, Action.VIEW_BRANCH
        )
        .values("place_id")
        .annotate(
            reserves=Count("id"),
            young_college=Count(
                "id",
                filter=Q(
                    education__in=COLLEGE,
                    resident__birth_date__gt=young_from,
                    resident__birth_date__lte=young_to,
                ),
            ),
        )
        .order_by()
    }
    cadres = dict(
        RoleAssignment.objects.filter(
            ended_at__isnull=True,
            role__in=[Role.COMMUNITY_SECRETARY, Role.COMMITTEE_MEMBER],
            place__in=communities,
        )
        .values("place_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("place_id", "n")
        .order_by()
    )
    result = []
    for community in communities:
        row = reserves.get(community.pk, {})
        count, needed = row.get("reserves", 0), cadres.get(community.pk, 0)
        result.append(
            {
                "community": community,
                "cadres": needed,
                "reserves": count,
                "ratio_met": count >= needed,
                "young_college": row.get("young_college", 0),
                "young_college_met": row.get("young_college", 0) >= 1,
            }
        )
    return result


def hardship_list(*, actor, status: str = ""):
    qs = access.restrict(
        HardshipApplication.objects.select_related("member__resident"), actor, Action.VIEW_BRANCH
    )
    return qs.filter(status=status) if status else qs


def hardship_get(*, actor, pk) -> HardshipApplication:
    return access.get_for_user(
        HardshipApplication.objects.select_related("member__resident"), actor, Action.VIEW_BRANCH, pk=pk
    )


def hardship_totals(*, actor) -> list[dict]:
    """Paid out of the fund, per year (the ledger's yearly totals)."""
    return list(
        access.restrict(HardshipPayment.objects.all(), actor, Action.VIEW_BRANCH)
        .annotate(year=ExtractYear("paid_on"))
        .values("year")
        .annotate(
            total=Sum("amount"), payments=Count("id"), members=Count("application__member", distinct=True)
        )
        .order_by("year")
    )


def published_posts_for(*, user):
    """Published posts of the communities where the user holds any role (公示明岗): public within the
    community, residents and members included, like a notice board."""
    from lianxin.core import tree

    paths = {
        path[: 4 * tree.SEGMENT]
        for path in RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list(
            "place__path", flat=True
        )
        if len(path) >= 4 * tree.SEGMENT
    }
    return (
        Post.objects.filter(published_at__isnull=False)
        .filter(tree.under_q("place_path", paths))
        .select_related("organization")
        .prefetch_related("holdings__member__resident")
        .order_by("-year", "organization__path", "title")
    )
