"""The one access chokepoint (D1: a person acts with a role on a place subtree).

Every page, API endpoint, export and admin list obtains its rows through ``restrict`` (or
``get_for_user``) and its permission through ``can``/``require``. A user sees a row when one of
their active role assignments grants the action on a place whose subtree holds the row's place.
Rows that exist but are out of scope answer exactly like missing rows: Http404.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from . import statements, tree


class Role(models.TextChoices):
    DISTRICT_OFFICER = "district_officer", _("District officer")
    SUBDISTRICT_OFFICER = "subdistrict_officer", _("Subdistrict officer")
    COMMUNITY_SECRETARY = "community_secretary", _("Community party secretary")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    STAFF = "staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    ASSISTANT = "assistant", _("Community assistant")
    SUPERVISOR = "supervisor", _("Residents' affairs supervisor")
    PARTY_MEMBER = "party_member", _("Party member")
    RESIDENT = "resident", _("Resident")
    AUDITOR = "auditor", _("Security auditor")


class Action(models.TextChoices):
    """What a role may do on its subtree. Later modules add their own actions here."""

    STAFF_AREA = "staff_area", _("Use the staff pages")
    VIEW_PLACE = "view_place", _("View places")
    MANAGE_PLACE = "manage_place", _("Manage places")
    VIEW_ORG = "view_org", _("View party organizations")
    MANAGE_ORG = "manage_org", _("Manage party organizations")
    RATE_ORG = "rate_org", _("Rate party organizations")
    VIEW_AUDIT = "view_audit", _("Read the audit log")
    PURGE_AUDIT = "purge_audit", _("Purge audit entries older than the retention period")
    APPROVE_EXPORT = "approve_export", _("Approve large exports by others")
    MANAGE_TODO = "manage_todo", _("Assign to-dos")
    MANAGE_ROLES = "manage_roles", _("Grant roles")
    VIEW_PEOPLE = "view_people", _("View households and residents")
    MANAGE_PEOPLE = "manage_people", _("Record households and residents")
    REVEAL_SENSITIVE = "reveal_sensitive", _("Reveal ID numbers and health details, with a reason")
    IMPORT_PEOPLE = "import_people", _("Import from spreadsheets")
    EXPORT_PEOPLE = "export_people", _("Export lists")
    VIEW_MEMBERS = "view_members", _("View party members")
    MANAGE_MEMBERS = "manage_members", _("Record party members")
    MANAGE_TRANSFERS = "manage_transfers", _("Handle membership transfers")
    MANAGE_SPECIAL_CARE = "manage_special_care", _("Assign who may see special care records")
    VIEW_VISITS = "view_visits", _("View visits and visit coverage")
    RECORD_VISITS = "record_visits", _("Record visits to households")
    MANAGE_VISIT_PLANS = "manage_visit_plans", _("Set visit days and visit pairs")
    RECORD_DUTIES = "record_duties", _("Record one's own assistant duties")
    VIEW_BRANCH = "view_branch", _("View branch life: meetings, compliance, visits, recruitment")
    MANAGE_BRANCH = "manage_branch", _("Record meetings and run branch work")
    VIEW_REQUESTS = "view_requests", _("View residents' requests")
    HANDLE_REQUESTS = "handle_requests", _("Record, answer and follow up residents' requests")
    MANAGE_REQUESTS = "manage_requests", _("Merge requests and reopen closed ones")
    EXPORT_REQUESTS = "export_requests", _("Export request statistics")


# System-wide abilities of the system administrator; deliberately no business actions on people.
class AdminAction(models.TextChoices):
    MANAGE_USERS = "manage_users", _("Manage user accounts")
    MANAGE_CALENDAR = "manage_calendar", _("Load official calendars")


_STAFF = {Action.STAFF_AREA, Action.VIEW_PLACE, Action.VIEW_ORG}
_PEOPLE_READ = {Action.VIEW_PEOPLE, Action.VIEW_MEMBERS, Action.EXPORT_PEOPLE}
_PEOPLE_WRITE = _PEOPLE_READ | {Action.MANAGE_PEOPLE, Action.IMPORT_PEOPLE}
_OFFICER = (
    _STAFF
    | _PEOPLE_READ
    | {
        Action.MANAGE_TRANSFERS,
        Action.MANAGE_PLACE,
        Action.MANAGE_ORG,
        Action.RATE_ORG,
        Action.MANAGE_TODO,
        Action.MANAGE_ROLES,
    }
)

# Residents' requests (D4): everyone at the desk records and answers; officers receive hand-offs.
_REQUESTS = {Action.VIEW_REQUESTS, Action.HANDLE_REQUESTS}
_REQUESTS_ALL = _REQUESTS | {Action.MANAGE_REQUESTS, Action.EXPORT_REQUESTS}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_OFFICER: frozenset(_OFFICER | _REQUESTS_ALL),
    Role.SUBDISTRICT_OFFICER: frozenset(_OFFICER | _REQUESTS_ALL),
    Role.COMMUNITY_SECRETARY: frozenset(
        _STAFF
        | _PEOPLE_WRITE
        | {
            Action.MANAGE_PLACE,
            Action.MANAGE_ORG,
            Action.MANAGE_TODO,
            Action.MANAGE_ROLES,
            Action.REVEAL_SENSITIVE,
            Action.MANAGE_MEMBERS,
            Action.MANAGE_TRANSFERS,
            Action.MANAGE_SPECIAL_CARE,
        }
        | _REQUESTS_ALL
    ),
    Role.COMMITTEE_MEMBER: frozenset(
        _STAFF
        | _PEOPLE_WRITE
        | _REQUESTS
        | {Action.MANAGE_TODO, Action.MANAGE_MEMBERS, Action.EXPORT_REQUESTS}
    ),
    Role.STAFF: frozenset(_STAFF | _PEOPLE_WRITE | _REQUESTS | {Action.REVEAL_SENSITIVE}),
    Role.GRID_WORKER: frozenset(
        _STAFF | _REQUESTS | {Action.VIEW_PEOPLE, Action.MANAGE_PEOPLE, Action.EXPORT_PEOPLE}
    ),
    Role.ASSISTANT: frozenset({Action.STAFF_AREA, Action.VIEW_PLACE, Action.VIEW_PEOPLE}),
    Role.SUPERVISOR: frozenset(
        _STAFF
        | {Action.VIEW_AUDIT, Action.VIEW_PEOPLE, Action.VIEW_MEMBERS}
        | {Action.VIEW_REQUESTS, Action.EXPORT_REQUESTS}
    ),
    Role.PARTY_MEMBER: frozenset(),
    Role.RESIDENT: frozenset(),
}

# Separation of duties (三权分立): the system administrator manages accounts, the auditor reviews the
# log and alone may purge it past retention, business roles work on the data. The auditor holds no
# business action and business roles never purge: nobody can both change data and erase its traces
# (tests/test_security_duties.py enumerates ROLE_ACTIONS). accounts.services.role_grant keeps the
# three apart on each person.
ROLE_ACTIONS[Role.AUDITOR] = frozenset({Action.VIEW_AUDIT, Action.PURGE_AUDIT})
AUDIT_ERASE_ACTIONS = frozenset({Action.PURGE_AUDIT})

# Exports longer than LIANXIN_EXPORT_APPROVAL_ROWS need a second person's approval (issue 12).
for _role in (Role.DISTRICT_OFFICER, Role.SUBDISTRICT_OFFICER, Role.COMMUNITY_SECRETARY):
    ROLE_ACTIONS[_role] = ROLE_ACTIONS[_role] | {Action.APPROVE_EXPORT}

# Branch life (D3): the community's party leaders run it; officers and supervisors read it.
_BRANCH_GRANTS = {
    Role.DISTRICT_OFFICER: {Action.VIEW_BRANCH},
    Role.SUBDISTRICT_OFFICER: {Action.VIEW_BRANCH},
    Role.COMMUNITY_SECRETARY: {Action.VIEW_BRANCH, Action.MANAGE_BRANCH},
    Role.COMMITTEE_MEMBER: {Action.VIEW_BRANCH, Action.MANAGE_BRANCH},
    Role.STAFF: {Action.VIEW_BRANCH},
    Role.SUPERVISOR: {Action.VIEW_BRANCH},
}
for _role, _actions in _BRANCH_GRANTS.items():
    ROLE_ACTIONS[_role] = ROLE_ACTIONS[_role] | _actions

# Visits (D5): grid workers and staff record; secretaries set visit days and pairs; officers and
# supervisors read the roll-ups; assistants record their own cadence items.
_VISIT_RECORDERS = {Action.VIEW_VISITS, Action.RECORD_VISITS}
_VISITS_GRANTS = {
    Role.DISTRICT_OFFICER: {Action.VIEW_VISITS},
    Role.SUBDISTRICT_OFFICER: {Action.VIEW_VISITS},
    Role.COMMUNITY_SECRETARY: _VISIT_RECORDERS | {Action.MANAGE_VISIT_PLANS},
    Role.COMMITTEE_MEMBER: _VISIT_RECORDERS,
    Role.STAFF: _VISIT_RECORDERS,
    Role.GRID_WORKER: _VISIT_RECORDERS,
    Role.SUPERVISOR: {Action.VIEW_VISITS},
    Role.ASSISTANT: {Action.RECORD_DUTIES},
}
for _role, _actions in _VISITS_GRANTS.items():
    ROLE_ACTIONS[_role] = ROLE_ACTIONS[_role] | _actions


def register_grants(grants: dict[str, Iterable[str]]) -> None:
    """Grant a module's actions to roles. Modules keep their action names (plain strings, an
    app-level TextChoices) and grants in their own actions.py and call this from AppConfig.ready()."""
    for role, actions in grants.items():
        ROLE_ACTIONS[role] = ROLE_ACTIONS.get(role, frozenset()) | frozenset(actions)


# The place level each role is held at (lianxin.places.models.PlaceKind values).
ROLE_LEVELS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: {"city", "district"},
    Role.SUBDISTRICT_OFFICER: {"subdistrict"},
    Role.COMMUNITY_SECRETARY: {"community"},
    Role.COMMITTEE_MEMBER: {"community"},
    Role.STAFF: {"community"},
    Role.GRID_WORKER: {"community", "grid"},
    Role.ASSISTANT: {"community", "grid"},
    Role.SUPERVISOR: {"subdistrict", "community"},
    Role.PARTY_MEMBER: {"community", "grid", "building"},
    Role.RESIDENT: {"community", "grid", "building"},
    Role.AUDITOR: {"city", "district"},
}

# Roles that may be granted by a holder of MANAGE_ROLES: never one's own level or above.
GRANTABLE_BY: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: set(Role.values) - {Role.DISTRICT_OFFICER, Role.AUDITOR},
    Role.SUBDISTRICT_OFFICER: set(Role.values)
    - {Role.DISTRICT_OFFICER, Role.SUBDISTRICT_OFFICER, Role.AUDITOR},
    Role.COMMUNITY_SECRETARY: {
        Role.COMMITTEE_MEMBER,
        Role.STAFF,
        Role.GRID_WORKER,
        Role.ASSISTANT,
        Role.PARTY_MEMBER,
        Role.RESIDENT,
    },
}

AUDIT_WIDE = "view_audit"


def is_system_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def _assignments(user) -> list[tuple[str, str, int]]:
    """(role, place path, place id) of the user's active assignments, cached on the user object."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_lianxin_assignments", None)
    if cached is None:
        model = user._meta.get_field("role_assignments").related_model
        cached = statements.rows(
            ("access.assignments",),
            model,
            lambda user_id: model.objects.filter(user_id=user_id, ended_at__isnull=True).values_list(
                "role", "place__path", "place_id"
            ),
            user.pk,
        )
        user._lianxin_assignments = cached
    return cached


