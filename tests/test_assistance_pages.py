"""Assistance pages (D6): the public notice pages show only the allow-listed fields — every one is
rendered and searched for ID numbers, phone numbers, addresses and health details — plus the staff
pages, the objection form and the Excel export."""

import datetime as dt
import io
import random
import re

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.assistance import programmes, services
from lianxin.assistance.models import Case, Notice, Objection, Programme
from lianxin.core import crypto, demo
from lianxin.core.models import AuditEntry
from lianxin.registry import services as registry
from lianxin.registry.models import Relationship

from .conftest import city_per_module
from .test_assistance_flow import DOCUMENTS, START, at, drive_to, open_case
from .test_registry_pages import registry_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _notice_world(city, personas, time_machine):
    """Three notices running: 张三's (registry sample), and two more households with phones, health
    notes and four-character names; one objection filed with the objector's phone."""
    time_machine.move_to(at(START), tick=False)
    programmes.ensure_defaults()
    secretary = personas["community_secretary"]
    cases = [drive_to(open_case(city, personas), "notice", personas)]
    rng = random.Random(6)
    for room, name in (("202", "欧阳明华"), ("303", "王小红")):
        household = registry.household_create(actor=secretary, place=city.happy_building, unit="2", room=room)
        person = demo.person(rng, min_age=40, max_age=80, today=START)
        head = registry.resident_create(
            actor=secretary,
            name=name,
            id_number=person.id_number,
            household=household,
            relationship=Relationship.HEAD,
            phone=person.phone,
            health="糖尿病并发症",
        )
        case = services.case_open(
            actor=personas["staff"],
            programme=Programme.objects.get(code="dibao"),
            household=household,
            applicant=head,
            reason_category="disability",
            amount="720.50",
        )
        cases.append(drive_to(case, "notice", personas))
    notices = [services.notice_publish(actor=secretary, case=case) for case in cases]
    services.objection_file(
        notice=notices[0], text="此户情况我不了解，请核实", anonymous=False, name="刘某", phone="13912345678"
    )
    return cases, notices


def _forbidden_values(cases):
    values = set()
    for case in cases:
        household = case.household
        values.add(household.address_label())
        values.add(f"{household.unit}单元{household.room}")
        for person in household.members.all():
            values.add(crypto.decrypt(person.id_number_enc))
            if person.phone:
                values.add(person.phone)
            if person.health_enc:
                values.add(crypto.decrypt(person.health_enc))
            values.add(person.name)  # only the masked name may appear
        if hasattr(case, "investigation"):
            for field in ("income", "health", "composition", "findings"):
                value = crypto.decrypt(getattr(case.investigation, f"{field}_enc"))
                if value:
                    values.add(value)
    values.add("13912345678")
    return {v for v in values if v}


def test_every_public_notice_page_shows_no_id_phone_or_address(city, personas, time_machine):
    cases, notices = _notice_world(city, personas, time_machine)
    client = Client()
    pages = {"list": client.get(reverse("assistance_portal"))}
    for notice in notices:
        pages[f"notice {notice.pk}"] = client.get(reverse("assistance_portal_notice", args=[notice.pk]))
        notice.refresh_from_db()
        if notice.board_item_url:
            pages[f"board {notice.pk}"] = client.get(notice.board_item_url)
    board_pages = [name for name in pages if name.startswith("board")]
    from lianxin.assistance.services import _board_publish

    if _board_publish() is not None:
        assert len(board_pages) == len(notices), "every notice is on the disclosure board"
    forbidden = _forbidden_values(cases)
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = response.content.decode()
        assert not ID_NUMBER.search(body), f"{name}: an ID number"
        assert not PHONE.search(body), f"{name}: a phone number"
        for value in forbidden:
            assert value not in body, f"{name}: {value}"
    listing = pages["list"].content.decode()
    for masked in ("张*", "欧阳**", "王*红"):
        assert masked in listing
    assert "幸福社区" in listing and "720.50" in listing
    # The board body itself holds only the allow-listed text and a link to the notice page.
    from lianxin.disclosure.models import BoardItem

    for item in BoardItem.objects.all():
        assert not ID_NUMBER.search(item.body) and not PHONE.search(item.body)
        assert any(value in item.body for value in ("/portal/assistance/",))
        for value in forbidden:
            assert value not in item.body and value not in item.title


def test_a_notice_after_its_period_is_no_longer_public(city, personas, time_machine):
    cases, notices = _notice_world(city, personas, time_machine)
    time_machine.move_to(at(notices[0].ends_on + dt.timedelta(days=1)), tick=False)
    client = Client()
    assert client.get(reverse("assistance_portal_notice", args=[notices[0].pk])).status_code == 404
    assert "张*" not in client.get(reverse("assistance_portal")).content.decode()


