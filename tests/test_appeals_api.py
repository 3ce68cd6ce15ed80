"""Residents' requests through the API (D4): the whole lifecycle, escalation, the dashboard, access.

Given the city and personas of conftest.py (幸福社区 staff, 团结社区's secretary as the outsider).
"""

import datetime as dt
import gc
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.appeals import services
from lianxin.appeals.models import Request, RequestEvent
from lianxin.core.models import AuditEntry, Notification

from .conftest import city_per_module
from .test_appeals_services import at, intake, known_data_set
from .test_registry_pages import registry_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

D = dt.date


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


def test_full_lifecycle_through_the_api(city, personas, time_machine, django_capture_on_commit_callbacks):
    staff, grid, secretary = personas["staff"], personas["grid_worker"], personas["community_secretary"]
    people = registry_sample(city)
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)

    # Intake at the desk, linked to 张三 from the registry, with a photo (multipart).
    photo = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    photo.name = "楼道.jpg"
    response = api(staff).post(
        v1("request-list"),
        {
            "channel": "desk",
            "place": city.happy_building.pk,
            "category": "environment",
            "description": "3单元楼道堆放杂物，老人通行不便",
            "resident": people["head"].pk,
            "attachments": [photo],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    case = response.json()
    pk = case["id"]
    assert case["number"] == "2026-000001" and case["status"] == "open"
    assert case["owner"] == staff.pk and case["requester_name"] == "张三"
    assert (case["due_on"], case["due_provisional"]) == ("2026-10-13", False)
    assert [a["content_type"] for a in case["attachments"]] == ["image/jpeg"]

    # Hand-off to the grid worker, with a reason: the owner stays.
    with django_capture_on_commit_callbacks(execute=True):
        response = api(staff).post(
            v1("request-handoff", pk), {"to_kind": "colleague", "to_user": grid.pk, "reason": "属第一网格"}
        )
    assert response.status_code == 200, response.content
    case = response.json()
    assert (case["status"], case["owner"], case["handler"]) == ("in_progress", staff.pk, grid.pk)
    assert Notification.objects.filter(recipient=grid, title__contains="2026-000001").exists()

    # The grid worker answers on 10-09, before the deadline.
    time_machine.move_to(at(D(2026, 10, 9)), tick=False)
    response = api(grid).post(v1("request-reply", pk), {"text": "已联系物业清理", "channel": "visit"})
    case = response.json()
    assert response.status_code == 200, case
    assert (case["status"], case["first_answer_on_time"], case["follow_up_on"]) == (
        "answered",
        True,
        "2026-10-29",
    )

    # Follow-up on the follow-up day; the resident is dissatisfied: reopened with a new deadline.
    time_machine.move_to(at(D(2026, 10, 29)), tick=False)
    response = api(staff).post(
        v1("request-follow-up", pk), {"note": "居民说杂物又堆回来了", "channel": "phone"}
    )
    assert response.json()["status"] == "followed_up"
    response = api(staff).post(v1("request-rate", pk), {"rating": "dissatisfied", "note": "未根治"})
    case = response.json()
    assert (case["status"], case["rating"], case["reopen_count"]) == ("open", "dissatisfied", 1)
    assert case["due_on"] == "2026-11-05"  # five working days from 10-29
    assert case["first_answer_on_time"] is True  # the first cycle's answer keeps its record

    # Second answer, then 满意: closed.
    time_machine.move_to(at(D(2026, 11, 3)), tick=False)
    response = api(grid).post(v1("request-reply", pk), {"text": "已设置提示牌并每周巡查", "channel": "phone"})
    assert response.json()["status"] == "answered"
    response = api(staff).post(v1("request-rate", pk), {"rating": "satisfied"})
    case = response.json()
    assert (case["status"], case["rating"], case["owner"]) == ("closed", "satisfied", staff.pk)

    # The history keeps every step, in order, with who did it.
    steps = [(e["kind"], e["actor"], e["from_status"], e["to_status"]) for e in case["events"]]
    assert steps == [
        ("intake", staff.pk, "", "open"),
        ("handoff", staff.pk, "open", "in_progress"),
        ("reply", grid.pk, "in_progress", "answered"),
        ("follow_up", staff.pk, "answered", "followed_up"),
        ("rating", staff.pk, "followed_up", "open"),
        ("reply", grid.pk, "open", "answered"),
        ("rating", staff.pk, "answered", "closed"),
    ]
    handoff = case["events"][1]
    assert handoff["text"] == "属第一网格" and handoff["after"]["status"] == "in_progress"
    assert AuditEntry.objects.filter(object_type="appeals.request", object_id=str(pk)).count() == 7

    # A secretary may reopen a closed case; a staff member may not.
    assert api(staff).post(v1("request-reopen", pk), {"reason": "又出现"}).status_code == 403
    response = api(secretary).post(v1("request-reopen", pk), {"reason": "又出现"})
    assert response.json()["status"] == "open" and response.json()["reopen_count"] == 2


def test_overdue_escalation_through_tick(city, personas, time_machine, django_capture_on_commit_callbacks):
    from lianxin.core import services as core_services

    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    response = api(personas["staff"]).post(
        v1("request-list"),
        {
            "channel": "phone",
            "place": city.happy.pk,
            "category": "property",
            "description": "电梯停运",
            "requester_name": "赵六",
        },
        format="json",
    )
    pk = response.json()["id"]
    time_machine.move_to(at(D(2026, 10, 15), 7), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = core_services.tick(today=D(2026, 10, 15))
        again = core_services.tick(today=D(2026, 10, 15))
    assert (first["requests_sweep"], again["requests_sweep"]) == (2, 0)
    for persona in ("community_secretary", "subdistrict_officer"):
        assert Notification.objects.filter(recipient=personas[persona], url=f"/requests/{pk}/").count() == 1
    case = api(personas["staff"]).get(v1("request-detail", pk)).json()
    assert case["overdue"] is True and case["escalation_level"] == 2
    listed = api(personas["staff"]).get(v1("request-list"), {"overdue": "true"}).json()
    assert [row["id"] for row in listed["results"]] == [pk]


def test_dashboard_endpoint_gives_the_known_rates(city, personas, time_machine):
    known_data_set(city, personas, time_machine)
    response = api(personas["district_officer"]).get(v1("request-dashboard"), {"group": "place"})
    assert response.status_code == 200, response.content
    body = response.json()
    rates = {
        row["label"]: (row["received"], row["response_rate"], row["on_time_rate"]) for row in body["rows"]
    }
    assert rates == {"幸福社区": (4, 75.0, 50.0), "和谐社区": (2, 50.0, 100.0), "团结社区": (1, 100.0, 100.0)}
    assert (body["total"]["resolution_rate"], body["total"]["satisfaction_rate"]) == (42.9, 75.0)
    # Drill-down: within 东街 only its two communities.
    east = api(personas["district_officer"]).get(v1("request-dashboard"), {"within": city.east.pk}).json()
    assert {row["label"] for row in east["rows"]} == {"幸福社区", "和谐社区"}
    # The outsider (团结社区) sees only her own community.
    mine = api(personas["outsider"]).get(v1("request-dashboard")).json()
    assert [(row["label"], row["received"]) for row in mine["rows"]] == [("团结社区", 1)]


def test_merge_duplicates_and_link_without_retyping(city, personas):
    staff = personas["staff"]
    first = intake(staff, city.happy)
    second = intake(staff, city.happy)
    response = api(staff).post(v1("request-merge", second.pk), {"into": first.number, "reason": "同一问题"})
    assert response.status_code == 200 and response.json()["status"] == "merged"
    assert response.json()["merged_into"] == first.pk
    assert api(staff).post(v1("request-reply", second.pk), {"text": "x"}).status_code == 400

    response = api(staff).post(v1("request-link", first.pk), {"kind": "assistance", "note": "转低保申请"})
    assert response.status_code == 200 and response.json()["links"][0]["kind"] == "assistance"
    payload = services.request_payload(Request.objects.get(pk=first.pk))
    assert payload["description"] == first.description and payload["requester_phone"] == "13900001111"


def test_bad_input_names_the_field(city, personas):
    staff = personas["staff"]
    response = api(staff).post(
        v1("request-list"),
        {"channel": "desk", "place": city.happy.pk, "category": "environment", "description": "x"},
    )
    assert response.status_code == 400 and "requester_name" in response.json()["errors"]
    req = intake(staff, city.happy)
    response = api(staff).post(v1("request-handoff", req.pk), {"to_kind": "department", "reason": "转办"})
    assert response.status_code == 400 and "to_label" in response.json()["errors"]
    response = api(staff).post(v1("request-follow-up", req.pk), {"note": "x"})
    assert response.status_code == 400  # not answered yet
    assert Request.objects.get(pk=req.pk).status == "open"


def test_handed_to_another_community_its_secretary_sees_and_answers(city, personas):
    staff, outsider = personas["staff"], personas["outsider"]
    req = intake(staff, city.happy)
    assert api(outsider).get(v1("request-detail", req.pk)).status_code == 404
    response = api(staff).post(
        v1("request-handoff", req.pk),
        {"to_kind": "community", "to_place": city.unity.pk, "reason": "属团结社区辖区"},
    )
    assert response.status_code == 200 and response.json()["handler_label"] == "团结社区"
    assert api(outsider).get(v1("request-detail", req.pk)).status_code == 200
    response = api(outsider).post(v1("request-reply", req.pk), {"text": "已处理"})
    assert response.status_code == 200 and response.json()["owner"] == staff.pk
    # Counted where it was received: the outsider's dashboard does not count it.
    assert api(outsider).get(v1("request-dashboard")).json()["total"]["received"] == 0


# --- access --------------------------------------------------------------------------------------------


@pytest.fixture
def happy_case(city, personas):
    return intake(personas["staff"], city.happy)


ACTIONS = [
    ("request-handoff", {"to_kind": "department", "to_label": "城管", "reason": "x"}),
    ("request-reply", {"text": "答复"}),
    ("request-follow-up", {"note": "回访"}),
    ("request-rate", {"rating": "satisfied"}),
    ("request-reopen", {"reason": "x"}),
    ("request-merge", {"into": "2026-000001"}),
    ("request-link", {"kind": "dispute"}),
    ("request-claim", None),
]


@pytest.mark.parametrize(("name", "body"), ACTIONS)
def test_a_worker_of_another_community_cannot_act_on_the_request(city, personas, happy_case, name, body):
    client = api(personas["outsider"])  # logging in is audited too: count after it
    events = RequestEvent.objects.count()
    audit = AuditEntry.objects.count()
    response = client.post(v1(name, happy_case.pk), body, format="json")
    assert response.status_code == 404
    assert RequestEvent.objects.count() == events and AuditEntry.objects.count() == audit
    assert Request.objects.get(pk=happy_case.pk).status == "open"


def test_a_worker_of_another_community_cannot_list_read_or_export(client, city, personas, happy_case):
    outsider = personas["outsider"]
    assert api(outsider).get(v1("request-list")).json()["results"] == []
    assert api(outsider).get(v1("request-detail", happy_case.pk)).status_code == 404
    assert api(outsider).get(v1("request-dashboard"), {"within": city.happy.pk}).status_code == 400
    client.force_login(outsider)
    assert client.get(reverse("request_detail", args=[happy_case.pk])).status_code == 404
    response = client.post(reverse("request_export"), {"within": city.happy.pk})
    assert response.status_code == 404
    response = client.post(reverse("request_export"), {})
    assert response.status_code == 200
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    cases = book.get_sheet_by_index(1).to_python()
    assert all(happy_case.number not in [str(c) for c in row] for row in cases)


@pytest.mark.parametrize("persona", ["resident", "party_member"])
def test_residents_see_nothing_in_the_staff_api(city, personas, happy_case, persona):
    client = api(personas[persona])
    assert client.get(v1("request-list")).status_code == 403
    assert client.get(v1("request-detail", happy_case.pk)).status_code == 404
    assert client.get(v1("request-dashboard")).status_code == 403
    assert api().get(v1("request-list")).status_code in (401, 403)


def test_grid_worker_sees_only_her_grid(city, personas):
    in_grid = intake(personas["staff"], city.happy_building)
    community_level = intake(personas["staff"], city.happy)
    ids = {row["id"] for row in api(personas["grid_worker"]).get(v1("request-list")).json()["results"]}
    assert in_grid.pk in ids and community_level.pk not in ids


# --- the list: keyset pages and rows read as values (issue 11) -------------------------------------------


def test_the_list_rows_are_exactly_the_serializer_rows(city, personas, time_machine):
    """The list reads values, not models (lianxin.api.appeals.RequestRows); every field of
    RequestSerializer must come out the same, in the same order, for every kind of row."""
    from lianxin.api.appeals import RequestSerializer

    staff, secretary = personas["staff"], personas["community_secretary"]
    people = registry_sample(city)
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    plain = intake(staff, city.happy_building, resident=people["head"])
    handed = intake(staff, city.happy, requester_name="李四", anonymous=True)
    services.request_handoff(
        actor=staff, request=handed, to_kind="colleague", to_user=secretary, reason="需要书记协调"
    )
    answered = intake(staff, city.happy)
    services.request_reply(actor=staff, request=answered, text="已清理")
    time_machine.move_to(at(D(2026, 10, 20)), tick=False)  # the open ones are now overdue

    listed = api(staff).get(v1("request-list"), {"page_size": 50}).json()["results"]
    expected = RequestSerializer(
        Request.objects.filter(pk__in=[plain.pk, handed.pk, answered.pk]).order_by("-id"), many=True
    ).data
    assert [list(row) for row in listed] == [list(row) for row in expected]
    assert listed == [dict(row) for row in expected]
    assert {row["id"]: row["overdue"] for row in listed} == {
        plain.pk: True,
        handed.pk: True,
        answered.pk: False,
    }
    assert next(row for row in listed if row["id"] == handed.pk)["handler_name"] == secretary.get_full_name()


def test_a_list_page_is_freed_as_soon_as_its_response_is_closed(city, personas):
    """DRF links a viewset, its request and its response in cycles, which kept the page (the paginator
    and its rows) alive until Python's cycle collector ran; the API views drop those links when the
    response is closed (lianxin.api.views._release), so reference counting frees them at once."""
    from lianxin.api.pagination import Keyset

    staff = personas["staff"]
    for i in range(3):
        intake(staff, city.happy, description=f"第{i}件")
    client = api(staff)
    assert len(client.get(v1("request-list"), {"page_size": 2}).json()["results"]) == 2
    gc.collect()
    gc.disable()
    try:
        response = client.get(v1("request-list"), {"page_size": 2})
        # type(), not isinstance(): a weak proxy among the objects would be dereferenced (and may be dead)
        pages_alive = [o for o in gc.get_objects() if type(o) is Keyset]
    finally:
        gc.enable()
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert pages_alive == []


def test_the_list_pages_by_keyset_newest_first_and_never_repeats(city, personas):
    staff = personas["staff"]
    made = [intake(staff, city.happy, description=f"第{i}件") for i in range(7)]
    client = api(staff)
    seen, url, pages = [], v1("request-list") + "?page_size=3", 0
    while url:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}  # no count: a million rows are not counted
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
        # A request recorded while someone pages does not shift the pages already being read.
        if pages == 1:
            intake(staff, city.happy, description="翻页时新登记")
    assert seen == sorted((r.pk for r in made), reverse=True)
    assert pages == 3


def test_the_receiving_community_lists_a_handed_request_even_after_it_moves(city, personas, sysadmin):
    """Visibility from the receiving side reads the request's own copy of the handling place's path
    (handler_place_path, no join); a place move rewrites that copy like place_path."""
    from lianxin.places.services import place_move

    staff, outsider = personas["staff"], personas["outsider"]  # outsider: 团结社区's secretary
    to_unity = intake(staff, city.happy)
    to_harmony = intake(staff, city.happy)
    services.request_handoff(
        actor=staff, request=to_unity, to_kind="community", to_place=city.unity, reason="属团结社区"
    )
    services.request_handoff(
        actor=staff, request=to_harmony, to_kind="community", to_place=city.harmony, reason="属和谐社区"
    )

    def listed():
        return {row["id"] for row in api(outsider).get(v1("request-list")).json()["results"]}

    assert Request.objects.get(pk=to_unity.pk).handler_place_path == city.unity.path
    assert listed() == {to_unity.pk}
    place_move(actor=sysadmin, place=city.unity, new_parent=city.east, reason="区划调整")
    city.unity.refresh_from_db()
    assert Request.objects.get(pk=to_unity.pk).handler_place_path == city.unity.path
    assert city.unity.path.startswith(city.east.path)
    assert listed() == {to_unity.pk}
    assert api(outsider).get(v1("request-detail", to_unity.pk)).status_code == 200
