"""Back office: board items are shown, never edited (published items are immutable, drafts are written
through the staff pages). Comments carry personal data and are not in the back office at all."""

from django.contrib import admin

from lianxin.core.admin import ReadOnlyAdmin

from .actions import DisclosureAction as A
from .models import BoardItem


@admin.register(BoardItem)
class BoardItemAdmin(ReadOnlyAdmin):
    scope_action = A.VIEW_BOARD
    list_display = ["title", "place", "section", "kind", "status", "version", "published_at", "code"]
    list_filter = ["section", "kind", "status"]
    search_fields = ["title", "code", "fingerprint"]