def remember(user, assignments: list[tuple[str, str, int]]) -> None:
    """Cache the user's active assignments read along with the user (the API's token lookup)."""
    user._lianxin_assignments = list(assignments)


def forget(user) -> None:
    """Drop the cached assignments (after a role is granted or revoked)."""
    if hasattr(user, "_lianxin_assignments"):
        del user._lianxin_assignments


def roles_of(user) -> set[str]:
    return {role for role, _path, _pk in _assignments(user)}


def scope_paths(user, action: str) -> list[str]:
    """The roots of the subtrees where ``user`` may do ``action``."""
    paths = [path for role, path, _pk in _assignments(user) if action in ROLE_ACTIONS.get(role, ())]
    if is_system_admin(user) and action in SYSTEM_ADMIN_ACTIONS:
        return [""]
    return tree.minimal_roots(paths)


# Structure (places, organizations) and the audit log are the system administrator's business;
# people's data is not.
SYSTEM_ADMIN_ACTIONS = {
    Action.VIEW_PLACE,
    Action.MANAGE_PLACE,
    Action.VIEW_ORG,
    Action.MANAGE_ORG,
    Action.VIEW_AUDIT,
}


def can(user, action: str, place=None) -> bool:
    """May ``user`` do ``action`` at ``place`` (anywhere, when place is None)?"""
    if action in AdminAction.values:
        return is_system_admin(user)
    roots = scope_paths(user, action)
    if place is None:
        return bool(roots)
    path = place if isinstance(place, str) else place.path
    return any(path.startswith(root) for root in roots)


