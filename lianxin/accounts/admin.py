"""User accounts in the back office: system administrators only; every change audited."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from lianxin.core import access, audit
from lianxin.core.admin import ReadOnlyAdmin

from . import services, two_factor
from .models import RoleAssignment, User


class SystemAdminOnly:
    def has_module_permission(self, request):
        return access.is_system_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: the audit log refers to them


@admin.register(User)
class UserAdmin(SystemAdminOnly, BaseUserAdmin):
    list_display = ["username", "display_name", "phone", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["display_name", "phone", "email", "elderly_mode"]}),
        (_("Status"), {"fields": ["is_active", "is_superuser", "is_staff"]}),
    ]

    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor sign-in (the person enrols again)"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor.reset(actor=request.user, user=user)

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(User.objects.get(pk=obj.pk), services.USER_FIELDS) if change else None
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, services.USER_FIELDS)
        if before is not None:
            before, after = audit.changes(before, after)
        audit.record(
            actor=request.user,
            action="user.change" if change else "user.create",
            obj=obj,
            before=before,
            after=after,
        )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SystemAdminOnly, ReadOnlyAdmin):
    list_display = ["user", "role", "place", "granted_at", "ended_at"]
    list_filter = ["role", "ended_at"]
    search_fields = ["user__username", "user__display_name", "place__name"]
    fields = ["user", "role", "place"]
    autocomplete_fields: list[str] = []
    actions = ["end_assignments"]

    def has_add_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def save_model(self, request, obj, form, change):
        try:
            services.role_grant(actor=request.user, user=obj.user, role=obj.role, place=obj.place)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    @admin.action(description=_("End the selected role assignments"))
    def end_assignments(self, request, queryset):
        for assignment in queryset.filter(ended_at__isnull=True):
            services.role_revoke(
                actor=request.user, assignment=assignment, reason=str(_("Ended in the back office"))
            )


def _login_through_lianxin(request, extra_context=None):
    """The back office signs in through the one login page (lockout, two-factor), never its own."""
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("admin:index")
    return redirect_to_login(target, login_url=reverse("login"))


admin.site.login = _login_through_lianxin
