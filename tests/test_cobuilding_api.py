"""D11 through the API: every endpoint by role (allowed, refused, "not yours" 404), denial changes
nothing, and one flow per resource."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.cobuilding.models import (
    Agreement,
    Booking,
    BookingStatus,
    Commitment,
    Fund,
    LedgerEntry,
    ResidentUnit,
    Room,
    Volunteer,
)
from lianxin.core.models import AuditEntry

from .conftest import city_per_module
from .matrix_cobuilding import DESK, VIEWERS
from .test_cobuilding_sample import cobuilding_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ROLES = [
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "assistant",
    "supervisor",
    "party_member",
    "resident",
    "outsider",
    "sysadmin",
]
APPROVERS = {"community_secretary", "committee_member"}


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


def _state():
    return (
        AuditEntry.objects.count(),
        ResidentUnit.objects.count(),
        Agreement.objects.count(),
        Commitment.objects.filter(status="done").count(),
        Room.objects.count(),
        Booking.objects.count(),
        Booking.objects.filter(status=BookingStatus.APPROVED).count(),
        Fund.objects.count(),
        LedgerEntry.objects.count(),
        LedgerEntry.objects.filter(status="approved").count(),
        Volunteer.objects.count(),
    )


def test_reads_by_role(city, personas):
    sample = cobuilding_sample(city)
    reads = [
        ("unit-list", (), VIEWERS),
        ("agreement-list", (), VIEWERS),
        ("facility-list", (), VIEWERS),
        ("booking-list", (), VIEWERS),
        ("fund-list", (), VIEWERS),
        ("volunteer-list", (), VIEWERS),
        ("volunteer-targets", (), VIEWERS),
    ]
    details = [
        ("unit-detail", (sample["unit"].pk,)),
        ("agreement-detail", (sample["agreement"].pk,)),
        ("facility-detail", (sample["room"].pk,)),
        ("booking-detail", (sample["booking"].pk,)),
        ("fund-detail", (sample["fund"].pk,)),
        ("fund-entries", (sample["fund"].pk,)),
        ("volunteer-detail", (sample["volunteer"].pk,)),
    ]
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    for role in ROLES:
        client = api(personas[role])
        for name, args, allowed in reads:
            response = client.get(v1(name, *args))
            if role in allowed:
                assert response.status_code == 200, (name, role, response.content)
            elif role == "outsider":
                assert response.status_code == 200, (name, role)  # their own community: empty
                rows = response.json()
                rows = rows["results"] if isinstance(rows, dict) else rows
                assert not [r for r in rows if r.get("name") == sample["unit"].name]
            else:
                assert response.status_code == 403, (name, role, response.status_code)
        for name, args in details:
            response = client.get(v1(name, *args))
            expected = 200 if role in VIEWERS else 404
            assert response.status_code == expected, (name, role, response.status_code)
        taken = client.get(v1("facility-taken", sample["room"].pk), {"day": day})
        assert taken.status_code == (200 if role in VIEWERS else 404), role
        if role in VIEWERS:
            assert taken.json() == [{"starts": "09:00", "ends": "11:00"}]
    assert api().get(v1("unit-list")).status_code in (401, 403)


def test_writes_by_role_and_denial_changes_nothing(city, personas):
    sample = cobuilding_sample(city)
    today = timezone.localdate()
    starts = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=5), dt.time(10, 0)))
    for role in ROLES:
        client = api(personas[role])
        before = _state()
        n = ROLES.index(role)
        writes = [
            ("unit-list", (), {"place": city.happy.pk, "name": f"单位{n}", "kind": "enterprise"}, DESK),
            (
                "agreement-list",
                (),
                {
                    "unit": sample["unit"].pk,
                    "title": f"协议{n}",
                    "signed_on": today.isoformat(),
                    "commitments": [{"side": "unit", "category": "security", "content": "联防巡逻"}],
                },
                DESK,
            ),
            (
                "agreement-check",
                (sample["agreement"].pk,),
                {"commitment": sample["commitment"].pk, "status": "done", "fulfilment": "已义诊"},
                DESK,
            ),
            (
                "agreement-commitment",
                (sample["agreement"].pk,),
                {"side": "community", "category": "culture", "content": "联合举办文艺汇演"},
                DESK,
            ),
            (
                "facility-list",
                (),
                {
                    "place": city.happy.pk,
                    "name": f"图书室{n}",
                    "kind": "library",
                    "opens_at": "09:00",
                    "closes_at": "17:00",
                },
                DESK,
            ),
            (
                "booking-list",
                (),
                {
                    "room": sample["room"].pk,
                    "starts_at": (starts + dt.timedelta(hours=n % 3 * 3, days=n)).isoformat(),
                    "ends_at": (starts + dt.timedelta(hours=n % 3 * 3 + 1, days=n)).isoformat(),
                    "purpose": "党课",
                    "booker_kind": "staff",
                    "people": 20,
                },
                DESK,
            ),
            ("booking-decide", (sample["booking"].pk,), {"status": "approved"}, DESK),
            (
                "fund-entries",
                (sample["fund"].pk,),
                {
                    "direction": "income",
                    "amount_fen": 1000_00,
                    "occurred_on": today.isoformat(),
                    "purpose": "拨款",
                },
                DESK,
            ),
            ("fund-decide", (sample["fund"].pk,), {"entry": sample["entry"].pk, "approve": True}, APPROVERS),
            ("volunteer-list", (), {"place": city.happy.pk, "name": f"志愿者{n}"}, DESK),
        ]
        for name, args, body, allowed in writes:
            response = client.post(v1(name, *args), body, format="json")
            if role in allowed:
                assert response.status_code in (200, 201), (name, role, response.content)
                # Reset one-time moves so the next allowed role can do them too.
                if name == "booking-decide":
                    Booking.objects.filter(pk=sample["booking"].pk).update(status=BookingStatus.PENDING)
                if name == "fund-decide":
                    LedgerEntry.objects.filter(pk=sample["entry"].pk).update(status="pending")
                if name == "agreement-check":
                    Commitment.objects.filter(pk=sample["commitment"].pk).update(status="pending")
            else:
                # 403, the same 404 as a missing row, or 400 when a chosen row is outside their scope.
                assert response.status_code in (400, 403, 404), (name, role, response.status_code)
        if role not in DESK | APPROVERS:
            assert _state() == before, role  # every refused write left everything as it was


def test_four_eyes_and_reversal_through_the_api(city, personas):
    sample = cobuilding_sample(city)
    staff_client = api(personas["staff"])
    recorded = staff_client.post(
        v1("fund-entries", sample["fund"].pk),
        {
            "direction": "expense",
            "amount_fen": 88_00,
            "occurred_on": timezone.localdate().isoformat(),
            "purpose": "横幅",
        },
        format="json",
    )
    assert recorded.status_code == 201 and recorded.json()["status"] == "pending"
    entry = recorded.json()["id"]
    secretary = api(personas["community_secretary"])
    # The secretary recorded nothing here, so may approve; the staff member who recorded may not reverse.
    assert (
        secretary.post(
            v1("fund-decide", sample["fund"].pk), {"entry": entry, "approve": True}, format="json"
        ).status_code
        == 200
    )
    assert (
        staff_client.post(
            v1("fund-reverse", sample["fund"].pk), {"entry": entry, "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    reversed_ = secretary.post(
        v1("fund-reverse", sample["fund"].pk), {"entry": entry, "reason": "重复"}, format="json"
    )
    assert reversed_.status_code == 201 and reversed_.json()["amount_fen"] == -88_00
    again = secretary.post(
        v1("fund-reverse", sample["fund"].pk), {"entry": entry, "reason": "重复"}, format="json"
    )
    assert again.status_code == 400 and "errors" in again.json()
    own = secretary.post(
        v1("fund-entries", sample["fund"].pk),
        {
            "direction": "expense",
            "amount_fen": 1_00,
            "occurred_on": timezone.localdate().isoformat(),
            "purpose": "x",
        },
        format="json",
    ).json()["id"]
    assert (
        secretary.post(
            v1("fund-decide", sample["fund"].pk), {"entry": own, "approve": True}, format="json"
        ).status_code
        == 403
    )
    assert LedgerEntry.objects.get(pk=own).status == "pending"
    figures = api(personas["supervisor"]).get(v1("fund-detail", sample["fund"].pk)).json()["figures"]
    assert figures["spent"] == 0 and figures["income"] == 0


def test_a_clash_through_the_api_answers_400_with_the_field(city, personas):
    sample = cobuilding_sample(city)
    booking = sample["booking"]
    response = api(personas["staff"]).post(
        v1("booking-list"),
        {
            "room": sample["room"].pk,
            "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(),
            "purpose": "会议",
            "booker_kind": "staff",
        },
        format="json",
    )
    assert response.status_code == 400 and "starts_at" in response.json()["errors"]
    assert Booking.objects.filter(room=sample["room"]).count() == 1
