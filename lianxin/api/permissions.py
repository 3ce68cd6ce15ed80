"""DRF permission classes that ask the one access chokepoint (lianxin.core.access).

On a collection URL a user who may not do the action anywhere gets 403. On an object URL the
view first fetches the row through a scoped selector (404 when missing or out of scope), then
``has_object_permission`` asks whether the action is allowed at that row's place (403). The
services check again: these classes only give an early, clean answer.
"""

from rest_framework.permissions import BasePermission

from lianxin.core import access
from lianxin.core.access import AdminAction

# An action that any signed-in user may call (their own inbox, the calendar).
ANYONE = "anyone"


def _required(view, attribute: str):
    # Deny when a view forgets to declare an action: a new endpoint is closed until mapped.
    return getattr(view, attribute, {}).get(view.action, False)


class ScopedAction(BasePermission):
    """``view.collection_actions`` / ``view.object_actions`` map a viewset action to an Action."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "detail", False):
            return True
        required = _required(view, "collection_actions")
        if required is False:
            return False
        return required == ANYONE or access.can(request.user, required)

    def has_object_permission(self, request, view, obj):
        required = _required(view, "object_actions")
        if required is False:
            return False
        return required == ANYONE or access.can(request.user, required, obj.place_path)


class IsSystemAdmin(BasePermission):
    """Account management: 403 on collections; object URLs answer 404 through the selector."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return getattr(view, "detail", False) or access.can(request.user, AdminAction.MANAGE_USERS)
