from django.contrib import admin

from lianxin.core.access import Action
from lianxin.core.admin import ReadOnlyAdmin

from .models import OrgRating, PartyOrganization, Place


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    scope_action = Action.VIEW_PLACE
    list_display = ["name", "kind", "parent", "code", "depth"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(ReadOnlyAdmin):
    scope_action = Action.VIEW_ORG
    list_display = ["name", "kind", "field", "place", "rating", "dissolved_on"]
    list_filter = ["kind", "field", "rating"]
    search_fields = ["name"]


@admin.register(OrgRating)
class OrgRatingAdmin(ReadOnlyAdmin):
    scope_action = Action.VIEW_ORG
    list_display = ["organization", "rating", "rated_on", "rated_by"]
