"""Scoped reads the API needs that have no home in a domain ``selectors.py`` yet.

They belong in ``lianxin.accounts.selectors`` (users, role assignments) and
``lianxin.core.selectors`` (audit log, inbox, to-dos); they live here only until those modules
exist, and hold no API logic, so moving them is a change of import. Every read goes through
``lianxin.core.access``: "missing" and "not yours" are the same 404.
"""

from django.db.models import Q
from django.http import Http404

from lianxin.accounts.models import RoleAssignment, User
from lianxin.core import access
from lianxin.core.access import Action, AdminAction
from lianxin.core.models import AuditEntry, Notification, Todo


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


def role_assignment_list(*, actor, user: User | None = None, active_only: bool = True):
    if not access.can(actor, AdminAction.MANAGE_USERS):
        return RoleAssignment.objects.none()
    qs = RoleAssignment.objects.select_related("user", "place").order_by("-granted_at", "-id")
    if user is not None:
        qs = qs.filter(user=user)
    if active_only:
        qs = qs.filter(ended_at__isnull=True)
    return qs


def role_assignment_get(*, actor, pk) -> RoleAssignment:
    _require_user_admin_or_404(actor)
    try:
        return RoleAssignment.objects.select_related("user", "place").get(pk=pk)
    except (RoleAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def audit_entry_list(*, actor, action: str = "", object_type: str = "", object_id: str = ""):
    """The audit log in the actor's subtree (everything for a system administrator)."""
    qs = access.restrict(AuditEntry.objects.all(), actor, Action.VIEW_AUDIT, path_field="place_path")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs


def notification_list(*, actor, unread_only: bool = False):
    qs = Notification.objects.filter(recipient_id=actor.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_get(*, actor, pk) -> Notification:
    try:
        return Notification.objects.get(recipient_id=actor.pk, pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def todo_list(*, actor, status: str = ""):
    qs = Todo.objects.filter(assignee_id=actor.pk)
    if status:
        qs = qs.filter(status=status)
    return qs


def todo_get(*, actor, pk) -> Todo:
    try:
        return Todo.objects.get(assignee_id=actor.pk, pk=pk)
    except (Todo.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