def test_a_resident_files_an_objection_without_login(city, personas, time_machine):
    cases, notices = _notice_world(city, personas, time_machine)
    url = reverse("assistance_portal_notice", args=[notices[1].pk])
    client = Client()
    empty = client.post(url, {"text": "", "anonymous": "on"})
    assert empty.status_code == 200 and Objection.objects.filter(notice=notices[1]).count() == 0
    assert "error" in empty.content.decode()
    response = client.post(
        url, {"text": "该户儿子有稳定工作，收入较高", "anonymous": "on", "phone": "13800001111"}
    )
    assert response.status_code == 200 and 'data-test="objection-filed"' in response.content.decode()
    objection = Objection.objects.get(notice=notices[1])
    assert objection.anonymous and objection.name == "" and "13800001111" not in objection.phone_enc
    assert crypto.decrypt(objection.phone_enc) == "13800001111"
    # The case cannot pass 公示 now until it is answered (see test_assistance_flow).
    staff = Client()
    staff.force_login(personas["community_secretary"])
    page = staff.get(reverse("assistance_case", args=[cases[1].pk])).content.decode()
    assert "该户儿子有稳定工作" in page and "13800001111" not in page


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def test_staff_pages_walk_a_case(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    programmes.ensure_defaults()
    people = registry_sample(city)
    staff = _login(personas["staff"])
    response = staff.post(
        reverse("assistance_case_create"),
        {
            "programme": Programme.objects.get(code="dibao").pk,
            "household": people["household"].pk,
            "applicant_name": "张三",
            "reason_category": "illness",
            "amount": "600",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    missing = staff.post(reverse("assistance_case_act", args=[case.pk, "advance"]), {"version": case.version})
    assert missing.status_code == 400 and "收入证明" in missing.content.decode()
    done = staff.post(
        reverse("assistance_case_act", args=[case.pk, "advance"]),
        {"version": case.version, "documents": DOCUMENTS},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.step.code == "investigate"

    grid = _login(personas["grid_worker"])
    form = grid.get(reverse("assistance_investigation", args=[case.pk]))
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.content.decode()
    photo = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    photo.name = "home.png"
    saved = grid.post(
        reverse("assistance_investigation", args=[case.pk]),
        {
            "first_investigator": personas["grid_worker"].pk,
            "second_investigator": personas["staff"].pk,
            "visited_on": "2026-03-02",
            "household_size": "2",
            "income": "900",
            "health": "李四：肾衰竭",
            "findings": "属实",
            "photos": photo,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    page = grid.get(reverse("assistance_case", args=[case.pk])).content.decode()
    assert "肾衰竭" not in page and "••••••" in page
    photo_row = case.investigation.photos.get()
    assert grid.get(reverse("assistance_photo", args=[photo_row.pk])).status_code == 200
    assert (
        _login(personas["outsider"]).get(reverse("assistance_photo", args=[photo_row.pk])).status_code == 404
    )

    # Reveal with a reason, audited; the grid worker may not.
    assert grid.get(reverse("assistance_reveal", args=[case.pk])).status_code == 403
    revealed = staff.post(
        reverse("assistance_reveal", args=[case.pk]), {"field": "health", "reason": "核对病情"}
    )
    assert revealed.status_code == 200 and "肾衰竭" in revealed.content.decode()
    assert AuditEntry.objects.filter(action="reveal", reason="核对病情").count() == 1

    # A return from the page needs a reason.
    returned = grid.post(
        reverse("assistance_case_act", args=[case.pk, "return"]), {"to_step": "apply", "reason": ""}
    )
    assert returned.status_code == 400
    returned = grid.post(
        reverse("assistance_case_act", args=[case.pk, "return"]), {"to_step": "apply", "reason": "材料不全"}
    )
    assert returned.status_code == 302
    case.refresh_from_db()
    assert case.step.code == "apply"

    for name in ("assistance", "assistance_reports", "assistance_pairings", "assistance_relatives"):
        assert staff.get(reverse(name)).status_code == 200, name


def test_the_report_exports_to_excel(city, personas, time_machine):
    cases, notices = _notice_world(city, personas, time_machine)
    client = _login(personas["community_secretary"])
    response = client.post(reverse("assistance_export"), {"year": "2026"})
    assert response.status_code == 200
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert len(book.sheet_names) == 4
    rows = book.get_sheet_by_index(0).to_python()
    assert list(rows[1][:3]) == ["最低生活保障", "公示", "3"]
    assert AuditEntry.objects.filter(action="assistance.export").count() == 1
    assert client.get(reverse("assistance_export")).status_code == 405


def test_reports_group_cases_by_step_and_age(city, personas, time_machine):
    cases, notices = _notice_world(city, personas, time_machine)
    time_machine.move_to(at(START + dt.timedelta(days=30)), tick=False)
    from lianxin.assistance import selectors

    rows = selectors.cases_by_step(actor=personas["community_secretary"])
    assert [(r["step"], r["total"], r["overdue"]) for r in rows] == [("公示", 3, 3)]
    assert rows[0]["buckets"] == [0, 0, 0, 3]
    assert selectors.cases_by_step(actor=personas["outsider"]) == []
    assert Notice.objects.count() == 3


@pytest.mark.parametrize("persona", ["grid_worker", "assistant", "resident"])
def test_the_export_is_refused_to_others(city, personas, persona):
    response = _login(personas[persona]).post(reverse("assistance_export"), {"year": "2026"})
    assert response.status_code == 403
