"""Back office: meeting types and their frequencies are set per deployment by the system administrator
(D3: "where a rule varies between places, make it a setting"); every change is audited."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianxin.core import access, audit
from lianxin.places.models import OrgKind

from .models import MeetingType

FIELDS = ["code", "name", "period_months", "times_per_period", "org_kinds", "position", "active"]


class MeetingTypeForm(forms.ModelForm):
    org_kinds = forms.MultipleChoiceField(
        label=_("organization kinds"), choices=OrgKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = MeetingType
        fields = FIELDS


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin):
    form = MeetingTypeForm
    list_display = ["name", "code", "period_months", "times_per_period", "active", "position"]
    list_editable = []

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
        return False  # meetings refer to their type; switch a type off with "counted for compliance"

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(MeetingType.objects.get(pk=obj.pk), FIELDS) if change else None
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="meeting_type.change" if change else "meeting_type.create",
            obj=obj,
            before=before,
            after=audit.snapshot(obj, FIELDS),
        )
