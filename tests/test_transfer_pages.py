"""Pages and API of membership transfers and special care groups (D2).

Given the city of conftest.py (幸福社区's secretary sends, 团结社区's secretary — the ``outsider``
persona — receives), when they work through the pages and the API, then each move happens once, both
see the history, errors name their field, and special care records stay need-to-know and audited.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.registry import services, special_care, transfers
from lianxin.registry.models import (
    MemberKind,
    MembershipTransfer,
    PartyMember,
    Relationship,
    SpecialCareGroup,
    TransferEvent,
    TransferStatus,
)
from lianxin.web.navigation import navigation_for

from .conftest import city_per_module
from .test_registry_pages import ZHANG, login, registry_sample, table, text, valid_id

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

S = TransferStatus
DETAILS = "2019年因盗窃罪服刑，2024年3月刑满释放"
SUN = valid_id("11010519580808005")


def transfer_sample(city):
    """孙六, a member of 幸福社区第一党支部 living in the registry sample's household, with a transfer
    requested to 团结社区党委; made once per test and kept on the city, so both permission matrices
    can use it (the sample's own people stay free for the other matrix rows)."""
    sample = getattr(city, "_transfer_sample", None)
    if sample is not None:
        return sample
    people = registry_sample(city)
    secretary = _secretary()
    resident = services.resident_create(
        actor=secretary,
        name="孙六",
        id_number=SUN,
        household=people["household"],
        relationship=Relationship.OTHER,
    )
    member = services.member_create(
        actor=secretary,
        resident=resident,
        organization=city.happy_branch,
        kind=MemberKind.RETIRED,
        joined_on=dt.date(1980, 7, 1),
    )
    city._transfer_sample = transfers.transfer_request(
        actor=secretary, member=member, to_organization=city.unity_committee
    )
    return city._transfer_sample


def special_care_sample(city):
    """A special care record of the registry sample's head, recorded by 幸福社区's secretary."""
    sample = getattr(city, "_special_care_sample", None)
    if sample is None:
        sample = special_care.record_create(
            actor=_secretary(),
            resident=registry_sample(city)["head"],
            group=SpecialCareGroup.RELEASED_PRISONER,
            details=DETAILS,
        )
        city._special_care_sample = sample
    return sample


def _secretary():
    from lianxin.accounts.models import User

    return User.objects.get(username="secretary")


@pytest.fixture
def sample(city, personas):
    return registry_sample(city)


@pytest.fixture
def record(city, personas):
    return special_care_sample(city)


def _assign(city, personas, who="staff"):
    return special_care.assignment_grant(
        actor=personas["community_secretary"],
        user=personas[who],
        group=SpecialCareGroup.RELEASED_PRISONER,
        place=city.happy,
        reason="负责安置帮教",
    )


def _events(transfer):
    return list(TransferEvent.objects.filter(transfer=transfer).values_list("to_status", flat=True))


# --- transfers through the pages ----------------------------------------------------------------


def test_transfer_flow_through_the_pages(client, city, personas, sample):
    member = sample["member"]
    # Given 幸福社区's secretary on the member's page, when she opens the request form …
    login(client, personas, "community_secretary")
    assert "member-transfers" in text(client.get(reverse("member_detail", args=[member.pk])))
    history = text(client.get(reverse("transfers"), {"member": member.pk, "show": "all"}))
    assert reverse("transfer_request", args=[member.pk]) in history
    form_page = client.get(reverse("transfer_request", args=[member.pk]))
    choices = dict(form_page.context["form"].fields["to_organization"].choices)
    assert str(city.unity_committee.pk) in choices and str(city.happy_branch.pk) not in choices

    # … a form without a receiver names the field and creates nothing …
    response = client.post(reverse("transfer_request", args=[member.pk]), {"letter_number": ""})
    assert response.status_code == 200 and "to_organization" in response.context["form"].errors
    assert not MembershipTransfer.objects.exists()

    # … then a complete one requests the transfer, with an automatic letter number.
    response = client.post(
        reverse("transfer_request", args=[member.pk]),
        {"to_organization": city.unity_committee.pk, "note": "随子女居住"},
    )
    transfer = MembershipTransfer.objects.get()
    assert response.status_code == 302 and response.url == reverse("transfer_detail", args=[transfer.pk])
    assert transfer.letter_number.endswith("-0001") and transfer.status == S.REQUESTED

    # The requester may cancel but not approve her own request (four eyes); the subdistrict approves,
    # and approving twice moves once.
    page = client.get(reverse("transfer_detail", args=[transfer.pk]))
    assert not page.context["can_approve"] and not page.context["can_accept"] and page.context["can_cancel"]
    assert client.post(reverse("transfer_approve", args=[transfer.pk])).status_code == 403
    login(client, personas, "subdistrict_officer")
    assert client.get(reverse("transfer_detail", args=[transfer.pk])).context["can_approve"]
    for _attempt in range(2):
        assert client.post(reverse("transfer_approve", args=[transfer.pk])).status_code == 302
    assert _events(transfer) == [S.REQUESTED, S.APPROVED]

    # The receiving secretary (团结社区) sees it in her list, accepts — twice — and the member moves once.
    login(client, personas, "outsider")
    assert transfer.letter_number in table(client.get(reverse("transfers")), "transfers")
    page = client.get(reverse("transfer_detail", args=[transfer.pk]))
    assert page.context["can_accept"] and not page.context["can_approve"] and not page.context["can_cancel"]
    for _attempt in range(2):
        assert client.post(reverse("transfer_accept", args=[transfer.pk])).status_code == 302
    assert _events(transfer) == [S.REQUESTED, S.APPROVED, S.ACCEPTED]
    assert PartyMember.objects.get(pk=member.pk).organization == city.unity_committee
    assert AuditEntry.objects.filter(action="member.transfer").count() == 1

    # Both see the finished transfer and its history; it is no longer "in progress".
    for who in ("outsider", "community_secretary"):
        login(client, personas, who)
        assert transfer.letter_number not in table(client.get(reverse("transfers")), "transfers")
        assert transfer.letter_number in table(
            client.get(reverse("transfers"), {"show": "closed"}), "transfers"
        )
        events = table(client.get(reverse("transfer_detail", args=[transfer.pk])), "events")
        assert events.count("<tr>") == 4  # the header and three steps
        assert 'data-test="actions"' not in text(client.get(reverse("transfer_detail", args=[transfer.pk])))


def test_reject_needs_a_reason_and_leaves_the_member_in_place(client, city, personas, sample):
    transfer = transfer_sample(city)
    login(client, personas, "outsider")

    response = client.post(reverse("transfer_reject", args=[transfer.pk]), {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert MembershipTransfer.objects.get(pk=transfer.pk).status == S.REQUESTED

    response = client.post(reverse("transfer_reject", args=[transfer.pk]), {"reason": "材料不全"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == S.REJECTED and transfer.close_reason == "材料不全"
    assert PartyMember.objects.get(pk=transfer.member_id).organization == city.happy_branch


def test_the_requester_may_cancel(client, city, personas, sample):
    transfer = transfer_sample(city)
    login(client, personas, "community_secretary")
    client.post(reverse("transfer_cancel", args=[transfer.pk]), {"reason": "本人放弃"})
    assert MembershipTransfer.objects.get(pk=transfer.pk).status == S.CANCELLED
    assert _events(transfer) == [S.REQUESTED, S.CANCELLED]


def test_a_receiver_cannot_approve(client, city, personas, sample):
    transfer = transfer_sample(city)
    login(client, personas, "outsider")
    assert client.post(reverse("transfer_approve", args=[transfer.pk])).status_code == 403
    assert client.post(reverse("transfer_cancel", args=[transfer.pk])).status_code == 403
    assert _events(transfer) == [S.REQUESTED]


def test_grid_worker_sees_no_transfers(client, city, personas, sample):
    transfer = transfer_sample(city)
    login(client, personas, "grid_worker")
    assert client.get(reverse("transfers")).status_code == 403
    assert client.get(reverse("transfer_detail", args=[transfer.pk])).status_code == 404
    assert client.post(reverse("transfer_approve", args=[transfer.pk])).status_code == 404
    assert reverse("transfers") not in text(client.get(reverse("home")))
    assert not transfers.transfer_list(actor=personas["grid_worker"]).exists()


# --- special care -------------------------------------------------------------------------------


def test_unassigned_staff_sees_an_empty_list_and_404(client, city, personas, record):
    login(client, personas, "staff")
    before = AuditEntry.objects.count()

    response = client.get(reverse("special_care"))

    assert response.context["records"] == [] and "张三" not in table(response, "special-care")
    assert client.get(reverse("special_care_detail", args=[record.pk])).status_code == 404
    assert client.get(reverse("special_care_reveal", args=[record.pk])).status_code == 404
    assert (
        client.post(reverse("special_care_reveal", args=[record.pk]), {"reason": "核对"}).status_code == 404
    )
    assert AuditEntry.objects.count() == before
    assert reverse("special_care") not in text(client.get(reverse("home")))


def test_assigned_staff_sees_the_record_and_every_read_is_audited(client, city, personas, record):
    _assign(city, personas)
    staff = personas["staff"]
    login(client, personas, "staff")
    assert reverse("special_care") in text(client.get(reverse("home")))

    listing = table(client.get(reverse("special_care")), "special-care")
    assert "张三" in listing
    entry = AuditEntry.objects.filter(action="special_care.list", actor=staff).get()
    assert entry.after["records"] == [record.pk] and entry.reason

    detail = text(client.get(reverse("special_care_detail", args=[record.pk])))
    assert DETAILS not in detail and record.MASK in detail
    assert AuditEntry.objects.filter(action="special_care.view", actor=staff).exists()

    # Reveal needs a reason: without one, nothing is shown or recorded as a reveal.
    response = client.post(reverse("special_care_reveal", args=[record.pk]), {"reason": ""})
    assert "reason" in response.context["form"].errors and DETAILS not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()
    response = client.post(reverse("special_care_reveal", args=[record.pk]), {"reason": "安置帮教回访"})
    assert DETAILS in text(response) and response["Cache-Control"].startswith("max-age=0")
    assert AuditEntry.objects.get(action="reveal").reason == "安置帮教回访"
    assert DETAILS not in " ".join(f"{e.before} {e.after} {e.reason}" for e in AuditEntry.objects.all())


def test_group_filter_and_ending_a_record(client, city, personas, record):
    _assign(city, personas)
    login(client, personas, "staff")
    other_group = table(client.get(reverse("special_care"), {"group": "drug_rehabilitation"}), "special-care")
    assert "张三" not in other_group

    response = client.post(reverse("special_care_end", args=[record.pk]), {"ended_on": "", "reason": ""})
    assert {"ended_on", "reason"} <= set(response.context["form"].errors)
    response = client.post(
        reverse("special_care_end", args=[record.pk]),
        {"ended_on": dt.date.today().isoformat(), "reason": "帮教期满"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.ended_on and record.end_reason == "帮教期满"


def test_secretary_grants_and_ends_access_on_the_assignments_page(client, city, personas, record):
    login(client, personas, "community_secretary")
    response = client.post(
        reverse("special_care_assignments"),
        {"username": "nobody", "group": SpecialCareGroup.RELEASED_PRISONER, "place": city.happy.pk},
    )
    assert "username" in response.context["form"].errors
    response = client.post(
        reverse("special_care_assignments"),
        {"username": "staff", "group": SpecialCareGroup.RELEASED_PRISONER, "place": city.happy.pk},
    )
    assert response.status_code == 302
    assignment = special_care.assignment_list(actor=personas["community_secretary"]).get()
    assert assignment.user == personas["staff"]
    assert [r.pk for r in special_care.special_care_list(actor=personas["staff"], purpose="t")] == [record.pk]

    client.post(reverse("special_care_assignment_end", args=[assignment.pk]), {"reason": "调岗"})
    assert special_care.special_care_list(actor=personas["staff"], purpose="t") == []
    # Staff may not manage assignments.
    login(client, personas, "staff")
    assert client.get(reverse("special_care_assignments")).status_code == 403


def test_record_create_from_the_page(client, city, personas, sample):
    _assign(city, personas)
    login(client, personas, "staff")
    response = client.post(
        reverse("special_care_create"),
        {"id_number": ZHANG, "group": "drug_rehabilitation", "details": "x"},
    )
    # Assigned to another group: the service refuses.
    assert response.status_code == 403
    response = client.post(
        reverse("special_care_create") + f"?resident={sample['head'].pk}",
        {"group": SpecialCareGroup.RELEASED_PRISONER, "details": DETAILS},
    )
    assert response.status_code == 302


def test_navigation_shows_special_care_only_to_those_concerned(city, personas, record):
    def labels(who):
        return {item.url for item in navigation_for(personas[who], "/")}

    assert reverse("special_care") in labels("community_secretary")
    assert reverse("special_care") not in labels("staff")
    assert reverse("transfers") in labels("staff") and reverse("transfers") not in labels("grid_worker")
    _assign(city, personas)
    assert reverse("special_care") in labels("staff")
    # Care plans (lianxin.disputes) are for holders of an assignment only, not for those who grant them.
    assert reverse("disputes_care") in labels("staff")
    assert reverse("disputes_care") not in labels("community_secretary")
    # Both need-to-know sections come from one read of the assignments, and the party member's
    # sections (branch life, governance) from one read of the linked record.
    with CaptureQueriesContext(connection) as queries:
        navigation_for(personas["staff"], "/")
    assert sum("registry_specialcareassignment" in q["sql"] for q in queries.captured_queries) == 1
    assert sum("branch_memberaccount" in q["sql"] for q in queries.captured_queries) == 1


# --- the API --------------------------------------------------------------------------------------


def _api(personas, who):
    client = APIClient()
    client.force_login(personas[who])
    return client


def test_api_flow_request_approve_accept(city, personas, sample):
    sender, receiver = _api(personas, "community_secretary"), _api(personas, "outsider")
    member = sample["member"]

    response = sender.post(
        reverse("api:transfer-list"),
        {"member": member.pk, "to_organization": city.unity_committee.pk, "note": "随子女居住"},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["allowed_moves"] == ["cancelled", "rejected"]

    assert receiver.post(reverse("api:transfer-accept", args=[pk])).status_code == 400
    assert sender.post(reverse("api:transfer-approve", args=[pk])).status_code == 403
    approver = _api(personas, "subdistrict_officer")
    assert approver.post(reverse("api:transfer-approve", args=[pk])).json()["status"] == "approved"
    assert receiver.post(reverse("api:transfer-accept", args=[pk])).json()["status"] == "accepted"
    again = receiver.post(reverse("api:transfer-accept", args=[pk]))
    assert again.status_code == 400 and "non_field_errors" in again.json()["errors"]

    detail = receiver.get(reverse("api:transfer-detail", args=[pk])).json()
    assert [e["to_status"] for e in detail["events"]] == ["requested", "approved", "accepted"]
    assert PartyMember.objects.get(pk=member.pk).organization == city.unity_committee
    listed = sender.get(reverse("api:transfer-list"), {"status": "accepted"}).json()["results"]
    assert [row["id"] for row in listed] == [pk]
    assert sender.get(reverse("api:transfer-list"), {"open": "true"}).json()["results"] == []


def test_api_reject_needs_a_reason(city, personas, sample):
    transfer = transfer_sample(city)
    receiver = _api(personas, "outsider")
    response = receiver.post(reverse("api:transfer-reject", args=[transfer.pk]), {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = receiver.post(
        reverse("api:transfer-reject", args=[transfer.pk]), {"reason": "材料不全"}, format="json"
    )
    assert response.json()["status"] == "rejected"
