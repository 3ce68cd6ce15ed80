"""The audit log: every service write leaves an entry; the hash chain exposes tampering."""

import datetime as dt
import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from lianxin.accounts import services as accounts
from lianxin.core import audit
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry, AuditHead
from lianxin.core.services import todo_create
from lianxin.places import services as places
from lianxin.places.models import PlaceKind

is_postgres = connection.vendor == "postgresql"


@contextmanager
def tampering():
    """Let a test change audit rows behind Lianxin's back (PostgreSQL guards them with a trigger)."""
    if is_postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
    try:
        yield
    finally:
        if is_postgres:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")


def raw(sql, params=()):
    with tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def last_seq():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()


# --- every write is recorded -------------------------------------------------------------------


@pytest.mark.django_db
def test_each_service_write_leaves_an_entry(personas, city):
    officer = personas["district_officer"]
    start = last_seq()

    place = places.place_create(actor=officer, kind=PlaceKind.GRID, name="第二网格", parent=city.happy)
    places.place_update(actor=officer, place=place, name="第二网格（新）", address="幸福路 2 号")
    rating = places.org_rate(actor=officer, org=city.happy_committee, rating=1, basis="达标")
    newcomer = accounts.user_create(
        actor=personas["sysadmin"], username="newcomer", display_name="新人", password=None
    )
    assignment = accounts.role_grant(actor=officer, user=newcomer, role=Role.GRID_WORKER, place=place)
    todo = todo_create(actor=officer, assignee=newcomer, place=place, title="摸排", days=2)
    accounts.role_revoke(actor=officer, assignment=assignment, reason="调岗")

    entries = list(AuditEntry.objects.filter(seq__gt=start).order_by("seq"))
    assert [e.action for e in entries] == [
        "place.create",
        "place.update",
        "org.rate",
        "user.create",
        "role.grant",
        "todo.create",
        "role.revoke",
    ]
    assert [e.seq for e in entries] == list(range(start + 1, start + 8))
    create, update, rate, user_create, grant, todo_entry, revoke = entries

    assert (create.actor_id, create.actor_name) == (officer.pk, "区干部")
    assert create.before is None
    assert create.after["name"] == "第二网格" and create.after["parent"] == city.happy.pk
    assert (create.object_type, create.object_id) == ("places.place", str(place.pk))
    assert create.place_path == place.path

    assert update.before == {"name": "第二网格", "address": ""}
    assert update.after == {"name": "第二网格（新）", "address": "幸福路 2 号"}

    assert rate.before == {"rating": None}
    assert rate.after["rating"] == 1 and rate.after["basis"] == "达标"
    assert rate.object_id == str(city.happy_committee.pk) and rating.place_path == city.happy.path
    assert rate.place_path == city.happy.path

    assert user_create.actor_name == "系统管理员" and user_create.after["username"] == "newcomer"
    assert grant.after == {"user": newcomer.pk, "role": "grid_worker", "place": place.pk}
    assert grant.object_id == str(assignment.pk) and grant.place_id_snapshot == place.pk
    assert todo_entry.after["title"] == "摸排" and todo_entry.after["due_on"] == todo.due_on.isoformat()
    assert todo_entry.place_path == place.path
    assert revoke.before == {"user": newcomer.pk, "role": "grid_worker"} and revoke.reason == "调岗"
    assert revoke.after["ended_at"] is not None

    assert audit.verify().ok


@pytest.mark.django_db
def test_an_update_that_changes_nothing_is_not_recorded(personas, city):
    before = AuditEntry.objects.count()
    places.place_update(actor=personas["district_officer"], place=city.happy, name="幸福社区")
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_reveal_needs_a_reason(personas, city):
    with transaction.atomic():
        with pytest.raises(ValueError):
            audit.record_reveal(actor=personas["district_officer"], obj=city.happy, field="code", reason="  ")
        entry = audit.record_reveal(
            actor=personas["district_officer"], obj=city.happy, field="code", reason="核对"
        )
    assert (entry.action, entry.after, entry.reason) == ("reveal", {"field": "code"}, "核对")


def test_values_are_stored_as_they_are_hashed():
    aware = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert audit.to_primitive({"at": aware, "on": dt.date(2026, 10, 1), 1: (1.5, True, None)}) == {
        "at": "2026-10-01T00:00:00+00:00",
        "on": "2026-10-01",
        "1": ["1.5", True, None],
    }


# --- verify ------------------------------------------------------------------------------------


@pytest.fixture
def chain(personas):
    """A chain of at least a dozen entries (the personas fixture writes them)."""
    assert AuditEntry.objects.count() >= 12
    return AuditEntry.objects.count()


