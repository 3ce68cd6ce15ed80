"""Back office. Lists go through the access chokepoint; writes go through services (audited)."""

from django.contrib import admin

from . import access
from .access import Action
from .models import AuditEntry, CalendarDay, CalendarYear, Todo


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only: the back office shows them, never edits them."""

    scope_action: str | None = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return access.restrict(qs, request.user, self.scope_action) if self.scope_action else qs

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_module_permission(self, request):
        return access.is_system_admin(request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    scope_action = Action.VIEW_AUDIT
    list_display = ["seq", "at", "actor_name", "action", "object_repr", "reason"]
    list_filter = ["action"]
    search_fields = ["object_repr", "actor_name", "action"]


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "loaded_at", "loaded_by"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(Todo)
class TodoAdmin(ReadOnlyAdmin):
    scope_action = Action.MANAGE_TODO
    list_display = ["title", "assignee", "due_on", "due_provisional", "status"]
    list_filter = ["status", "due_provisional"]
