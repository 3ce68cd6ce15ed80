"""Role-aware navigation: a person sees only the sections their roles open."""

import functools
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lianxin.core import access
from lianxin.core.access import Action, AdminAction

# Sections open by a fact about the person rather than by an action; each fact is read once for the menu.
SPECIAL_CARE = "special_care"  # the special care records: holders of an assignment and those who grant them
SPECIAL_CARE_HOLDERS = "special_care_holders"  # holders of an active special care assignment
PARTY_MEMBERS = "party_members"  # party members whose account is linked to their registry record


@dataclass
class NavItem:
    label: str
    url: str
    active: bool


SECTIONS = [
    ("home", _("Home"), None),
    ("places", _("Places"), Action.VIEW_PLACE),
    ("orgs", _("Party organizations"), Action.VIEW_ORG),
    ("households", _("Household registry"), Action.VIEW_PEOPLE),
    ("residents", _("Residents"), Action.VIEW_PEOPLE),
    ("members", _("Party members"), Action.VIEW_MEMBERS),
    # Every holder of MANAGE_TRANSFERS also holds VIEW_MEMBERS.
    ("transfers", _("Membership transfers"), Action.VIEW_MEMBERS),
    ("special_care", _("Special care"), SPECIAL_CARE),
    ("imports", _("Imports"), Action.IMPORT_PEOPLE),
    ("request_list", _("Residents' requests"), Action.VIEW_REQUESTS),
    ("request_dashboard", _("Requests dashboard"), Action.VIEW_REQUESTS),
    ("visits", _("Visits"), Action.VIEW_VISITS),
    # Assistants (协理员) do not see visits, only their own cadence items.
    ("visit_duties", _("My assistant duties"), Action.RECORD_DUTIES),
    ("branch", _("Branch life"), Action.VIEW_BRANCH),
    ("branch_mine", _("My branch life"), PARTY_MEMBERS),
    ("todos", _("My to-dos"), None),
    ("inbox", _("Messages"), None),
    ("calendar", _("Working-day calendar"), None),
    ("audit", _("Audit log"), Action.VIEW_AUDIT),
]


# Modules that keep their menu sections in their own nav.py, shown after branch life.
from lianxin.modules import MODULES  # noqa: E402


def sections() -> list:
    from importlib import import_module

    extra = [entry for module in MODULES for entry in import_module(f"lianxin.{module}.nav").SECTIONS]
    at = next(i for i, (name, _label, _action) in enumerate(SECTIONS) if name == "todos")
    return [*SECTIONS[:at], *extra, *SECTIONS[at:]]


def navigation_for(user, path: str) -> list[NavItem]:
    from lianxin.branch.selectors import member_for_user
    from lianxin.registry import special_care

    facts = {
        SPECIAL_CARE_HOLDERS: functools.cache(lambda: special_care.has_assignment(user)),
        PARTY_MEMBERS: functools.cache(lambda: member_for_user(user) is not None),
    }
    items = []
    for name, label, action in sections():
        if action == SPECIAL_CARE:  # need-to-know
            if not special_care.open_to(user, assigned=facts[SPECIAL_CARE_HOLDERS]()):
                continue
        elif action in facts:
            if not facts[action]():
                continue
        elif callable(action):
            if not action(user):
                continue
        elif action is not None and not access.can(user, action):
            continue
        url = reverse(name)
        active = path == url if name == "home" else path.startswith(url)
        items.append(NavItem(str(label), url, active))
    # Only the most specific section is current (/requests/dashboard/ is not also /requests/).
    longest = max((len(item.url) for item in items if item.active), default=0)
    for item in items:
        item.active = item.active and len(item.url) == longest
    if access.can(user, AdminAction.MANAGE_USERS):
        items.append(NavItem(str(_("Back office")), reverse("admin:index"), path.startswith("/admin/")))
    return items
