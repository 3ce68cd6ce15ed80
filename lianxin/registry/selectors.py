"""Scoped reads of the registry: every list goes through lianxin.core.access."""

import re

from django.db.models import Count, Q

from lianxin.core import access, idcard
from lianxin.core.access import Action
from lianxin.places.models import PartyOrganization

from .models import DifficultyTag, Household, MemberKind, MemberStatus, PartyMember, Resident
from .services import id_lookup_hash

# The three "三化" lists: members without posts (岗位化), from restructured firms (属地化), mobile (动态化).
THREE_LISTS = {
    "without_post": MemberKind.WITHOUT_POST,
    "restructured": MemberKind.FROM_RESTRUCTURED_FIRM,
    "mobile": MemberKind.MOBILE,
}


def search_q(query: str, prefix: str = "") -> Q:
    """Name (Chinese), pinyin (full or initials: "zs", "zhangsan"), phone, or exact ID number."""
    text = idcard.normalize(query or "").strip()
    if not text:
        return Q()
    if len(text) == 18 and idcard.is_valid(text):
        return Q(**{f"{prefix}id_number_hash": id_lookup_hash(text)})
    if text.isdigit():
        return Q(**{f"{prefix}phone__contains": text}) if len(text) >= 4 else Q(pk__in=[])
    if re.fullmatch(r"[a-zA-Z ]+", text):
        compact = text.replace(" ", "").lower()
        return Q(**{f"{prefix}name_initials__startswith": compact}) | Q(
            **{f"{prefix}name_pinyin__startswith": compact}
        )
    return Q(**{f"{prefix}name__contains": text})


def resident_list(*, actor, q: str = "", household=None, include_moved_out: bool = False):
    qs = access.restrict(
        Resident.objects.select_related("household__place", "place"), actor, Action.VIEW_PEOPLE
    )
    if q:
        qs = qs.filter(search_q(q))
    if household is not None:
        qs = qs.filter(household=household)
    if not include_moved_out:
        qs = qs.filter(moved_out_on__isnull=True)
    return qs


def resident_get(*, actor, pk) -> Resident:
    return access.get_for_user(
        Resident.objects.select_related("household", "place"), actor, Action.VIEW_PEOPLE, pk=pk
    )


def household_list(*, actor, q: str = "", difficulty: str = "", within=None):
    qs = access.restrict(Household.objects.select_related("place", "head"), actor, Action.VIEW_PEOPLE)
    if within is not None:
        qs = qs.under(within.path)
    if difficulty:
        qs = qs.filter(difficulties__kind=difficulty, difficulties__ended_on__isnull=True)
    if q:
        qs = qs.filter(pk__in=Resident.objects.filter(search_q(q)).values("household_id"))
    return qs.annotate(
        member_count=Count("members", filter=Q(members__moved_out_on__isnull=True), distinct=True)
    )


def household_get(*, actor, pk) -> Household:
    return access.get_for_user(
        Household.objects.select_related("place", "head"), actor, Action.VIEW_PEOPLE, pk=pk
    )


def difficulty_list(*, actor, household):
    return access.restrict(DifficultyTag.objects.filter(household=household), actor, Action.VIEW_PEOPLE)


def member_list(*, actor, q: str = "", kind: str = "", organization=None, status: str = MemberStatus.ACTIVE):
    qs = access.restrict(
        PartyMember.objects.select_related("resident", "organization", "place"), actor, Action.VIEW_MEMBERS
    )
    if kind:
        qs = qs.filter(kind=kind)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(search_q(q, prefix="resident__"))
    return qs


def member_get(*, actor, pk) -> PartyMember:
    return access.get_for_user(
        PartyMember.objects.select_related("resident", "organization"), actor, Action.VIEW_MEMBERS, pk=pk
    )


def three_lists_counts(*, actor):
    """Per organization: active members without posts, from restructured firms, and mobile (三化管理)."""
    members = access.restrict(
        PartyMember.objects.filter(status=MemberStatus.ACTIVE), actor, Action.VIEW_MEMBERS
    )
    rows = (
        members.values("organization_id")
        .annotate(
            total=Count("id"),
            **{key: Count("id", filter=Q(kind=kind)) for key, kind in THREE_LISTS.items()},
        )
        .order_by()
    )
    by_org = {row["organization_id"]: row for row in rows}
    orgs = PartyOrganization.objects.filter(pk__in=by_org).order_by("path")
    return [(org, by_org[org.pk]) for org in orgs]
