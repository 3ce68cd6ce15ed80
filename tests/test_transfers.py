"""Membership transfers (组织关系接转, D2): the workflow, its access rules, expiry and concurrency."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from lianxin.core import idcard
from lianxin.core.models import AuditEntry, Notification
from lianxin.registry import services, transfers
from lianxin.registry.models import (
    MemberKind,
    MembershipTransfer,
    MemberStatus,
    PartyMember,
    TransferEvent,
    TransferStatus,
)

S = TransferStatus
ZHANG = "11010519491231002X"


def _member(city, personas, id_number=ZHANG, name="张三"):
    id_number = id_number[:17] + idcard.check_char(id_number[:17])
    household = services.household_create(
        actor=personas["staff"], place=city.happy_building, unit="2", room=f"30{id_number[-2]}"
    )
    resident = services.resident_create(
        actor=personas["staff"], name=name, id_number=id_number, household=household
    )
    return services.member_create(
        actor=personas["community_secretary"],
        resident=resident,
        organization=city.happy_branch,
        kind=MemberKind.RETIRED,
        joined_on=dt.date(1980, 7, 1),
    )


@pytest.fixture
def member(city, personas):
    return _member(city, personas)


@pytest.fixture
def requested(city, personas, member):
    return transfers.transfer_request(
        actor=personas["community_secretary"], member=member, to_organization=city.unity_committee
    )


@pytest.fixture
def approved(personas, requested):
    return transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=requested)


def _where(member):
    member = PartyMember.objects.get(pk=member.pk)
    return member.organization_id, member.place_id, member.place_path, member.status


def _titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


def test_transfer_within_the_city_moves_the_member(city, personas, member):
    secretary, receiver = personas["community_secretary"], personas["outsider"]
    # Given a member of 幸福社区第一党支部, when 幸福 requests a transfer to 团结社区党委 …
    transfer = transfers.transfer_request(
        actor=secretary, member=member, to_organization=city.unity_committee, note="随子女居住"
    )
    year = timezone.localdate().year
    assert transfer.letter_number == f"{year}-0001" and transfer.letter_year == year
    assert transfer.valid_until == transfer.issued_on + dt.timedelta(days=90)
    assert transfer.place == city.happy and transfer.status == S.REQUESTED
    # … the receiving secretary sees it before it is approved, but cannot accept yet.
    assert list(transfers.transfer_list(actor=receiver)) == [transfer]
    with pytest.raises(ValidationError):
        transfers.transfer_accept(actor=receiver, transfer=transfer)
    transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=transfer)
    transfers.transfer_accept(actor=receiver, transfer=transfer)
    # Then the member belongs to 团结社区党委 and lives in 团结社区's subtree.
    transfer.refresh_from_db()
    assert transfer.status == S.ACCEPTED
    assert (transfer.approved_by, transfer.accepted_by) == (personas["subdistrict_officer"], receiver)
    assert transfer.approved_at and transfer.accepted_at
    assert _where(member) == (city.unity_committee.pk, city.unity.pk, city.unity.path, MemberStatus.ACTIVE)
    # History kept, for both sides, and in the audit log.
    assert [(e.from_status, e.to_status, e.actor) for e in transfers.transfer_events(transfer=transfer)] == [
        ("", S.REQUESTED, secretary),
        (S.REQUESTED, S.APPROVED, personas["subdistrict_officer"]),
        (S.APPROVED, S.ACCEPTED, receiver),
    ]
    assert list(
        AuditEntry.objects.filter(object_type="registry.membershiptransfer")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["transfer.requested", "transfer.approved", "transfer.accepted"]
    moved = AuditEntry.objects.get(action="member.transfer")
    assert moved.before["organization"] == city.happy_branch.pk
    assert moved.after["organization"] == city.unity_committee.pk
    # Both secretaries were told of every step taken by the other side.
    assert len(_titles(receiver)) == 2 and len(_titles(secretary)) == 2  # the subdistrict approved
    # Both still see the transfer; the member now shows in 团结's lists, not in 幸福's.
    assert transfers.transfer_get(actor=secretary, pk=transfer.pk) == transfer
    assert transfers.transfer_get(actor=receiver, pk=transfer.pk) == transfer
    from lianxin.registry.selectors import member_list

    assert list(member_list(actor=receiver)) == [member]
    assert not member_list(actor=secretary).exists()


def test_transfer_out_of_the_city(city, personas, member):
    secretary = personas["community_secretary"]
    transfer = transfers.transfer_request(
        actor=secretary, member=member, external_organization_name=" 北京市海淀区某街道党工委 "
    )
    assert transfer.is_external and transfer.receiver_label() == "北京市海淀区某街道党工委"
    transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=transfer)
    # Nobody else in the city is the receiver: the outsider can neither accept nor see it.
    with pytest.raises(PermissionDenied):
        transfers.transfer_accept(actor=personas["outsider"], transfer=transfer)
    assert not transfers.transfer_list(actor=personas["outsider"]).exists()
    # The sending side records the returned receipt (回执).
    transfers.transfer_accept(actor=secretary, transfer=transfer)
    member.refresh_from_db()
    assert member.status == MemberStatus.TRANSFERRED_OUT
    assert member.organization == city.happy_branch
    assert member.receiving_organization_name == "北京市海淀区某街道党工委"


def test_receiver_must_be_exactly_one(city, personas, member):
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_request(actor=personas["community_secretary"], member=member)
    assert "to_organization" in exc.value.message_dict
    with pytest.raises(ValidationError):
        transfers.transfer_request(
            actor=personas["community_secretary"],
            member=member,
            to_organization=city.unity_committee,
            external_organization_name="外地",
        )
    with pytest.raises(ValidationError):
        transfers.transfer_request(
            actor=personas["community_secretary"], member=member, to_organization=city.happy_branch
        )
    assert not MembershipTransfer.objects.exists()


@pytest.mark.parametrize(
    ("stage", "side"),
    [("requested", "community_secretary"), ("requested", "outsider"), ("approved", "outsider")],
)
def test_rejection_leaves_the_member_in_place(request, personas, member, stage, side):
    transfer = request.getfixturevalue(stage)
    before = _where(member)
    with pytest.raises(ValidationError):
        transfers.transfer_reject(actor=personas[side], transfer=transfer, reason=" ")
    transfers.transfer_reject(actor=personas[side], transfer=transfer, reason="不符合接收条件")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.closed_by, transfer.close_reason) == (
        S.REJECTED,
        personas[side],
        "不符合接收条件",
    )
    assert _where(member) == before
    with pytest.raises(ValidationError):
        transfers.transfer_accept(actor=personas["outsider"], transfer=transfer)
    assert _where(member) == before
    # A closed transfer no longer blocks a new one.
    transfers.transfer_request(
        actor=personas["community_secretary"], member=member, external_organization_name="外地"
    )


def test_expiry_is_swept_once_and_leaves_the_member_in_place(city, personas, member):
    secretary, today = personas["community_secretary"], timezone.localdate()
    with pytest.raises(ValidationError) as exc:  # a letter already past its validity is refused
        transfers.transfer_request(
            actor=secretary,
            member=member,
            to_organization=city.unity_committee,
            issued_on=today - dt.timedelta(days=91),
        )
    assert "issued_on" in exc.value.message_dict
    stale = transfers.transfer_request(
        actor=secretary,
        member=member,
        to_organization=city.unity_committee,
        issued_on=today - dt.timedelta(days=10),
    )
    transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=stale)
    fresh = transfers.transfer_request(
        actor=secretary,
        member=_member(city, personas, "110105195001010011", "李四"),
        to_organization=city.unity_committee,
    )
    assert stale.valid_until == today + dt.timedelta(days=80)
    before = _where(member)
    later = today + dt.timedelta(days=81)
    with time_machine.travel(dt.datetime.combine(later, dt.time(9)), tick=False):
        # Past its validity it cannot be accepted, even before the sweep has run.
        with pytest.raises(ValidationError):
            transfers.transfer_accept(actor=personas["outsider"], transfer=stale)
        assert transfers.transfers_expire(today=later) == 1
        assert transfers.transfers_expire(today=later) == 0
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (S.EXPIRED, S.REQUESTED)
    assert _where(member) == before
    assert TransferEvent.objects.filter(transfer=stale, to_status=S.EXPIRED).count() == 1
    entry = AuditEntry.objects.get(action="transfer.expired")
    assert entry.actor is None and entry.actor_name == "system"
    assert Notification.objects.filter(dedupe_key=f"transfer:{stale.pk}:expired").count() == 2
    with pytest.raises(ValidationError):
        transfers.transfer_accept(actor=personas["outsider"], transfer=stale)
    assert _where(member) == before


def test_cancel_only_by_the_requester(personas, member, approved):
    with pytest.raises(PermissionDenied):
        transfers.transfer_cancel(actor=personas["district_officer"], transfer=approved)
    before = _where(member)
    transfers.transfer_cancel(actor=personas["community_secretary"], transfer=approved, reason="本人放弃")
    approved.refresh_from_db()
    assert approved.status == S.CANCELLED and approved.close_reason == "本人放弃"
    assert _where(member) == before


def test_double_accept_moves_once(city, personas, member, approved):
    transfers.transfer_accept(actor=personas["outsider"], transfer=approved)
    with pytest.raises(ValidationError):
        transfers.transfer_accept(actor=personas["outsider"], transfer=approved)
    assert AuditEntry.objects.filter(action="member.transfer").count() == 1
    assert TransferEvent.objects.filter(transfer=approved, to_status=S.ACCEPTED).count() == 1
    assert _where(member)[0] == city.unity_committee.pk


def test_double_approve_approves_once(personas, requested):
    transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=requested)
    with pytest.raises(ValidationError):
        transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=requested)
    assert AuditEntry.objects.filter(action="transfer.approved").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_accepts_move_once(city, personas, member):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    transfer = transfers.transfer_request(
        actor=personas["community_secretary"], member=member, to_organization=city.unity_committee
    )
    transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=transfer)
    barrier, outcomes = threading.Barrier(2), []

    def accept():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            transfers.transfer_accept(actor=personas["outsider"], transfer=transfer)
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert AuditEntry.objects.filter(action="member.transfer").count() == 1
    assert _where(member)[0] == city.unity_committee.pk


def test_sending_secretary_cannot_accept_for_the_receiver(city, personas, member, approved):
    before = _where(member)
    with pytest.raises(PermissionDenied):
        transfers.transfer_accept(actor=personas["community_secretary"], transfer=approved)
    with pytest.raises(PermissionDenied):
        transfers.transfer_approve(actor=personas["outsider"], transfer=approved)
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and _where(member) == before
    assert transfers.can_act(personas["community_secretary"], approved) == {S.REJECTED, S.CANCELLED}
    assert transfers.can_act(personas["outsider"], approved) == {S.ACCEPTED, S.REJECTED}


@pytest.mark.parametrize("persona", ["grid_worker", "assistant", "party_member", "resident", "sysadmin"])
def test_unrelated_users_see_nothing(personas, requested, persona):
    user = personas[persona]
    assert not transfers.transfer_list(actor=user).exists()
    with pytest.raises(Http404):
        transfers.transfer_get(actor=user, pk=requested.pk)
    with pytest.raises(PermissionDenied):
        transfers.transfer_reject(actor=user, transfer=requested, reason="x")
    requested.refresh_from_db()
    assert requested.status == S.REQUESTED


@pytest.mark.parametrize(
    "persona",
    ["district_officer", "subdistrict_officer", "community_secretary", "committee_member", "outsider"],
)
def test_both_sides_and_their_officers_see_it(personas, requested, persona):
    assert list(transfers.transfer_list(actor=personas[persona])) == [requested]


def test_one_open_transfer_per_member(city, personas, member, requested):
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_request(
            actor=personas["community_secretary"], member=member, external_organization_name="外地"
        )
    assert "member" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipTransfer.objects.create(
            member=member,
            place=city.happy,
            from_organization=city.happy_branch,
            external_organization_name="外地",
            letter_year=2000,
            letter_number="x",
            issued_on=dt.date(2000, 1, 1),
            valid_until=dt.date(2000, 4, 1),
            requested_by=personas["community_secretary"],
        )


def test_letter_numbers_are_unique_within_the_year(city, personas, member, requested):
    other = _member(city, personas, "110105195001010011", "李四")
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_request(
            actor=personas["community_secretary"],
            member=other,
            to_organization=city.unity_committee,
            letter_number=requested.letter_number,
        )
    assert "letter_number" in exc.value.message_dict
    second = transfers.transfer_request(
        actor=personas["community_secretary"], member=other, to_organization=city.unity_committee
    )
    assert second.letter_number == f"{requested.letter_year}-0002"


def test_only_the_sending_side_may_request(city, personas, member):
    with pytest.raises(PermissionDenied):
        transfers.transfer_request(
            actor=personas["outsider"], member=member, to_organization=city.unity_committee
        )
    with pytest.raises(PermissionDenied):
        transfers.transfer_request(
            actor=personas["staff"], member=member, to_organization=city.unity_committee
        )
    assert not MembershipTransfer.objects.exists()


def test_receiving_side_follows_a_place_move(city, personas, requested, sysadmin):
    from lianxin.places.services import place_move

    place_move(actor=sysadmin, place=city.unity, new_parent=city.east, reason="区划调整")
    assert list(transfers.transfer_list(actor=personas["outsider"])) == [requested]
    assert list(transfers.transfer_list(actor=personas["subdistrict_officer"])) == [requested]


def test_tick_runs_the_transfer_expiry_sweep(requested):
    from lianxin.core.services import tick

    later = requested.valid_until + dt.timedelta(days=1)
    assert tick(today=requested.valid_until)["transfers_expire"] == 0
    assert tick(today=later)["transfers_expire"] == 1
    requested.refresh_from_db()
    assert requested.status == "expired"
    assert tick(today=later)["transfers_expire"] == 0
