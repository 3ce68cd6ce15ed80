"""Residents' requests pages (D4) and the resident portal's filing and status lookup."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from lianxin.appeals import services
from lianxin.appeals.models import Request, RequestCategory

from .conftest import city_per_module
from .test_appeals_services import at, intake, known_data_set
from .test_registry_pages import registry_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

D = dt.date


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def appeals_sample(city):
    """One request of 幸福社区 (the staff member's), made once per test, for the permission matrices."""
    sample = getattr(city, "_appeals_sample", None)
    if sample is None:
        from lianxin.accounts.models import User

        sample = intake(User.objects.get(username="staff"), city.happy)
        city._appeals_sample = sample
    return sample


def test_intake_page_finds_the_resident_by_pinyin_and_records(client, city, personas):
    people = registry_sample(city)
    client.force_login(personas["staff"])
    page = client.get(reverse("request_intake"), {"who": "zs"})
    assert page.status_code == 200 and "张三" in page.content.decode()
    assert "13800138000" not in page.content.decode()  # the phone is masked in the choice
    response = client.post(
        reverse("request_intake") + "?who=zs",
        {
            "who": "zs",
            "channel": "phone",
            "place": city.happy_building.pk,
            "category": RequestCategory.objects.get(code="facilities").pk,
            "description": "路灯不亮",
            "resident": people["head"].pk,
            "attachments": [io.BytesIO(b"%PDF-1.4 test")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get()
    assert response.url == reverse("request_detail", args=[request.pk])
    assert (request.resident, request.owner, request.channel) == (people["head"], personas["staff"], "phone")
    detail = client.get(response.url).content.decode()
    assert request.number in detail and "路灯不亮" in detail


def test_intake_page_shows_errors_on_their_fields(client, city, personas):
    client.force_login(personas["staff"])
    response = client.post(
        reverse("request_intake"),
        {
            "channel": "desk",
            "place": city.happy.pk,
            "category": RequestCategory.objects.get(code="other").pk,
            "description": "x",
            "attachments": [io.BytesIO(b"MZ not a picture")],
            "requester_name": "王",
        },
    )
    assert response.status_code == 200
    assert "attachments" in response.context["form"].errors
    assert Request.objects.count() == 0


def test_detail_actions_walk_the_workflow(client, city, personas):
    req = intake(personas["staff"], city.happy)
    client.force_login(personas["staff"])
    url = reverse("request_act", args=[req.pk, "reply"])
    assert client.get(url).status_code == 405
    response = client.post(url, {"text": "已处理", "channel": "phone"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "answered"
    client.post(reverse("request_act", args=[req.pk, "rate"]), {"rating": "dissatisfied"})
    req.refresh_from_db()
    assert (req.status, req.reopen_count) == ("open", 1)
    page = client.get(reverse("request_detail", args=[req.pk])).content.decode()
    assert page.count("<li><time") == 3  # recorded, answered, rated
    response = client.post(
        reverse("request_act", args=[req.pk, "rate"]), {"rating": "satisfied"}, follow=True
    )
    assert "error" in response.content.decode()  # not answered: refused with a message
    req.refresh_from_db()
    assert req.status == "open"


def test_list_filters_and_highlights_overdue(client, city, personas, time_machine):
    time_machine.move_to(at(D(2026, 9, 1)), tick=False)
    late = intake(personas["staff"], city.happy)
    time_machine.move_to(at(D(2026, 9, 29)), tick=False)
    fresh = intake(personas["staff"], city.happy)
    client.force_login(personas["staff"])
    page = client.get(reverse("request_list")).content.decode()
    assert page.count('data-test="overdue-row"') == 1
    overdue_only = client.get(reverse("request_list"), {"overdue": "on"}).content.decode()
    assert late.number in overdue_only and fresh.number not in overdue_only
    mine = client.get(reverse("request_list"), {"mine": "on"}).content.decode()
    assert late.number in mine
    client.force_login(personas["committee_member"])
    assert late.number not in client.get(reverse("request_list"), {"mine": "on"}).content.decode()


def test_dashboard_page_drills_down_and_exports(client, city, personas, time_machine):
    known_data_set(city, personas, time_machine)
    client.force_login(personas["district_officer"])
    page = client.get(reverse("request_dashboard")).content.decode()
    assert "幸福社区" in page and "团结社区" in page and "<abbr title=" in page
    community = client.get(reverse("request_dashboard"), {"within": city.happy.pk}).content.decode()
    assert "团结社区" not in community.split('data-test="stats"')[1]
    response = client.post(reverse("request_export"), {"group": "category", "within": city.east.pk})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rates = book.get_sheet_by_index(0).to_python()
    assert rates[-1][0] in ("合计", "Total") and rates[-1][1] == "6"
    cases = book.get_sheet_by_index(1).to_python()
    assert len(cases) == 1 + 6
    flat = " ".join(str(c) for row in cases for c in row)
    assert "13900001111" not in flat and "王五" not in flat  # no personal data in the export


def test_dashboard_page_reads_where_the_person_starts_once(client, city, personas, time_machine):
    """The widest place the officer may view (the dashboard's root) serves the figures, the start and
    the breadcrumbs: one read, not one for each."""
    known_data_set(city, personas, time_machine)
    client.force_login(personas["district_officer"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("request_dashboard"))  # no place chosen: from the widest
    root_reads = [
        q["sql"]
        for q in queries.captured_queries
        if f'"places_place"."path" = \'{city.district.path}\'' in q["sql"]
    ]
    assert (
        page.status_code == 200
        and "幸福社区" in page.content.decode()
        and "团结社区" in page.content.decode()
    )
    assert len(root_reads) == 1, root_reads


def test_export_needs_the_export_permission(client, city, personas):
    client.force_login(personas["staff"])
    assert client.post(reverse("request_export"), {}).status_code == 403


# --- the portal ----------------------------------------------------------------------------------------


def test_portal_status_same_answer_for_wrong_number_or_phone(client, city, personas):
    req = intake(personas["staff"], city.happy)
    services.request_reply(actor=personas["staff"], request=req, text="已安排保洁清理")
    url = reverse("portal_status")
    good = client.post(url, {"number": req.number, "phone": "139-0000-1111"}).content.decode()
    assert "已安排保洁清理" in good and req.number in good
    assert "王五" not in good and "13900001111" not in good and "楼道堆放杂物" not in good

    wrong_phone = client.post(url, {"number": req.number, "phone": "13900002222"})
    wrong_number = client.post(url, {"number": "2026-999999", "phone": "13900001111"})

    def answer(response):
        text = response.content.decode()
        return text.split('data-test="not-found"')[1].split("</p>")[0]

    assert wrong_phone.status_code == wrong_number.status_code == 200
    assert answer(wrong_phone) == answer(wrong_number)
    assert req.number not in wrong_phone.content.decode().split("<form")[0]


def test_portal_status_is_rate_limited(client, city, personas):
    req = intake(personas["staff"], city.happy)
    url = reverse("portal_status")
    for _ in range(10):
        assert client.post(url, {"number": req.number, "phone": "1"}).status_code == 200
    response = client.post(url, {"number": req.number, "phone": "13900001111"})
    assert response.status_code == 429 and 'data-test="result"' not in response.content.decode()


def test_anonymous_requests_cannot_be_looked_up(client, city, personas):
    req = intake(personas["staff"], city.happy, anonymous=True)
    assert services.portal_status(number=req.number, phone="") is None


def test_portal_filing_creates_an_unowned_request_the_staff_claim(client, city, personas):
    response = client.post(
        reverse("portal_file"),
        {
            "place": city.happy.pk,
            "category": RequestCategory.objects.get(code="elderly").pk,
            "description": "希望增加老年食堂",
            "requester_name": "钱七",
            "requester_phone": "13700001234",
        },
    )
    assert response.status_code == 200
    req = Request.objects.get()
    assert (req.channel, req.owner) == ("portal", None) and req.number in response.content.decode()
    staff = api_login(client, personas["staff"])
    staff.post(reverse("request_act", args=[req.pk, "claim"]))
    req.refresh_from_db()
    assert req.owner == personas["staff"]
    staff.post(reverse("request_act", args=[req.pk, "claim"]))  # a second claim changes nothing
    assert Request.objects.get(pk=req.pk).owner == personas["staff"]


def api_login(client, user):
    client.force_login(user)
    return client


def test_attachment_download_is_scoped(client, city, personas):
    req = intake(personas["staff"], city.happy, attachments=[("x.png", b"\x89PNG\r\n\x1a\n1234")])
    attachment = req.attachments.get()
    url = reverse("request_attachment", args=[req.pk, attachment.pk])
    client.force_login(personas["staff"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(personas["outsider"])
    assert client.get(url).status_code == 404