@pytest.mark.django_db
def test_verify_passes_on_an_intact_chain(chain, capsys):
    result = audit.verify()
    assert result.ok and result.checked == chain
    call_command("audit", "verify")
    assert f"{chain} entries" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["after", "actor_name"])
def test_verify_names_an_altered_row(chain, column):
    target = AuditEntry.objects.get(seq=5)
    value = '{"name": "forged"}' if column == "after" else "forger"
    raw(f"UPDATE core_auditentry SET {column} = %s WHERE id = %s", [value, target.pk])
    result = audit.verify()
    assert not result.ok
    assert result.seq == 5 and result.checked == 4
    assert "altered" in result.problem and "#5" in result.problem
    with pytest.raises(CommandError, match="#5"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_a_row_deleted_in_the_middle(chain):
    raw("DELETE FROM core_auditentry WHERE seq = 7")
    result = audit.verify()
    assert (result.ok, result.seq, result.checked) == (False, 7, 6)
    assert "deleted" in result.problem and "#7" in result.problem
    with pytest.raises(CommandError, match="#7"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_a_row_deleted_at_the_end(chain):
    raw("DELETE FROM core_auditentry WHERE seq = %s", [chain])
    result = audit.verify()
    assert (result.ok, result.seq) == (False, chain)
    assert "deleted" in result.problem and f"#{chain}" in result.problem


@pytest.mark.django_db
def test_verify_names_a_row_inserted_at_the_end(chain):
    # A forger who knows the scheme appends a well-formed entry without going through record().
    head = AuditEntry.objects.get(seq=chain)
    forged = AuditEntry(
        seq=chain + 1, at=head.at, actor_name="forger", action="place.create", prev_hash=head.hash
    )
    forged.hash = audit._digest(forged)
    forged.save()
    result = audit.verify()
    assert (result.ok, result.seq, result.checked) == (False, chain + 1, chain)
    assert "inserted" in result.problem and f"#{chain + 1}" in result.problem
    with pytest.raises(CommandError, match=f"#{chain + 1}"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_a_row_replaced_in_the_middle(chain):
    # Delete #6 and put a self-consistent forgery in its place: #7 no longer follows it.
    original = AuditEntry.objects.get(seq=6)
    raw("DELETE FROM core_auditentry WHERE seq = 6")
    forged = AuditEntry(seq=6, at=original.at, actor_name="forger", action="x", prev_hash=original.prev_hash)
    forged.hash = audit._digest(forged)
    forged.save()
    result = audit.verify()
    assert (result.ok, result.seq) == (False, 7)
    assert "#7" in result.problem


@pytest.mark.django_db
def test_verify_names_the_last_row_replaced(chain):
    original = AuditEntry.objects.get(seq=chain)
    raw("DELETE FROM core_auditentry WHERE seq = %s", [chain])
    forged = AuditEntry(
        seq=chain, at=original.at, actor_name="forger", action="x", prev_hash=original.prev_hash
    )
    forged.hash = audit._digest(forged)
    forged.save()
    result = audit.verify()
    assert (result.ok, result.seq) == (False, chain)
    assert f"#{chain}" in result.problem


@pytest.mark.django_db
def test_verify_ok_on_an_empty_log():
    assert audit.verify().ok


# --- append-only -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_model_refuses_to_change_or_delete_an_entry(chain):
    entry = AuditEntry.objects.get(seq=3)
    entry.reason = "edited"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    assert AuditEntry.objects.get(seq=3).reason == ""
    assert audit.verify().ok


def test_record_outside_a_transaction_raises():
    # No django_db mark: outside pytest-django's per-test transaction, like a bare caller.
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        audit.record(actor=None, action="test")


@pytest.mark.django_db
@pytest.mark.skipif(not is_postgres, reason="the append-only trigger is PostgreSQL's")
def test_postgres_trigger_refuses_raw_update_and_delete(chain):
    for sql in (
        "UPDATE core_auditentry SET reason = 'x' WHERE seq = 2",
        "DELETE FROM core_auditentry WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEntry.objects.filter(seq=2, reason="").exists()
    assert audit.verify().ok


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.skipif(not is_postgres, reason="threads cannot share SQLite's in-memory test database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_the_chain(city, sysadmin):
    start = AuditHead.objects.get(pk=1).seq
    threads_n, per_thread = 6, 8
    barrier = threading.Barrier(threads_n)
    errors = []

    def work(n):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(
                        actor=sysadmin, action="test.concurrent", obj=city.happy, after={"t": n, "i": i}
                    )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEntry.objects.filter(action="test.concurrent").count() == threads_n * per_thread
    assert AuditHead.objects.get(pk=1).seq == start + threads_n * per_thread
    result = audit.verify()
    assert result.ok, result.problem
