"""Back office: which categories of matters are mandatory for the 4+2 chain and which use the double
ballot are set per deployment by the system administrator; every change is audited."""

from django.contrib import admin

from lianxin.core import access, audit

from .models import MatterCategory

FIELDS = ["code", "name", "mandatory", "major", "position"]


@admin.register(MatterCategory)
class MatterCategoryAdmin(admin.ModelAdmin):
    fields = FIELDS
    list_display = ["name", "code", "mandatory", "major", "position"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_module_permission(self, request):
        return access.is_system_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_add_permission(self, request):
        return access.is_system_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_system_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # matters refer to their category

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(MatterCategory.objects.get(pk=obj.pk), FIELDS) if change else None
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="decision.category_change" if change else "decision.category_create",
            obj=obj,
            before=before,
            after=audit.snapshot(obj, FIELDS),
        )
