"""The REST API: the permission matrix for every endpoint and persona, scoping, errors, schema.

Given the city and personas of conftest.py, when a persona calls an endpoint, then the status is
the one the matrix names; and a denied write leaves the database exactly as it was.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from lianxin.accounts.models import RoleAssignment, User
from lianxin.core import services as core_services
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry, Notification, Todo, TodoStatus
from lianxin.core.notifications import notify
from lianxin.places import services as place_services
from lianxin.places.models import OrgRating, PartyOrganization, Place, PlaceKind

from .conftest import PASSWORD, PERSONA_NAMES, city_per_module
from .test_appeals_pages import appeals_sample
from .test_branch_pages import branch_sample
from .test_import_pages import import_sample
from .test_registry_pages import WANG, registry_sample
from .test_transfer_pages import transfer_sample
from .test_visits import visit_sample

PERSONAS = PERSONA_NAMES
ANONYMOUS = "anonymous"
EVERYONE = set(PERSONAS)
OFFICERS = {"district_officer", "subdistrict_officer"}
PLACE_MANAGERS = OFFICERS | {"community_secretary", "sysadmin"}
PLACE_VIEWERS = EVERYONE - {"party_member", "resident"}
ORG_VIEWERS = PLACE_VIEWERS - {"assistant"}
# Who sees 幸福社区's own rows (the grid worker only sees her grid, the assistant no organizations).
HAPPY_ORG_VIEWERS = PLACE_MANAGERS | {"committee_member", "staff", "supervisor"}
HAPPY_BUILDING_VIEWERS = PLACE_VIEWERS - {"outsider"}
# The registry (D2): 幸福社区's household is in the grid worker's grid; its members are the branch's.
MEMBER_VIEWERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
PEOPLE_VIEWERS = MEMBER_VIEWERS | {"grid_worker", "assistant"}
PEOPLE_MANAGERS = {"community_secretary", "committee_member", "staff", "grid_worker"}
MEMBER_MANAGERS = {"community_secretary", "committee_member"}
TRANSFER_VIEWERS = MEMBER_VIEWERS | {"outsider"}
TRANSFER_SENDERS = OFFICERS | {"community_secretary"}
IMPORTERS = {"community_secretary", "committee_member", "staff", "outsider"}
BRANCH_VIEWERS = MEMBER_VIEWERS
BRANCH_MANAGERS = {"community_secretary", "committee_member"}
# Residents' requests (D4): 幸福社区's request is at the community, outside the grid worker's grid.
REQUEST_HANDLERS = OFFICERS | {"community_secretary", "committee_member", "staff", "grid_worker"}
REQUEST_VIEWERS = REQUEST_HANDLERS | {"supervisor"}
HAPPY_REQUEST_VIEWERS = REQUEST_VIEWERS - {"grid_worker"}
VISIT_VIEWERS = MEMBER_VIEWERS | {"grid_worker"}
VISIT_RECORDERS = {"community_secretary", "committee_member", "staff", "grid_worker"}


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


@pytest.fixture
def world(city, personas):
    """The city plus what the matrix acts on: a second grid, a to-do and a message for the resident."""
    grid2 = place_services.place_create(
        actor=personas["sysadmin"], kind=PlaceKind.GRID, name="第二网格", parent=city.happy
    )
    resident = personas["resident"]
    todo = core_services.todo_create(actor=None, assignee=resident, place=city.happy, title="回访", days=3)
    message = notify(recipients=[resident], title="欢迎")[0]
    assignment = RoleAssignment.objects.get(user=resident, role=Role.RESIDENT)
    return {
        "city": city,
        "personas": personas,
        "grid2": grid2,
        "todo": todo,
        "message": message,
        "assignment": assignment,
        "people": registry_sample(city),
        "transfer": transfer_sample(city),  # 孙六, requested from 幸福社区 to 团结社区 (the outsider's)
        "request": appeals_sample(city),  # a residents' request of 幸福社区, recorded by the staff member
        "visit": visit_sample(city),  # the secretary's visit to the registry sample's household
    }


def client_for(persona, personas):
    client = APIClient()
    if persona != ANONYMOUS:
        client.force_login(personas[persona])
    return client


def db_state():
    """Everything a write endpoint could change; compared before and after a denied call."""
    return (
        list(AuditEntry.objects.order_by("seq").values_list("seq", "hash")),
        list(Place.objects.order_by("pk").values_list("pk", "name", "parent_id", "path")),
        list(
            PartyOrganization.objects.order_by("pk").values_list(
                "pk", "parent_id", "path", "secretary_name", "rating"
            )
        ),
        OrgRating.objects.count(),
        list(User.objects.order_by("pk").values_list("pk", "username")),
        list(RoleAssignment.objects.order_by("pk").values_list("pk", "ended_at")),
        list(Todo.objects.order_by("pk").values_list("pk", "status")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
    )


def expect(allowed: set, ok: int, denied: dict | None = None, default: int = 403) -> dict:
    """The matrix row: ``ok`` for ``allowed`` personas, ``denied`` overrides, ``default`` otherwise."""
    row = {persona: (ok if persona in allowed else default) for persona in PERSONAS}
    row.update(denied or {})
    return row


# name, method, url(world), body(world), expected status by persona; anonymous is always refused.
MATRIX = [
    ("place-list", "get", lambda w: v1("place-list"), None, expect(PLACE_VIEWERS, 200)),
    (
        "place-detail",
        "get",
        lambda w: v1("place-detail", w["city"].happy_building.pk),
        None,
        expect(HAPPY_BUILDING_VIEWERS, 200, default=404),
    ),
    (
        "place-create",
        "post",
        lambda w: v1("place-list"),
        lambda w: {"kind": "grid", "name": "第三网格", "parent": w["city"].happy.pk},
        # The outsider manages places elsewhere; 幸福社区 is not a parent she can name.
        expect(PLACE_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "place-move",
        "post",
        lambda w: v1("place-move", w["city"].happy_building.pk),
        lambda w: {"parent": w["grid2"].pk, "reason": "网格调整"},
        expect(PLACE_MANAGERS, 200, {p: 404 for p in EVERYONE - HAPPY_BUILDING_VIEWERS}),
    ),
    ("org-list", "get", lambda w: v1("org-list"), None, expect(ORG_VIEWERS, 200)),
    (
        "org-detail",
        "get",
        lambda w: v1("org-detail", w["city"].happy_branch.pk),
        None,
        expect(HAPPY_ORG_VIEWERS, 200, default=404),
    ),
    (
        "org-create",
        "post",
        lambda w: v1("org-list"),
        lambda w: {
            "kind": "branch",
            "name": "幸福社区第二党支部",
            "place": w["city"].happy.pk,
            "parent": w["city"].happy_committee.pk,
        },
        expect(PLACE_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "org-update",
        "patch",
        lambda w: v1("org-detail", w["city"].happy_branch.pk),
        lambda w: {"secretary_name": "张三"},
        expect(PLACE_MANAGERS, 200, {p: 404 for p in EVERYONE - HAPPY_ORG_VIEWERS}),
    ),
    (
        "org-rate",
        "post",
        lambda w: v1("org-rate", w["city"].happy_branch.pk),
        lambda w: {"rating": 1, "basis": "组织生活规范"},
        # Rating is the officers' call; the system administrator runs the system, not the rating.
        expect(OFFICERS, 201, {p: 404 for p in EVERYONE - HAPPY_ORG_VIEWERS}),
    ),
    (
        "org-move",
        "post",
        lambda w: v1("org-move", w["city"].happy_branch.pk),
        lambda w: {"parent": None, "reason": "独立建制"},
        expect(PLACE_MANAGERS, 200, {p: 404 for p in EVERYONE - HAPPY_ORG_VIEWERS}),
    ),
    ("user-list", "get", lambda w: v1("user-list"), None, expect({"sysadmin"}, 200)),
    (
        "user-detail",
        "get",
        lambda w: v1("user-detail", w["personas"]["resident"].pk),
        None,
        expect({"sysadmin"}, 200, default=404),
    ),
    (
        "user-create",
        "post",
        lambda w: v1("user-list"),
        lambda w: {"username": "newcomer", "display_name": "新人", "password": "Morning-new-2026"},
        expect({"sysadmin"}, 201),
    ),
    ("role-list", "get", lambda w: v1("role-assignment-list"), None, expect({"sysadmin"}, 200)),
    (
        "role-detail",
        "get",
        lambda w: v1("role-assignment-detail", w["assignment"].pk),
        None,
        expect({"sysadmin"}, 200, default=404),
    ),
    (
        "role-grant",
        "post",
        lambda w: v1("role-assignment-list"),
        lambda w: {"user": w["personas"]["resident"].pk, "role": "party_member", "place": w["city"].happy.pk},
        expect({"sysadmin"}, 201),
    ),
    (
        "role-revoke",
        "post",
        lambda w: v1("role-assignment-revoke", w["assignment"].pk),
        lambda w: {"reason": "搬离社区"},
        expect({"sysadmin"}, 200, default=404),
    ),
    (
        "calendar-working-days",
        "get",
        lambda w: v1("calendar-working-days") + "?start=2026-09-30&days=1",
        None,
        expect(EVERYONE, 200),
    ),
    (
        "calendar-between",
        "get",
        lambda w: v1("calendar-between") + "?start=2026-09-30&end=2026-10-09",
        None,
        expect(EVERYONE, 200),
    ),
    ("notification-list", "get", lambda w: v1("notification-list"), None, expect(EVERYONE, 200)),
    ("notification-unread", "get", lambda w: v1("notification-unread-count"), None, expect(EVERYONE, 200)),
    ("notification-read-all", "post", lambda w: v1("notification-read-all"), None, expect(EVERYONE, 200)),
    (
        "notification-read",
        "post",
        lambda w: v1("notification-read", w["message"].pk),
        None,
        expect({"resident"}, 200, default=404),
    ),
    ("todo-list", "get", lambda w: v1("todo-list"), None, expect(EVERYONE, 200)),
    (
        "todo-close",
        "post",
        lambda w: v1("todo-close", w["todo"].pk),
        lambda w: {},
        expect({"resident"}, 200, default=404),
    ),
    ("audit-list", "get", lambda w: v1("audit-list"), None, expect({"supervisor", "sysadmin"}, 200)),
    (
        "household-list",
        "get",
        lambda w: v1("household-list"),
        None,
        expect(PEOPLE_VIEWERS | {"outsider"}, 200),
    ),
    (
        "household-detail",
        "get",
        lambda w: v1("household-detail", w["people"]["household"].pk),
        None,
        expect(PEOPLE_VIEWERS, 200, default=404),
    ),
    (
        "household-create",
        "post",
        lambda w: v1("household-list"),
        lambda w: {"place": w["city"].happy_building.pk, "unit": "3", "room": "501"},
        expect(PEOPLE_MANAGERS, 201, {"outsider": 400}),
    ),
    ("resident-list", "get", lambda w: v1("resident-list"), None, expect(PEOPLE_VIEWERS | {"outsider"}, 200)),
    (
        "resident-detail",
        "get",
        lambda w: v1("resident-detail", w["people"]["head"].pk),
        None,
        expect(PEOPLE_VIEWERS, 200, default=404),
    ),
    (
        "resident-create",
        "post",
        lambda w: v1("resident-list"),
        lambda w: {"name": "王五", "id_number": WANG, "household": w["people"]["household"].pk},
        expect(PEOPLE_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "resident-update",
        "patch",
        lambda w: v1("resident-detail", w["people"]["head"].pk),
        lambda w: {"phone": "13900000000"},
        expect(PEOPLE_MANAGERS, 200, {p: 404 for p in EVERYONE - PEOPLE_VIEWERS}),
    ),
    (
        "resident-reveal",
        "post",
        lambda w: v1("resident-reveal", w["people"]["head"].pk),
        lambda w: {"field": "id_number", "reason": "办理低保"},
        expect({"community_secretary", "staff"}, 200, {p: 404 for p in EVERYONE - PEOPLE_VIEWERS}),
    ),
    ("member-list", "get", lambda w: v1("member-list"), None, expect(MEMBER_VIEWERS | {"outsider"}, 200)),
    (
        "member-three-lists",
        "get",
        lambda w: v1("member-three-lists"),
        None,
        expect(MEMBER_VIEWERS | {"outsider"}, 200),
    ),
    (
        "member-detail",
        "get",
        lambda w: v1("member-detail", w["people"]["member"].pk),
        None,
        expect(MEMBER_VIEWERS, 200, default=404),
    ),
    (
        "member-create",
        "post",
        lambda w: v1("member-list"),
        lambda w: {
            "resident": w["people"]["spouse"].pk,
            "organization": w["city"].happy_branch.pk,
            "kind": "retired",
            "joined_on": "1980-07-01",
        },
        expect(MEMBER_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "member-update",
        "patch",
        lambda w: v1("member-detail", w["people"]["member"].pk),
        lambda w: {"mobile_contact": "13800000000"},
        expect(MEMBER_MANAGERS, 200, {p: 404 for p in EVERYONE - MEMBER_VIEWERS}),
    ),
    ("import-list", "get", lambda w: v1("import-list"), None, expect(IMPORTERS, 200)),
    (
        "import-detail",
        "get",
        lambda w: v1("import-detail", import_sample(w["city"]).pk),
        None,
        expect({"community_secretary"}, 200, {p: 404 for p in IMPORTERS - {"community_secretary"}}),
    ),
    (
        "import-create",
        "post",
        lambda w: v1("import-list"),
        lambda w: {"kind": "members"},  # no file: importers get 400; uploads are in test_import_pages
        expect(IMPORTERS, 400),
    ),
    (
        "import-commit",
        "post",
        lambda w: v1("import-commit", import_sample(w["city"]).pk),
        lambda w: {},
        expect({"community_secretary"}, 200, {p: 404 for p in IMPORTERS - {"community_secretary"}}),
    ),
    (
        "import-template",
        "get",
        lambda w: v1("import-template") + "?kind=households",
        None,
        expect(IMPORTERS, 200),
    ),
    # Membership transfers: both sides see the transfer; each move is checked by its service.
    ("transfer-list", "get", lambda w: v1("transfer-list"), None, expect(TRANSFER_VIEWERS, 200)),
    (
        "transfer-detail",
        "get",
        lambda w: v1("transfer-detail", w["transfer"].pk),
        None,
        expect(TRANSFER_VIEWERS, 200, default=404),
    ),
    (
        "transfer-create",
        "post",
        lambda w: v1("transfer-list"),
        lambda w: {"member": w["people"]["member"].pk, "to_organization": w["city"].unity_committee.pk},
        # The outsider handles transfers, but not of 幸福社区's members.
        expect(TRANSFER_SENDERS, 201, {"outsider": 400}),
    ),
    (
        "transfer-approve",
        "post",
        lambda w: v1("transfer-approve", w["transfer"].pk),
        None,
        # The secretary filed the request: she may not approve it herself (four eyes).
        expect(
            TRANSFER_SENDERS,
            200,
            {p: 404 for p in EVERYONE - TRANSFER_VIEWERS} | {"community_secretary": 403},
        ),
    ),
    (
        "transfer-accept",
        "post",
        lambda w: v1("transfer-accept", w["transfer"].pk),
        None,
        # The receiving side may accept, but not before the sending side approved: 400.
        expect({"outsider", "district_officer"}, 400, {p: 404 for p in EVERYONE - TRANSFER_VIEWERS}),
    ),
    (
        "transfer-reject",
        "post",
        lambda w: v1("transfer-reject", w["transfer"].pk),
        lambda w: {"reason": "材料不全"},
        expect(TRANSFER_SENDERS | {"outsider"}, 200, {p: 404 for p in EVERYONE - TRANSFER_VIEWERS}),
    ),
    (
        "transfer-cancel",
        "post",
        lambda w: v1("transfer-cancel", w["transfer"].pk),
        lambda w: {"reason": "本人放弃"},
        expect({"community_secretary"}, 200, {p: 404 for p in EVERYONE - TRANSFER_VIEWERS}),
    ),
    # Visits (D5): the grid worker sees and records in her grid; the outsider may record only in 团结社区.
    ("visit-list", "get", lambda w: v1("visit-list"), None, expect(VISIT_VIEWERS | {"outsider"}, 200)),
    (
        "visit-detail",
        "get",
        lambda w: v1("visit-detail", w["visit"].pk),
        None,
        expect(VISIT_VIEWERS, 200, default=404),
    ),
    (
        "visit-create",
        "post",
        lambda w: v1("visit-list"),
        lambda w: {
            "household": w["people"]["household"].pk,
            "findings": "家中一切正常",
            "needs_followup": True,
        },
        expect(VISIT_RECORDERS, 201, {"outsider": 400}),
    ),
    (
        "visit-plan-list",
        "get",
        lambda w: v1("visit-plan-list"),
        None,
        expect(VISIT_VIEWERS | {"outsider"}, 200),
    ),
    (
        "visit-plan-coverage",
        "get",
        lambda w: v1("visit-plan-coverage") + "?month=2026-11",
        None,
        expect(VISIT_VIEWERS | {"outsider"}, 200),
    ),
    ("request-list", "get", lambda w: v1("request-list"), None, expect(REQUEST_VIEWERS | {"outsider"}, 200)),
    (
        "request-category-list",
        "get",
        lambda w: v1("request-category-list"),
        None,
        expect(REQUEST_VIEWERS | {"outsider"}, 200),
    ),
    (
        "request-dashboard",
        "get",
        lambda w: v1("request-dashboard"),
        None,
        expect(REQUEST_VIEWERS | {"outsider"}, 200),
    ),
    (
        "request-detail",
        "get",
        lambda w: v1("request-detail", w["request"].pk),
        None,
        expect(HAPPY_REQUEST_VIEWERS, 200, default=404),
    ),
    (
        "request-create",
        "post",
        lambda w: v1("request-list"),
        lambda w: {
            "channel": "desk",
            "place": w["city"].happy_building.pk,
            "category": "environment",
            "description": "路灯不亮",
            "requester_name": "王五",
        },
        # The outsider handles requests elsewhere; 幸福社区's building is not a place she can name.
        expect(REQUEST_HANDLERS, 201, {"outsider": 400}),
    ),
    (
        "request-reply",
        "post",
        lambda w: v1("request-reply", w["request"].pk),
        lambda w: {"text": "已处理", "channel": "phone"},
        # The supervisor reads requests but does not answer them.
        expect(HAPPY_REQUEST_VIEWERS - {"supervisor"}, 200, {"supervisor": 403}, default=404),
    ),
    # Branch life (D3): 幸福社区's meetings, visit task and recruit (tests/test_branch_pages.branch_sample).
    ("meeting-list", "get", lambda w: v1("meeting-list"), None, expect(BRANCH_VIEWERS | {"outsider"}, 200)),
    ("meeting-mine", "get", lambda w: v1("meeting-mine"), None, expect(EVERYONE, 200)),
    (
        "meeting-detail",
        "get",
        lambda w: v1("meeting-detail", branch_sample(w["city"])["meeting"].pk),
        None,
        expect(BRANCH_VIEWERS, 200, default=404),
    ),
    (
        "meeting-create",
        "post",
        lambda w: v1("meeting-list"),
        lambda w: {
            "organization": w["city"].happy_branch.pk,
            "meeting_type": "committee_meeting",
            "topic": "支委会",
            "held_on": timezone.localdate().isoformat(),
            "attendance": [{"member": w["people"]["member"].pk, "present": False, "absence_reason": "病假"}],
        },
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "meeting-plan",
        "post",
        lambda w: v1("meeting-plan"),
        lambda w: {
            "organization": w["city"].happy_branch.pk,
            "meeting_type": "general_meeting",
            "topic": "党员大会",
            "planned_on": timezone.localdate().isoformat(),
        },
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "meeting-record",
        "post",
        lambda w: v1("meeting-record", branch_sample(w["city"])["planned"].pk),
        lambda w: {"held_on": timezone.localdate().isoformat(), "topic": "书记讲党课"},
        expect(BRANCH_MANAGERS, 200, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
    ),
    (
        "compliance-list",
        "get",
        lambda w: v1("compliance-list"),
        None,
        expect(BRANCH_VIEWERS | {"outsider"}, 200),
    ),
    (
        "compliance-rollup",
        "get",
        lambda w: v1("compliance-rollup") + "?level=subdistrict",
        None,
        expect(BRANCH_VIEWERS | {"outsider"}, 200),
    ),
    (
        "compliance-detail",
        "get",
        lambda w: v1("compliance-detail", w["city"].happy_branch.pk),
        None,
        expect(BRANCH_VIEWERS, 200, default=404),
    ),
    (
        "visit-task-list",
        "get",
        lambda w: v1("visit-task-list"),
        None,
        expect(BRANCH_VIEWERS | {"outsider"}, 200),
    ),
    (
        "visit-task-detail",
        "get",
        lambda w: v1("visit-task-detail", branch_sample(w["city"])["task"].pk),
        None,
        expect(BRANCH_VIEWERS, 200, default=404),
    ),
    (
        "visit-task-close",
        "post",
        lambda w: v1("visit-task-close", branch_sample(w["city"])["task"].pk),
        lambda w: {"visited_on": timezone.localdate().isoformat(), "visitors": "书记", "findings": "已出院"},
        expect(BRANCH_MANAGERS, 200, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
    ),
    (
        "visit-task-report",
        "post",
        lambda w: v1("visit-task-report"),
        lambda w: {"member": branch_sample(w["city"])["member"].pk, "cause": "difficulty", "note": "失业"},
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    ("recruit-list", "get", lambda w: v1("recruit-list"), None, expect(BRANCH_VIEWERS | {"outsider"}, 200)),
    (
        "recruit-detail",
        "get",
        lambda w: v1("recruit-detail", branch_sample(w["city"])["recruit"].pk),
        None,
        expect(BRANCH_VIEWERS, 200, default=404),
    ),
    (
        "recruit-create",
        "post",
        lambda w: v1("recruit-list"),
        lambda w: {
            "resident": branch_sample(w["city"])["newcomer"].pk,
            "organization": w["city"].happy_branch.pk,
            "applied_on": timezone.localdate().isoformat(),
        },
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    *[
        (
            f"recruit-{name}",
            "post",
            lambda w, name=name: v1(f"recruit-{name}", branch_sample(w["city"])["recruit"].pk),
            lambda w, body=body: body,
            expect(BRANCH_MANAGERS, ok, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
        )
        for name, body, ok in (
            ("advance", {"on": "2025-03-01"}, 400),  # the application's documents are missing
            ("documents", {"name": "入党申请书", "received_on": "2025-01-05"}, 200),
            ("stop", {"reason": "本人撤回申请"}, 200),
        )
    ],
    # Posts, reserve cadres and the hardship fund (D3); the committee member applied for 张三.
    *[
        (name, "get", lambda w, name=name: v1(name), None, expect(BRANCH_VIEWERS | {"outsider"}, 200))
        for name in (
            "post-list",
            "post-coverage",
            "reserve-cadre-list",
            "reserve-cadre-check",
            "hardship-list",
            "hardship-totals",
        )
    ],
    *[
        (
            name,
            "get",
            lambda w, name=name, key=key: v1(name, branch_sample(w["city"])[key].pk),
            None,
            expect(BRANCH_VIEWERS, 200, default=404),
        )
        for name, key in (
            ("post-detail", "taken_post"),
            ("reserve-cadre-detail", "reserve"),
            ("hardship-detail", "hardship"),
        )
    ],
    (
        "post-create",
        "post",
        lambda w: v1("post-list"),
        lambda w: {
            "organization": w["city"].happy_branch.pk,
            "year": 2026,
            "title": "文明劝导岗",
            "duties": "劝导",
        },
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "post-publish",
        "post",
        lambda w: v1("post-publish"),
        lambda w: {"organization": w["city"].happy_branch.pk, "year": 2026},
        expect(BRANCH_MANAGERS, 400, {"outsider": 400}),  # nobody is assigned yet
    ),
    (
        "post-volunteer",
        "post",
        lambda w: v1("post-volunteer", branch_sample(w["city"])["open_post"].pk),
        lambda w: {"member": branch_sample(w["city"])["member"].pk},
        expect(BRANCH_MANAGERS, 201, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
    ),
    *[
        (
            name,
            "post",
            lambda w, name=name: v1(name, branch_sample(w["city"])["taken_post"].pk),
            lambda w, extra=extra: {"holding": branch_sample(w["city"])["holding"].pk, **extra},
            expect(BRANCH_MANAGERS, ok, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
        )
        for name, extra, ok in (
            ("post-assign", {}, 200),
            ("post-appraise", {"appraisal": "good"}, 400),  # not assigned and published yet
        )
    ],
    (
        "reserve-cadre-create",
        "post",
        lambda w: v1("reserve-cadre-list"),
        lambda w: {
            "resident": w["people"]["spouse"].pk,
            "community": w["city"].happy.pk,
            "education": "college",
        },
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "reserve-cadre-advance",
        "post",
        lambda w: v1("reserve-cadre-advance", branch_sample(w["city"])["reserve"].pk),
        lambda w: {"passed": True},
        expect(BRANCH_MANAGERS, 200, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
    ),
    (
        "hardship-create",
        "post",
        lambda w: v1("hardship-list"),
        lambda w: {"member": w["people"]["member"].pk, "amount": "500.00", "reason": "生活困难"},
        expect(BRANCH_MANAGERS, 201, {"outsider": 400}),
    ),
    (
        "hardship-decide",
        "post",
        lambda w: v1("hardship-decide", branch_sample(w["city"])["hardship"].pk),
        lambda w: {"approve": True},
        # Nobody decides an application they made: the committee member applied.
        expect(
            {"community_secretary"},
            200,
            {"committee_member": 400, **{p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}},
            default=404,
        ),
    ),
    (
        "hardship-pay",
        "post",
        lambda w: v1("hardship-pay", branch_sample(w["city"])["hardship"].pk),
        lambda w: {"amount": "100.00", "paid_on": timezone.localdate().isoformat()},
        expect(BRANCH_MANAGERS, 400, {p: 403 for p in BRANCH_VIEWERS - BRANCH_MANAGERS}, default=404),
    ),
    ("schema", "get", lambda w: v1("schema"), None, expect(EVERYONE, 200)),
    ("docs", "get", lambda w: v1("docs"), None, expect(EVERYONE, 200)),
    ("redoc", "get", lambda w: v1("redoc"), None, expect(EVERYONE, 200)),
]


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), MATRIX, ids=[row[0] for row in MATRIX]
)
def test_permission_matrix(world, name, method, url, body, expected):
    """Every persona in turn against one endpoint. Each call runs in a savepoint rolled back after
    it, so an allowed write by one persona does not change what the next one meets."""
    from django.db import transaction

    # Samples built lazily by the url/body functions exist before the "nothing changed" snapshot.
    target, payload = url(world), (body(world) if body else None)
    wrong = []
    for persona in [*PERSONAS, ANONYMOUS]:
        client = client_for(persona, world["personas"])
        with transaction.atomic():
            before = db_state()
            response = getattr(client, method)(target, payload, format="json")
            status = response.status_code
            if persona == ANONYMOUS:
                # SessionAuthentication comes first in settings, so DRF answers 403 rather than 401.
                ok = status in (401, 403)
            else:
                ok = status == expected[persona]
            if not ok:
                wrong.append(f"{name} as {persona}: {status} {response.content[:300]!r}")
            if (status >= 400 or method == "get") and db_state() != before:
                wrong.append(f"{name} as {persona}: {status} but the database changed")
            transaction.set_rollback(True)
    assert not wrong, "\n".join(wrong)


def test_matrix_covers_every_api_route():
    """A new endpoint must join the matrix (or a dedicated test) before it ships."""
    from django.urls import get_resolver

    names = {row[0] for row in MATRIX}
    covered = {
        "place-list",
        "place-detail",
        "place-move",
        "org-list",
        "org-detail",
        "org-rate",
        "org-move",
        "user-list",
        "user-detail",
        "role-assignment-list",
        "role-assignment-detail",
        "role-assignment-revoke",
        "calendar-working-days",
        "calendar-between",
        "notification-list",
        "notification-unread-count",
        "notification-read-all",
        "notification-read",
        "todo-list",
        "todo-close",
        "audit-list",
        "household-list",
        "household-detail",
        "resident-list",
        "resident-detail",
        "resident-reveal",
        "member-list",
        "member-detail",
        "member-three-lists",
        "schema",
        "docs",
        "redoc",
        "token",
        "transfer-list",
        "transfer-detail",
        "transfer-approve",
        "transfer-accept",
        "transfer-reject",
        "transfer-cancel",
        "import-list",
        "import-detail",
        "import-commit",
        "import-template",
        # Residents' requests: the other actions have their access tests in test_appeals_api.py.
        "request-list",
        "request-detail",
        "request-dashboard",
        "request-category-list",
        "request-handoff",
        "request-reply",
        "request-follow-up",
        "request-rate",
        "request-reopen",
        "request-merge",
        "request-link",
        "request-claim",
        "visit-list",
        "visit-detail",
        "visit-plan-list",
        "visit-plan-coverage",
        "meeting-list",
        "meeting-detail",
        "meeting-plan",
        "meeting-record",
        "meeting-mine",
        "compliance-list",
        "compliance-detail",
        "compliance-rollup",
        "visit-task-list",
        "visit-task-detail",
        "visit-task-close",
        "visit-task-report",
        "recruit-list",
        "recruit-detail",
        "recruit-advance",
        "recruit-documents",
        "recruit-stop",
        "post-list",
        "post-detail",
        "post-coverage",
        "post-publish",
        "post-volunteer",
        "post-assign",
        "post-appraise",
        "reserve-cadre-list",
        "reserve-cadre-detail",
        "reserve-cadre-check",
        "reserve-cadre-advance",
        "hardship-list",
        "hardship-detail",
        "hardship-totals",
        "hardship-decide",
        "hardship-pay",
    }
    from .matrix_modules import api_covered

    covered |= api_covered()
    api = get_resolver().namespace_dict["api"][1]
    routes = {name for name in api.reverse_dict if isinstance(name, str)}
    assert routes <= covered, routes - covered
    assert len(names) == len(MATRIX)


# --- scoping -----------------------------------------------------------------------------------


def _names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_community_secretary_sees_only_her_subtree(city, personas):
    client = client_for("community_secretary", personas)

    names = _names(client.get(v1("place-list")))

    assert names == {"幸福社区", "第一网格", "1号楼"}


def test_subdistrict_officer_sees_every_community_of_the_subdistrict(city, personas):
    client = client_for("subdistrict_officer", personas)

    names = _names(client.get(v1("place-list"), {"kind": "community"}))

    assert names == {"幸福社区", "和谐社区"}


def test_place_filters_within_and_search(city, personas):
    client = client_for("district_officer", personas)

    assert _names(client.get(v1("place-list"), {"within": city.west.pk})) == {
        "西街街道",
        "团结社区",
        "第一网格",
    }
    assert _names(client.get(v1("place-list"), {"search": "和"})) == {"和平区", "和谐社区"}


def test_filter_within_a_place_out_of_scope_is_refused_like_a_missing_one(city, personas):
    client = client_for("community_secretary", personas)

    foreign = client.get(v1("place-list"), {"within": city.unity.pk})
    missing = client.get(v1("place-list"), {"within": 999999})

    assert foreign.status_code == missing.status_code == 400
    assert set(foreign.json()["errors"]) == {"within"}


def test_outsider_gets_404_on_a_happy_place_exactly_like_a_missing_one(city, personas):
    client = client_for("outsider", personas)

    foreign = client.get(v1("place-detail", city.happy.pk))
    missing = client.get(v1("place-detail", 999999))

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_supervisor_reads_the_audit_log_of_her_subtree_only(city, personas):
    client = client_for("supervisor", personas)
    place_services.place_update(actor=personas["sysadmin"], place=city.unity, name="团结新社区")
    place_services.place_update(actor=personas["sysadmin"], place=city.happy_grid, name="幸福第一网格")

    response = client.get(v1("audit-list"), {"action": "place.update"})

    assert response.status_code == 200
    assert [row["object_id"] for row in response.json()["results"]] == [str(city.happy_grid.pk)]


def test_system_admin_reads_the_whole_audit_log_and_filters_it(city, personas):
    client = client_for("sysadmin", personas)

    response = client.get(v1("audit-list"), {"object_type": "places.place", "object_id": city.unity.pk})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["action"], row["object_id"]) for row in rows] == [("place.create", str(city.unity.pk))]


# --- denied writes change nothing --------------------------------------------------------------


def test_resident_posting_a_place_creates_no_row_and_no_audit_entry(city, personas):
    client = client_for("resident", personas)
    places, entries = Place.objects.count(), AuditEntry.objects.count()

    response = client.post(
        v1("place-list"), {"kind": "grid", "name": "私设网格", "parent": city.happy.pk}, format="json"
    )

    assert response.status_code == 403
    assert Place.objects.count() == places
    assert AuditEntry.objects.count() == entries


def test_a_rejected_service_call_writes_nothing(city, personas):
    client = client_for("sysadmin", personas)
    before = db_state()

    response = client.post(
        v1("place-move", city.east.pk), {"parent": city.happy.pk, "reason": "试试"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"parent"}
    assert db_state() == before


# --- writes through the API --------------------------------------------------------------------


def test_place_create_move_and_audit(city, personas):
    client = client_for("community_secretary", personas)

    created = client.post(
        v1("place-list"), {"kind": "grid", "name": "第二网格", "parent": city.happy.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    grid2 = created.json()
    moved = client.post(
        v1("place-move", city.happy_building.pk), {"parent": grid2["id"], "reason": "网格调整"}, format="json"
    )

    assert moved.status_code == 200, moved.content
    assert moved.json()["parent"] == grid2["id"]
    entry = AuditEntry.objects.filter(action="place.move").get()
    assert entry.reason == "网格调整" and entry.actor == personas["community_secretary"]


def test_org_rating_class_2_needs_a_plan_and_a_date(city, personas):
    client = client_for("subdistrict_officer", personas)

    response = client.post(
        v1("org-rate", city.happy_branch.pk), {"rating": 2, "basis": "组织生活不够规范"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"upgrade_plan", "upgrade_due"}
    assert not OrgRating.objects.exists()


def test_org_patch_refuses_to_move_the_tree(city, personas):
    client = client_for("community_secretary", personas)

    response = client.patch(
        v1("org-detail", city.happy_branch.pk), {"parent": None, "name": "新名字"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"parent"}
    assert PartyOrganization.objects.get(pk=city.happy_branch.pk).name == "幸福社区第一党支部"


def test_org_update_rejects_dissolution_before_founding(city, personas):
    client = client_for("community_secretary", personas)

    response = client.patch(
        v1("org-detail", city.happy_branch.pk),
        {"founded_on": "2020-07-01", "dissolved_on": "2019-01-01"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dissolved_on"}


def test_dissolved_orgs_are_listed_only_on_request(city, personas):
    place_services.org_update(
        actor=personas["sysadmin"], org=city.happy_branch, dissolved_on=dt.date(2026, 1, 1)
    )
    client = client_for("community_secretary", personas)

    default = _names(client.get(v1("org-list")))
    everything = _names(client.get(v1("org-list"), {"include_dissolved": "true"}))

    assert default == {"幸福社区党委"}
    assert everything == {"幸福社区党委", "幸福社区第一党支部"}


def test_user_create_validation_names_the_field(city, personas):
    client = client_for("sysadmin", personas)

    taken = client.post(v1("user-list"), {"username": "RESIDENT", "display_name": "重名"}, format="json")
    weak = client.post(v1("user-list"), {"username": "weak", "password": "123"}, format="json")
    blank = client.post(v1("user-list"), {"display_name": "无名"}, format="json")

    assert taken.status_code == weak.status_code == blank.status_code == 400
    assert set(taken.json()["errors"]) == {"username"}
    assert set(weak.json()["errors"]) == {"password"}
    assert set(blank.json()["errors"]) == {"username"}


def test_role_grant_at_the_wrong_level_names_the_place(city, personas):
    client = client_for("sysadmin", personas)

    response = client.post(
        v1("role-assignment-list"),
        {"user": personas["resident"].pk, "role": Role.COMMUNITY_SECRETARY, "place": city.happy_grid.pk},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"place"}


def test_role_revoke_needs_a_reason_and_happens_once(city, personas):
    client = client_for("sysadmin", personas)
    assignment = RoleAssignment.objects.get(user=personas["resident"])
    url = v1("role-assignment-revoke", assignment.pk)

    no_reason = client.post(url, {"reason": ""}, format="json")
    first = client.post(url, {"reason": "搬离"}, format="json")
    again = client.post(url, {"reason": "搬离"}, format="json")

    assert no_reason.status_code == 400 and set(no_reason.json()["errors"]) == {"reason"}
    assert first.status_code == 200 and first.json()["ended_at"]
    assert again.status_code == 400 and set(again.json()["errors"]) == {"non_field_errors"}
    active = client.get(v1("role-assignment-list"), {"user": personas["resident"].pk}).json()["results"]
    assert active == []


# --- auth --------------------------------------------------------------------------------------


def test_token_auth(city, personas, clean_throttle):
    client = APIClient()

    issued = client.post(v1("token"), {"username": "secretary", "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    response = client.get(v1("place-list"))

    assert issued.status_code == 200
    assert _names(response) == {"幸福社区", "第一网格", "1号楼"}


def test_token_refused_for_a_wrong_password(city, personas, clean_throttle):
    response = APIClient().post(v1("token"), {"username": "secretary", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert "errors" in response.json()


@pytest.fixture
def clean_throttle():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_password_guessing_is_throttled(personas, clean_throttle):
    client = APIClient()
    wrong = {"username": "secretary", "password": "wrong"}

    statuses = {client.post(v1("token"), wrong, format="json").status_code for _ in range(31)}

    assert statuses == {400, 429}


def test_a_bad_token_is_refused(city, personas):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert client.get(v1("place-list")).status_code in (401, 403)


# --- calendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due", "provisional"),
    [
        ("2026-09-30", 1, "2026-10-08", False),  # 1–7 October 2026: National Day holiday
        ("2026-09-30", 0, "2026-09-30", False),
        ("2028-03-01", 1, "2028-03-02", True),  # no official calendar for 2028 yet
    ],
)
def test_working_days_known_answers(personas, start, days, due, provisional):
    client = client_for("resident", personas)

    response = client.get(v1("calendar-working-days"), {"start": start, "days": days})

    assert response.status_code == 200
    assert response.json() == {"start": start, "days": days, "due": due, "provisional": provisional}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"days": 1}, "start"),
        ({"start": "2026-13-01", "days": 1}, "start"),
        ({"start": "2026-09-30"}, "days"),
        ({"start": "2026-09-30", "days": "x"}, "days"),
        ({"start": "2026-09-30", "days": -1}, "days"),
        ({"start": "2026-09-30", "days": 100000}, "days"),
    ],
)
def test_working_days_bad_parameters_name_the_parameter(personas, query, field):
    client = client_for("staff", personas)

    response = client.get(v1("calendar-working-days"), query)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {field}
    assert field in errors[field][0]


def test_working_days_between(personas):
    client = client_for("staff", personas)

    forward = client.get(v1("calendar-between"), {"start": "2026-09-30", "end": "2026-10-09"})
    backward = client.get(v1("calendar-between"), {"start": "2026-10-09", "end": "2026-09-30"})
    too_long = client.get(v1("calendar-between"), {"start": "2000-01-01", "end": "2030-01-01"})
    missing = client.get(v1("calendar-between"), {"start": "2026-10-09"})

    assert forward.json()["working_days"] == 2  # 8 and 9 October
    assert backward.json()["working_days"] == -2
    assert too_long.status_code == 400 and set(too_long.json()["errors"]) == {"end"}
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"end"}


# --- inbox and to-dos --------------------------------------------------------------------------


def test_inbox_lists_only_own_messages_and_marks_them_read(personas):
    resident, staff = personas["resident"], personas["staff"]
    mine = notify(recipients=[resident], title="一")[0]
    notify(recipients=[resident], title="二")
    notify(recipients=[staff], title="别人的")
    client = client_for("resident", personas)

    listed = client.get(v1("notification-list")).json()["results"]
    read = client.post(v1("notification-read", mine.pk))
    unread = client.get(v1("notification-list"), {"unread": "true"}).json()["results"]
    count = client.get(v1("notification-unread-count")).json()
    all_read = client.post(v1("notification-read-all")).json()

    assert {row["title"] for row in listed} == {"一", "二"}
    assert read.status_code == 200 and read.json()["read_at"]
    assert [row["title"] for row in unread] == ["二"]
    assert count == {"unread_count": 1}
    assert all_read == {"marked": 1}
    assert Notification.objects.filter(recipient=staff, read_at__isnull=True).count() == 1


def test_todos_list_and_close(city, personas):
    resident = personas["resident"]
    todo = core_services.todo_create(actor=None, assignee=resident, place=city.happy, title="回访", days=3)
    core_services.todo_create(
        actor=None, assignee=personas["staff"], place=city.happy, title="别人的", days=3
    )
    client = client_for("resident", personas)

    listed = client.get(v1("todo-list")).json()["results"]
    closed = client.post(v1("todo-close", todo.pk), {"status": "cancelled"}, format="json")
    again = client.post(v1("todo-close", todo.pk), {}, format="json")
    still_open = client.get(v1("todo-list"), {"status": "open"}).json()["results"]

    assert [row["title"] for row in listed] == ["回访"]
    assert closed.status_code == 200 and closed.json()["status"] == TodoStatus.CANCELLED
    assert again.status_code == 400 and "non_field_errors" in again.json()["errors"]
    assert still_open == []


# --- schema ------------------------------------------------------------------------------------


def test_schema_is_valid_openapi(personas):
    client = client_for("resident", personas)

    response = client.get(v1("schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/v1/places/{id}/move/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_is_generated_once_per_language(personas, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from lianxin.api import schema as kept

    kept._kept.clear()
    generated = []
    original = SchemaGenerator.get_schema

    def counting(self, request=None, public=False):
        generated.append(public)
        return original(self, request=request, public=public)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    resident, staff = client_for("resident", personas), client_for("staff", personas)

    first = resident.get(v1("schema"), {"format": "json"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    again = staff.get(v1("schema"), {"format": "json"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    english = resident.get(v1("schema"), {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").json()

    assert generated == [True, True]  # Chinese once for both callers, then English
    assert first == again and first["paths"].keys() == english["paths"].keys()
    # The kept schema is still for signed-in users only.
    assert APIClient().get(v1("schema"), {"format": "json"}).status_code in (401, 403)


def test_docs_use_the_local_sidecar_assets(personas):
    client = client_for("resident", personas)

    swagger = client.get(v1("docs")).content.decode()
    redoc = client.get(v1("redoc")).content.decode()

    assert "drf_spectacular_sidecar" in swagger and "drf_spectacular_sidecar" in redoc
    assert "cdn.jsdelivr.net" not in swagger and "cdn.jsdelivr.net" not in redoc