def require(user, action: str, place=None) -> None:
    """Raise PermissionDenied unless ``can``. Use for actions on pages, not for reading a row."""
    if not can(user, action, place):
        raise PermissionDenied


def restrict(queryset: QuerySet, user, action: str, path_field: str | None = None) -> QuerySet:
    """``queryset`` narrowed to the rows ``user`` may ``action``: THE scoping filter."""
    field = path_field or getattr(queryset.model, "scope_path_field", "place_path")
    roots = scope_paths(user, action)
    if roots == [""]:
        return queryset
    return queryset.filter(tree.under_q(field, roots))


def get_for_user(queryset: QuerySet, user, action: str, **lookup) -> Model:
    """One row in the user's scope; "not yours" and "missing" are the same 404."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def grantable_roles(user, place) -> set[str]:
    """The roles ``user`` may grant at ``place``."""
    result: set[str] = set()
    for role, path, _pk in _assignments(user):
        if Action.MANAGE_ROLES in ROLE_ACTIONS.get(role, ()) and place.path.startswith(path):
            result |= GRANTABLE_BY.get(role, set())
    if is_system_admin(user):
        result |= set(Role.values)
    return result


def primary_role(user) -> str | None:
    """The highest role a user holds, for choosing the home page."""
    held = roles_of(user)
    for role in Role.values:
        if role in held:
            return role
    return None


def require_not_self(actor, applicant_user, message=None) -> None:
    """Four eyes: nobody approves, accepts or decides their own application. Raise PermissionDenied
    when ``actor`` is ``applicant_user`` (either may be a user or a user id). Every approval step
    of every module calls this with the person who asked (transfer approval, export approval …)."""
    actor_pk = getattr(actor, "pk", actor)
    applicant_pk = getattr(applicant_user, "pk", applicant_user)
    if actor_pk is not None and actor_pk == applicant_pk:
        raise PermissionDenied(message or _("You cannot approve your own application."))


def require_any(user, actions: Iterable[str]) -> None:
    if not any(can(user, action) for action in actions):
        raise PermissionDenied
