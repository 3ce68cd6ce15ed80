"""Roles and expected-status helpers shared by the web permission matrix and the per-module
matrices (tests/matrix_<module>.py)."""

from .conftest import PERSONA_NAMES

ROLES = [*PERSONA_NAMES, "anonymous"]
ALL = {role: 200 for role in ROLES} | {"anonymous": 302}
STAFF_AREA = {
    **{role: 200 for role in ROLES},
    "party_member": 403,
    "resident": 403,
    "anonymous": 302,
}
NOT_ALLOWED = {role: 405 for role in ROLES}


def only(ok: set[str], *, forbidden=403, hidden: set[str] = frozenset(), staff_only=True) -> dict:
    """200 for ``ok``, 404 for ``hidden`` (out of scope), 403 for everyone else who is logged in."""
    result = {}
    for role in ROLES:
        if role == "anonymous":
            result[role] = 302
        elif role in ok:
            result[role] = 200
        elif staff_only and role in {"party_member", "resident"}:
            result[role] = 403
        elif role in hidden:
            result[role] = 404
        else:
            result[role] = forbidden
    return result


OFFICERS = {"district_officer", "subdistrict_officer"}
HAPPY_MANAGERS = OFFICERS | {"community_secretary", "sysadmin"}
HAPPY_VIEWERS_ORG = HAPPY_MANAGERS | {"committee_member", "staff", "supervisor"}
HAPPY_VIEWERS_PLACE = HAPPY_VIEWERS_ORG | {"assistant"}

# The registry (D2): a household of 幸福社区 in the grid worker's grid; members of its branch.
MEMBER_VIEWERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
PEOPLE_VIEWERS = MEMBER_VIEWERS | {"grid_worker", "assistant"}
PEOPLE_MANAGERS = {"community_secretary", "committee_member", "staff", "grid_worker"}
NOT_PEOPLE = {"outsider", "sysadmin"}
NOT_MEMBERS = NOT_PEOPLE | {"grid_worker", "assistant"}
IMPORTERS = {"community_secretary", "committee_member", "staff", "outsider"}
REQUEST_HANDLERS = OFFICERS | {"community_secretary", "committee_member", "staff", "grid_worker"}
REQUEST_VIEWERS = REQUEST_HANDLERS | {"supervisor"}
# Writes (and exports, which are audited) answer only POST: a GET is 405 once past the staff check.
POST_ONLY = NOT_ALLOWED | {"anonymous": 302, "party_member": 403, "resident": 403}

# Public portal pages (D12): everyone, signed in or not.
PUBLIC = {role: 200 for role in ROLES}
