"""Scoped reads of the core records: the audit log, a person's inbox and to-dos."""

from django.http import Http404

from . import access
from .access import Action
from .models import AuditEntry, Notification, Todo


def audit_entry_list(
    *, actor, action: str = "", action_prefix: str = "", object_type: str = "", object_id: str = ""
):
    """The audit log in the actor's subtree (everything for a system administrator)."""
    qs = access.restrict(AuditEntry.objects.all(), actor, Action.VIEW_AUDIT)
    if action:
        qs = qs.filter(action=action)
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
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
