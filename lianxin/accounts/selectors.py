"""Scoped reads of role assignments."""

from lianxin.core import access, tree
from lianxin.core.access import Action

from .models import RoleAssignment


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
