"""D11 staff pages and the resident portal: the journeys through forms, and the rules they rely on."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lianxin.appeals.models import Request
from lianxin.cobuilding import selectors, services
from lianxin.cobuilding.models import (
    Agreement,
    Booking,
    BookingStatus,
    Commitment,
    LedgerEntry,
    Problem,
    ResidentUnit,
    Volunteer,
    VolunteerTarget,
)

from .conftest import city_per_module
from .test_cobuilding_sample import cobuilding_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def _at(days, hour, minute=0):
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_every_staff_page_renders_for_the_secretary(client, city, personas):
    sample = cobuilding_sample(city)
    client.force_login(personas["community_secretary"])
    for name in (
        "cobuilding",
        "cobuilding_meetings",
        "cobuilding_pairings",
        "cobuilding_facilities",
        "cobuilding_funds",
        "cobuilding_volunteers",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert "市第一人民医院" in client.get(reverse("cobuilding")).content.decode()
    assert "赵阿姨" in client.get(reverse("cobuilding_facilities")).content.decode()
    from lianxin.cobuilding.models import FundPublication
    from lianxin.disclosure.models import BoardItem

    publication = FundPublication.objects.get(place=city.happy, year=sample["fund"].year)
    item = BoardItem.objects.get(pk=publication.board_item_id)
    assert item.section == "finance" and item.place_id == city.happy.pk and item.body == publication.body
    funds_page = client.get(reverse("cobuilding_funds"), {"year": sample["fund"].year}).content.decode()
    assert item.get_absolute_url() in funds_page
    fund_page = client.get(reverse("cobuilding_fund", args=[sample["fund"].pk])).content.decode()
    assert "120,000.00" in fund_page and "打印宣传资料" in fund_page


def test_unit_agreement_and_fulfilment_through_the_pages(client, city, personas):
    client.force_login(personas["staff"])
    response = client.post(
        reverse("cobuilding_unit_create"),
        {"place": city.happy.pk, "name": "市供电公司", "kind": "enterprise", "contact_phone": "12"},
    )
    assert response.status_code == 200 and "contact_phone" in response.context["form"].errors
    response = client.post(
        reverse("cobuilding_unit_create"),
        {"place": city.happy.pk, "name": "市供电公司", "kind": "enterprise", "contact_name": "刘科长"},
    )
    unit = ResidentUnit.objects.get(name="市供电公司")
    assert response.status_code == 302
    response = client.post(
        reverse("cobuilding_agreement_create", args=[unit.pk]),
        {"title": "用电安全共建", "signed_on": "2026-03-01"},
    )
    agreement = Agreement.objects.get(unit=unit)
    client.post(
        reverse("cobuilding_commitment_add", args=[agreement.pk]),
        {"side": "unit", "category": "security", "content": "每月入户检查老旧线路"},
    )
    commitment = Commitment.objects.get(agreement=agreement)
    # Fulfilled needs a word on what was done.
    client.post(reverse("cobuilding_commitment_check", args=[commitment.pk]), {"status": "done"})
    commitment.refresh_from_db()
    assert commitment.status == "pending"
    client.post(
        reverse("cobuilding_commitment_check", args=[commitment.pk]),
        {"status": "done", "fulfilment": "检查 40 户"},
    )
    commitment.refresh_from_db()
    assert commitment.status == "done" and commitment.checked_by == personas["staff"]
    rows = selectors.fulfilment_by_category(actor=personas["supervisor"], agreement=agreement)
    assert rows == [{"category": "security", "side": "unit", "total": 1, "done": 1, "missed": 0}]


def test_a_problem_from_a_pairing_visit_becomes_a_request_once(client, city, personas):
    sample = cobuilding_sample(city)
    problem = sample["problem"]
    client.force_login(personas["staff"])
    client.post(reverse("cobuilding_problem_to_request", args=[problem.pk]))
    client.post(reverse("cobuilding_problem_to_request", args=[problem.pk]))
    problem.refresh_from_db()
    request = Request.objects.get(pk=problem.request_id)
    assert Request.objects.count() == 1
    assert "活动用房不足" in request.description and "李副市长" in request.description
    assert request.place_id == city.happy.pk
    page = client.get(reverse("cobuilding_pairing", args=[sample["pairing"].pk])).content.decode()
    assert request.number in page
    client.post(
        reverse("cobuilding_problem_follow", args=[problem.pk]),
        {"status": "solved", "follow_up": "腾出二楼两间房"},
    )
    problem.refresh_from_db()
    assert problem.status == "solved" and "腾出二楼两间房" in problem.follow_up
    with pytest.raises(ValidationError):
        services.problem_follow(
            actor=personas["staff"], problem=problem, status="following", follow_up="再看看"
        )


def test_pairing_visit_with_problems_one_per_line(client, city, personas):
    sample = cobuilding_sample(city)
    client.force_login(personas["committee_member"])
    client.post(
        reverse("cobuilding_pairing_visit", args=[sample["pairing"].pk]),
        {
            "visited_on": timezone.localdate().isoformat(),
            "summary": "座谈",
            "problems": "路灯不亮\n\n下水道堵塞\n",
        },
    )
    assert Problem.objects.filter(visit__pairing=sample["pairing"]).count() == 3


def test_booking_rules(city, personas):
    sample = cobuilding_sample(city)
    room, staff = sample["room"], personas["staff"]
    base = dict(
        actor=None, room=room, purpose="读书会", booker_kind="resident", booker_name="孙", phone="13800002222"
    )
    cases = [
        ((_at(-1, 9), _at(-1, 10)), "starts_at"),  # past
        ((_at(3, 7), _at(3, 9)), "starts_at"),  # before opening
        ((_at(3, 20), _at(3, 22)), "starts_at"),  # after closing
        ((_at(3, 12), _at(3, 17)), "ends_at"),  # longer than 4 hours
        ((_at(90, 9), _at(90, 10)), "starts_at"),  # too far ahead
        ((_at(3, 10), _at(3, 10)), "ends_at"),  # empty range
        ((_at(3, 10, 30), _at(3, 11, 30)), "starts_at"),  # overlaps the sample's 09:00–11:00
    ]
    for (starts, ends), field in cases:
        with pytest.raises(ValidationError) as exc:
            services.booking_create(**base, starts_at=starts, ends_at=ends)
        assert field in exc.value.message_dict, (starts, exc.value.message_dict)
    # Touching ranges do not overlap; a refused or cancelled booking frees its slot.
    after = services.booking_create(**base, starts_at=_at(3, 11), ends_at=_at(3, 12))
    services.booking_decide(actor=staff, booking=after, status=BookingStatus.REJECTED, note="场地维修")
    again = services.booking_create(**base, starts_at=_at(3, 11), ends_at=_at(3, 12))
    assert again.status == BookingStatus.PENDING and again.phone_masked == "138****2222"
    with pytest.raises(ValidationError):
        services.booking_create(**{**base, "phone": "12"}, starts_at=_at(4, 9), ends_at=_at(4, 10))
    with pytest.raises(ValidationError):  # rejecting needs a reason the resident will see
        services.booking_decide(actor=staff, booking=again, status=BookingStatus.REJECTED)
    # Staff bookings are approved at once; a decided booking is not decided again.
    own = services.booking_create(
        actor=staff, room=room, starts_at=_at(4, 14), ends_at=_at(4, 16), purpose="党课", booker_kind="staff"
    )
    assert own.status == BookingStatus.APPROVED and own.booker_name == "社区工作者"
    with pytest.raises(ValidationError):
        services.booking_decide(actor=staff, booking=own, status=BookingStatus.APPROVED)


def test_the_portal_books_and_looks_up_by_code_showing_nothing_personal(client, city, personas):
    sample = cobuilding_sample(city)
    room = sample["room"]
    assert "党员活动室" in client.get(reverse("cobuilding_portal")).content.decode()
    day = timezone.localdate() + dt.timedelta(days=3)
    page = client.get(
        reverse("cobuilding_portal_book", args=[room.pk]), {"day": day.isoformat()}
    ).content.decode()
    assert "09:00–11:00" in page and "赵阿姨" not in page  # taken times, never who took them
    assert f'name="day" value="{day.isoformat()}"' in page  # the day looked at is the day booked
    response = client.post(
        reverse("cobuilding_portal_book", args=[room.pk]),
        {
            "day": day.isoformat(),
            "start": "15:00",
            "end": "16:00",
            "purpose": "书法练习",
            "people": "4",
            "booker_kind": "resident",
            "booker_name": "吴老师",
            "phone": "139 0731 0003",
        },
    )
    booking = response.context["created"]
    assert booking is not None and booking.status == BookingStatus.PENDING
    assert booking.phone_masked == "139****0003"
    status = client.post(reverse("cobuilding_portal_status"), {"code": booking.code})
    text = status.content.decode()
    assert status.context["booking"].pk == booking.pk and "吴老师" not in text and "0003" not in text
    assert client.post(reverse("cobuilding_portal_status"), {"code": "ZZZZ2222"}).context["not_found"]
    # A room kept for staff is not on the portal.
    room.public = False
    room.save()
    assert client.get(reverse("cobuilding_portal_book", args=[room.pk])).status_code == 404


def test_staff_approve_on_the_page_and_usage_counts_it(client, city, personas):
    sample = cobuilding_sample(city)
    booking = sample["booking"]
    client.force_login(personas["staff"])
    client.post(reverse("cobuilding_booking_decide", args=[booking.pk]), {"status": "approved"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    usage = selectors.usage_stats(actor=personas["supervisor"], year=booking.starts_at.year)
    row = next(u for u in usage if u["room"].pk == sample["room"].pk)
    assert (
        row["room"].approved == 1
        and row["room"].residents == 1
        and row["hours"] == 2.0
        and row["people"] == 8
    )
    # The outsider cannot decide 幸福社区's bookings: 404, nothing changes.
    client.force_login(personas["outsider"])
    assert (
        client.post(
            reverse("cobuilding_booking_decide", args=[booking.pk]), {"status": "cancelled"}
        ).status_code
        == 404
    )
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.APPROVED


def test_ledger_pages_record_approve_and_reverse(client, city, personas):
    sample = cobuilding_sample(city)
    fund, entry = sample["fund"], sample["entry"]
    client.force_login(personas["staff"])
    response = client.post(
        reverse("cobuilding_entry_create", args=[fund.pk]),
        {
            "direction": "income",
            "amount": "1,000.5",
            "occurred_on": timezone.localdate().isoformat(),
            "purpose": "拨款",
        },
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(purpose="拨款").amount_fen == 100050
    bad = client.post(
        reverse("cobuilding_entry_create", args=[fund.pk]),
        {
            "direction": "income",
            "amount": "1.005",
            "occurred_on": timezone.localdate().isoformat(),
            "purpose": "x",
        },
    )
    assert "amount" in bad.context["form"].errors
    client.post(
        reverse("cobuilding_entry_decide", args=[entry.pk]), {"approve": "1"}
    )  # staff may not approve
    assert LedgerEntry.objects.get(pk=entry.pk).status == "pending"
    client.force_login(personas["committee_member"])
    client.post(reverse("cobuilding_entry_decide", args=[entry.pk]), {"approve": "1"})
    assert LedgerEntry.objects.get(pk=entry.pk).status == "approved"
    client.post(reverse("cobuilding_entry_reverse", args=[entry.pk]), {"reason": "重复报销"})
    assert LedgerEntry.objects.filter(reverses=entry, amount_fen=-entry.amount_fen).exists()
    voucher = client.get(reverse("cobuilding_voucher", args=[sample["voucher"].pk]))
    assert voucher.status_code == 200 and voucher["Content-Type"] == "application/pdf"


def test_volunteers_hours_and_the_party_member_target(client, city, personas):
    from .test_registry_pages import registry_sample

    member = registry_sample(city)["member"]
    sample = cobuilding_sample(city)
    client.force_login(personas["community_secretary"])
    client.post(
        reverse("cobuilding_volunteer_create"),
        {"place": city.happy.pk, "member": member.pk, "skills": "理发"},
    )
    volunteer = Volunteer.objects.get(member=member)
    assert volunteer.name == member.resident.name  # taken from the registry, not retyped
    with pytest.raises(ValidationError):
        services.volunteer_register(actor=personas["staff"], place=city.happy, member=member)
    client.post(reverse("cobuilding_target_set"), {"place": city.happy.pk, "year": 2026, "party_members": 4})
    assert VolunteerTarget.objects.get(place=city.happy, year=2026).party_members == 4
    client.post(
        reverse("cobuilding_activity_create"),
        {
            "place": city.happy.pk,
            "title": "义务理发",
            "held_on": timezone.localdate().isoformat(),
            "volunteers": [volunteer.pk, sample["volunteer"].pk],
            "hours": "1.5",
        },
    )
    rows = {v.pk: v.total_hours for v in selectors.volunteer_list(actor=personas["supervisor"])}
    assert str(rows[volunteer.pk]) == "1.5" and str(rows[sample["volunteer"].pk]) == "3.5"
    progress = selectors.target_progress(actor=personas["supervisor"], year=2026)
    assert [(r["place"].pk, r["target"], r["have"], r["percent"]) for r in progress] == [
        (city.happy.pk, 4, 1, 25)
    ]
