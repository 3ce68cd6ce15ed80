"""Issue 12 item 6: who/where/outcome/address/request id on every entry, chain versions, retention
purge with an anchor, PostgreSQL's trigger, and fail-closed sensitive reads and writes."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts import services as accounts
from lianxin.core import audit, idcard
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry, AuditHead
from lianxin.places import services as places
from lianxin.registry.models import Resident

from .conftest import PASSWORD, _build_city, make_user
from .test_registry_pages import registry_sample

pytestmark = pytest.mark.django_db


def test_entries_carry_role_outcome_address_and_request_id(personas):
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="req-12345")
    client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
    response = client.post(
        reverse("place_create", args=[personas["community_secretary"].role_assignments.get().place_id]),
        {"name": "第二网格"},
        HTTP_X_REQUEST_ID="req-67890",
    )
    assert response.status_code == 302
    login = AuditEntry.objects.get(action="login.succeeded")
    assert (login.ip, login.request_id, login.outcome, login.role) == (
        "10.1.2.3",
        "req-12345",
        "ok",
        "community_secretary",
    )
    created = AuditEntry.objects.filter(action="place.create").latest("seq")
    assert (created.ip, created.request_id, created.role) == ("10.1.2.3", "req-67890", "community_secretary")
    assert audit.verify().ok


def test_the_chain_covers_the_new_fields_and_old_entries_still_verify(personas, city):
    # An entry as written before this change: version 1, hashed without outcome/ip/request id.
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        old = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_name="system",
            action="legacy",
            chain_version=1,
            prev_hash=head.hash,
        )
        old.hash = audit._digest(old)
        old.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=old.seq, hash=old.hash)
        audit.record(actor=personas["staff"], action="after.legacy")
    assert audit.verify().ok
    newest = AuditEntry.objects.latest("seq")
    assert newest.chain_version == 2
    if connection.vendor == "postgresql":
        # Tampering as the table's owner would: past the trigger (rolled back with the test).
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
    AuditEntry.objects.filter(pk=newest.pk).update(ip="6.6.6.6")
    result = audit.verify()
    assert not result.ok and result.seq == newest.seq
    # Downgrading the version to dodge the new fields is caught too.
    AuditEntry.objects.filter(pk=newest.pk).update(ip=newest.ip, chain_version=1)
    assert not audit.verify().ok


@pytest.fixture
def auditor(city):
    return make_user("auditor", Role.AUDITOR, city.city, "审计员")


def test_purge_keeps_every_younger_entry_and_the_chain_verifiable(db):
    start = timezone.now() - dt.timedelta(days=400)
    with time_machine.travel(start, tick=False):
        city = _build_city()
        officer = make_user("district", Role.DISTRICT_OFFICER, city.district)
    for days in (10, 100, 200, 300):
        with time_machine.travel(start + dt.timedelta(days=days), tick=False):
            places.place_update(actor=officer, place=city.happy, name=f"幸福社区{days}")
    auditor = make_user("auditor", Role.AUDITOR, city.city, "审计员")
    total = AuditEntry.objects.count()
    cutoff = timezone.now() - dt.timedelta(days=184)
    younger = set(AuditEntry.objects.filter(at__gte=cutoff).values_list("seq", flat=True))
    result = audit.purge(actor=auditor)
    assert result.deleted > 0 and result.deleted == total - len(younger)
    assert younger <= set(AuditEntry.objects.values_list("seq", flat=True))
    assert not AuditEntry.objects.filter(at__lt=cutoff).exists()
    assert audit.verify().ok
    purge_entry = AuditEntry.objects.latest("seq")
    assert purge_entry.action == "audit.purge" and purge_entry.after["anchor_seq"] == result.anchor_seq
    # Moving the anchor by hand (to hide a deletion) is caught.
    AuditHead.objects.filter(pk=1).update(anchor_seq=result.anchor_seq + 1)
    assert not audit.verify().ok


def test_only_an_auditor_may_purge_and_business_roles_never(personas, city, auditor):
    for who in ("district_officer", "community_secretary", "supervisor", "sysadmin"):
        with pytest.raises(PermissionDenied):
            audit.purge(actor=personas[who])
    call_command("audit", "purge", "--user", "auditor", stdout=open("/dev/null", "w"))


def test_retention_cannot_be_set_below_184_days(settings):
    settings.LIANXIN_AUDIT_RETENTION_DAYS = 30
    assert audit.retention_days() == 184


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_update_and_delete_except_the_purge(personas, city, auditor):
    entry = AuditEntry.objects.latest("seq")
    for sql in (
        "UPDATE core_auditentry SET reason = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    # Even with the purge switch on, a young row cannot be deleted.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lianxin.audit_purge = 'on'")
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- fail closed --------------------------------------------------------------------------------


@pytest.fixture
def broken_audit(monkeypatch):
    def fail(self, *args, **kwargs):
        raise DatabaseError("audit storage unavailable")

    def arm():
        monkeypatch.setattr(AuditEntry, "save", fail)

    return arm


def test_a_reveal_fails_when_its_audit_entry_cannot_be_written(client, city, personas, broken_audit):
    sample = registry_sample(city)
    client.force_login(personas["staff"])
    broken_audit()
    with pytest.raises(DatabaseError):
        client.post(
            reverse("resident_reveal", args=[sample["head"].pk]), {"field": "id_number", "reason": "核对"}
        )


def test_an_export_fails_when_its_audit_entry_cannot_be_written(client, city, personas, broken_audit):
    registry_sample(city)
    client.force_login(personas["staff"])
    broken_audit()
    with pytest.raises(DatabaseError):
        client.post(reverse("export_residents"))


def test_a_write_is_rolled_back_when_its_audit_entry_cannot_be_written(city, personas, broken_audit):
    sample = registry_sample(city)
    broken_audit()
    before = Resident.objects.count()
    from lianxin.registry import services

    with pytest.raises(DatabaseError):
        services.resident_create(
            actor=personas["staff"],
            household=sample["household"],
            name="新成员",
            id_number="11010519800101001" + idcard.check_char("11010519800101001"),
            relationship="child",
        )
    assert Resident.objects.count() == before


def test_permission_changes_are_recorded(city, personas):
    user = make_user("newbie")
    accounts.role_grant(actor=personas["community_secretary"], user=user, role=Role.STAFF, place=city.happy)
    entry = AuditEntry.objects.filter(action="role.grant").latest("seq")
    assert entry.actor == personas["community_secretary"] and entry.role == "community_secretary"


def test_the_audit_page_shows_times_with_the_beijing_offset_and_the_address(city, personas):
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "supervisor", "password": PASSWORD})
    page = client.get(reverse("audit")).content.decode()
    assert "+08:00" in page and "10.1.2.3" in page
