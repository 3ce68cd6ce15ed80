"""Scoped reads of role assignments and accounts; the API token's user."""

from django.db import router
from django.db.models import FilteredRelation, Q
from django.http import Http404

from lianxin.core import access, statements, tree
from lianxin.core.access import Action, AdminAction

from .models import RoleAssignment, User


def role_assignment_list(*, actor, place, include_ended: bool = False):
    """Assignments held on ``place`` and below, for someone who may grant roles there."""
    qs = RoleAssignment.objects.select_related("user", "place", "granted_by").filter(
        tree.under_q("place__path", [place.path])
    )
    qs = access.restrict(qs, actor, Action.MANAGE_ROLES)
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("place__path", "role", "user__username")


def role_assignment_get(*, actor, pk) -> RoleAssignment:
    return access.get_for_user(
        RoleAssignment.objects.select_related("user", "place"), actor, Action.MANAGE_ROLES, pk=pk
    )


# System administrators: every account and assignment, whatever the place.


def _require_user_admin_or_404(actor) -> None:
    if not access.can(actor, AdminAction.MANAGE_USERS):
        raise Http404


def user_list(*, actor, search: str = ""):
    """Accounts, for system administrators only (others see none)."""
    if not access.can(actor, AdminAction.MANAGE_USERS):
        return User.objects.none()
    qs = User.objects.order_by("username")
    if search:
        term = search.strip()
        qs = qs.filter(Q(username__icontains=term) | Q(display_name__icontains=term))
    return qs


def user_get(*, actor, pk) -> User:
    _require_user_admin_or_404(actor)
    try:
        return User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def role_assignment_list_all(*, actor, user: User | None = None, active_only: bool = True):
    if not access.can(actor, AdminAction.MANAGE_USERS):
        return RoleAssignment.objects.none()
    qs = RoleAssignment.objects.select_related("user", "place").order_by("-granted_at", "-id")
    if user is not None:
        qs = qs.filter(user=user)
    if active_only:
        qs = qs.filter(ended_at__isnull=True)
    return qs


def role_assignment_get_any(*, actor, pk) -> RoleAssignment:
    _require_user_admin_or_404(actor)
    try:
        return RoleAssignment.objects.select_related("user", "place").get(pk=pk)
    except (RoleAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# Authentication: who presents an API token (lianxin.api.authentication), before any scope applies.

_ASSIGNMENT = ("active__role", "active__place__path", "active__place_id")


def token_user(*, key: str) -> User | None:
    """The user holding the API token ``key`` (active or not; the caller refuses inactive ones), with
    their active role assignments read in the same kept statement (one row per assignment, a
    filtered join) and cached for ``access``: one query where the token and the first access check
    took two. None for an unknown key."""
    columns = tuple(field.attname for field in User._meta.concrete_fields)
    found = statements.rows(
        ("accounts.token_user",),
        User,
        lambda token: (
            User.objects.filter(auth_token__key=token)
            .annotate(
                active=FilteredRelation(
                    "role_assignments", condition=Q(role_assignments__ended_at__isnull=True)
                )
            )
            .order_by(*_ASSIGNMENT[:2])
            .values_list(*columns, *_ASSIGNMENT)
        ),
        key,
    )
    if not found:
        return None
    width = len(columns)
    user = User.from_db(router.db_for_read(User), columns, found[0][:width])
    access.remember(user, [row[width:] for row in found if row[width] is not None])
    return user
