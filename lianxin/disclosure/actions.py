"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class DisclosureAction(models.TextChoices):
    VIEW_BOARD = "view_board", _("Read the disclosure board in the staff pages")
    VIEW_BOARD_DRAFTS = "view_board_drafts", _("Read board drafts and their history")
    PUBLISH_BOARD = "publish_board", _("Draft, publish and correct board items")
    VIEW_COMMENTS = "view_comments", _("Read the comment box")
    HANDLE_COMMENTS = "handle_comments", _("Handle and answer comments")


A = DisclosureAction
_WRITERS = {A.VIEW_BOARD, A.VIEW_BOARD_DRAFTS, A.PUBLISH_BOARD, A.VIEW_COMMENTS, A.HANDLE_COMMENTS}

# The community's secretary, committee members and staff publish for their community; officers read
# what is public and the comment box; the supervisors (居务监督委员会) read everything, drafts included.
GRANTS: dict[str, set[str]] = {
    Role.COMMUNITY_SECRETARY: _WRITERS,
    Role.COMMITTEE_MEMBER: _WRITERS,
    Role.STAFF: _WRITERS,
    Role.DISTRICT_OFFICER: {A.VIEW_BOARD, A.VIEW_COMMENTS},
    Role.SUBDISTRICT_OFFICER: {A.VIEW_BOARD, A.VIEW_COMMENTS},
    Role.SUPERVISOR: {A.VIEW_BOARD, A.VIEW_BOARD_DRAFTS, A.VIEW_COMMENTS},
}
