"""Every role against every route that exists (D1).

Each named route must have an entry here; a new route without one fails
``test_every_route_has_an_entry``. Denials must change nothing, and "not yours" must answer like
"missing": 404.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from . import matrix_modules
from .conftest import PASSWORD, city_per_module
from .matrix_roles import (
    ALL,
    HAPPY_MANAGERS,
    HAPPY_VIEWERS_ORG,
    HAPPY_VIEWERS_PLACE,
    IMPORTERS,
    MEMBER_VIEWERS,
    NOT_ALLOWED,
    NOT_MEMBERS,
    NOT_PEOPLE,
    OFFICERS,
    PEOPLE_MANAGERS,
    PEOPLE_VIEWERS,
    POST_ONLY,
    REQUEST_HANDLERS,
    REQUEST_VIEWERS,
    ROLES,
    STAFF_AREA,
    only,
)
from .test_appeals_pages import appeals_sample
from .test_branch_pages import branch_sample
from .test_import_pages import import_sample
from .test_registry_pages import registry_sample
from .test_transfer_pages import special_care_sample, transfer_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

VISIT_VIEWERS = MEMBER_VIEWERS | {"grid_worker"}


def _user_pk(username):
    from lianxin.accounts.models import User

    return User.objects.get(username=username).pk


def _people(key):
    return lambda c: {"pk": registry_sample(c)[key].pk}


BRANCH_VIEWERS = MEMBER_VIEWERS
BRANCH_MANAGERS = {"community_secretary", "committee_member"}


def _branch(key):
    return lambda c: {"pk": branch_sample(c)[key].pk}


# route name → (kwargs from the city fixture, {role: status})
WEB = {
    "home": (None, ALL),
    "healthz": (None, {role: 200 for role in ROLES}),
    # The test client calls from 127.0.0.1, an internal address; other addresses without the bearer
    # token get 404 (tests/test_scaleout_nodes.py).
    "metrics": (None, {role: 200 for role in ROLES}),
    "login": (None, {role: 200 for role in ROLES}),
    # The code step needs a password step first (else back to the login page).
    "login_code": (None, {role: 302 for role in ROLES}),
    "password_change": (None, {**{role: 200 for role in ROLES}, "anonymous": 302}),
    "logout": (None, NOT_ALLOWED),
    "elderly_mode": (None, NOT_ALLOWED),
    "places": (None, STAFF_AREA),
    "place_detail": (
        lambda c: {"pk": c.happy.pk},
        only(HAPPY_VIEWERS_PLACE, hidden={"grid_worker", "outsider"}),
    ),
    "place_create": (lambda c: {"pk": c.happy.pk}, only(HAPPY_MANAGERS, hidden={"grid_worker", "outsider"})),
    "place_edit": (lambda c: {"pk": c.happy.pk}, only(HAPPY_MANAGERS, hidden={"grid_worker", "outsider"})),
    "place_move": (
        lambda c: {"pk": c.happy.pk},
        only(OFFICERS | {"sysadmin"}, hidden={"grid_worker", "outsider"}),
    ),
    "place_roles": (
        lambda c: {"pk": c.happy.pk},
        only(HAPPY_MANAGERS - {"sysadmin"}, hidden={"grid_worker", "outsider"}),
    ),
    "role_end": (lambda c: {"pk": 1}, NOT_ALLOWED | {"anonymous": 302, "party_member": 403, "resident": 403}),
    "orgs": (None, STAFF_AREA),
    "org_create": (None, only(HAPPY_MANAGERS | {"outsider"})),
    "org_detail": (
        lambda c: {"pk": c.happy_committee.pk},
        only(HAPPY_VIEWERS_ORG, hidden={"grid_worker", "assistant", "outsider"}),
    ),
    "org_edit": (
        lambda c: {"pk": c.happy_committee.pk},
        only(HAPPY_MANAGERS, hidden={"grid_worker", "assistant", "outsider"}),
    ),
    "org_move": (
        lambda c: {"pk": c.happy_branch.pk},
        only(HAPPY_MANAGERS, hidden={"grid_worker", "assistant", "outsider"}),
    ),
    "org_rate": (
        lambda c: {"pk": c.happy_committee.pk},
        only(OFFICERS, hidden={"grid_worker", "assistant", "outsider"}),
    ),
    "todos": (None, ALL),
    "todo_done": (lambda c: {"pk": 1}, NOT_ALLOWED | {"anonymous": 302}),
    "inbox": (None, ALL),
    "inbox_read": (None, NOT_ALLOWED | {"anonymous": 302}),
    "calendar": (None, ALL),
    "calendar_load": (None, only({"sysadmin"}, staff_only=False)),
    "audit": (None, only({"supervisor", "sysadmin"}, staff_only=False)),
    "households": (None, only(PEOPLE_VIEWERS | {"outsider"})),
    "household_create": (None, only(PEOPLE_MANAGERS)),  # the outsider's community has no building
    "household_detail": (_people("household"), only(PEOPLE_VIEWERS, hidden=NOT_PEOPLE)),
    "household_notes": (_people("household"), only(PEOPLE_MANAGERS, hidden=NOT_PEOPLE)),
    "household_member_add": (_people("household"), only(PEOPLE_MANAGERS, hidden=NOT_PEOPLE)),
    "difficulty_add": (_people("household"), only(PEOPLE_MANAGERS, hidden=NOT_PEOPLE)),
    "difficulty_end": (
        lambda c: {"pk": registry_sample(c)["household"].pk, "tag_pk": registry_sample(c)["tag"].pk},
        only(PEOPLE_MANAGERS, hidden=NOT_PEOPLE),
    ),
    "residents": (None, only(PEOPLE_VIEWERS | {"outsider"})),
    "resident_create": (None, only(PEOPLE_MANAGERS)),
    "resident_detail": (_people("head"), only(PEOPLE_VIEWERS, hidden=NOT_PEOPLE)),
    "resident_reveal": (_people("head"), only({"community_secretary", "staff"}, hidden=NOT_PEOPLE)),
    "members": (None, only(MEMBER_VIEWERS | {"outsider"})),
    "three_lists": (None, only(MEMBER_VIEWERS | {"outsider"})),
    "member_create": (None, only({"community_secretary", "committee_member", "outsider"})),
    "member_detail": (_people("member"), only(MEMBER_VIEWERS, hidden=NOT_MEMBERS)),
    "member_edit": (_people("member"), only({"community_secretary", "committee_member"}, hidden=NOT_MEMBERS)),
    # Membership transfers: both sides see a transfer (幸福 sends, 团结 = the outsider receives).
    "transfers": (None, only(MEMBER_VIEWERS | {"outsider"})),
    "transfer_detail": (
        lambda c: {"pk": transfer_sample(c).pk},
        only(MEMBER_VIEWERS | {"outsider"}, hidden=NOT_MEMBERS - {"outsider"}),
    ),
    "transfer_request": (_people("member"), only(OFFICERS | {"community_secretary"}, hidden=NOT_MEMBERS)),
    "transfer_reject": (
        lambda c: {"pk": transfer_sample(c).pk},
        only(OFFICERS | {"community_secretary", "outsider"}, hidden=NOT_MEMBERS - {"outsider"}),
    ),
    **{
        name: (lambda c: {"pk": 1}, NOT_ALLOWED | {"anonymous": 302, "party_member": 403, "resident": 403})
        for name in ("transfer_approve", "transfer_accept", "transfer_cancel", "special_care_assignment_end")
    },
    # Special care: nobody here holds an assignment, so the list is empty and every record is 404.
    "special_care": (None, STAFF_AREA),
    "special_care_create": (None, only({"community_secretary", "outsider"})),
    "special_care_assignments": (None, only({"community_secretary", "outsider"})),
    **{
        name: (lambda c: {"pk": special_care_sample(c).pk}, only(set(), forbidden=404))
        for name in ("special_care_detail", "special_care_reveal", "special_care_end")
    },
    # Imports and exports (D2): importers only; a job is its uploader's (the secretary's) alone.
    "imports": (None, only(IMPORTERS)),
    "import_upload": (None, only(IMPORTERS)),
    "import_template": (lambda c: {"kind": "members"}, only(IMPORTERS)),
    "import_detail": (
        lambda c: {"pk": import_sample(c).pk},
        only({"community_secretary"}, hidden=IMPORTERS - {"community_secretary"}),
    ),
    "import_commit": (lambda c: {"pk": import_sample(c).pk}, POST_ONLY),
    "export_households": (None, POST_ONLY),
    "export_residents": (None, POST_ONLY),
    "export_members": (None, POST_ONLY),
    "export_requests": (None, only(IMPORTERS | {"grid_worker"} | OFFICERS)),
    "export_request_decide": (lambda c: {"pk": 1}, POST_ONLY),
    # Residents' requests (D4): 幸福社区's request is at the community, outside the grid worker's grid.
    "request_list": (None, only(REQUEST_VIEWERS | {"outsider"})),
    "request_intake": (None, only(REQUEST_HANDLERS | {"outsider"})),
    "request_dashboard": (None, only(REQUEST_VIEWERS | {"outsider"})),
    "request_export": (None, POST_ONLY),
    "request_detail": (
        lambda c: {"pk": appeals_sample(c).pk},
        only(REQUEST_VIEWERS - {"grid_worker"}, hidden={"grid_worker", "outsider", "assistant", "sysadmin"}),
    ),
    "request_attachment": (lambda c: {"pk": appeals_sample(c).pk, "file_pk": 1}, only(set(), forbidden=404)),
    "request_act": (lambda c: {"pk": appeals_sample(c).pk, "step": "reply"}, POST_ONLY),
    "portal_home": (None, {role: 302 for role in ROLES}),
    "portal_file": (None, {role: 200 for role in ROLES}),
    "portal_status": (None, {role: 200 for role in ROLES}),
    # Branch life (D3): 幸福社区's meeting, visit task and recruit; the outsider runs 团结社区's branch.
    **{
        name: (None, only(BRANCH_VIEWERS | {"outsider"}))
        for name in ("branch", "branch_meetings", "branch_visits", "branch_recruits")
    },
    "branch_mine": (None, ALL),
    "branch_org": (lambda c: {"pk": c.happy_branch.pk}, only(BRANCH_VIEWERS, hidden={"outsider"})),
    **{
        name: (lambda c: {"pk": c.happy_branch.pk}, only(BRANCH_MANAGERS, hidden={"outsider"}))
        for name in ("branch_meeting_plan", "branch_meeting_record")
    },
    "branch_meeting": (_branch("meeting"), only(BRANCH_VIEWERS, hidden={"outsider"})),
    "branch_meeting_attach": (_branch("meeting"), POST_ONLY),
    "branch_attachment": (_branch("attachment"), only(BRANCH_VIEWERS, hidden={"outsider"})),
    "branch_visit": (_branch("task"), only(BRANCH_VIEWERS, hidden={"outsider"})),
    "branch_condition_report": (_branch("member"), only(BRANCH_MANAGERS, hidden={"outsider"})),
    "branch_recruit_create": (None, only(BRANCH_MANAGERS | {"outsider"})),
    "branch_recruit": (_branch("recruit"), only(BRANCH_VIEWERS, hidden={"outsider"})),
    **{
        name: (None, only(BRANCH_VIEWERS | {"outsider"}))
        for name in ("branch_posts", "branch_reserve", "branch_fund")
    },
    "branch_posts_board": (None, ALL),
    # Posts, reserve cadres and the hardship fund: forms for the branch's managers.
    **{
        name: (None, only(BRANCH_MANAGERS | {"outsider"}))
        for name in (
            "branch_post_create",
            "branch_posts_publish",
            "branch_reserve_signup",
            "branch_fund_apply",
        )
    },
    "branch_post": (_branch("taken_post"), only(BRANCH_VIEWERS, hidden={"outsider"})),
    "branch_post_volunteer": (_branch("open_post"), only(BRANCH_MANAGERS, hidden={"outsider"})),
    "branch_post_assign": (_branch("holding"), POST_ONLY),
    "branch_post_appraise": (_branch("holding"), only(BRANCH_MANAGERS, hidden={"outsider"})),
    "branch_reserve_advance": (_branch("reserve"), only(BRANCH_MANAGERS, hidden={"outsider"})),
    **{
        name: (_branch("hardship"), only(BRANCH_MANAGERS, hidden={"outsider"}))
        for name in ("branch_fund_decide", "branch_fund_pay")
    },
    # Visits (D5): recorders and readers of 幸福社区; the grid worker sees her grid, not the community.
    **{
        name: (None, only(VISIT_VIEWERS | {"outsider"}))
        for name in ("visits", "visit_coverage", "visit_assignments")
    },
    "visit_household": (
        _people("household"),
        only(VISIT_VIEWERS, hidden={"outsider", "sysadmin", "assistant"}),
    ),
    **{name: (lambda c: {"pk": 1}, POST_ONLY) for name in ("visit_to_request", "visit_assignment_end")},
    "visit_coverage_export": (None, POST_ONLY),
    "visit_assignment_create": (None, only({"community_secretary", "outsider"})),
    "visit_schedule": (
        lambda c: {"pk": c.happy.pk},
        only({"community_secretary"}, hidden={"outsider", "sysadmin", "assistant", "grid_worker"}),
    ),
    "visit_duties": (None, only(VISIT_VIEWERS | {"outsider", "assistant"})),
    "visit_duty_record": (
        lambda c: {"pk": _user_pk("assistant")},
        only({"assistant", "community_secretary"}, hidden={"grid_worker", "outsider"}),
    ),
}
WEB.update(matrix_modules.web())


def route_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in {"admin", "api"}:
                continue  # the back office is tested below; the API has its matrix in test_api.py
            names |= route_names(pattern, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_has_an_entry():
    missing = route_names() - set(WEB)
    assert not missing, f"routes without a permission-matrix entry: {sorted(missing)}"
    stale = set(WEB) - route_names()
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_route(name, city, personas):
    """Every role in turn against one route (GET only: nothing a role does here changes the next
    role's view). One test per route keeps the city and the personas built once for all roles."""
    from django.test import Client

    from lianxin.core.models import AuditEntry

    kwargs_of, expected = WEB[name]
    url = reverse(name, kwargs=kwargs_of(city) if kwargs_of else None)
    wrong = []
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(personas[role])
        audit_before = AuditEntry.objects.count()
        response = client.get(url)
        if response.status_code != expected[role]:
            wrong.append(f"{name} as {role}: {response.status_code}, expected {expected[role]}")
        if AuditEntry.objects.count() != audit_before:
            wrong.append(f"{name} as {role}: a GET wrote to the audit log")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_back_office_is_for_system_administrators(role, client, personas):
    if role != "anonymous":
        client.force_login(personas[role])
    for url in ["/admin/", "/admin/places/place/", "/admin/core/auditentry/", "/admin/accounts/user/"]:
        response = client.get(url)
        assert response.status_code == (200 if role == "sysadmin" else 302), f"{url} as {role}"


def test_login_page_logs_in(client, personas):
    response = client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
